//! What orders consumes and publishes.
//!
//! Consumes catalog product events (the SKU and listing projection intake
//! validates against), inventory's reservation events (which move orders to
//! reserved, confirmed, backordered or on hold; StockReallocated moves
//! allocations after a short pick) and the warehouse's FulfillmentShipped
//! (partially shipped, shipped; the shipment goes to the channel). Publishes OrderPlaced,
//! OrderCancelled, OrderConfirmed and OrderOnHold keyed by order id, and
//! ChannelUpserted keyed by channel id, through the outbox.

pub mod background;

use std::sync::Arc;

use chrono::Utc;
use domain::contracts::orders::{HoldReason, OrderStatus};
use domain::events::proto::catalog::v1 as catalog;
use domain::events::proto::common::v1 as common;
use domain::events::proto::inventory::v1 as inventory;
use domain::events::proto::orders::v1 as pb;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Event, from_timestamp, timestamp, topics};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use platform::db::Conn;
use platform::kafka::{HandlerFn, Record, Subscription};
use platform::outbox::Outbox;
use platform::{ApiError, Runtime};

use crate::domain::fulfillment::{reallocation, shipping_status};
use crate::store::channels::ChannelRow;
use crate::store::orders::{self, Head};
use crate::store::shipments::{self, NewShipment, StoredParcel};
use crate::store::{self};

pub const TOPICS: &[&str] = &[topics::ORDERS_ORDER_EVENTS, topics::ORDERS_CHANNEL_EVENTS];

/// Who changes made by inventory's answers are recorded as.
pub const RESERVATIONS_ACTOR: &str = "system:orders.reservations";
/// Who changes made on the warehouse's reports are recorded as.
pub const FULFILLMENT_ACTOR: &str = "system:orders.fulfillment";

fn catalog_handler<'a>(
    conn: &'a mut Conn,
    record: &'a Record,
) -> BoxFuture<'a, anyhow::Result<()>> {
    on_catalog_event(conn, record).boxed()
}

pub fn subscriptions(rt: &Runtime) -> Vec<Subscription> {
    let outbox = rt.outbox.clone();
    let on_reservation: HandlerFn = Arc::new(move |conn, record| {
        let outbox = outbox.clone();
        async move { on_reservation_event(&outbox, conn, record).await }.boxed()
    });
    vec![
        Subscription {
            consumer: "orders.catalog-projection".into(),
            topics: vec![topics::CATALOG_PRODUCT_EVENTS.into()],
            handler: Arc::new(catalog_handler),
            batched: true,
            before_batch: None,
            batch_handler: None,
            consumer_tasks: Some(1),
        },
        Subscription {
            consumer: "orders.reservations".into(),
            topics: vec![topics::INVENTORY_RESERVATION_EVENTS.into()],
            handler: on_reservation,
            // Each record locks only its own order's row.
            batched: true,
            before_batch: None,
            batch_handler: None,
            consumer_tasks: None,
        },
        Subscription {
            consumer: "orders.fulfillment".into(),
            topics: vec![topics::WAREHOUSE_FULFILLMENT_EVENTS.into()],
            handler: Arc::new(fulfillment_handler),
            // Each record locks only its own order's row.
            batched: true,
            before_batch: None,
            batch_handler: None,
            consumer_tasks: None,
        },
    ]
}

async fn on_catalog_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    match record.envelope.event_type.as_str() {
        t if t == catalog::ProductUpserted::TYPE => {
            store::catalog::apply_product(conn, &record.decode()?).await
        }
        t if t == catalog::ListingChanged::TYPE => {
            store::catalog::apply_listing(conn, &record.decode()?).await
        }
        _ => Ok(()),
    }
}

async fn on_reservation_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    let result = match record.envelope.event_type.as_str() {
        t if t == inventory::StockReserved::TYPE => {
            stock_reserved(outbox, conn, record.decode()?).await
        }
        t if t == inventory::ReservationFailed::TYPE => {
            reservation_failed(outbox, conn, record.decode()?).await
        }
        t if t == inventory::StockReallocated::TYPE => {
            stock_reallocated(conn, record.decode()?).await
        }
        _ => Ok(()),
    };
    result.map_err(ApiError::into_anyhow)
}

