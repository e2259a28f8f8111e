//! Orders' order events: OrderPlaced reserves (a batch's plain placements
//! set-based), OrderCancelled releases.

use chrono::Utc;
use domain::contracts::orders::BackorderPolicy;
use domain::events::proto::inventory::v1 as pb;
use domain::events::proto::orders::v1 as orders;
use domain::events::{Event, from_timestamp, timestamp, topics};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;

use crate::domain::allocation::Line;
use crate::store::{self, placement, reservations};

use super::RESERVATIONS_ACTOR;
use super::published::{publish_outcome, publish_outcomes, reserved_lines};

/// Locks the stock rows every record of an order-events batch will touch, in
/// one sorted statement, before any handler runs: the SKUs of placed orders'
/// lines, and of what cancelled orders and converted holds have reserved.
pub(super) fn lock_batch_stock<'a>(
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

pub(super) async fn on_order_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
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
pub(super) async fn on_order_batch(
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
