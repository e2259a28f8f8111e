//! The warehouse's FulfillmentShipped as the parcels a ticket shows
//! (carrier, service, tracking number, what each holds); a tracking number
//! in a customer's message finds its order through them.

use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Event, from_timestamp};
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::orders::{self as store, NewParcel, ShippedLine};

pub(super) async fn on_fulfillment_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != warehouse::FulfillmentShipped::TYPE {
        return Ok(());
    }
    let e: warehouse::FulfillmentShipped = record.decode()?;
    let order_id = e.order_id.parse()?;
    let shipped_at = from_timestamp(e.shipped_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    for (i, parcel) in e.parcels.iter().enumerate() {
        let package_id = if parcel.package_id.is_empty() {
            format!("parcel-{}", i + 1)
        } else {
            parcel.package_id.clone()
        };
        store::shipped(
            conn,
            &NewParcel {
                fulfillment_id: &e.fulfillment_id,
                package_id: &package_id,
                order_id,
                channel_id: &e.channel_id,
                location_code: &e.location_code,
                carrier: &parcel.carrier,
                service: &parcel.service,
                tracking_number: &parcel.tracking_number,
                lines: parcel
                    .lines
                    .iter()
                    .map(|l| ShippedLine {
                        line_no: l.line_no,
                        sku: l.sku.clone(),
                        quantity: l.quantity,
                    })
                    .collect(),
                shipped_at,
            },
        )
        .await?;
    }
    Ok(())
}
