//! The channel registry.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Numeric, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use domain::contracts::orders::{BackorderPolicy, ChannelInput, ChannelView};
use domain::{ChannelKind, Money};
use platform::ApiError;
use platform::db::CachedExt;
use platform::db::Conn;
use rust_decimal::Decimal;

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ChannelRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Text)]
    pub backorder_policy: String,
    #[diesel(sql_type = Array<Text>)]
    pub ship_from: Vec<String>,
    #[diesel(sql_type = Integer)]
    pub priority: i32,
    #[diesel(sql_type = BigInt)]
    pub safety_buffer_units: i64,
    #[diesel(sql_type = Integer)]
    pub safety_buffer_percent: i32,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub fraud_threshold: Option<Decimal>,
    #[diesel(sql_type = Nullable<Text>)]
    pub webhook_url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub webhook_secret: Option<String>,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

fn corrupt(what: &str, value: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!("stored {what} '{value}' is invalid"))
}

impl ChannelRow {
    pub fn currency(&self) -> Result<domain::Currency, ApiError> {
        self.currency
            .parse()
            .map_err(|_| corrupt("currency", &self.currency))
    }

    pub fn policy(&self) -> Result<BackorderPolicy, ApiError> {
        BackorderPolicy::parse(&self.backorder_policy)
            .ok_or_else(|| corrupt("policy", &self.backorder_policy))
    }

    pub fn fraud_threshold(&self) -> Result<Option<Money>, ApiError> {
        let currency = self.currency()?;
        Ok(self
            .fraud_threshold
            .map(|amount| Money { amount, currency }.canonical()))
    }

    pub fn view(&self) -> Result<ChannelView, ApiError> {
        Ok(ChannelView {
            id: self
                .id
                .parse()
                .map_err(|_| corrupt("channel id", &self.id))?,
            kind: serde_json::from_value::<ChannelKind>(serde_json::Value::String(
                self.kind.clone(),
            ))
            .map_err(|_| corrupt("kind", &self.kind))?,
            name: self.name.clone(),
            currency: self.currency()?,
            backorder_policy: self.policy()?,
            ship_from: self.ship_from.clone(),
            priority: self.priority,
            safety_buffer_units: self.safety_buffer_units,
            safety_buffer_percent: self.safety_buffer_percent,
            fraud_threshold: self.fraud_threshold()?,
            webhook_url: self.webhook_url.clone(),
            webhook_secret_set: self.webhook_secret.is_some(),
            active: self.active,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const COLUMNS: &str = "id, kind, name, currency, backorder_policy, ship_from, priority, \
    safety_buffer_units, safety_buffer_percent, fraud_threshold, webhook_url, webhook_secret, \
    active, version, created_at, updated_at";

pub async fn get(conn: &mut Conn, id: &str) -> diesel::QueryResult<Option<ChannelRow>> {
    diesel::sql_query(format!("SELECT {COLUMNS} FROM channels WHERE id = $1"))
        .bind::<Text, _>(id)
        .cached()
        .get_result(conn)
        .await
        .optional()
}

pub async fn lock(conn: &mut Conn, id: &str) -> diesel::QueryResult<Option<ChannelRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM channels WHERE id = $1 FOR UPDATE"
    ))
    .bind::<Text, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn list(conn: &mut Conn) -> diesel::QueryResult<Vec<ChannelRow>> {
    diesel::sql_query(format!("SELECT {COLUMNS} FROM channels ORDER BY id"))
        .cached()
        .load(conn)
        .await
}

fn kind_str(kind: ChannelKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Creates or replaces a channel. A missing `webhook_secret` keeps the current one.
pub async fn upsert(
    conn: &mut Conn,
    id: &str,
    input: &ChannelInput,
) -> diesel::QueryResult<ChannelRow> {
    diesel::sql_query(format!(
        "INSERT INTO channels (id, kind, name, currency, backorder_policy, ship_from, priority, \
         safety_buffer_units, safety_buffer_percent, fraud_threshold, webhook_url, webhook_secret, active) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, \
         currency = EXCLUDED.currency, backorder_policy = EXCLUDED.backorder_policy, \
         ship_from = EXCLUDED.ship_from, priority = EXCLUDED.priority, \
         safety_buffer_units = EXCLUDED.safety_buffer_units, \
         safety_buffer_percent = EXCLUDED.safety_buffer_percent, \
         fraud_threshold = EXCLUDED.fraud_threshold, webhook_url = EXCLUDED.webhook_url, \
         webhook_secret = COALESCE(EXCLUDED.webhook_secret, channels.webhook_secret), \
         active = EXCLUDED.active, version = channels.version + 1, updated_at = now() \
         RETURNING {COLUMNS}"
    ))
    .bind::<Text, _>(id)
    .bind::<Text, _>(kind_str(input.kind))
    .bind::<Text, _>(input.name.trim())
    .bind::<Text, _>(input.currency.code())
    .bind::<Text, _>(input.backorder_policy.as_str())
    .bind::<Array<Text>, _>(&input.ship_from)
    .bind::<Integer, _>(input.priority)
    .bind::<BigInt, _>(input.safety_buffer_units)
    .bind::<Integer, _>(input.safety_buffer_percent)
    .bind::<Nullable<Numeric>, _>(input.fraud_threshold.map(|m| m.amount))
    .bind::<Nullable<Text>, _>(input.webhook_url.as_deref())
    .bind::<Nullable<Text>, _>(input.webhook_secret.as_deref())
    .bind::<Bool, _>(input.active)
    .cached().get_result(conn)
    .await
}
