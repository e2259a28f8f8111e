//! Catalog persistence: diesel models and queries. Everything here runs on a
//! connection the caller passes, so handlers decide the transaction.

pub mod schema;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::contracts::catalog::{
    Dimensions, ListingView, PriceChangeView, ProductStatus, ProductView, SkuView, VariantInput,
    VariantView,
};
use domain::ids::{ProductId, VariantId};
use domain::{Gtin, Money, Sku};
use platform::ApiError;
use platform::db::Conn;
use rust_decimal::Decimal;
use uuid::Uuid;

use schema::{listings, price_changes, products, variants};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = products)]
pub struct ProductRow {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub status: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = variants, treat_none_as_null = true)]
pub struct VariantRow {
    pub id: Uuid,
    pub product_id: Uuid,
    pub position: i32,
    pub sku: String,
    pub title: String,
    pub barcode: Option<String>,
    pub unit_of_measure: String,
    pub weight_grams: Option<i64>,
    pub length_mm: Option<i64>,
    pub width_mm: Option<i64>,
    pub height_mm: Option<i64>,
    pub cost_amount: Option<Decimal>,
    pub cost_currency: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = listings)]
pub struct ListingRow {
    pub variant_id: Uuid,
    pub channel_id: String,
    pub price_amount: Decimal,
    pub price_currency: String,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = price_changes)]
pub struct PriceChangeRow {
    pub id: i64,
    pub variant_id: Uuid,
    pub channel_id: String,
    pub old_amount: Option<Decimal>,
    pub old_currency: Option<String>,
    pub new_amount: Decimal,
    pub new_currency: String,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = price_changes)]
struct NewPriceChange<'a> {
    variant_id: Uuid,
    channel_id: &'a str,
    old_amount: Option<Decimal>,
    old_currency: Option<String>,
    new_amount: Decimal,
    new_currency: String,
    changed_by: &'a str,
}

