//! Inventory's StockReallocated: a short pick's units reserved elsewhere
//! become a fulfillment order there.

use std::collections::BTreeMap;

use chrono::Utc;
use domain::events::from_timestamp;
use domain::events::proto::inventory::v1 as inventory;
use platform::ApiError;
use platform::db::Conn;
use serde_json::json;
use uuid::Uuid;

use super::{EVENTS_ACTOR, parse_id};
use crate::store::fulfillments::{self, NewFulfillment};
use crate::store::{self};

/// A short pick's missing units, reserved at other locations, become
/// fulfillment orders there with the original's promise.
pub(super) async fn on_reallocated(
    conn: &mut Conn,
    e: inventory::StockReallocated,
) -> Result<(), ApiError> {
    let order_id = parse_id(&e.order_id)?;
    let Ok(short_id) = e.fulfillment_id.parse::<Uuid>() else {
        return Ok(());
    };
    if fulfillments::order_cancelled(conn, order_id).await? {
        return Ok(());
    }
    let Some(origin) = fulfillments::get(conn, short_id).await? else {
        tracing::warn!(%short_id, "StockReallocated for an unknown fulfillment; ignored");
        return Ok(());
    };
    let mut by_location: BTreeMap<&str, Vec<(i32, String, i64)>> = BTreeMap::new();
    for l in e.lines.iter().filter(|l| l.quantity > 0) {
        by_location
            .entry(l.location_code.as_str())
            .or_default()
            .push((l.line_no, l.sku.clone(), l.quantity));
    }
    // Each answer creates its own fulfillments: a later answer for the same
    // short pick (a backorder filled) is told apart by its event time.
    let at = from_timestamp(e.reallocated_at.as_ref()).unwrap_or_else(Utc::now);
    let origin_tag = format!("reallocation:{short_id}:{}", at.timestamp_micros());
    for (location, lines) in by_location {
        let created = fulfillments::create(
            conn,
            &NewFulfillment {
                order_id,
                channel_id: &origin.channel_id,
                external_order_id: &origin.external_order_id,
                location_code: location,
                origin: &origin_tag,
                carrier: &origin.carrier,
                carrier_service: &origin.carrier_service,
                ship_by: origin.ship_by,
                placed_at: origin.placed_at,
                confirmed_at: origin.confirmed_at,
                lines,
            },
        )
        .await?;
        if let Some(id) = created {
            if origin.on_hold {
                fulfillments::set_on_hold(conn, id, true).await?;
            }
            store::audit(
                conn,
                EVENTS_ACTOR,
                "created",
                Some(id),
                json!({"order_id": order_id, "location_code": location,
                       "origin": "reallocation", "short_fulfillment_id": short_id}),
            )
            .await?;
        }
    }
    Ok(())
}
