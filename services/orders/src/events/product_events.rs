//! The catalog's product events: the SKU and listing projection intake
//! validates against.

use domain::events::Event;
use domain::events::proto::catalog::v1 as catalog;
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::{self};

pub(super) async fn on_catalog_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    match record.envelope.event_type.as_str() {
        t if t == catalog::ProductUpserted::TYPE => {
            store::catalog::apply_product(conn, &record.decode()?).await
        }
        t if t == catalog::ListingChanged::TYPE => {
            store::catalog::apply_listing(conn, &record.decode()?).await
        }
        _ => Ok(()),
    }
}
