//! What inventory consumes and publishes.
//!
//! Consumes: catalog product events (the SKU projection), orders' channel
//! events (the channel projection), order events (OrderPlaced reserves,
//! OrderCancelled releases) and the warehouse's fulfillment events
//! (FulfillmentShipped consumes the reservation, ShortPicked writes off and
//! re-allocates). Publishes StockReserved, ReservationFailed, StockReleased and
//! StockReallocated keyed by order id, StockAdjusted (every on-hand change:
//! adjustments, shipments, short picks) and AvailabilityChanged keyed by SKU,
//! all through the outbox in the transaction of the change.

use std::sync::Arc;

use chrono::Utc;
use domain::contracts::orders::BackorderPolicy;
use domain::events::proto::catalog::v1 as catalog;
use domain::events::proto::inventory::v1 as pb;
use domain::events::proto::orders::v1 as orders;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Event, from_timestamp, timestamp, topics};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use platform::Runtime;
use platform::db::Conn;
use platform::kafka::{BatchHandlerFn, HandlerFn, Record, Subscription};
use platform::outbox::Outbox;

use crate::domain::allocation::{Line, Pick, Short};
use crate::domain::placement::Outcome;
use crate::store::fulfillment::{self, Reallocated, ShortPickOutcome};
use crate::store::{self, availability, locations, placement, reservations};
use domain::contracts::inventory::ReservationStatus;

pub const TOPICS: &[&str] = &[
    topics::INVENTORY_RESERVATION_EVENTS,
    topics::INVENTORY_STOCK_EVENTS,
    topics::INVENTORY_AVAILABILITY,
];

/// Who consumer-driven changes are recorded as.
pub const RESERVATIONS_ACTOR: &str = "system:inventory.reservations";
/// Who changes made on the warehouse's reports are recorded as (the person
/// who shipped or reported is named in the movement's note).
pub const FULFILLMENT_ACTOR: &str = "system:inventory.fulfillment";

pub mod background;

fn product_handler<'a>(
    conn: &'a mut Conn,
    record: &'a Record,
) -> BoxFuture<'a, anyhow::Result<()>> {
    on_product_event(conn, record).boxed()
}

fn channel_handler<'a>(
    conn: &'a mut Conn,
    record: &'a Record,
) -> BoxFuture<'a, anyhow::Result<()>> {
    on_channel_event(conn, record).boxed()
}

/// Locks the stock rows every record of an order-events batch will touch, in
/// one sorted statement, before any handler runs: the SKUs of placed orders'
/// lines, and of what cancelled orders and converted holds have reserved.
fn lock_batch_stock<'a>(
    conn: &'a mut Conn,
    records: &'a [Record],
) -> BoxFuture<'a, anyhow::Result<()>> {
    async move {
        let mut skus = std::collections::BTreeSet::new();
        let mut owners = Vec::new();
        for record in records {
            match record.envelope.event_type.as_str() {
                t if t == orders::OrderPlaced::TYPE => {
                    let event: orders::OrderPlaced = record.decode()?;
                    skus.extend(event.lines.into_iter().map(|l| l.sku));
                    if let Ok(hold) = event.hold_id.parse::<uuid::Uuid>() {
                        owners.push(hold);
                    }
                }
                t if t == orders::OrderCancelled::TYPE => {
                    let event: orders::OrderCancelled = record.decode()?;
                    owners.push(event.order_id.parse()?);
                }
                _ => {}
            }
        }
        skus.extend(store::stock::reserved_skus_of(conn, &owners).await?);
        store::stock::lock(conn, &skus).await?;
        Ok(())
    }
    .boxed()
}

