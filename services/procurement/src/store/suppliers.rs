//! Suppliers and the products they supply, on what terms.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Bool, Double, Integer, Nullable, Numeric, Text, Timestamptz,
};
use diesel_async::RunQueryDsl;
use domain::Money;
use domain::contracts::procurement::{
    SupplierInput, SupplierProductInput, SupplierProductView, SupplierView,
};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use std::collections::HashMap;

use super::corrupt;
use crate::domain::planning::Offer;

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct SupplierRow {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Integer)]
    pub payment_terms_days: i32,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl SupplierRow {
    pub fn view(&self) -> Result<SupplierView, ApiError> {
        Ok(SupplierView {
            code: self.code.clone(),
            name: self.name.clone(),
            currency: self
                .currency
                .parse()
                .map_err(|_| corrupt("currency", &self.currency))?,
            payment_terms_days: self.payment_terms_days,
            active: self.active,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const SUPPLIER_COLUMNS: &str =
    "code, name, currency, payment_terms_days, active, version, created_at, updated_at";

pub async fn by_code(conn: &mut Conn, code: &str) -> diesel::QueryResult<Option<SupplierRow>> {
    diesel::sql_query(format!(
        "SELECT {SUPPLIER_COLUMNS} FROM suppliers WHERE code = $1"
    ))
    .bind::<Text, _>(code)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// The supplier, locked until the transaction ends.
pub async fn lock(conn: &mut Conn, code: &str) -> diesel::QueryResult<Option<SupplierRow>> {
    diesel::sql_query(format!(
        "SELECT {SUPPLIER_COLUMNS} FROM suppliers WHERE code = $1 FOR UPDATE"
    ))
    .bind::<Text, _>(code)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// Suppliers in code order, after `cursor`.
pub async fn list(
    conn: &mut Conn,
    cursor: Option<&str>,
    limit: i64,
) -> diesel::QueryResult<Vec<SupplierRow>> {
    diesel::sql_query(format!(
        "SELECT {SUPPLIER_COLUMNS} FROM suppliers WHERE ($1::text IS NULL OR code > $1) \
         ORDER BY code LIMIT $2"
    ))
    .bind::<Nullable<Text>, _>(cursor)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await
}

/// Creates the supplier or replaces its fields (bumping the version).
pub async fn upsert(
    conn: &mut Conn,
    code: &str,
    input: &SupplierInput,
    actor: &str,
) -> diesel::QueryResult<SupplierRow> {
    diesel::sql_query(format!(
        "INSERT INTO suppliers (code, name, currency, payment_terms_days, active, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, \
           payment_terms_days = EXCLUDED.payment_terms_days, active = EXCLUDED.active, \
           updated_by = EXCLUDED.updated_by, version = suppliers.version + 1, updated_at = now() \
         RETURNING {SUPPLIER_COLUMNS}"
    ))
    .bind::<Text, _>(code)
    .bind::<Text, _>(input.name.trim())
    .bind::<Text, _>(input.currency.code())
    .bind::<Integer, _>(input.payment_terms_days)
    .bind::<Bool, _>(input.active)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await
}

/// Whether any of the supplier's products is priced in another currency
/// than `currency` (a currency change must not strand them).
pub async fn has_products_in_other_currency(
    conn: &mut Conn,
    code: &str,
    currency: &str,
) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    let row: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM supplier_products \
           WHERE supplier_code = $1 AND unit_cost_currency <> $2) AS found",
    )
    .bind::<Text, _>(code)
    .bind::<Text, _>(currency)
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.found)
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct SupplierProductRow {
    #[diesel(sql_type = Text)]
    pub supplier_code: String,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub supplier_sku: String,
    #[diesel(sql_type = Numeric)]
    pub unit_cost_amount: Decimal,
    #[diesel(sql_type = Text)]
    pub unit_cost_currency: String,
    #[diesel(sql_type = BigInt)]
    pub moq: i64,
    #[diesel(sql_type = BigInt)]
    pub pack_size: i64,
    #[diesel(sql_type = Integer)]
    pub lead_time_days: i32,
    #[diesel(sql_type = Integer)]
    pub preferred_rank: i32,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl SupplierProductRow {
    pub fn unit_cost(&self) -> Result<Money, ApiError> {
        Money::new(
            self.unit_cost_amount.normalize(),
            self.unit_cost_currency
                .parse()
                .map_err(|_| corrupt("currency", &self.unit_cost_currency))?,
        )
        .map_err(|_| corrupt("unit cost", &self.unit_cost_amount.to_string()))
    }

    pub fn view(&self) -> Result<SupplierProductView, ApiError> {
        Ok(SupplierProductView {
            supplier_code: self.supplier_code.clone(),
            sku: self.sku.clone(),
            supplier_sku: self.supplier_sku.clone(),
            unit_cost: self.unit_cost()?,
            moq: self.moq,
            pack_size: self.pack_size,
            lead_time_days: self.lead_time_days,
            preferred_rank: self.preferred_rank,
            active: self.active,
            version: self.version,
            updated_at: self.updated_at,
        })
    }
}

const PRODUCT_COLUMNS: &str = "supplier_code, sku, supplier_sku, unit_cost_amount, \
    unit_cost_currency, moq, pack_size, lead_time_days, preferred_rank, active, version, updated_at";

pub async fn product(
    conn: &mut Conn,
    supplier: &str,
    sku: &str,
) -> diesel::QueryResult<Option<SupplierProductRow>> {
    diesel::sql_query(format!(
        "SELECT {PRODUCT_COLUMNS} FROM supplier_products WHERE supplier_code = $1 AND sku = $2"
    ))
    .bind::<Text, _>(supplier)
    .bind::<Text, _>(sku)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// The supplier's products in SKU order, after `cursor`.
pub async fn products_of(
    conn: &mut Conn,
    supplier: &str,
    cursor: Option<&str>,
    limit: i64,
) -> diesel::QueryResult<Vec<SupplierProductRow>> {
    diesel::sql_query(format!(
        "SELECT {PRODUCT_COLUMNS} FROM supplier_products \
         WHERE supplier_code = $1 AND ($2::text IS NULL OR sku > $2) ORDER BY sku LIMIT $3"
    ))
    .bind::<Text, _>(supplier)
    .bind::<Nullable<Text>, _>(cursor)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await
}

/// Creates or replaces what the supplier supplies of the SKU (bumping the
/// version).
pub async fn upsert_product(
    conn: &mut Conn,
    supplier: &str,
    sku: &str,
    input: &SupplierProductInput,
    actor: &str,
) -> diesel::QueryResult<SupplierProductRow> {
    diesel::sql_query(format!(
        "INSERT INTO supplier_products (supplier_code, sku, supplier_sku, unit_cost_amount, \
           unit_cost_currency, moq, pack_size, lead_time_days, preferred_rank, active, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (supplier_code, sku) DO UPDATE SET supplier_sku = EXCLUDED.supplier_sku, \
           unit_cost_amount = EXCLUDED.unit_cost_amount, \
           unit_cost_currency = EXCLUDED.unit_cost_currency, moq = EXCLUDED.moq, \
           pack_size = EXCLUDED.pack_size, lead_time_days = EXCLUDED.lead_time_days, \
           preferred_rank = EXCLUDED.preferred_rank, active = EXCLUDED.active, \
           updated_by = EXCLUDED.updated_by, version = supplier_products.version + 1, \
           updated_at = now() \
         RETURNING {PRODUCT_COLUMNS}"
    ))
    .bind::<Text, _>(supplier)
    .bind::<Text, _>(sku)
    .bind::<Text, _>(input.supplier_sku.trim())
    .bind::<Numeric, _>(input.unit_cost.amount)
    .bind::<Text, _>(input.unit_cost.currency.code())
    .bind::<BigInt, _>(input.moq)
    .bind::<BigInt, _>(input.pack_size)
    .bind::<Integer, _>(input.lead_time_days)
    .bind::<Integer, _>(input.preferred_rank)
    .bind::<Bool, _>(input.active)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await
}

/// Receipts per (supplier, SKU) that lead times are learned from.
const RECEIPTS_KEPT: i64 = 20;

/// What active suppliers offer, per SKU, with the lead times of their last
/// receipts.
pub async fn offers(conn: &mut Conn) -> Result<HashMap<String, Vec<Offer>>, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct OfferRow {
        #[diesel(sql_type = Text)]
        supplier_code: String,
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = Text)]
        supplier_sku: String,
        #[diesel(sql_type = Numeric)]
        unit_cost_amount: Decimal,
        #[diesel(sql_type = Text)]
        unit_cost_currency: String,
        #[diesel(sql_type = BigInt)]
        moq: i64,
        #[diesel(sql_type = BigInt)]
        pack_size: i64,
        #[diesel(sql_type = Integer)]
        lead_time_days: i32,
        #[diesel(sql_type = Integer)]
        preferred_rank: i32,
        #[diesel(sql_type = Array<Double>)]
        receipts: Vec<f64>,
    }
    let rows: Vec<OfferRow> = diesel::sql_query(
        "SELECT sp.supplier_code, sp.sku, sp.supplier_sku, sp.unit_cost_amount, \
           sp.unit_cost_currency, sp.moq, sp.pack_size, sp.lead_time_days, sp.preferred_rank, \
           coalesce((SELECT array_agg(t.days) FROM ( \
               SELECT days FROM lead_time_samples ls \
               WHERE ls.supplier_code = sp.supplier_code AND ls.sku = sp.sku \
               ORDER BY received_at DESC LIMIT $1) t), '{}') AS receipts \
         FROM supplier_products sp JOIN suppliers s ON s.code = sp.supplier_code \
         WHERE sp.active AND s.active",
    )
    .bind::<BigInt, _>(RECEIPTS_KEPT)
    .cached()
    .load(conn)
    .await?;
    let mut out: HashMap<String, Vec<Offer>> = HashMap::new();
    for r in rows {
        let unit_cost = Money::parse(
            &r.unit_cost_amount.normalize().to_string(),
            &r.unit_cost_currency,
        )
        .map_err(|_| corrupt("unit cost", &r.unit_cost_amount.to_string()))?;
        out.entry(r.sku.clone()).or_default().push(Offer {
            supplier_code: r.supplier_code,
            supplier_sku: r.supplier_sku,
            unit_cost,
            moq: r.moq,
            pack_size: r.pack_size,
            promised_days: r.lead_time_days.max(0) as u32,
            rank: r.preferred_rank,
            receipts: r.receipts,
        });
    }
    Ok(out)
}
