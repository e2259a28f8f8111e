//! The SKU projection from catalog's ProductUpserted: which SKUs exist.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use platform::db::{CachedExt, Conn};

/// A SKU as catalog's ProductUpserted describes it.
pub struct CatalogSku<'a> {
    pub sku: &'a str,
    pub product_id: uuid::Uuid,
    pub status: &'a str,
    /// Per unit; None when catalog has none.
    pub weight_grams: Option<i64>,
    pub standard_cost: Option<domain::Money>,
    pub at: DateTime<Utc>,
}

/// Records a SKU as catalog describes it; an older event never overwrites a
/// newer one.
pub async fn upsert(conn: &mut Conn, s: &CatalogSku<'_>) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO skus (sku, product_id, status, updated_at, weight_grams, \
           standard_cost_amount, standard_cost_currency) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (sku) DO UPDATE SET product_id = EXCLUDED.product_id, \
           status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, \
           weight_grams = EXCLUDED.weight_grams, \
           standard_cost_amount = EXCLUDED.standard_cost_amount, \
           standard_cost_currency = EXCLUDED.standard_cost_currency \
         WHERE skus.updated_at <= EXCLUDED.updated_at",
    )
    .bind::<Text, _>(s.sku)
    .bind::<SqlUuid, _>(s.product_id)
    .bind::<Text, _>(s.status)
    .bind::<Timestamptz, _>(s.at)
    .bind::<Nullable<BigInt>, _>(s.weight_grams)
    .bind::<Nullable<Numeric>, _>(s.standard_cost.map(|m| m.amount))
    .bind::<Nullable<Text>, _>(s.standard_cost.map(|m| m.currency.code().to_string()))
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Catalog weights per unit of `skus` (those catalog gave one).
pub async fn weights(
    conn: &mut Conn,
    skus: &[String],
) -> diesel::QueryResult<std::collections::HashMap<String, i64>> {
    #[derive(diesel::QueryableByName)]
    struct Weight {
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = BigInt)]
        weight_grams: i64,
    }
    let rows: Vec<Weight> = diesel::sql_query(
        "SELECT sku, weight_grams FROM skus WHERE sku = ANY($1) AND weight_grams IS NOT NULL",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.sku, r.weight_grams)).collect())
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

/// 404 unless the catalog knows `sku`.
pub async fn require_known(conn: &mut Conn, sku: &str) -> Result<(), platform::ApiError> {
    if unknown(conn, std::slice::from_ref(&sku.to_string()))
        .await?
        .is_empty()
    {
        Ok(())
    } else {
        Err(platform::ApiError::NotFound(format!(
            "SKU {sku} is not in the catalog"
        )))
    }
}