/// Locks the stock rows every record of a fulfillment-events batch will
/// touch (shipped lines' and short-picked SKUs), in one sorted statement.
fn lock_fulfillment_stock<'a>(
    conn: &'a mut Conn,
    records: &'a [Record],
) -> BoxFuture<'a, anyhow::Result<()>> {
    async move {
        let mut skus = std::collections::BTreeSet::new();
        for record in records {
            match record.envelope.event_type.as_str() {
                t if t == warehouse::FulfillmentShipped::TYPE => {
                    let event: warehouse::FulfillmentShipped = record.decode()?;
                    skus.extend(event.lines.iter().filter_map(|l| sku_of(&l.sku).ok()));
                }
                t if t == warehouse::ShortPicked::TYPE => {
                    let event: warehouse::ShortPicked = record.decode()?;
                    skus.extend(sku_of(&event.sku).ok());
                }
                _ => {}
            }
        }
        store::stock::lock(conn, &skus).await?;
        Ok(())
    }
    .boxed()
}

/// A SKU as stored (upper-case), or why it isn't one.
fn sku_of(raw: &str) -> anyhow::Result<String> {
    Ok(raw
        .parse::<domain::Sku>()
        .map_err(|e| anyhow::anyhow!("invalid SKU '{raw}': {e}"))?
        .as_str()
        .to_string())
}

pub fn subscriptions(rt: &Runtime) -> Vec<Subscription> {
    let outbox = rt.outbox.clone();
    let on_order: HandlerFn = Arc::new(move |conn, record| {
        let outbox = outbox.clone();
        async move { on_order_event(&outbox, conn, record).await }.boxed()
    });
    let outbox = rt.outbox.clone();
    let order_batch: BatchHandlerFn = Arc::new(move |conn, records| {
        let outbox = outbox.clone();
        async move { on_order_batch(&outbox, conn, records).await }.boxed()
    });
    let outbox = rt.outbox.clone();
    let on_fulfillment: HandlerFn = Arc::new(move |conn, record| {
        let outbox = outbox.clone();
        async move { on_fulfillment_event(&outbox, conn, record).await }.boxed()
    });
    vec![
        Subscription {
            consumer: "inventory.sku-projection".into(),
            topics: vec![topics::CATALOG_PRODUCT_EVENTS.into()],
            handler: Arc::new(product_handler),
            batched: true,
            before_batch: None,
            batch_handler: None,
            consumer_tasks: Some(1),
        },
        Subscription {
            consumer: "inventory.channel-projection".into(),
            topics: vec![topics::ORDERS_CHANNEL_EVENTS.into()],
            handler: Arc::new(channel_handler),
            batched: true,
            before_batch: None,
            batch_handler: None,
            consumer_tasks: Some(1),
        },
        Subscription {
            consumer: "inventory.reservations".into(),
            topics: vec![topics::ORDERS_ORDER_EVENTS.into()],
            handler: on_order,
            // A batch first locks the stock of every order in it, in SKU
            // order, so two consumers' batches never deadlock on shared SKUs.
            batched: true,
            before_batch: Some(Arc::new(lock_batch_stock)),
            // Plain placements of a batch are applied set-based (the batch
            // holds the hot SKUs' locks; round trips per order would
            // serialize every consumer behind it).
            batch_handler: Some(order_batch),
            consumer_tasks: None,
        },
        Subscription {
            consumer: "inventory.fulfillment".into(),
            topics: vec![topics::WAREHOUSE_FULFILLMENT_EVENTS.into()],
            handler: on_fulfillment,
            // As for reservations: the batch's stock first, in SKU order.
            batched: true,
            before_batch: Some(Arc::new(lock_fulfillment_stock)),
            batch_handler: None,
            consumer_tasks: None,
        },
    ]
}

async fn on_product_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != catalog::ProductUpserted::TYPE {
        return Ok(());
    }
    let event: catalog::ProductUpserted = record.decode()?;
    let product_id: uuid::Uuid = event.product_id.parse()?;
    let at = from_timestamp(event.updated_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    for variant in &event.variants {
        store::upsert_sku(conn, &variant.sku, product_id, &event.status, at).await?;
    }
    Ok(())
}

async fn on_channel_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != orders::ChannelUpserted::TYPE {
        return Ok(());
    }
    let event: orders::ChannelUpserted = record.decode()?;
    if store::upsert_channel(conn, &event).await? {
        // Eligibility or buffers may have moved every SKU's availability.
        availability::mark_all_dirty(conn).await?;
    }
    Ok(())
}

