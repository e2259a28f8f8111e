//! Orders' order events as demand: OrderPlaced counts its lines on the day
//! it was placed (UTC), OrderCancelled takes them back. Whether the order is
//! then confirmed or backordered does not change its demand; a rejection is
//! a stock-out (inventory's outcome), and its cancellation takes it back.

use domain::events::proto::orders::v1 as orders;
use domain::events::{Event, from_timestamp};
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::demand::{self, DemandLine};

pub(super) async fn on_order_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    match record.envelope.event_type.as_str() {
        t if t == orders::OrderPlaced::TYPE => {
            let event: orders::OrderPlaced = record.decode()?;
            let placed_at =
                from_timestamp(event.placed_at.as_ref()).unwrap_or(record.envelope.occurred_at);
            let mut lines: Vec<DemandLine> = event
                .lines
                .iter()
                .filter(|l| l.quantity > 0)
                .map(|l| DemandLine {
                    line_no: l.line_no,
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                })
                .collect();
            lines.sort_by(|a, b| a.sku.cmp(&b.sku));
            demand::record_order(
                conn,
                event.order_id.parse()?,
                &event.channel_id,
                placed_at.date_naive(),
                &lines,
            )
            .await?;
        }
        t if t == orders::OrderCancelled::TYPE => {
            let event: orders::OrderCancelled = record.decode()?;
            demand::cancel_order(conn, event.order_id.parse()?).await?;
        }
        _ => {}
    }
    Ok(())
}
