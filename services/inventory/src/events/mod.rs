//! What inventory consumes and publishes.
//!
//! Consumes: catalog product events (the SKU projection), orders' channel
//! events (the channel projection) and order events (OrderPlaced reserves,
//! OrderCancelled releases). Publishes StockReserved, ReservationFailed and
//! StockReleased keyed by order id, StockAdjusted and AvailabilityChanged keyed
//! by SKU, all through the outbox in the transaction of the change.

use std::sync::Arc;

use chrono::Utc;
use domain::contracts::orders::BackorderPolicy;
use domain::events::proto::catalog::v1 as catalog;
use domain::events::proto::inventory::v1 as pb;
use domain::events::proto::orders::v1 as orders;
use domain::events::{Event, from_timestamp, timestamp, topics};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use platform::Runtime;
use platform::db::Conn;
use platform::kafka::{HandlerFn, Record, Subscription};
use platform::outbox::Outbox;

use crate::domain::allocation::{Line, Pick, Short};
use crate::store::{self, availability, reservations};

pub const TOPICS: &[&str] = &[
    topics::INVENTORY_RESERVATION_EVENTS,
    topics::INVENTORY_STOCK_EVENTS,
    topics::INVENTORY_AVAILABILITY,
];

/// Who consumer-driven changes are recorded as.
pub const RESERVATIONS_ACTOR: &str = "system:inventory.reservations";

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

pub fn subscriptions(rt: &Runtime) -> Vec<Subscription> {
    let outbox = rt.outbox.clone();
    let on_order: HandlerFn = Arc::new(move |conn, record| {
        let outbox = outbox.clone();
        async move { on_order_event(&outbox, conn, record).await }.boxed()
    });
    vec![
        Subscription {
            consumer: "inventory.sku-projection".into(),
            topics: vec![topics::CATALOG_PRODUCT_EVENTS.into()],
            handler: Arc::new(product_handler),
            batched: true,
            before_batch: None,
            consumer_tasks: Some(1),
        },
        Subscription {
            consumer: "inventory.channel-projection".into(),
            topics: vec![topics::ORDERS_CHANNEL_EVENTS.into()],
            handler: Arc::new(channel_handler),
            batched: true,
            before_batch: None,
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
            let outcome = reservations::place(conn, &order, RESERVATIONS_ACTOR).await?;
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

fn place_order_of(event: &orders::OrderPlaced) -> anyhow::Result<reservations::PlaceOrder> {
    Ok(reservations::PlaceOrder {
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
    outcome: reservations::Outcome,
    trigger: &str,
) -> anyhow::Result<()> {
    use reservations::Outcome;
    let topic = topics::INVENTORY_RESERVATION_EVENTS;
    let now = Some(timestamp(Utc::now()));
    match outcome {
        Outcome::Reserved { picks, shorts } => {
            outbox
                .enqueue(
                    conn,
                    topic,
                    order_id,
                    &pb::StockReserved {
                        order_id: order_id.to_string(),
                        lines: reserved_lines(&picks),
                        shortfalls: shortfalls(&shorts),
                        trigger: trigger.to_string(),
                        reserved_at: now,
                    },
                )
                .await?;
        }
        // A retry of an order already reserved: say so again, so orders catches up.
        Outcome::AlreadyReserved(picks) => {
            outbox
                .enqueue(
                    conn,
                    topic,
                    order_id,
                    &pb::StockReserved {
                        order_id: order_id.to_string(),
                        lines: reserved_lines(&picks),
                        shortfalls: Vec::new(),
                        trigger: "retry".to_string(),
                        reserved_at: now,
                    },
                )
                .await?;
        }
        Outcome::Failed {
            shorts,
            backordered,
        } => {
            outbox
                .enqueue(
                    conn,
                    topic,
                    order_id,
                    &pb::ReservationFailed {
                        order_id: order_id.to_string(),
                        shortfalls: shortfalls(&shorts),
                        outcome: if backordered {
                            "backordered"
                        } else {
                            "rejected"
                        }
                        .to_string(),
                        failed_at: now,
                    },
                )
                .await?;
        }
        Outcome::Ignored => {}
    }
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