async fn on_order_event(outbox: &Outbox, conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    match record.envelope.event_type.as_str() {
        t if t == orders::OrderPlaced::TYPE => {
            let event: orders::OrderPlaced = record.decode()?;
            let order = place_order_of(&event)?;
            let outcome = placement::place(conn, &order, RESERVATIONS_ACTOR).await?;
            publish_outcome(
                outbox,
                conn,
                &order.order_id.to_string(),
                outcome,
                "placement",
            )
            .await
        }
        t if t == orders::OrderCancelled::TYPE => {
            let event: orders::OrderCancelled = record.decode()?;
            let order_id: uuid::Uuid = event.order_id.parse()?;
            let released =
                reservations::cancel(conn, order_id, &event.channel_id, RESERVATIONS_ACTOR).await?;
            if !released.is_empty() {
                outbox
                    .enqueue(
                        conn,
                        topics::INVENTORY_RESERVATION_EVENTS,
                        &event.order_id,
                        &pb::StockReleased {
                            order_id: event.order_id.clone(),
                            lines: reserved_lines(&released),
                            released_at: Some(timestamp(Utc::now())),
                        },
                    )
                    .await?;
            }
            Ok(())
        }
        // OrderConfirmed, OrderOnHold: nothing to do with stock.
        _ => Ok(()),
    }
}

/// A batch of order events: runs of plain OrderPlaced (no hold to convert)
/// are placed together ([`placement::place_many`]: a few statements for
/// the run instead of several per order); anything else that touches stock
/// (a cancel, a hold conversion, an order repeated in the run) is applied on
/// its own in record order, after the run before it.
async fn on_order_batch(
    outbox: &Outbox,
    conn: &mut Conn,
    records: &[Record],
) -> anyhow::Result<()> {
    let mut run: Vec<placement::PlaceOrder> = Vec::new();
    for record in records {
        let kind = record.envelope.event_type.as_str();
        if kind == orders::OrderPlaced::TYPE {
            let order = place_order_of(&record.decode()?)?;
            if order.hold_id.is_none() && !run.iter().any(|o| o.order_id == order.order_id) {
                run.push(order);
                continue;
            }
        } else if kind != orders::OrderCancelled::TYPE {
            // OrderConfirmed, OrderOnHold: nothing to do with stock.
            continue;
        }
        place_run(outbox, conn, std::mem::take(&mut run)).await?;
        on_order_event(outbox, conn, record).await?;
    }
    place_run(outbox, conn, run).await
}

async fn place_run(
    outbox: &Outbox,
    conn: &mut Conn,
    run: Vec<placement::PlaceOrder>,
) -> anyhow::Result<()> {
    if run.is_empty() {
        return Ok(());
    }
    let outcomes = placement::place_many(conn, &run, RESERVATIONS_ACTOR)
        .await?
        .into_iter()
        .map(|(id, outcome)| (id.to_string(), outcome))
        .collect();
    publish_outcomes(outbox, conn, outcomes, "placement").await
}

async fn on_fulfillment_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    match record.envelope.event_type.as_str() {
        t if t == warehouse::FulfillmentShipped::TYPE => {
            let event: warehouse::FulfillmentShipped = record.decode()?;
            let shipped_at =
                from_timestamp(event.shipped_at.as_ref()).unwrap_or(record.envelope.occurred_at);
            fulfillment_shipped(outbox, conn, &event, shipped_at).await
        }
        t if t == warehouse::ShortPicked::TYPE => {
            short_picked(outbox, conn, &record.decode()?).await
        }
        _ => Ok(()),
    }
}

