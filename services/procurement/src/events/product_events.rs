//! The catalog's product events: the SKU projection.

use domain::events::proto::catalog::v1 as catalog;
use domain::events::{Event, from_timestamp};
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::skus;

pub(super) async fn on_product_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != catalog::ProductUpserted::TYPE {
        return Ok(());
    }
    let event: catalog::ProductUpserted = record.decode()?;
    let product_id: uuid::Uuid = event.product_id.parse()?;
    let at = from_timestamp(event.updated_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    for variant in &event.variants {
        skus::upsert(
            conn,
            &skus::CatalogSku {
                sku: &variant.sku,
                product_id,
                status: &event.status,
                weight_grams: (variant.weight_grams > 0).then_some(variant.weight_grams),
                standard_cost: variant
                    .cost_price
                    .as_ref()
                    .and_then(|m| domain::events::money_from_proto(m).ok()),
                at,
            },
        )
        .await?;
    }
    Ok(())
}
