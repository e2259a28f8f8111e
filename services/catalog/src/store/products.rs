//! Products and their variants: insert, update, lock, read, list.

use std::collections::HashMap;

use chrono::Utc;
use diesel::OptionalExtension;
use diesel::sql_types::{
    BigInt, Bool, Integer, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::catalog::{ProductStatus, ProductView, SkuView, VariantInput};
use domain::ids::{ProductId, VariantId};
use domain::{Gtin, Sku};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use super::listings::{audit_price, upsert_listing};
use super::{
    PRODUCT_COLUMNS, ProductRow, VARIANT_COLUMNS, VariantRow, assemble, corrupt, listing_view,
    listings_of, product_row, status, variant_view,
};

pub async fn load_product(conn: &mut Conn, id: Uuid) -> Result<Option<ProductView>, ApiError> {
    match product_row(conn, id).await? {
        Some(row) => Ok(assemble(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Whether the product exists (a plain read, no lock).
pub async fn product_exists(conn: &mut Conn, id: Uuid) -> Result<bool, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = Bool)]
        exists: bool,
    }
    let found: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM products WHERE id = $1) AS exists")
            .bind::<SqlUuid, _>(id)
            .cached()
            .get_result(conn)
            .await?;
    Ok(found.exists)
}

/// Locks the product row for the rest of the transaction.
pub async fn lock_product(conn: &mut Conn, id: Uuid) -> Result<Option<ProductRow>, ApiError> {
    Ok(diesel::sql_query(format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()?)
}

fn variant_row(product_id: Uuid, position: usize, id: Uuid, input: &VariantInput) -> VariantRow {
    VariantRow {
        id,
        product_id,
        position: position as i32,
        sku: input.sku.as_str().to_string(),
        title: input.title.clone().unwrap_or_default(),
        barcode: input.barcode.as_ref().map(|b| b.as_gtin14().to_string()),
        unit_of_measure: input.unit_of_measure.clone(),
        weight_grams: input.weight_grams,
        length_mm: input.dimensions.map(|d| d.length_mm),
        width_mm: input.dimensions.map(|d| d.width_mm),
        height_mm: input.dimensions.map(|d| d.height_mm),
        cost_amount: input.cost_price.map(|m| m.amount),
        cost_currency: input.cost_price.map(|m| m.currency.code().to_string()),
    }
}

/// Maps unique violations on SKU and barcode to a 409 naming the value.
fn variant_conflict(err: diesel::result::Error, input: &VariantInput) -> ApiError {
    if platform::error::is_unique_violation(&err, "variants_sku_key") {
        ApiError::Conflict(format!(
            "SKU {} already belongs to another product",
            input.sku
        ))
    } else if platform::error::is_unique_violation(&err, "variants_barcode_key") {
        ApiError::Conflict(format!(
            "barcode {} already belongs to another variant",
            input
                .barcode
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        ))
    } else {
        err.into()
    }
}

/// Writes a variant: a new one, or (on its id) the existing one updated.
async fn write_variant(conn: &mut Conn, v: &VariantRow) -> diesel::QueryResult<usize> {
    diesel::sql_query(format!(
        "INSERT INTO variants ({VARIANT_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, sku = EXCLUDED.sku, \
           title = EXCLUDED.title, barcode = EXCLUDED.barcode, \
           unit_of_measure = EXCLUDED.unit_of_measure, weight_grams = EXCLUDED.weight_grams, \
           length_mm = EXCLUDED.length_mm, width_mm = EXCLUDED.width_mm, \
           height_mm = EXCLUDED.height_mm, cost_amount = EXCLUDED.cost_amount, \
           cost_currency = EXCLUDED.cost_currency"
    ))
    .bind::<SqlUuid, _>(v.id)
    .bind::<SqlUuid, _>(v.product_id)
    .bind::<Integer, _>(v.position)
    .bind::<Text, _>(&v.sku)
    .bind::<Text, _>(&v.title)
    .bind::<Nullable<Text>, _>(&v.barcode)
    .bind::<Text, _>(&v.unit_of_measure)
    .bind::<Nullable<BigInt>, _>(v.weight_grams)
    .bind::<Nullable<BigInt>, _>(v.length_mm)
    .bind::<Nullable<BigInt>, _>(v.width_mm)
    .bind::<Nullable<BigInt>, _>(v.height_mm)
    .bind::<Nullable<Numeric>, _>(v.cost_amount)
    .bind::<Nullable<Text>, _>(&v.cost_currency)
    .cached()
    .execute(conn)
    .await
}

/// Inserts a product with its variants and initial listings (audited as first prices).
pub async fn insert_product(
    conn: &mut Conn,
    id: Uuid,
    title: &str,
    description: &str,
    status: ProductStatus,
    variant_inputs: &[VariantInput],
    actor: &str,
) -> Result<(), ApiError> {
    let now = Utc::now();
    diesel::sql_query(format!(
        "INSERT INTO products ({PRODUCT_COLUMNS}) VALUES ($1, $2, $3, $4, 1, $5, $5, $6, $6)"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(title.trim())
    .bind::<Text, _>(description)
    .bind::<Text, _>(status.as_str())
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    for (position, input) in variant_inputs.iter().enumerate() {
        let variant_id = VariantId::new().as_uuid();
        write_variant(conn, &variant_row(id, position, variant_id, input))
            .await
            .map_err(|e| variant_conflict(e, input))?;
        for listing in &input.listings {
            upsert_listing(
                conn,
                variant_id,
                listing.channel_id.as_str(),
                listing.price,
                listing.active,
            )
            .await?;
            audit_price(
                conn,
                variant_id,
                listing.channel_id.as_str(),
                None,
                listing.price,
                actor,
            )
            .await?;
        }
    }
    Ok(())
}

/// Applies an update: product fields, existing variants by SKU, new variants appended.
/// Removing a variant is refused: SKUs stay for audit and open orders.
pub async fn update_product(
    conn: &mut Conn,
    current: &ProductRow,
    title: &str,
    description: &str,
    status: ProductStatus,
    variant_inputs: &[VariantInput],
    actor: &str,
) -> Result<(), ApiError> {
    let existing: Vec<VariantRow> = diesel::sql_query(format!(
        "SELECT {VARIANT_COLUMNS} FROM variants WHERE product_id = $1"
    ))
    .bind::<SqlUuid, _>(current.id)
    .cached()
    .load(conn)
    .await?;
    let by_sku: HashMap<&str, &VariantRow> = existing.iter().map(|v| (v.sku.as_str(), v)).collect();
    let missing: Vec<&str> = existing
        .iter()
        .map(|v| v.sku.as_str())
        .filter(|sku| !variant_inputs.iter().any(|i| i.sku.as_str() == *sku))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::field(
            "variants",
            format!(
                "variants can't be removed (missing: {}); archive the product instead",
                missing.join(", ")
            ),
        ));
    }
    for (position, input) in variant_inputs.iter().enumerate() {
        let id = by_sku
            .get(input.sku.as_str())
            .map(|row| row.id)
            .unwrap_or_else(|| VariantId::new().as_uuid());
        write_variant(conn, &variant_row(current.id, position, id, input))
            .await
            .map_err(|e| variant_conflict(e, input))?;
    }
    diesel::sql_query(
        "UPDATE products SET title = $2, description = $3, status = $4, version = $5, \
         updated_at = now(), updated_by = $6 WHERE id = $1",
    )
    .bind::<SqlUuid, _>(current.id)
    .bind::<Text, _>(title.trim())
    .bind::<Text, _>(description)
    .bind::<Text, _>(status.as_str())
    .bind::<BigInt, _>(current.version + 1)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Bumps the version (and optionally the status) of a locked product.
pub async fn touch_product(
    conn: &mut Conn,
    current: &ProductRow,
    new_status: Option<ProductStatus>,
    actor: &str,
) -> Result<(), ApiError> {
    diesel::sql_query(
        "UPDATE products SET status = $2, version = $3, updated_at = now(), updated_by = $4 \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(current.id)
    .bind::<Text, _>(new_status.map(|s| s.as_str()).unwrap_or(&current.status))
    .bind::<BigInt, _>(current.version + 1)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find_variant(
    conn: &mut Conn,
    product_id: Uuid,
    sku: &Sku,
) -> Result<Option<VariantRow>, ApiError> {
    Ok(diesel::sql_query(format!(
        "SELECT {VARIANT_COLUMNS} FROM variants WHERE product_id = $1 AND sku = $2"
    ))
    .bind::<SqlUuid, _>(product_id)
    .bind::<Text, _>(sku.as_str())
    .cached()
    .get_result(conn)
    .await
    .optional()?)
}

/// Filters of the product list, already validated.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub status: Option<ProductStatus>,
    pub channel: Option<String>,
    pub sku_prefix: Option<String>,
    pub barcode: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// One page of products in id (creation) order, and whether more follow.
pub async fn list_products(
    conn: &mut Conn,
    filter: &ListFilter,
) -> Result<(Vec<ProductView>, bool), ApiError> {
    // SKUs may contain '_', a LIKE wildcard: escape it.
    let pattern = filter
        .sku_prefix
        .as_ref()
        .map(|p| format!("{}%", p.replace('\\', "\\\\").replace('_', "\\_")));
    let mut rows: Vec<ProductRow> = diesel::sql_query(format!(
        "SELECT {PRODUCT_COLUMNS} FROM products p \
         WHERE ($1::text IS NULL OR p.status = $1) AND ($2::uuid IS NULL OR p.id > $2) \
           AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM variants v JOIN listings l ON l.variant_id = v.id \
                                            WHERE v.product_id = p.id AND l.channel_id = $3)) \
           AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND v.sku LIKE $4)) \
           AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND v.barcode = $5)) \
         ORDER BY p.id LIMIT $6"
    ))
    .bind::<Nullable<Text>, _>(filter.status.map(|s| s.as_str()))
    .bind::<Nullable<SqlUuid>, _>(filter.after)
    .bind::<Nullable<Text>, _>(&filter.channel)
    .bind::<Nullable<Text>, _>(&pattern)
    .bind::<Nullable<Text>, _>(&filter.barcode)
    .bind::<BigInt, _>(filter.limit + 1)
    .cached()
    .load(conn)
    .await?;
    let more = rows.len() as i64 > filter.limit;
    rows.truncate(filter.limit as usize);
    Ok((assemble(conn, rows).await?, more))
}

/// A variant and its product's headline fields, by SKU or by barcode.
pub async fn find_sku_view(
    conn: &mut Conn,
    by_sku: Option<&Sku>,
    by_barcode: Option<&Gtin>,
) -> Result<Option<SkuView>, ApiError> {
    let variant: Option<VariantRow> = diesel::sql_query(format!(
        "SELECT {VARIANT_COLUMNS} FROM variants \
         WHERE ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR barcode = $2) LIMIT 1"
    ))
    .bind::<Nullable<Text>, _>(by_sku.map(|s| s.as_str().to_string()))
    .bind::<Nullable<Text>, _>(by_barcode.map(|b| b.as_gtin14().to_string()))
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let Some(variant) = variant else {
        return Ok(None);
    };
    let product = product_row(conn, variant.product_id)
        .await?
        .ok_or_else(|| corrupt("product of variant", &variant.sku))?;
    let listing_rows = listings_of(conn, &[variant.id]).await?;
    let listings = listing_rows
        .iter()
        .map(listing_view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(SkuView {
        product_id: ProductId(product.id),
        product_title: product.title.clone(),
        product_status: status(&product.status)?,
        variant: variant_view(&variant, &product.title, listings)?,
    }))
}