/// Consumes the shipped units' reservation and on hand at the shipping
/// location. Units no longer reserved (a cancellation raced the shipment)
/// still left the building: they come off on hand only, as far as stock
/// allows, with a warning.
async fn fulfillment_shipped(
    outbox: &Outbox,
    conn: &mut Conn,
    e: &warehouse::FulfillmentShipped,
    shipped_at: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        !e.fulfillment_id.is_empty(),
        "FulfillmentShipped without a fulfillment id"
    );
    let order_id: uuid::Uuid = e.order_id.parse()?;
    let location = locations::by_code(conn, &e.location_code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("unknown location '{}'", e.location_code))?;
    // One entry per line (parcels may have been summed by line already).
    let mut lines: Vec<Line> = Vec::new();
    for l in e.lines.iter().filter(|l| l.quantity > 0) {
        let sku = sku_of(&l.sku)?;
        match lines.iter_mut().find(|x| x.line_no == l.line_no) {
            Some(x) if x.sku == sku => x.quantity += l.quantity,
            Some(_) => anyhow::bail!("line {} is shipped under two SKUs", l.line_no),
            None => lines.push(Line {
                line_no: l.line_no,
                sku,
                quantity: l.quantity,
            }),
        }
    }
    let fresh = fulfillment::record_shipment(
        conn,
        &e.fulfillment_id,
        order_id,
        location.id,
        &lines,
        shipped_at,
    )
    .await?;
    if fresh.is_empty() {
        tracing::debug!(fulfillment_id = %e.fulfillment_id, "fulfillment already shipped; nothing to do");
        return Ok(());
    }
    let skus: std::collections::BTreeSet<String> = fresh.iter().map(|l| l.sku.clone()).collect();
    store::stock::lock(conn, &skus).await?;
    let note = format!(
        "fulfillment {} shipped by {}",
        e.fulfillment_id,
        if e.shipped_by.is_empty() {
            "the warehouse"
        } else {
            &e.shipped_by
        }
    );
    for line in &fresh {
        let shipped =
            fulfillment::ship_line(conn, order_id, line, location.id, &note, FULFILLMENT_ACTOR)
                .await?;
        let split = shipped.split;
        if split.reserved < line.quantity {
            tracing::warn!(
                %order_id, fulfillment_id = %e.fulfillment_id, line_no = line.line_no,
                sku = %line.sku, location = %location.code, shipped = line.quantity,
                from_reservation = split.reserved, unreserved = split.unreserved,
                unaccounted = split.unaccounted,
                "shipped more than the order had reserved there (released by a cancellation?);                  the rest came off on hand only"
            );
        }
        if let Some(taken) = shipped.taken {
            publish_stock_adjusted(
                outbox,
                conn,
                StockChange {
                    sku: &line.sku,
                    location_code: &location.code,
                    reason: "ship",
                    on_hand: taken.on_hand,
                    movement_id: taken.movement_id,
                    note: &note,
                },
            )
            .await?;
        }
    }
    store::stock::mark_dirty(conn, &skus).await?;
    Ok(())
}

/// Writes the missing units off at the short location and re-allocates them;
/// answers with StockReallocated (and StockAdjusted for the write-off).
async fn short_picked(
    outbox: &Outbox,
    conn: &mut Conn,
    e: &warehouse::ShortPicked,
) -> anyhow::Result<()> {
    let order_id: uuid::Uuid = e.order_id.parse()?;
    let sku = sku_of(&e.sku)?;
    let location = locations::by_code(conn, &e.location_code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("unknown location '{}'", e.location_code))?;
    let note = format!(
        "short pick in bin {} reported by {} (fulfillment {})",
        if e.bin_code.is_empty() {
            "?"
        } else {
            &e.bin_code
        },
        if e.reported_by.is_empty() {
            "the warehouse"
        } else {
            &e.reported_by
        },
        e.fulfillment_id
    );
    let outcome = fulfillment::short_pick(
        conn,
        &fulfillment::ShortPick {
            order_id,
            line_no: e.line_no,
            sku: &sku,
            location_id: location.id,
            location_code: &location.code,
            missing: e.missing,
            fulfillment_id: &e.fulfillment_id,
            note: &note,
        },
        FULFILLMENT_ACTOR,
    )
    .await?;
    let (reallocated, written_off, movement) = match outcome {
        ShortPickOutcome::Applied {
            reallocated,
            written_off,
            movement,
        } => (reallocated, written_off, movement),
        other => {
            tracing::warn!(%order_id, fulfillment_id = %e.fulfillment_id, line_no = e.line_no,
                %sku, location = %location.code, missing = e.missing, outcome = ?other,
                "short pick not applied: nothing reserved for the line there");
            return Ok(());
        }
    };
    if written_off < e.missing {
        tracing::warn!(%order_id, fulfillment_id = %e.fulfillment_id, line_no = e.line_no,
            %sku, location = %location.code, missing = e.missing, written_off,
            "short pick clamped to what the line had reserved there");
    }
    publish_stock_adjusted(
        outbox,
        conn,
        StockChange {
            sku: &sku,
            location_code: &location.code,
            reason: "short_pick",
            on_hand: movement.on_hand,
            movement_id: movement.movement_id,
            note: &note,
        },
    )
    .await?;
    publish_reallocated(outbox, conn, &reallocated, "short_pick").await?;
    Ok(())
}

