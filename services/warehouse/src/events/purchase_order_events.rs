//! Procurement's purchase-order events: the inbound orders the dock
//! expects. An order's state applies only over an older version; a
//! cancelled or closed order stops being receivable.

use platform::db::Conn;
use platform::kafka::Record;

use crate::store::receiving;

pub(super) async fn on_purchase_order_event(
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    let Some(state) =
        domain::events::purchase_order_state(&record.envelope.event_type, &record.payload)?
    else {
        return Ok(());
    };
    receiving::apply_order(conn, &state).await?;
    Ok(())
}
