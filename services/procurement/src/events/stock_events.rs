//! Inventory's stock levels (StockLevelChanged): the projection replenishment
//! reads positions from. A level applies only over an older one.

use domain::events::Event;
use domain::events::proto::inventory::v1 as inventory;
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::rules::{self, LevelRow};

pub(super) async fn on_stock_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != inventory::StockLevelChanged::TYPE {
        return Ok(());
    }
    let e: inventory::StockLevelChanged = record.decode()?;
    rules::apply_level(
        conn,
        &LevelRow {
            sku: e.sku,
            location_code: e.location_code,
            location_priority: e.location_priority,
            on_hand: e.on_hand,
            reserved: e.reserved,
            backordered: e.backordered,
            seq: e.sequence,
        },
    )
    .await?;
    Ok(())
}