/// Rows come from validated input; a row that doesn't parse is corruption.
fn corrupt(what: &str, value: &str) -> ApiError {
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

fn status(s: &str) -> Result<ProductStatus, ApiError> {
    ProductStatus::parse(s).ok_or_else(|| corrupt("status", s))
}

fn variant_view(
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

fn listing_view(row: &ListingRow) -> Result<ListingView, ApiError> {
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

/// Builds full product views from the rows of several products.
async fn assemble(conn: &mut Conn, rows: Vec<ProductRow>) -> Result<Vec<ProductView>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let variant_rows: Vec<VariantRow> = variants::table
        .filter(variants::product_id.eq_any(&ids))
        .order((variants::product_id, variants::position))
        .select(VariantRow::as_select())
        .load(conn)
        .await?;
    let variant_ids: Vec<Uuid> = variant_rows.iter().map(|v| v.id).collect();
    let listing_rows: Vec<ListingRow> = listings::table
        .filter(listings::variant_id.eq_any(&variant_ids))
        .order((listings::variant_id, listings::channel_id))
        .select(ListingRow::as_select())
        .load(conn)
        .await?;
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

pub async fn load_product(conn: &mut Conn, id: Uuid) -> Result<Option<ProductView>, ApiError> {
    let row: Option<ProductRow> = products::table
        .find(id)
        .select(ProductRow::as_select())
        .first(conn)
        .await
        .optional()?;
    match row {
        Some(row) => Ok(assemble(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Whether the product exists (a plain read, no lock).
pub async fn product_exists(conn: &mut Conn, id: Uuid) -> Result<bool, ApiError> {
    Ok(
        diesel::select(diesel::dsl::exists(products::table.find(id)))
            .get_result(conn)
            .await?,
    )
}

/// Locks the product row for the rest of the transaction.
pub async fn lock_product(conn: &mut Conn, id: Uuid) -> Result<Option<ProductRow>, ApiError> {
    Ok(products::table
        .find(id)
        .select(ProductRow::as_select())
        .for_update()
        .first(conn)
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
    diesel::insert_into(products::table)
        .values(ProductRow {
            id,
            title: title.trim().to_string(),
            description: description.to_string(),
            status: status.as_str().to_string(),
            version: 1,
            created_at: now,
            updated_at: now,
            created_by: actor.to_string(),
            updated_by: actor.to_string(),
        })
        .execute(conn)
        .await?;
    for (position, input) in variant_inputs.iter().enumerate() {
        let variant_id = VariantId::new().as_uuid();
        diesel::insert_into(variants::table)
            .values(variant_row(id, position, variant_id, input))
            .execute(conn)
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
    let existing: Vec<VariantRow> = variants::table
        .filter(variants::product_id.eq(current.id))
        .select(VariantRow::as_select())
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
        match by_sku.get(input.sku.as_str()) {
            Some(row) => {
                diesel::update(variants::table.find(row.id))
                    .set(variant_row(current.id, position, row.id, input))
                    .execute(conn)
                    .await
                    .map_err(|e| variant_conflict(e, input))?;
            }
            None => {
                diesel::insert_into(variants::table)
                    .values(variant_row(
                        current.id,
                        position,
                        VariantId::new().as_uuid(),
                        input,
                    ))
                    .execute(conn)
                    .await
                    .map_err(|e| variant_conflict(e, input))?;
            }
        }
    }
    diesel::update(products::table.find(current.id))
        .set((
            products::title.eq(title.trim()),
            products::description.eq(description),
            products::status.eq(status.as_str()),
            products::version.eq(current.version + 1),
            products::updated_at.eq(Utc::now()),
            products::updated_by.eq(actor),
        ))
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
    diesel::update(products::table.find(current.id))
        .set((
            products::status.eq(new_status.map(|s| s.as_str()).unwrap_or(&current.status)),
            products::version.eq(current.version + 1),
            products::updated_at.eq(Utc::now()),
            products::updated_by.eq(actor),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find_variant(
    conn: &mut Conn,
    product_id: Uuid,
    sku: &Sku,
) -> Result<Option<VariantRow>, ApiError> {
    Ok(variants::table
        .filter(variants::product_id.eq(product_id))
        .filter(variants::sku.eq(sku.as_str()))
        .select(VariantRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find_listing(
    conn: &mut Conn,
    variant_id: Uuid,
    channel: &str,
) -> Result<Option<ListingRow>, ApiError> {
    Ok(listings::table
        .find((variant_id, channel))
        .select(ListingRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn upsert_listing(
    conn: &mut Conn,
    variant_id: Uuid,
    channel: &str,
    price: Money,
    active: bool,
) -> Result<(), ApiError> {
    let row = ListingRow {
        variant_id,
        channel_id: channel.to_string(),
        price_amount: price.amount,
        price_currency: price.currency.code().to_string(),
        active,
        updated_at: Utc::now(),
    };
    diesel::insert_into(listings::table)
        .values(&row)
        .on_conflict((listings::variant_id, listings::channel_id))
        .do_update()
        .set((
            listings::price_amount.eq(row.price_amount),
            listings::price_currency.eq(&row.price_currency),
            listings::active.eq(row.active),
            listings::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn audit_price(
    conn: &mut Conn,
    variant_id: Uuid,
    channel: &str,
    old: Option<Money>,
    new: Money,
    actor: &str,
) -> Result<(), ApiError> {
    diesel::insert_into(price_changes::table)
        .values(NewPriceChange {
            variant_id,
            channel_id: channel,
            old_amount: old.map(|m| m.amount),
            old_currency: old.map(|m| m.currency.code().to_string()),
            new_amount: new.amount,
            new_currency: new.currency.code().to_string(),
            changed_by: actor,
        })
        .execute(conn)
        .await?;
    Ok(())
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
    let mut query = products::table.select(ProductRow::as_select()).into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(products::status.eq(status.as_str()));
    }
    if let Some(after) = filter.after {
        query = query.filter(products::id.gt(after));
    }
    if let Some(channel) = &filter.channel {
        query = query.filter(diesel::dsl::exists(
            variants::table
                .inner_join(listings::table)
                .filter(variants::product_id.eq(products::id))
                .filter(listings::channel_id.eq(channel.clone())),
        ));
    }
    if let Some(prefix) = &filter.sku_prefix {
        // SKUs may contain '_', a LIKE wildcard: escape it.
        let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('_', "\\_"));
        query = query.filter(diesel::dsl::exists(
            variants::table
                .filter(variants::product_id.eq(products::id))
                .filter(variants::sku.like(pattern)),
        ));
    }
    if let Some(barcode) = &filter.barcode {
        query = query.filter(diesel::dsl::exists(
            variants::table
                .filter(variants::product_id.eq(products::id))
                .filter(variants::barcode.eq(barcode.clone())),
        ));
    }
    let mut rows: Vec<ProductRow> = query
        .order(products::id)
        .limit(filter.limit + 1)
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
    let mut query = variants::table
        .inner_join(products::table)
        .select((VariantRow::as_select(), ProductRow::as_select()))
        .into_boxed();
    if let Some(sku) = by_sku {
        query = query.filter(variants::sku.eq(sku.as_str().to_string()));
    }
    if let Some(barcode) = by_barcode {
        query = query.filter(variants::barcode.eq(barcode.as_gtin14().to_string()));
    }
    let found: Option<(VariantRow, ProductRow)> = query.first(conn).await.optional()?;
    let Some((variant, product)) = found else {
        return Ok(None);
    };
    let listing_rows: Vec<ListingRow> = listings::table
        .filter(listings::variant_id.eq(variant.id))
        .order(listings::channel_id)
        .select(ListingRow::as_select())
        .load(conn)
        .await?;
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

/// Price changes of a product's listings, newest first.
pub async fn price_history(
    conn: &mut Conn,
    product_id: Uuid,
    channel: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<PriceChangeView>, Option<i64>), ApiError> {
    let mut query = price_changes::table
        .inner_join(variants::table)
        .filter(variants::product_id.eq(product_id))
        .select((PriceChangeRow::as_select(), variants::sku))
        .into_boxed();
    if let Some(channel) = channel {
        query = query.filter(price_changes::channel_id.eq(channel.to_string()));
    }
    if let Some(before) = before {
        query = query.filter(price_changes::id.lt(before));
    }
    let mut rows: Vec<(PriceChangeRow, String)> = query
        .order(price_changes::id.desc())
        .limit(limit + 1)
        .load(conn)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|(r, _)| r.id)
    } else {
        None
    };
    let items = rows
        .iter()
        .map(|(r, sku)| {
            Ok(PriceChangeView {
                sku: sku.parse().map_err(|_| corrupt("sku", sku))?,
                channel_id: r
                    .channel_id
                    .parse()
                    .map_err(|_| corrupt("channel", &r.channel_id))?,
                old_price: match (&r.old_amount, &r.old_currency) {
                    (Some(a), Some(c)) => Some(money(*a, c)?),
                    _ => None,
                },
                new_price: money(r.new_amount, &r.new_currency)?,
                changed_by: r.changed_by.clone(),
                changed_at: r.changed_at,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok((items, next))
}
