//! Orders' channel events: the channel projection (priority, ship-from,
//! backorder policy, buffers).

use domain::events::Event;
use domain::events::proto::orders::v1 as orders;
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::{self, availability};

pub(super) async fn on_channel_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != orders::ChannelUpserted::TYPE {
        return Ok(());
    }
    let event: orders::ChannelUpserted = record.decode()?;
    if store::upsert_channel(conn, &event).await? {
        // Eligibility or buffers may have moved every SKU's availability.
        availability::mark_all_dirty(conn).await?;
    }
    Ok(())
}
