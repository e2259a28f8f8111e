//! Catalog persistence, in raw SQL like every service's store (each
//! statement is prepared against the migrated database by
//! `tests/statements.rs`). Everything here runs on a connection the caller
//! passes, so handlers decide the transaction. Products and their variants
//! are `products`; channel listings and their price history `listings`.

mod listings;
mod products;

pub use listings::{audit_price, find_listing, price_history, upsert_listing};
pub use products::{
    ListFilter, find_sku_view, find_variant, insert_product, list_products, load_product,
    lock_product, product_exists, touch_product, update_product,
};

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::catalog::{
    Dimensions, ListingView, ProductStatus, ProductView, VariantView,
};
use domain::ids::{ProductId, VariantId};
use domain::{Gtin, Money, Sku};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ProductRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub created_by: String,
    #[diesel(sql_type = Text)]
    pub updated_by: String,
}

pub(super) const PRODUCT_COLUMNS: &str =
    "id, title, description, status, version, created_at, updated_at, created_by, updated_by";

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct VariantRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub product_id: Uuid,
    #[diesel(sql_type = Integer)]
    pub position: i32,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub barcode: Option<String>,
    #[diesel(sql_type = Text)]
    pub unit_of_measure: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub weight_grams: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub length_mm: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub width_mm: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub height_mm: Option<i64>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub cost_amount: Option<Decimal>,
    #[diesel(sql_type = Nullable<Text>)]
    pub cost_currency: Option<String>,
}

pub(super) const VARIANT_COLUMNS: &str = "id, product_id, position, sku, title, barcode, \
    unit_of_measure, weight_grams, length_mm, width_mm, height_mm, cost_amount, cost_currency";

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ListingRow {
    #[diesel(sql_type = SqlUuid)]
    pub variant_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Numeric)]
    pub price_amount: Decimal,
    #[diesel(sql_type = Text)]
    pub price_currency: String,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

pub(super) const LISTING_COLUMNS: &str =
    "variant_id, channel_id, price_amount, price_currency, active, updated_at";

/// Rows come from validated input; a row that doesn't parse is corruption.
pub(super) fn corrupt(what: &str, value: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!("stored {what} '{value}' is invalid"))
}

pub fn money(amount: Decimal, currency: &str) -> Result<Money, ApiError> {
    let money = Money {
        amount,
        currency: currency
            .parse()
            .map_err(|_| corrupt("currency", currency))?,
    };
    Ok(money.canonical())
}

pub(super) fn status(s: &str) -> Result<ProductStatus, ApiError> {
    ProductStatus::parse(s).ok_or_else(|| corrupt("status", s))
}

pub(super) fn variant_view(
    row: &VariantRow,
    product_title: &str,
    listings: Vec<ListingView>,
) -> Result<VariantView, ApiError> {
    let dimensions = match (row.length_mm, row.width_mm, row.height_mm) {
        (Some(length_mm), Some(width_mm), Some(height_mm)) => Some(Dimensions {
            length_mm,
            width_mm,
            height_mm,
        }),
        _ => None,
    };
    let cost_price = match (&row.cost_amount, &row.cost_currency) {
        (Some(amount), Some(currency)) => Some(money(*amount, currency)?),
        _ => None,
    };
    let title = if row.title.is_empty() {
        product_title.to_string()
    } else {
        row.title.clone()
    };
    Ok(VariantView {
        id: VariantId(row.id),
        sku: row
            .sku
            .parse::<Sku>()
            .map_err(|_| corrupt("sku", &row.sku))?,
        title,
        barcode: row
            .barcode
            .as_deref()
            .map(|b| b.parse::<Gtin>().map_err(|_| corrupt("barcode", b)))
            .transpose()?,
        unit_of_measure: row.unit_of_measure.clone(),
        weight_grams: row.weight_grams,
        dimensions,
        cost_price,
        listings,
    })
}

pub(super) fn listing_view(row: &ListingRow) -> Result<ListingView, ApiError> {
    Ok(ListingView {
        channel_id: row
            .channel_id
            .parse()
            .map_err(|_| corrupt("channel", &row.channel_id))?,
        price: money(row.price_amount, &row.price_currency)?,
        active: row.active,
        updated_at: row.updated_at,
    })
}

/// The listings of `variant_ids`, by variant then channel.
pub(super) async fn listings_of(
    conn: &mut Conn,
    variant_ids: &[Uuid],
) -> diesel::QueryResult<Vec<ListingRow>> {
    diesel::sql_query(format!(
        "SELECT {LISTING_COLUMNS} FROM listings WHERE variant_id = ANY($1) ORDER BY variant_id, channel_id"
    ))
    .bind::<Array<SqlUuid>, _>(variant_ids)
    .cached()
    .load(conn)
    .await
}

/// A product's row, if it exists.
pub(super) async fn product_row(
    conn: &mut Conn,
    id: Uuid,
) -> diesel::QueryResult<Option<ProductRow>> {
    use diesel::OptionalExtension;
    diesel::sql_query(format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// Builds full product views from the rows of several products.
pub(super) async fn assemble(
    conn: &mut Conn,
    rows: Vec<ProductRow>,
) -> Result<Vec<ProductView>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let variant_rows: Vec<VariantRow> = diesel::sql_query(format!(
        "SELECT {VARIANT_COLUMNS} FROM variants WHERE product_id = ANY($1) ORDER BY product_id, position"
    ))
    .bind::<Array<SqlUuid>, _>(&ids)
    .cached()
    .load(conn)
    .await?;
    let variant_ids: Vec<Uuid> = variant_rows.iter().map(|v| v.id).collect();
    let listing_rows = listings_of(conn, &variant_ids).await?;
    let mut listings_by_variant: HashMap<Uuid, Vec<ListingView>> = HashMap::new();
    for row in &listing_rows {
        listings_by_variant
            .entry(row.variant_id)
            .or_default()
            .push(listing_view(row)?);
    }
    let mut variants_by_product: HashMap<Uuid, Vec<&VariantRow>> = HashMap::new();
    for row in &variant_rows {
        variants_by_product
            .entry(row.product_id)
            .or_default()
            .push(row);
    }
    rows.into_iter()
        .map(|p| {
            let variants = variants_by_product
                .remove(&p.id)
                .unwrap_or_default()
                .into_iter()
                .map(|v| {
                    variant_view(
                        v,
                        &p.title,
                        listings_by_variant.remove(&v.id).unwrap_or_default(),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ProductView {
                id: ProductId(p.id),
                title: p.title,
                description: p.description,
                status: status(&p.status)?,
                version: p.version,
                variants,
                created_at: p.created_at,
                updated_at: p.updated_at,
            })
        })
        .collect()
}