/// An on-hand change to publish as StockAdjusted.
pub struct StockChange<'a> {
    pub sku: &'a str,
    pub location_code: &'a str,
    /// receipt | cycle_count | damage | correction | return | ship | short_pick
    pub reason: &'a str,
    pub on_hand: (i64, i64),
    pub movement_id: i64,
    pub note: &'a str,
}

/// Enqueues StockAdjusted for an on-hand change made by the fulfillment consumer.
pub async fn publish_stock_adjusted(
    outbox: &Outbox,
    conn: &mut Conn,
    c: StockChange<'_>,
) -> anyhow::Result<()> {
    outbox
        .enqueue(
            conn,
            topics::INVENTORY_STOCK_EVENTS,
            c.sku,
            &pb::StockAdjusted {
                sku: c.sku.to_string(),
                location_code: c.location_code.to_string(),
                reason: c.reason.to_string(),
                delta: c.on_hand.1 - c.on_hand.0,
                on_hand_before: c.on_hand.0,
                on_hand_after: c.on_hand.1,
                adjusted_by: FULFILLMENT_ACTOR.to_string(),
                note: c.note.to_string(),
                adjusted_at: Some(timestamp(Utc::now())),
                movement_id: c.movement_id,
            },
        )
        .await?;
    Ok(())
}

/// Enqueues StockReallocated: the answer to a short pick, or a waiting
/// reallocation filled (outcome reallocated, the same fulfillment and from
/// location).
pub async fn publish_reallocated(
    outbox: &Outbox,
    conn: &mut Conn,
    r: &Reallocated,
    trigger: &str,
) -> anyhow::Result<()> {
    let order_id = r.order_id.to_string();
    outbox
        .enqueue(
            conn,
            topics::INVENTORY_RESERVATION_EVENTS,
            &order_id,
            &pb::StockReallocated {
                order_id: order_id.clone(),
                channel_id: r.channel_id.clone(),
                fulfillment_id: r.fulfillment_id.clone(),
                from_location_code: r.from_location_code.clone(),
                lines: reserved_lines(&r.picks),
                shortfalls: shortfalls(r.short.as_slice()),
                outcome: r.outcome.to_string(),
                reallocated_at: Some(timestamp(Utc::now())),
                trigger: trigger.to_string(),
            },
        )
        .await?;
    Ok(())
}

fn place_order_of(event: &orders::OrderPlaced) -> anyhow::Result<placement::PlaceOrder> {
    Ok(placement::PlaceOrder {
        order_id: event.order_id.parse()?,
        channel_id: event.channel_id.clone(),
        lines: event
            .lines
            .iter()
            .map(|l| Line {
                line_no: l.line_no,
                sku: l.sku.clone(),
                quantity: l.quantity,
            })
            .collect(),
        policy: BackorderPolicy::parse(&event.backorder_policy).ok_or_else(|| {
            anyhow::anyhow!("unknown backorder policy '{}'", event.backorder_policy)
        })?,
        ship_from: event.ship_from.clone(),
        channel_priority: event.channel_priority,
        placed_at: from_timestamp(event.placed_at.as_ref()).unwrap_or_else(Utc::now),
        hold_id: Some(event.hold_id.as_str())
            .filter(|h| !h.is_empty())
            .map(str::parse)
            .transpose()?,
    })
}

