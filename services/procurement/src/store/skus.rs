//! The SKU projection from catalog's ProductUpserted: which SKUs exist.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use platform::db::{CachedExt, Conn};

/// Records a SKU as catalog describes it; an older event never overwrites a
/// newer one.
pub async fn upsert(
    conn: &mut Conn,
    sku: &str,
    product_id: uuid::Uuid,
    status: &str,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO skus (sku, product_id, status, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sku) DO UPDATE SET product_id = EXCLUDED.product_id, \
           status = EXCLUDED.status, updated_at = EXCLUDED.updated_at \
         WHERE skus.updated_at <= EXCLUDED.updated_at",
    )
    .bind::<Text, _>(sku)
    .bind::<SqlUuid, _>(product_id)
    .bind::<Text, _>(status)
    .bind::<Timestamptz, _>(at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct SkuName {
    #[diesel(sql_type = Text)]
    sku: String,
}

/// Those of `skus` the catalog does not know, in the order given.
pub async fn unknown(conn: &mut Conn, skus: &[String]) -> diesel::QueryResult<Vec<String>> {
    let rows: Vec<SkuName> = diesel::sql_query(
        "SELECT s.sku FROM unnest($1::text[]) WITH ORDINALITY AS s (sku, n) \
         WHERE NOT EXISTS (SELECT 1 FROM skus k WHERE k.sku = s.sku) ORDER BY s.n",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.sku).collect())
}
