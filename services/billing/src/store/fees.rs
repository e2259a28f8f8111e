//! Fee schedules per channel (effective-dated), products' fee categories,
//! and the fees accrued per shipment that settlements true up.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, Date, Jsonb, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::billing::{FeeScheduleView, ProductFeeView};
use domain::{Currency, Money};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::corrupt;
use crate::domain::fees::Schedule;

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ScheduleRow {
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Date)]
    pub effective_from: NaiveDate,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Numeric)]
    pub default_commission: Decimal,
    #[diesel(sql_type = Jsonb)]
    pub commissions: serde_json::Value,
    #[diesel(sql_type = Numeric)]
    pub per_order: Decimal,
    #[diesel(sql_type = Numeric)]
    pub per_unit_fulfillment: Decimal,
    #[diesel(sql_type = Numeric)]
    pub payment_percent: Decimal,
    #[diesel(sql_type = Numeric)]
    pub payment_fixed: Decimal,
    #[diesel(sql_type = Numeric)]
    pub refund_admin_percent: Decimal,
    #[diesel(sql_type = diesel::sql_types::Nullable<Numeric>)]
    pub refund_admin_max: Option<Decimal>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl ScheduleRow {
    pub fn schedule(&self) -> Result<Schedule, ApiError> {
        let commissions: BTreeMap<String, String> =
            serde_json::from_value(self.commissions.clone())
                .map_err(|_| corrupt("commissions", "json"))?;
        Ok(Schedule {
            currency: self
                .currency
                .parse()
                .map_err(|_| corrupt("currency", &self.currency))?,
            default_commission: self.default_commission,
            commissions: commissions
                .into_iter()
                .map(|(k, v)| Ok((k, v.parse().map_err(|_| corrupt("commission", &v))?)))
                .collect::<Result<_, ApiError>>()?,
            per_order: self.per_order,
            per_unit_fulfillment: self.per_unit_fulfillment,
            payment_percent: self.payment_percent,
            payment_fixed: self.payment_fixed,
            refund_admin_percent: self.refund_admin_percent,
            refund_admin_max: self.refund_admin_max,
        })
    }

    pub fn view(&self) -> Result<FeeScheduleView, ApiError> {
        let s = self.schedule()?;
        let money = |amount: Decimal| {
            Money {
                amount,
                currency: s.currency,
            }
            .canonical()
        };
        Ok(FeeScheduleView {
            channel_id: self.channel_id.clone(),
            effective_from: self.effective_from,
            currency: s.currency,
            default_commission_percent: s.default_commission.normalize(),
            commission_percent_by_category: s
                .commissions
                .iter()
                .map(|(k, v)| (k.clone(), v.normalize().to_string()))
                .collect(),
            per_order_fee: money(s.per_order),
            per_unit_fulfillment_fee: money(s.per_unit_fulfillment),
            payment_percent: s.payment_percent.normalize(),
            payment_fixed_fee: money(s.payment_fixed),
            refund_admin_percent: s.refund_admin_percent.normalize(),
            refund_admin_max_fee: s.refund_admin_max.map(money),
            updated_at: self.updated_at,
        })
    }
}

const COLUMNS: &str = "channel_id, effective_from, currency, default_commission, commissions, per_order, \
    per_unit_fulfillment, payment_percent, payment_fixed, refund_admin_percent, refund_admin_max, updated_at";

pub async fn get(
    conn: &mut Conn,
    channel_id: &str,
    from: NaiveDate,
) -> diesel::QueryResult<Option<ScheduleRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM fee_schedules WHERE channel_id = $1 AND effective_from = $2 FOR UPDATE"
    ))
    .bind::<Text, _>(channel_id)
    .bind::<Date, _>(from)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn upsert(
    conn: &mut Conn,
    channel_id: &str,
    from: NaiveDate,
    s: &Schedule,
) -> diesel::QueryResult<ScheduleRow> {
    let commissions: BTreeMap<&String, String> = s
        .commissions
        .iter()
        .map(|(k, v)| (k, v.normalize().to_string()))
        .collect();
    diesel::sql_query(format!(
        "INSERT INTO fee_schedules (channel_id, effective_from, currency, default_commission, commissions, \
           per_order, per_unit_fulfillment, payment_percent, payment_fixed, refund_admin_percent, refund_admin_max) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (channel_id, effective_from) DO UPDATE SET currency = EXCLUDED.currency, \
           default_commission = EXCLUDED.default_commission, commissions = EXCLUDED.commissions, \
           per_order = EXCLUDED.per_order, per_unit_fulfillment = EXCLUDED.per_unit_fulfillment, \
           payment_percent = EXCLUDED.payment_percent, payment_fixed = EXCLUDED.payment_fixed, \
           refund_admin_percent = EXCLUDED.refund_admin_percent, \
           refund_admin_max = EXCLUDED.refund_admin_max, updated_at = now() \
         RETURNING {COLUMNS}"
    ))
    .bind::<Text, _>(channel_id)
    .bind::<Date, _>(from)
    .bind::<Text, _>(s.currency.code())
    .bind::<Numeric, _>(s.default_commission)
    .bind::<Jsonb, _>(serde_json::to_value(&commissions).expect("serializes"))
    .bind::<Numeric, _>(s.per_order)
    .bind::<Numeric, _>(s.per_unit_fulfillment)
    .bind::<Numeric, _>(s.payment_percent)
    .bind::<Numeric, _>(s.payment_fixed)
    .bind::<Numeric, _>(s.refund_admin_percent)
    .bind::<diesel::sql_types::Nullable<Numeric>, _>(s.refund_admin_max)
    .cached()
    .get_result(conn)
    .await
}

