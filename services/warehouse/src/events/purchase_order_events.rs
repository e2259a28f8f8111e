//! Procurement's purchase-order events: the inbound orders the dock
//! expects. An order's state applies only over an older version; a
//! cancelled or closed order stops being receivable.

use domain::events::Event;
use domain::events::proto::procurement::v1 as po;
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::receiving;

pub(super) async fn on_purchase_order_event(
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    let state = match record.envelope.event_type.as_str() {
        t if t == po::PurchaseOrderApproved::TYPE => {
            record.decode::<po::PurchaseOrderApproved>()?.state
        }
        t if t == po::PurchaseOrderChanged::TYPE => {
            record.decode::<po::PurchaseOrderChanged>()?.state
        }
        _ => return Ok(()),
    };
    let state = state.ok_or_else(|| anyhow::anyhow!("purchase order event without its state"))?;
    receiving::apply_order(conn, &state).await?;
    Ok(())
}
