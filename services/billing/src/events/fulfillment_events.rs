//! The warehouse's FulfillmentShipped: recorded once, and invoiced in the
//! same transaction when everything its invoice needs is known (else it
//! waits, with the reason, for the invoicer to try again).

use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Event, from_timestamp};
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;

use crate::store::invoicing::{self, Outcome};
use crate::store::shipments::{self, ShippedLine};

pub(super) async fn on_fulfillment_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    if record.envelope.event_type != warehouse::FulfillmentShipped::TYPE {
        return Ok(());
    }
    let e: warehouse::FulfillmentShipped = record.decode()?;
    let lines: Vec<ShippedLine> = e
        .lines
        .iter()
        .filter(|l| l.quantity > 0)
        .map(|l| ShippedLine {
            line_no: l.line_no,
            sku: l.sku.clone(),
            quantity: l.quantity,
        })
        .collect();
    let shipped_at = from_timestamp(e.shipped_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    if !shipments::insert(
        conn,
        &e.fulfillment_id,
        e.order_id.parse()?,
        &e.channel_id,
        &lines,
        shipped_at,
    )
    .await?
    {
        return Ok(());
    }
    match invoicing::invoice_shipment(outbox, conn, &e.fulfillment_id).await {
        Ok(Outcome::Waiting(reason)) => {
            tracing::info!(fulfillment = %e.fulfillment_id, %reason, "shipment waits for its invoice");
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(err) => Err(err.into_anyhow()),
    }
}
