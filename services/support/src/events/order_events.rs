//! Orders' order events as the facts a ticket shows: OrderPlaced records the
//! order (customer, channel number, lines at their prices), OrderConfirmed,
//! OrderOnHold and OrderCancelled move its status. An OrderPlaced that
//! replaces a return (an exchange) ends that return's saga.

use domain::events::proto::orders::v1 as orders;
use domain::events::{Event, from_timestamp};
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;

use crate::store::orders::{self as store, NewOrder, StoredLine};

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

pub(super) async fn on_order_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    match record.envelope.event_type.as_str() {
        t if t == orders::OrderPlaced::TYPE => {
            let e: orders::OrderPlaced = record.decode()?;
            let customer = e.customer.clone().unwrap_or_default();
            let billing = e.billing_address.clone().unwrap_or_default();
            let email = non_empty(&customer.email)
                .or_else(|| non_empty(&billing.email))
                .map(|e| e.to_lowercase());
            let name = non_empty(&customer.name).or_else(|| non_empty(&billing.name));
            store::placed(
                conn,
                &NewOrder {
                    order_id: e.order_id.parse()?,
                    channel_id: &e.channel_id,
                    external_order_id: &e.external_order_id,
                    customer_email: email,
                    customer_name: name,
                    currency: e
                        .total
                        .as_ref()
                        .map(|t| t.currency.clone())
                        .filter(|c| !c.is_empty()),
                    lines: e
                        .lines
                        .iter()
                        .map(|l| StoredLine {
                            line_no: l.line_no,
                            sku: l.sku.clone(),
                            quantity: l.quantity,
                            unit_price: l
                                .unit_price
                                .as_ref()
                                .map(|p| p.amount.clone())
                                .filter(|a| !a.is_empty()),
                        })
                        .collect(),
                    placed_at: from_timestamp(e.placed_at.as_ref())
                        .unwrap_or(record.envelope.occurred_at),
                },
            )
            .await?;
            if !e.replaces_return_id.is_empty() {
                super::refund_events::replacement_placed(
                    outbox,
                    conn,
                    &e.replaces_return_id,
                    &e.external_order_id,
                    record.envelope.occurred_at,
                )
                .await
                .map_err(platform::ApiError::into_anyhow)?;
            }
        }
        t if t == orders::OrderConfirmed::TYPE => {
            let e: orders::OrderConfirmed = record.decode()?;
            store::set_status(conn, e.order_id.parse()?, "confirmed").await?;
        }
        t if t == orders::OrderOnHold::TYPE => {
            let e: orders::OrderOnHold = record.decode()?;
            store::set_status(conn, e.order_id.parse()?, "on_hold").await?;
        }
        t if t == orders::OrderCancelled::TYPE => {
            let e: orders::OrderCancelled = record.decode()?;
            store::set_status(conn, e.order_id.parse()?, "cancelled").await?;
        }
        _ => {}
    }
    Ok(())
}
