//! Procurement's purchase-order events: the prices and lines a supplier's
//! bill is matched against. A state applies only over an older version.

use platform::db::Conn;
use platform::kafka::Record;

use crate::store::bills;

pub(super) async fn on_purchase_order_event(
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    let Some(state) =
        domain::events::purchase_order_state(&record.envelope.event_type, &record.payload)?
    else {
        return Ok(());
    };
    bills::apply_order(conn, &state).await?;
    Ok(())
}