fn fulfillment_handler<'a>(
    conn: &'a mut Conn,
    record: &'a Record,
) -> BoxFuture<'a, anyhow::Result<()>> {
    on_fulfillment_event(conn, record).boxed()
}

async fn on_fulfillment_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    let result = match record.envelope.event_type.as_str() {
        t if t == warehouse::FulfillmentShipped::TYPE => {
            let event: warehouse::FulfillmentShipped = record.decode()?;
            let shipped_at =
                from_timestamp(event.shipped_at.as_ref()).unwrap_or(record.envelope.occurred_at);
            fulfillment_shipped(conn, event, shipped_at).await
        }
        // ShortPicked: inventory answers it with StockReallocated.
        _ => Ok(()),
    };
    result.map_err(ApiError::into_anyhow)
}

/// Records a shipment once per fulfillment, adds its units to the lines and
/// moves a confirmed or partially shipped order on. Goods of an order that is
/// held or cancelled left all the same: recorded, noted, and told to the
/// channel, the status unchanged.
async fn fulfillment_shipped(
    conn: &mut Conn,
    e: warehouse::FulfillmentShipped,
    shipped_at: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    if e.fulfillment_id.is_empty() {
        return Err(ApiError::internal(anyhow::anyhow!(
            "FulfillmentShipped without a fulfillment id"
        )));
    }
    let id: uuid::Uuid = e.order_id.parse().map_err(ApiError::internal)?;
    let Some(mut head) = orders::lock(conn, id).await? else {
        tracing::warn!(order_id = %id, fulfillment_id = %e.fulfillment_id,
            "FulfillmentShipped for an unknown order; ignored");
        return Ok(());
    };
    let shipped_line = |l: &warehouse::FulfilledLine| domain::contracts::orders::ShippedLineView {
        line_no: l.line_no,
        sku: l.sku.clone(),
        quantity: l.quantity,
    };
    let parcels: Vec<StoredParcel> = e
        .parcels
        .iter()
        .map(|p| StoredParcel {
            package_id: p.package_id.clone(),
            carrier: p.carrier.clone(),
            service: p.service.clone(),
            tracking_number: p.tracking_number.clone(),
            weight_grams: p.weight_grams,
            lines: p.lines.iter().map(shipped_line).collect(),
        })
        .collect();
    let lines: Vec<_> = e
        .lines
        .iter()
        .filter(|l| l.quantity > 0)
        .map(shipped_line)
        .collect();
    let new = NewShipment {
        fulfillment_id: &e.fulfillment_id,
        order_id: id,
        location_code: &e.location_code,
        parcels: &parcels,
        lines: &lines,
        shipped_by: &e.shipped_by,
        shipped_at,
    };
    let Some(unknown) = shipments::record(conn, &new).await? else {
        tracing::debug!(fulfillment_id = %e.fulfillment_id, "shipment already recorded");
        return Ok(());
    };
    if !unknown.is_empty() {
        tracing::warn!(order_id = %id, fulfillment_id = %e.fulfillment_id, lines = ?unknown,
            "shipped lines the order doesn't have; recorded with the shipment only");
    }
    let shipment = new.view();
    let tracking = parcels
        .iter()
        .map(|p| format!("{} {}", p.carrier, p.tracking_number))
        .collect::<Vec<_>>()
        .join(", ");
    let target = shipping_status(&shipments::progress(conn, id).await?);
    let what = match target {
        Some(OrderStatus::Shipped) => "shipped",
        Some(_) => "partially shipped",
        None => "shipment",
    };
    let reason = format!(
        "{what} from {} (fulfillment {}): {tracking}",
        e.location_code, e.fulfillment_id
    );
    match (head.status, target) {
        (OrderStatus::Confirmed | OrderStatus::PartiallyShipped, Some(to)) if to != head.status => {
            orders::transition_with(
                conn,
                &mut head,
                to,
                None,
                Some(&reason),
                FULFILLMENT_ACTOR,
                Some(&shipment),
            )
            .await
        }
        // Another part of a partially shipped order (or a late extra parcel).
        (OrderStatus::Confirmed | OrderStatus::PartiallyShipped | OrderStatus::Shipped, _) => {
            orders::note(
                conn,
                &head,
                &reason,
                FULFILLMENT_ACTOR,
                true,
                Some(&shipment),
            )
            .await
        }
        (status, _) => {
            tracing::warn!(order_id = %id, fulfillment_id = %e.fulfillment_id,
                status = status.as_str(), "goods shipped for an order that is not confirmed");
            let reason = format!("shipped while {}: {reason}", status.as_str());
            orders::note(
                conn,
                &head,
                &reason,
                FULFILLMENT_ACTOR,
                true,
                Some(&shipment),
            )
            .await
        }
    }
}

