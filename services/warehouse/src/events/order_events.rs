//! Orders' order events: OrderConfirmed creates fulfillment orders per
//! location, OrderOnHold blocks them, OrderCancelled withdraws them.

use std::collections::BTreeMap;

use chrono::Utc;
use domain::contracts::warehouse::{FulfillmentStatus, PackageStatus};
use domain::events::proto::orders::v1 as orders;
use domain::events::{Event, from_timestamp};
use platform::ApiError;
use platform::db::Conn;
use platform::kafka::Record;
use serde_json::json;

use super::{EVENTS_ACTOR, parse_id};
use crate::store::fulfillments::{self, NewFulfillment};
use crate::store::{self, NewException, packing, picking};

pub(super) async fn on_order_event(conn: &mut Conn, record: &Record) -> Result<(), ApiError> {
    let decode = |e: anyhow::Error| ApiError::internal(e);
    match record.envelope.event_type.as_str() {
        t if t == orders::OrderConfirmed::TYPE => {
            on_confirmed(conn, record.decode().map_err(decode)?).await
        }
        t if t == orders::OrderOnHold::TYPE => {
            let e: orders::OrderOnHold = record.decode().map_err(decode)?;
            on_hold(conn, &e).await
        }
        t if t == orders::OrderCancelled::TYPE => {
            on_cancelled(conn, record.decode().map_err(decode)?).await
        }
        _ => Ok(()),
    }
}

/// One fulfillment order per location that holds the order's stock. A
/// repeated OrderConfirmed (a redelivery, or a release from hold) creates
/// nothing new and lifts the hold.
async fn on_confirmed(conn: &mut Conn, e: orders::OrderConfirmed) -> Result<(), ApiError> {
    let order_id = parse_id(&e.order_id)?;
    if fulfillments::order_cancelled(conn, order_id).await? {
        return Ok(());
    }
    let existing = fulfillments::lock_of_order(conn, order_id).await?;
    for f in existing
        .iter()
        .filter(|f| f.on_hold && !f.status().is_final())
    {
        fulfillments::set_on_hold(conn, f.id, false).await?;
        store::audit(conn, EVENTS_ACTOR, "hold_lifted", Some(f.id), json!({})).await?;
    }
    let mut by_location: BTreeMap<&str, Vec<(i32, String, i64)>> = BTreeMap::new();
    for a in e.allocations.iter().filter(|a| a.quantity > 0) {
        by_location
            .entry(a.location_code.as_str())
            .or_default()
            .push((a.line_no, a.sku.clone(), a.quantity));
    }
    let level = store::service_level(conn, &e.channel_id).await?;
    let level = store::level_of(&level);
    let placed_at = from_timestamp(e.placed_at.as_ref()).unwrap_or_else(Utc::now);
    let confirmed_at = from_timestamp(e.confirmed_at.as_ref()).unwrap_or_else(Utc::now);
    for (location, lines) in by_location {
        let created = fulfillments::create(
            conn,
            &NewFulfillment {
                order_id,
                channel_id: &e.channel_id,
                external_order_id: &e.external_order_id,
                location_code: location,
                origin: "confirmed",
                carrier: &level.carrier,
                carrier_service: &level.carrier_service,
                ship_by: level.ship_by(placed_at),
                placed_at,
                confirmed_at,
                lines,
            },
        )
        .await?;
        if let Some(id) = created {
            store::audit(
                conn,
                EVENTS_ACTOR,
                "created",
                Some(id),
                json!({"order_id": order_id, "location_code": location, "origin": "confirmed"}),
            )
            .await?;
        }
    }
    Ok(())
}

async fn on_hold(conn: &mut Conn, e: &orders::OrderOnHold) -> Result<(), ApiError> {
    let order_id = parse_id(&e.order_id)?;
    for f in fulfillments::lock_of_order(conn, order_id).await? {
        if f.status().is_final() || f.on_hold {
            continue;
        }
        fulfillments::set_on_hold(conn, f.id, true).await?;
        store::audit(
            conn,
            EVENTS_ACTOR,
            "on_hold",
            Some(f.id),
            json!({"reason": e.reason, "detail": e.detail}),
        )
        .await?;
    }
    Ok(())
}

/// Withdraws every unshipped fulfillment of a cancelled order: open pick
/// tasks leave their lists and unshipped packages are voided. Picked units
/// must go back to their bins, which an open exception tells ops. Inventory
/// releases the stock on the same event.
async fn on_cancelled(conn: &mut Conn, e: orders::OrderCancelled) -> Result<(), ApiError> {
    let order_id = parse_id(&e.order_id)?;
    fulfillments::mark_order_cancelled(conn, order_id).await?;
    for f in fulfillments::lock_of_order(conn, order_id).await? {
        match f.status() {
            FulfillmentStatus::Cancelled => continue,
            FulfillmentStatus::Shipped => {
                tracing::warn!(fulfillment_id = %f.id, "order cancelled after this fulfillment shipped");
                continue;
            }
            _ => {}
        }
        let picked = picking::withdraw(conn, f.id).await?;
        for p in packing::of_fulfillment(conn, f.id).await? {
            if p.state().status != PackageStatus::Voided {
                packing::set_status(conn, p.id, PackageStatus::Voided).await?;
            }
        }
        fulfillments::set_status(conn, f.id, FulfillmentStatus::Cancelled).await?;
        store::audit(
            conn,
            EVENTS_ACTOR,
            "cancelled",
            Some(f.id),
            json!({"reason": e.reason, "cancelled_by": e.cancelled_by, "picked_units": picked}),
        )
        .await?;
        if picked > 0 {
            let detail = format!(
                "order cancelled after {picked} unit(s) were picked: put them back in their bins"
            );
            store::record_exception(
                conn,
                NewException {
                    kind: "cancelled_after_pick",
                    status: "open",
                    fulfillment_id: Some(f.id),
                    pick_task_id: None,
                    package_id: None,
                    detail: &detail,
                    actor: EVENTS_ACTOR,
                },
            )
            .await?;
        }
    }
    Ok(())
}
