//! How billing invoices: legal entities (the sellers), each channel's
//! seller, price basis and rounding, tax rules per destination and tax
//! category, and products' tax categories.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Numeric, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use domain::contracts::billing::{
    ChannelBillingInput, ChannelBillingView, LegalEntityInput, LegalEntityView, PriceBasis,
    ProductTaxView, TaxRounding, TaxRuleView,
};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;

use super::corrupt;
use crate::domain::tax::RateRule;

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct EntityRow {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = Text)]
    pub vat_id: String,
    #[diesel(sql_type = Text)]
    pub street: String,
    #[diesel(sql_type = Text)]
    pub city: String,
    #[diesel(sql_type = Text)]
    pub postal_code: String,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl EntityRow {
    pub fn view(&self) -> LegalEntityView {
        LegalEntityView {
            code: self.code.clone(),
            name: self.name.clone(),
            country: self.country.clone(),
            vat_id: self.vat_id.clone(),
            street: self.street.clone(),
            city: self.city.clone(),
            postal_code: self.postal_code.clone(),
            version: self.version,
            updated_at: self.updated_at,
        }
    }
}

const ENTITY_COLUMNS: &str =
    "code, name, country, vat_id, street, city, postal_code, version, updated_at";

pub async fn entity(
    conn: &mut Conn,
    code: &str,
    lock: bool,
) -> diesel::QueryResult<Option<EntityRow>> {
    let sql = if lock {
        format!("SELECT {ENTITY_COLUMNS} FROM legal_entities WHERE code = $1 FOR UPDATE")
    } else {
        format!("SELECT {ENTITY_COLUMNS} FROM legal_entities WHERE code = $1")
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(code)
        .cached()
        .get_result(conn)
        .await
        .optional()
}

pub async fn upsert_entity(
    conn: &mut Conn,
    code: &str,
    e: &LegalEntityInput,
) -> diesel::QueryResult<EntityRow> {
    diesel::sql_query(format!(
        "INSERT INTO legal_entities (code, name, country, vat_id, street, city, postal_code) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, country = EXCLUDED.country, \
           vat_id = EXCLUDED.vat_id, street = EXCLUDED.street, city = EXCLUDED.city, \
           postal_code = EXCLUDED.postal_code, version = legal_entities.version + 1, updated_at = now() \
         RETURNING {ENTITY_COLUMNS}"
    ))
    .bind::<Text, _>(code)
    .bind::<Text, _>(e.name.trim())
    .bind::<Text, _>(&e.country)
    .bind::<Text, _>(e.vat_id.trim())
    .bind::<Text, _>(e.street.trim())
    .bind::<Text, _>(e.city.trim())
    .bind::<Text, _>(e.postal_code.trim())
    .cached()
    .get_result(conn)
    .await
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ChannelRow {
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Text)]
    pub legal_entity: String,
    #[diesel(sql_type = Text)]
    pub prices: String,
    #[diesel(sql_type = Text)]
    pub rounding: String,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl ChannelRow {
    pub fn prices(&self) -> Result<PriceBasis, ApiError> {
        PriceBasis::parse(&self.prices).ok_or_else(|| corrupt("price basis", &self.prices))
    }

    pub fn rounding(&self) -> Result<TaxRounding, ApiError> {
        TaxRounding::parse(&self.rounding).ok_or_else(|| corrupt("rounding", &self.rounding))
    }

    pub fn view(&self) -> Result<ChannelBillingView, ApiError> {
        Ok(ChannelBillingView {
            channel_id: self.channel_id.clone(),
            legal_entity: self.legal_entity.clone(),
            prices: self.prices()?,
            rounding: self.rounding()?,
            version: self.version,
            updated_at: self.updated_at,
        })
    }
}

const CHANNEL_COLUMNS: &str = "channel_id, legal_entity, prices, rounding, version, updated_at";

pub async fn channel(
    conn: &mut Conn,
    channel_id: &str,
    lock: bool,
) -> diesel::QueryResult<Option<ChannelRow>> {
    let sql = if lock {
        format!("SELECT {CHANNEL_COLUMNS} FROM channel_billing WHERE channel_id = $1 FOR UPDATE")
    } else {
        format!("SELECT {CHANNEL_COLUMNS} FROM channel_billing WHERE channel_id = $1")
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(channel_id)
        .cached()
        .get_result(conn)
        .await
        .optional()
}

pub async fn upsert_channel(
    conn: &mut Conn,
    channel_id: &str,
    c: &ChannelBillingInput,
) -> diesel::QueryResult<ChannelRow> {
    diesel::sql_query(format!(
        "INSERT INTO channel_billing (channel_id, legal_entity, prices, rounding) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (channel_id) DO UPDATE SET legal_entity = EXCLUDED.legal_entity, \
           prices = EXCLUDED.prices, rounding = EXCLUDED.rounding, \
           version = channel_billing.version + 1, updated_at = now() \
         RETURNING {CHANNEL_COLUMNS}"
    ))
    .bind::<Text, _>(channel_id)
    .bind::<Text, _>(&c.legal_entity)
    .bind::<Text, _>(c.prices.as_str())
    .bind::<Text, _>(c.rounding.as_str())
    .cached()
    .get_result(conn)
    .await
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct RuleRow {
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = Text)]
    pub tax_category: String,
    #[diesel(sql_type = Numeric)]
    pub rate: Decimal,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl RuleRow {
    pub fn view(&self) -> TaxRuleView {
        TaxRuleView {
            country: self.country.clone(),
            tax_category: self.tax_category.clone(),
            rate: self.rate.normalize(),
            updated_at: self.updated_at,
        }
    }
}

pub async fn rule(
    conn: &mut Conn,
    country: &str,
    category: &str,
) -> diesel::QueryResult<Option<RuleRow>> {
    diesel::sql_query(
        "SELECT country, tax_category, rate, updated_at FROM tax_rules \
         WHERE country = $1 AND tax_category = $2 FOR UPDATE",
    )
    .bind::<Text, _>(country)
    .bind::<Text, _>(category)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn upsert_rule(
    conn: &mut Conn,
    country: &str,
    category: &str,
    rate: Decimal,
) -> diesel::QueryResult<RuleRow> {
    diesel::sql_query(
        "INSERT INTO tax_rules (country, tax_category, rate) VALUES ($1, $2, $3) \
         ON CONFLICT (country, tax_category) DO UPDATE SET rate = EXCLUDED.rate, updated_at = now() \
         RETURNING country, tax_category, rate, updated_at",
    )
    .bind::<Text, _>(country)
    .bind::<Text, _>(category)
    .bind::<Numeric, _>(rate)
    .cached()
    .get_result(conn)
    .await
}

/// Every rule, by country and category.
pub async fn rules(conn: &mut Conn) -> diesel::QueryResult<Vec<RuleRow>> {
    diesel::sql_query(
        "SELECT country, tax_category, rate, updated_at FROM tax_rules ORDER BY country, tax_category",
    )
    .cached()
    .load(conn)
    .await
}

/// The rules of one destination, as the tax rules take them.
pub async fn rules_for(conn: &mut Conn, country: &str) -> diesel::QueryResult<Vec<RateRule>> {
    let rows: Vec<RuleRow> = diesel::sql_query(
        "SELECT country, tax_category, rate, updated_at FROM tax_rules WHERE country = $1",
    )
    .bind::<Text, _>(country)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RateRule {
            country: r.country,
            tax_category: r.tax_category,
            rate: r.rate.normalize(),
        })
        .collect())
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ProductTaxRow {
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub tax_category: String,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl ProductTaxRow {
    pub fn view(&self) -> ProductTaxView {
        ProductTaxView {
            sku: self.sku.clone(),
            tax_category: self.tax_category.clone(),
            updated_at: self.updated_at,
        }
    }
}

pub async fn product_tax(conn: &mut Conn, sku: &str) -> diesel::QueryResult<Option<ProductTaxRow>> {
    diesel::sql_query(
        "SELECT sku, tax_category, updated_at FROM product_tax_categories WHERE sku = $1 FOR UPDATE",
    )
    .bind::<Text, _>(sku)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn upsert_product_tax(
    conn: &mut Conn,
    sku: &str,
    category: &str,
) -> diesel::QueryResult<ProductTaxRow> {
    diesel::sql_query(
        "INSERT INTO product_tax_categories (sku, tax_category) VALUES ($1, $2) \
         ON CONFLICT (sku) DO UPDATE SET tax_category = EXCLUDED.tax_category, updated_at = now() \
         RETURNING sku, tax_category, updated_at",
    )
    .bind::<Text, _>(sku)
    .bind::<Text, _>(category)
    .cached()
    .get_result(conn)
    .await
}

/// Tax categories of `skus` (those given one; the rest are `standard`).
pub async fn categories(
    conn: &mut Conn,
    skus: &[String],
) -> diesel::QueryResult<HashMap<String, String>> {
    let rows: Vec<ProductTaxRow> = diesel::sql_query(
        "SELECT sku, tax_category, updated_at FROM product_tax_categories WHERE sku = ANY($1)",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.sku, r.tax_category)).collect())
}