/// A channel's schedules, oldest first.
pub async fn list(conn: &mut Conn, channel_id: &str) -> diesel::QueryResult<Vec<ScheduleRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM fee_schedules WHERE channel_id = $1 ORDER BY effective_from"
    ))
    .bind::<Text, _>(channel_id)
    .cached()
    .load(conn)
    .await
}

/// The schedule in force for a channel on a day.
pub async fn effective(
    conn: &mut Conn,
    channel_id: &str,
    on: NaiveDate,
) -> diesel::QueryResult<Option<ScheduleRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM fee_schedules WHERE channel_id = $1 AND effective_from <= $2 \
         ORDER BY effective_from DESC LIMIT 1"
    ))
    .bind::<Text, _>(channel_id)
    .bind::<Date, _>(on)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ProductFeeRow {
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub fee_category: String,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl ProductFeeRow {
    pub fn view(&self) -> ProductFeeView {
        ProductFeeView {
            sku: self.sku.clone(),
            fee_category: self.fee_category.clone(),
            updated_at: self.updated_at,
        }
    }
}

pub async fn product_fee(conn: &mut Conn, sku: &str) -> diesel::QueryResult<Option<ProductFeeRow>> {
    diesel::sql_query("SELECT sku, fee_category, updated_at FROM product_fee_categories WHERE sku = $1 FOR UPDATE")
        .bind::<Text, _>(sku)
        .cached()
        .get_result(conn)
        .await
        .optional()
}

pub async fn upsert_product_fee(
    conn: &mut Conn,
    sku: &str,
    category: &str,
) -> diesel::QueryResult<ProductFeeRow> {
    diesel::sql_query(
        "INSERT INTO product_fee_categories (sku, fee_category) VALUES ($1, $2) \
         ON CONFLICT (sku) DO UPDATE SET fee_category = EXCLUDED.fee_category, updated_at = now() \
         RETURNING sku, fee_category, updated_at",
    )
    .bind::<Text, _>(sku)
    .bind::<Text, _>(category)
    .cached()
    .get_result(conn)
    .await
}

/// Fee categories of `skus` (those given one; the rest are `default`).
pub async fn categories(
    conn: &mut Conn,
    skus: &[String],
) -> diesel::QueryResult<HashMap<String, String>> {
    let rows: Vec<ProductFeeRow> = diesel::sql_query(
        "SELECT sku, fee_category, updated_at FROM product_fee_categories WHERE sku = ANY($1)",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.sku, r.fee_category)).collect())
}

/// An estimated fee to record.
pub struct Accrual<'a> {
    pub kind: &'a str,
    pub sku: &'a str,
    pub amount: Decimal,
}

pub async fn accrue(
    conn: &mut Conn,
    order_id: Uuid,
    fulfillment_id: &str,
    channel_id: &str,
    currency: Currency,
    accruals: &[Accrual<'_>],
) -> diesel::QueryResult<()> {
    let kinds: Vec<&str> = accruals.iter().map(|a| a.kind).collect();
    let skus: Vec<&str> = accruals.iter().map(|a| a.sku).collect();
    let amounts: Vec<Decimal> = accruals.iter().map(|a| a.amount).collect();
    diesel::sql_query(
        "INSERT INTO fee_accruals (order_id, fulfillment_id, channel_id, kind, sku, currency, amount) \
         SELECT $1, $2, $3, a.kind, a.sku, $4, a.amount \
           FROM unnest($5::text[], $6::text[], $7::numeric[]) AS a (kind, sku, amount)",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(fulfillment_id)
    .bind::<Text, _>(channel_id)
    .bind::<Text, _>(currency.code())
    .bind::<Array<Text>, _>(&kinds)
    .bind::<Array<Text>, _>(&skus)
    .bind::<Array<Numeric>, _>(&amounts)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes every open accrual of an order's fee kind for `settlement`: what
/// was estimated per SKU ('' for the order as a whole), now trued up.
pub async fn settle(
    conn: &mut Conn,
    order_id: Uuid,
    kind: &str,
    settlement: &str,
) -> diesel::QueryResult<Vec<(String, Decimal)>> {
    #[derive(diesel::QueryableByName)]
    struct Taken {
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = Numeric)]
        total: Decimal,
    }
    let rows: Vec<Taken> = diesel::sql_query(
        "WITH taken AS (UPDATE fee_accruals SET settlement_id = $3 \
           WHERE order_id = $1 AND kind = $2 AND settlement_id IS NULL RETURNING sku, amount) \
         SELECT sku, sum(amount) AS total FROM taken GROUP BY sku ORDER BY sku",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(kind)
    .bind::<Text, _>(settlement)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.sku, r.total)).collect())
}
