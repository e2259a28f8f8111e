//! The warehouse's FulfillmentShipped: partially shipped, shipped, and the
//! shipment sent on to the channel.

use chrono::Utc;
use domain::contracts::orders::OrderStatus;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Event, from_timestamp};
use platform::ApiError;
use platform::db::Conn;
use platform::kafka::Record;

use super::FULFILLMENT_ACTOR;
use crate::domain::fulfillment::shipping_status;
use crate::store::history::{self};
use crate::store::shipments::{self, NewShipment, StoredParcel};

pub(super) async fn on_fulfillment_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
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
    let Some(mut head) = history::lock(conn, id).await? else {
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
            history::transition_with(
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
            history::note(
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
            history::note(
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
