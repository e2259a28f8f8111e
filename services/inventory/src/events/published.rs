//! What inventory publishes, through the outbox in the transaction of the
//! change: StockReserved, ReservationFailed, StockReleased and
//! StockReallocated keyed by order id; StockAdjusted, StockLevelChanged and
//! AvailabilityChanged keyed by SKU.

use chrono::Utc;
use domain::events::proto::inventory::v1 as pb;
use domain::events::{timestamp, topics};
use platform::db::Conn;
use platform::outbox::Outbox;

use crate::domain::allocation::{Pick, Short};
use crate::domain::placement::Outcome;
use crate::store::availability;
use crate::store::fulfillment::Reallocated;
use crate::store::levels::Level;
use domain::contracts::inventory::ReservationStatus;

/// An on-hand change to publish as StockAdjusted.
pub struct StockChange<'a> {
    pub sku: &'a str,
    pub location_code: &'a str,
    /// receipt | cycle_count | damage | correction | return | ship | short_pick
    pub reason: &'a str,
    pub on_hand: (i64, i64),
    pub movement_id: i64,
    pub note: &'a str,
    /// Who the change is recorded as.
    pub actor: &'a str,
}

/// Enqueues StockAdjusted for an on-hand change made by a consumer.
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
                adjusted_by: c.actor.to_string(),
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

pub(super) fn shortfalls(shorts: &[Short]) -> Vec<pb::Shortfall> {
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

/// Enqueues StockLevelChanged for each level that moved.
pub async fn publish_stock_levels(
    outbox: &Outbox,
    conn: &mut Conn,
    levels: &[Level],
) -> anyhow::Result<()> {
    for l in levels {
        outbox
            .enqueue(
                conn,
                topics::INVENTORY_STOCK_EVENTS,
                &l.sku,
                &pb::StockLevelChanged {
                    sku: l.sku.clone(),
                    location_code: l.location_code.clone(),
                    on_hand: l.on_hand,
                    reserved: l.reserved,
                    backordered: l.backordered,
                    location_priority: l.location_priority,
                    sequence: l.seq,
                    changed_at: Some(timestamp(l.changed_at)),
                },
            )
            .await?;
    }
    Ok(())
}