pub fn reserved_lines(picks: &[Pick]) -> Vec<pb::ReservedLine> {
    picks
        .iter()
        .map(|p| pb::ReservedLine {
            line_no: p.line_no,
            sku: p.sku.clone(),
            location_code: p.location_code.clone(),
            quantity: p.quantity,
        })
        .collect()
}

fn shortfalls(shorts: &[Short]) -> Vec<pb::Shortfall> {
    shorts
        .iter()
        .map(|s| pb::Shortfall {
            line_no: s.line_no,
            sku: s.sku.clone(),
            requested: s.requested,
            missing: s.missing,
        })
        .collect()
}

/// Enqueues the event that tells orders how a reservation went.
pub async fn publish_outcome(
    outbox: &Outbox,
    conn: &mut Conn,
    order_id: &str,
    outcome: Outcome,
    trigger: &str,
) -> anyhow::Result<()> {
    publish_outcomes(outbox, conn, vec![(order_id.to_string(), outcome)], trigger).await
}

/// The events that tell orders how reservations went, keyed by order id: one
/// outbox statement per event type. A retry of an order already reserved says
/// so again (trigger `retry`), so orders catches up.
pub async fn publish_outcomes(
    outbox: &Outbox,
    conn: &mut Conn,
    outcomes: Vec<(String, Outcome)>,
    trigger: &str,
) -> anyhow::Result<()> {
    let now = Some(timestamp(Utc::now()));
    let (mut reserved, mut failed) = (Vec::new(), Vec::new());
    for (order_id, outcome) in outcomes {
        match outcome {
            Outcome::Reserved { picks, shorts } => reserved.push((
                order_id.clone(),
                pb::StockReserved {
                    order_id,
                    lines: reserved_lines(&picks),
                    shortfalls: shortfalls(&shorts),
                    trigger: trigger.to_string(),
                    reserved_at: now,
                },
            )),
            Outcome::AlreadyReserved(picks) => reserved.push((
                order_id.clone(),
                pb::StockReserved {
                    order_id,
                    lines: reserved_lines(&picks),
                    shortfalls: Vec::new(),
                    trigger: "retry".to_string(),
                    reserved_at: now,
                },
            )),
            Outcome::Failed {
                shorts,
                backordered,
            } => failed.push((
                order_id.clone(),
                pb::ReservationFailed {
                    order_id,
                    shortfalls: shortfalls(&shorts),
                    outcome: if backordered {
                        ReservationStatus::Backordered
                    } else {
                        ReservationStatus::Rejected
                    }
                    .to_string(),
                    failed_at: now,
                },
            )),
            Outcome::Ignored => {}
        }
    }
    let topic = topics::INVENTORY_RESERVATION_EVENTS;
    outbox.enqueue_all(conn, topic, &reserved).await?;
    outbox.enqueue_all(conn, topic, &failed).await?;
    Ok(())
}

/// Enqueues AvailabilityChanged for each changed feed row (one statement).
pub async fn publish_availability(
    outbox: &Outbox,
    conn: &mut Conn,
    changed: &[availability::Changed],
) -> diesel::QueryResult<()> {
    let events: Vec<(String, pb::AvailabilityChanged)> = changed
        .iter()
        .map(|c| {
            (
                c.sku.clone(),
                pb::AvailabilityChanged {
                    sku: c.sku.clone(),
                    channel_id: c.channel_id.clone(),
                    available_to_sell: c.available_to_sell,
                    sequence: c.seq,
                    changed_at: Some(timestamp(c.changed_at)),
                },
            )
        })
        .collect();
    outbox
        .enqueue_all(conn, topics::INVENTORY_AVAILABILITY, &events)
        .await
}
