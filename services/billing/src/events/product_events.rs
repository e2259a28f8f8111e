//! Catalog's ProductUpserted: each variant's title (invoice line
//! descriptions), cost price (the value of units never received) and
//! weight (charges bills spread by weight).

use domain::events::Event;
use domain::events::proto::catalog::v1 as catalog;
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::catalog as store;

pub(super) async fn on_product_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != catalog::ProductUpserted::TYPE {
        return Ok(());
    }
    let e: catalog::ProductUpserted = record.decode()?;
    for v in &e.variants {
        let cost = v
            .cost_price
            .as_ref()
            .and_then(|m| domain::events::money_from_proto(m).ok());
        store::upsert_sku(
            conn,
            &v.sku,
            &e.title,
            cost.as_ref(),
            v.weight_grams,
            e.version,
        )
        .await?;
    }
    Ok(())
}