/// Inventory's answer to a short pick: the units come off the short
/// location's allocation and onto the new ones; what waits is remembered per
/// fulfillment line, what is cut joins the line's short quantity. A cut may
/// leave nothing more to ship: the order is then shipped.
async fn stock_reallocated(
    conn: &mut Conn,
    e: inventory::StockReallocated,
) -> Result<(), ApiError> {
    let id: uuid::Uuid = e.order_id.parse().map_err(ApiError::internal)?;
    let Some(mut head) = orders::lock(conn, id).await? else {
        tracing::warn!(order_id = %id, "StockReallocated for an unknown order; ignored");
        return Ok(());
    };
    if head.status == OrderStatus::Cancelled {
        // Inventory releases everything the order holds on OrderCancelled.
        return Ok(());
    }
    if !matches!(e.outcome.as_str(), "reallocated" | "backordered" | "cut") {
        tracing::warn!(order_id = %id, outcome = %e.outcome, "unknown re-allocation outcome");
    }
    let mut line_nos: Vec<i32> = e
        .lines
        .iter()
        .map(|l| l.line_no)
        .chain(e.shortfalls.iter().map(|s| s.line_no))
        .collect();
    line_nos.sort_unstable();
    line_nos.dedup();
    let (mut moved, mut filled, mut waiting, mut cut) = (0, 0, 0, 0);
    for line_no in line_nos {
        let to: Vec<(String, i64)> = e
            .lines
            .iter()
            .filter(|l| l.line_no == line_no)
            .map(|l| (l.location_code.clone(), l.quantity))
            .collect();
        let reallocated: i64 = to.iter().map(|t| t.1).sum();
        let missing: i64 = e
            .shortfalls
            .iter()
            .filter(|s| s.line_no == line_no)
            .map(|s| s.missing)
            .sum();
        let waited = shipments::waiting(conn, id, &e.fulfillment_id, line_no).await?;
        let r = reallocation(
            &e.outcome,
            reallocated,
            missing,
            waited,
            !e.shortfalls.is_empty(),
        );
        shipments::move_allocation(
            conn,
            id,
            line_no,
            &e.from_location_code,
            r.off_short_location,
            &to,
        )
        .await?;
        shipments::add_waiting(
            conn,
            id,
            &e.fulfillment_id,
            line_no,
            r.waiting - r.from_waiting,
        )
        .await?;
        if r.cut > 0 {
            shipments::cut(conn, id, line_no, r.cut).await?;
        }
        if r.from_waiting > 0 {
            filled += r.from_waiting;
        } else {
            moved += reallocated;
        }
        waiting += r.waiting;
        cut += r.cut;
    }
    let places = e
        .lines
        .iter()
        .map(|l| l.location_code.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(", ");
    let mut parts = Vec::new();
    if filled > 0 {
        parts.push(format!(
            "stock arrived: {filled} unit(s) reserved at {places}"
        ));
    }
    if moved > 0 {
        parts.push(format!("{moved} unit(s) re-allocated to {places}"));
    }
    if waiting > 0 {
        parts.push(format!("{waiting} unit(s) wait for stock"));
    }
    if cut > 0 {
        parts.push(format!("{cut} unit(s) cut: no stock elsewhere"));
    }
    let reason = format!(
        "short pick at {} (fulfillment {}): {}",
        e.from_location_code,
        e.fulfillment_id,
        parts.join("; ")
    );
    // The channel hears of cuts (fewer units will ship); moves are internal.
    orders::note(conn, &head, &reason, RESERVATIONS_ACTOR, cut > 0, None).await?;
    if cut > 0
        && matches!(
            head.status,
            OrderStatus::Confirmed | OrderStatus::PartiallyShipped
        )
        && shipping_status(&shipments::progress(conn, id).await?) == Some(OrderStatus::Shipped)
    {
        orders::transition(
            conn,
            &mut head,
            OrderStatus::Shipped,
            None,
            Some("everything else has shipped; the rest was cut"),
            RESERVATIONS_ACTOR,
        )
        .await?;
    }
    Ok(())
}

async fn stock_reserved(
    outbox: &Outbox,
    conn: &mut Conn,
    e: inventory::StockReserved,
) -> Result<(), ApiError> {
    let id: uuid::Uuid = e.order_id.parse().map_err(ApiError::internal)?;
    let Some(mut head) = orders::lock(conn, id).await? else {
        tracing::warn!(order_id = %id, "StockReserved for an unknown order; ignored");
        return Ok(());
    };
    if matches!(
        head.status,
        OrderStatus::Cancelled
            | OrderStatus::Reserved
            | OrderStatus::Confirmed
            | OrderStatus::PartiallyShipped
            | OrderStatus::Shipped
    ) {
        // Cancelled: inventory releases on OrderCancelled. Reserved, confirmed
        // or shipping: a repeated answer to a retry.
        return Ok(());
    }
    let allocations: Vec<(i32, String, i64)> = e
        .lines
        .iter()
        .map(|l| (l.line_no, l.location_code.clone(), l.quantity))
        .collect();
    let shorts: Vec<(i32, i64)> = e
        .shortfalls
        .iter()
        .map(|s| (s.line_no, s.missing))
        .collect();
    orders::set_allocations(conn, id, &allocations, &shorts).await?;
    if head.status == OrderStatus::OnHold {
        // Held meanwhile (e.g. payment failed): keep the stock, decide on release.
        return Ok(());
    }
    let mut reason = match e.trigger.as_str() {
        "backorder_fill" => "backorder filled: stock arrived".to_string(),
        _ => "stock reserved".to_string(),
    };
    let cut: i64 = e.shortfalls.iter().map(|s| s.missing).sum();
    if cut > 0 {
        reason.push_str(&format!("; {cut} unit(s) cut under the partial policy"));
    }
    orders::transition(
        conn,
        &mut head,
        OrderStatus::Reserved,
        None,
        Some(&reason),
        RESERVATIONS_ACTOR,
    )
    .await?;
    confirm_if_paid(outbox, conn, &mut head, RESERVATIONS_ACTOR).await
}

async fn reservation_failed(
    outbox: &Outbox,
    conn: &mut Conn,
    e: inventory::ReservationFailed,
) -> Result<(), ApiError> {
    let id: uuid::Uuid = e.order_id.parse().map_err(ApiError::internal)?;
    let Some(mut head) = orders::lock(conn, id).await? else {
        return Ok(());
    };
    if !matches!(
        head.status,
        OrderStatus::Received | OrderStatus::Backordered
    ) {
        return Ok(());
    }
    let missing = e
        .shortfalls
        .iter()
        .map(|s| format!("{} short by {}", s.sku, s.missing))
        .collect::<Vec<_>>()
        .join(", ");
    if e.outcome == "backordered" {
        if head.status != OrderStatus::Backordered {
            let reason = format!("waiting for stock: {missing}");
            orders::transition(
                conn,
                &mut head,
                OrderStatus::Backordered,
                None,
                Some(&reason),
                RESERVATIONS_ACTOR,
            )
            .await?;
        }
        return Ok(());
    }
    let detail = format!("not enough stock: {missing}");
    hold(
        outbox,
        conn,
        &mut head,
        HoldReason::StockConflict,
        &detail,
        RESERVATIONS_ACTOR,
    )
    .await
}

/// Confirms a reserved order whose payment is secured, publishing OrderConfirmed.
pub async fn confirm_if_paid(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &mut Head,
    actor: &str,
) -> Result<(), ApiError> {
    if head.status != OrderStatus::Reserved || !head.payment_status.is_secured() {
        return Ok(());
    }
    orders::transition(
        conn,
        head,
        OrderStatus::Confirmed,
        None,
        Some("stock reserved and payment secured"),
        actor,
    )
    .await?;
    let allocations = orders::allocation_lines(conn, head.id).await?;
    outbox
        .enqueue(
            conn,
            topics::ORDERS_ORDER_EVENTS,
            &head.id.to_string(),
            &pb::OrderConfirmed {
                order_id: head.id.to_string(),
                channel_id: head.channel_id.clone(),
                external_order_id: head.external_order_id.clone(),
                allocations: allocations
                    .into_iter()
                    .map(|(line_no, sku, location_code, quantity)| pb::Allocation {
                        line_no,
                        sku,
                        location_code,
                        quantity,
                    })
                    .collect(),
                placed_at: Some(timestamp(head.placed_at)),
                confirmed_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

/// Puts an order on hold and publishes OrderOnHold.
pub async fn hold(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &mut Head,
    reason: HoldReason,
    detail: &str,
    actor: &str,
) -> Result<(), ApiError> {
    orders::transition(
        conn,
        head,
        OrderStatus::OnHold,
        Some((reason, detail)),
        None,
        actor,
    )
    .await?;
    on_hold_event(outbox, conn, head, reason, detail).await
}

/// Publishes OrderOnHold for an order that is on hold.
pub async fn on_hold_event(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    reason: HoldReason,
    detail: &str,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::ORDERS_ORDER_EVENTS,
            &head.id.to_string(),
            &pb::OrderOnHold {
                order_id: head.id.to_string(),
                channel_id: head.channel_id.clone(),
                reason: reason.as_str().to_string(),
                detail: detail.to_string(),
                held_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

/// A line of OrderPlaced: line no, SKU, quantity, unit price.
pub type PlacedLine = (i32, String, i64, rust_decimal::Decimal);

/// Publishes OrderPlaced for a stored order: inventory reserves it under the
/// channel's current rules.
pub async fn placed(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    channel: &ChannelRow,
) -> Result<(), ApiError> {
    let (lines, hold_id, currency, total) = orders::placement(conn, head.id).await?;
    let currency: domain::Currency = currency.parse().map_err(|_| {
        ApiError::internal(anyhow::anyhow!("stored currency '{currency}' is invalid"))
    })?;
    let total = domain::Money {
        amount: total,
        currency,
    };
    placed_with(outbox, conn, head, channel, &lines, hold_id, &total).await
}

/// Publishes OrderPlaced from what the caller holds (intake: the order it just wrote).
pub async fn placed_with(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    channel: &ChannelRow,
    lines: &[PlacedLine],
    hold_id: Option<uuid::Uuid>,
    total: &domain::Money,
) -> Result<(), ApiError> {
    let currency = total.currency.code().to_string();
    outbox
        .enqueue(
            conn,
            topics::ORDERS_ORDER_EVENTS,
            &head.id.to_string(),
            &pb::OrderPlaced {
                order_id: head.id.to_string(),
                channel_id: head.channel_id.clone(),
                external_order_id: head.external_order_id.clone(),
                lines: lines
                    .iter()
                    .map(|(line_no, sku, quantity, price)| pb::OrderLine {
                        line_no: *line_no,
                        sku: sku.clone(),
                        quantity: *quantity,
                        unit_price: Some(common::Money {
                            amount: price.normalize().to_string(),
                            currency: currency.clone(),
                        }),
                    })
                    .collect(),
                backorder_policy: channel.backorder_policy.clone(),
                ship_from: channel.ship_from.clone(),
                channel_priority: channel.priority,
                placed_at: Some(timestamp(head.placed_at)),
                hold_id: hold_id.map(|h| h.to_string()).unwrap_or_default(),
                total: Some(domain::events::money_to_proto(total)),
            },
        )
        .await?;
    Ok(())
}

pub async fn cancelled(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    reason: &str,
    actor: &str,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::ORDERS_ORDER_EVENTS,
            &head.id.to_string(),
            &pb::OrderCancelled {
                order_id: head.id.to_string(),
                channel_id: head.channel_id.clone(),
                reason: reason.to_string(),
                cancelled_by: actor.to_string(),
                cancelled_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

pub async fn channel_upserted(
    outbox: &Outbox,
    conn: &mut Conn,
    row: &ChannelRow,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::ORDERS_CHANNEL_EVENTS,
            &row.id,
            &pb::ChannelUpserted {
                channel_id: row.id.clone(),
                kind: row.kind.clone(),
                name: row.name.clone(),
                currency: row.currency.clone(),
                backorder_policy: row.backorder_policy.clone(),
                ship_from: row.ship_from.clone(),
                priority: row.priority,
                safety_buffer_units: row.safety_buffer_units,
                safety_buffer_percent: row.safety_buffer_percent,
                active: row.active,
                version: row.version,
            },
        )
        .await?;
    Ok(())
}
