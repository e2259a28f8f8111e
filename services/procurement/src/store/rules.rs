//! Reorder rules per SKU × location, and the stock-level projection they
//! are applied to.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use domain::contracts::procurement::{ReorderRuleInput, ReorderRuleView, RuleKind};
use platform::ApiError;
use platform::db::{CachedExt, Conn};

use super::corrupt;
use crate::domain::replenishment::Rule;

/// The default cycle service level of a forecast rule.
pub const DEFAULT_SERVICE_LEVEL: f64 = 0.95;
/// The default cover of a forecast rule, in days.
pub const DEFAULT_COVER_DAYS: i32 = 14;

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct RuleRow {
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub location_code: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub min_units: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub max_units: Option<i64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub service_level: Option<f64>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub cover_days: Option<i32>,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl RuleRow {
    pub fn kind(&self) -> Result<RuleKind, ApiError> {
        RuleKind::parse(&self.kind).ok_or_else(|| corrupt("rule kind", &self.kind))
    }

    /// The rule as the replenishment rules read it.
    pub fn rule(&self) -> Result<Rule, ApiError> {
        Ok(match self.kind()? {
            RuleKind::MinMax => Rule::MinMax {
                min: self.min_units.unwrap_or(0),
                max: self.max_units.unwrap_or(0),
            },
            RuleKind::Forecast => Rule::Forecast {
                service_level: self.service_level.unwrap_or(DEFAULT_SERVICE_LEVEL),
                cover_days: f64::from(self.cover_days.unwrap_or(DEFAULT_COVER_DAYS)),
            },
        })
    }

    pub fn view(&self) -> Result<ReorderRuleView, ApiError> {
        Ok(ReorderRuleView {
            sku: self.sku.clone(),
            location_code: self.location_code.clone(),
            kind: self.kind()?,
            min_units: self.min_units,
            max_units: self.max_units,
            service_level: self.service_level,
            cover_days: self.cover_days,
            active: self.active,
            version: self.version,
            updated_at: self.updated_at,
        })
    }
}

const RULE_COLUMNS: &str = "sku, location_code, kind, min_units, max_units, service_level, \
    cover_days, active, version, updated_at";

pub async fn get(
    conn: &mut Conn,
    sku: &str,
    location: &str,
) -> diesel::QueryResult<Option<RuleRow>> {
    diesel::sql_query(format!(
        "SELECT {RULE_COLUMNS} FROM reorder_rules WHERE sku = $1 AND location_code = $2"
    ))
    .bind::<Text, _>(sku)
    .bind::<Text, _>(location)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// Rules, optionally of one SKU or location, in (SKU, location) order.
pub async fn list(
    conn: &mut Conn,
    sku: Option<&str>,
    location: Option<&str>,
) -> diesel::QueryResult<Vec<RuleRow>> {
    diesel::sql_query(format!(
        "SELECT {RULE_COLUMNS} FROM reorder_rules \
         WHERE ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR location_code = $2) \
         ORDER BY sku, location_code LIMIT 10000"
    ))
    .bind::<Nullable<Text>, _>(sku)
    .bind::<Nullable<Text>, _>(location)
    .cached()
    .load(conn)
    .await
}

/// Every active rule, in (SKU, location) order: what a run works through.
pub async fn active(conn: &mut Conn) -> diesel::QueryResult<Vec<RuleRow>> {
    diesel::sql_query(format!(
        "SELECT {RULE_COLUMNS} FROM reorder_rules WHERE active ORDER BY sku, location_code"
    ))
    .cached()
    .load(conn)
    .await
}

/// Creates or replaces a rule (bumping the version); the input is validated.
pub async fn upsert(
    conn: &mut Conn,
    sku: &str,
    location: &str,
    input: &ReorderRuleInput,
    actor: &str,
) -> diesel::QueryResult<RuleRow> {
    let (min, max, level, cover) = match input.kind {
        RuleKind::MinMax => (input.min_units, input.max_units, None, None),
        RuleKind::Forecast => (
            None,
            None,
            Some(input.service_level.unwrap_or(DEFAULT_SERVICE_LEVEL)),
            Some(input.cover_days.unwrap_or(DEFAULT_COVER_DAYS)),
        ),
    };
    diesel::sql_query(format!(
        "INSERT INTO reorder_rules (sku, location_code, kind, min_units, max_units, \
           service_level, cover_days, active, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (sku, location_code) DO UPDATE SET kind = EXCLUDED.kind, \
           min_units = EXCLUDED.min_units, max_units = EXCLUDED.max_units, \
           service_level = EXCLUDED.service_level, cover_days = EXCLUDED.cover_days, \
           active = EXCLUDED.active, updated_by = EXCLUDED.updated_by, \
           version = reorder_rules.version + 1, updated_at = now() \
         RETURNING {RULE_COLUMNS}"
    ))
    .bind::<Text, _>(sku)
    .bind::<Text, _>(location)
    .bind::<Text, _>(input.kind.as_str())
    .bind::<Nullable<BigInt>, _>(min)
    .bind::<Nullable<BigInt>, _>(max)
    .bind::<Nullable<Double>, _>(level)
    .bind::<Nullable<Integer>, _>(cover)
    .bind::<Bool, _>(input.active)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await
}

/// One SKU × location's stock level as inventory last published it.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct LevelRow {
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub location_code: String,
    #[diesel(sql_type = Integer)]
    pub location_priority: i32,
    #[diesel(sql_type = BigInt)]
    pub on_hand: i64,
    #[diesel(sql_type = BigInt)]
    pub reserved: i64,
    #[diesel(sql_type = BigInt)]
    pub backordered: i64,
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
}

/// Applies a StockLevelChanged over an older one (redeliveries and
/// reordering leave the newer figure).
pub async fn apply_level(conn: &mut Conn, l: &LevelRow) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO stock_levels (sku, location_code, location_priority, on_hand, reserved, \
           backordered, seq) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (sku, location_code) DO UPDATE SET \
           location_priority = EXCLUDED.location_priority, on_hand = EXCLUDED.on_hand, \
           reserved = EXCLUDED.reserved, backordered = EXCLUDED.backordered, seq = EXCLUDED.seq \
         WHERE stock_levels.seq < EXCLUDED.seq",
    )
    .bind::<Text, _>(&l.sku)
    .bind::<Text, _>(&l.location_code)
    .bind::<Integer, _>(l.location_priority)
    .bind::<BigInt, _>(l.on_hand)
    .bind::<BigInt, _>(l.reserved)
    .bind::<BigInt, _>(l.backordered)
    .bind::<BigInt, _>(l.seq)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Every stock level, in (SKU, location) order.
pub async fn levels(conn: &mut Conn) -> diesel::QueryResult<Vec<LevelRow>> {
    diesel::sql_query(
        "SELECT sku, location_code, location_priority, on_hand, reserved, backordered, seq \
         FROM stock_levels ORDER BY sku, location_code",
    )
    .cached()
    .load(conn)
    .await
}
