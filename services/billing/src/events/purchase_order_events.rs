//! Procurement's purchase-order events: the prices and lines a supplier's
//! bill is matched against. A state applies only over an older version.

use domain::events::Event;
use domain::events::proto::procurement::v1 as po;
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::bills;

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
    bills::apply_order(conn, &state).await?;
    Ok(())
}
