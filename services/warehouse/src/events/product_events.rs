//! The catalog's product events: SKUs and their barcodes, for scan matching.

use domain::events::proto::catalog::v1 as catalog;
use domain::events::{Event, from_timestamp};
use platform::db::Conn;
use platform::kafka::Record;
use uuid::Uuid;

use crate::store::{self};

pub(super) async fn on_product_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != catalog::ProductUpserted::TYPE {
        return Ok(());
    }
    let event: catalog::ProductUpserted = record.decode()?;
    let product_id: Uuid = event.product_id.parse()?;
    let at = from_timestamp(event.updated_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    for variant in &event.variants {
        let gtin = (!variant.barcode.is_empty()).then_some(variant.barcode.as_str());
        store::upsert_sku(conn, &variant.sku, product_id, &event.title, gtin, at).await?;
    }
    Ok(())
}
