//! Support's ReturnAuthorized: the warehouse expects the parcel at the
//! return location the policy names (a returnless return sends nothing back,
//! so nothing is expected).

use domain::events::Event;
use domain::events::proto::support::v1 as support;
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::returns::{self, NewReturn};

pub(super) async fn on_return_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != support::ReturnAuthorized::TYPE {
        return Ok(());
    }
    let e: support::ReturnAuthorized = record.decode()?;
    if e.returnless {
        return Ok(());
    }
    let return_id = e.return_id.parse()?;
    let new = returns::expect(
        conn,
        &NewReturn {
            return_id,
            number: &e.number,
            order_id: e.order_id.parse()?,
            channel_id: &e.channel_id,
            location_code: &e.return_location,
            expected_condition: &e.expected_condition,
        },
    )
    .await?;
    if new {
        for l in &e.lines {
            returns::expect_line(conn, return_id, l.line_no, &l.sku, l.quantity).await?;
        }
    }
    Ok(())
}
