//! Computed forecasts (per SKU, total and per channel) and the settings they
//! are computed with.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Date, Double, Integer, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use domain::contracts::procurement::{ForecastSettingsInput, ForecastSettingsView};
use platform::db::{CachedExt, Conn};

/// A stored forecast; `channel_id` is empty for the SKU's total.
#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct ForecastRow {
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Timestamptz)]
    pub computed_at: DateTime<Utc>,
    #[diesel(sql_type = Date)]
    pub first_date: NaiveDate,
    #[diesel(sql_type = Integer)]
    pub history_days: i32,
    #[diesel(sql_type = Integer)]
    pub stock_out_days: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub class: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    pub adi: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub cv2: Option<f64>,
    #[diesel(sql_type = Text)]
    pub method: String,
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Double)]
    pub level: f64,
    #[diesel(sql_type = Array<Double>)]
    pub point: Vec<f64>,
    #[diesel(sql_type = Array<Double>)]
    pub lower_bound: Vec<f64>,
    #[diesel(sql_type = Array<Double>)]
    pub upper_bound: Vec<f64>,
    #[diesel(sql_type = Integer)]
    pub folds: i32,
    #[diesel(sql_type = Nullable<Double>)]
    pub mase: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub rmsse: Option<f64>,
    #[diesel(sql_type = Double)]
    pub bias: f64,
}

const FORECAST_COLUMNS: &str = "sku, channel_id, computed_at, first_date, history_days, \
    stock_out_days, class, adi, cv2, method, reason, level, point, lower_bound, upper_bound, \
    folds, mase, rmsse, bias";

pub async fn upsert(conn: &mut Conn, f: &ForecastRow) -> diesel::QueryResult<()> {
    diesel::sql_query(format!(
        "INSERT INTO forecasts ({FORECAST_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
         ON CONFLICT (sku, channel_id) DO UPDATE SET computed_at = EXCLUDED.computed_at, \
           first_date = EXCLUDED.first_date, history_days = EXCLUDED.history_days, \
           stock_out_days = EXCLUDED.stock_out_days, class = EXCLUDED.class, adi = EXCLUDED.adi, \
           cv2 = EXCLUDED.cv2, method = EXCLUDED.method, reason = EXCLUDED.reason, \
           level = EXCLUDED.level, point = EXCLUDED.point, lower_bound = EXCLUDED.lower_bound, \
           upper_bound = EXCLUDED.upper_bound, folds = EXCLUDED.folds, mase = EXCLUDED.mase, \
           rmsse = EXCLUDED.rmsse, bias = EXCLUDED.bias"
    ))
    .bind::<Text, _>(&f.sku)
    .bind::<Text, _>(&f.channel_id)
    .bind::<Timestamptz, _>(f.computed_at)
    .bind::<Date, _>(f.first_date)
    .bind::<Integer, _>(f.history_days)
    .bind::<Integer, _>(f.stock_out_days)
    .bind::<Nullable<Text>, _>(&f.class)
    .bind::<Nullable<Double>, _>(f.adi)
    .bind::<Nullable<Double>, _>(f.cv2)
    .bind::<Text, _>(&f.method)
    .bind::<Text, _>(&f.reason)
    .bind::<Double, _>(f.level)
    .bind::<Array<Double>, _>(&f.point)
    .bind::<Array<Double>, _>(&f.lower_bound)
    .bind::<Array<Double>, _>(&f.upper_bound)
    .bind::<Integer, _>(f.folds)
    .bind::<Nullable<Double>, _>(f.mase)
    .bind::<Nullable<Double>, _>(f.rmsse)
    .bind::<Double, _>(f.bias)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Drops a SKU's forecasts for channels no longer in its history window.
pub async fn retain_channels(
    conn: &mut Conn,
    sku: &str,
    channels: &[String],
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM forecasts WHERE sku = $1 AND channel_id <> '' \
         AND NOT (channel_id = ANY($2::text[]))",
    )
    .bind::<Text, _>(sku)
    .bind::<Array<Text>, _>(channels)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// The SKU's forecast for `channel` ('' for the total).
pub async fn load(
    conn: &mut Conn,
    sku: &str,
    channel: &str,
) -> diesel::QueryResult<Option<ForecastRow>> {
    diesel::sql_query(format!(
        "SELECT {FORECAST_COLUMNS} FROM forecasts WHERE sku = $1 AND channel_id = $2"
    ))
    .bind::<Text, _>(sku)
    .bind::<Text, _>(channel)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

#[derive(diesel::QueryableByName)]
struct ChannelRow {
    #[diesel(sql_type = Text)]
    channel_id: String,
}

/// The channels with their own forecast of the SKU.
pub async fn channels(conn: &mut Conn, sku: &str) -> diesel::QueryResult<Vec<String>> {
    let rows: Vec<ChannelRow> = diesel::sql_query(
        "SELECT channel_id FROM forecasts WHERE sku = $1 AND channel_id <> '' ORDER BY channel_id",
    )
    .bind::<Text, _>(sku)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.channel_id).collect())
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct SettingsRow {
    #[diesel(sql_type = Integer)]
    pub horizon_days: i32,
    #[diesel(sql_type = Double)]
    pub interval_level: f64,
    #[diesel(sql_type = Integer)]
    pub max_history_days: i32,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub updated_by: String,
}

impl SettingsRow {
    pub fn view(&self) -> ForecastSettingsView {
        ForecastSettingsView {
            horizon_days: self.horizon_days,
            interval_level: self.interval_level,
            max_history_days: self.max_history_days,
            version: self.version,
            updated_at: self.updated_at,
            updated_by: self.updated_by.clone(),
        }
    }
}

const SETTINGS_COLUMNS: &str =
    "horizon_days, interval_level, max_history_days, version, updated_at, updated_by";

/// The forecast settings; `lock` holds the row for the transaction.
pub async fn settings(conn: &mut Conn, lock: bool) -> diesel::QueryResult<SettingsRow> {
    let query = if lock {
        diesel::sql_query(format!(
            "SELECT {SETTINGS_COLUMNS} FROM forecast_settings FOR UPDATE"
        ))
    } else {
        diesel::sql_query(format!("SELECT {SETTINGS_COLUMNS} FROM forecast_settings"))
    };
    query.cached().get_result(conn).await
}

pub async fn update_settings(
    conn: &mut Conn,
    input: &ForecastSettingsInput,
    actor: &str,
) -> diesel::QueryResult<SettingsRow> {
    diesel::sql_query(format!(
        "UPDATE forecast_settings SET horizon_days = $1, interval_level = $2, \
           max_history_days = $3, version = version + 1, updated_at = now(), updated_by = $4 \
         RETURNING {SETTINGS_COLUMNS}"
    ))
    .bind::<Integer, _>(input.horizon_days)
    .bind::<Double, _>(input.interval_level)
    .bind::<Integer, _>(input.max_history_days)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await
}

/// The total forecasts of `skus`, as replenishment reads them.
pub async fn totals(
    conn: &mut Conn,
    skus: &[String],
) -> diesel::QueryResult<std::collections::HashMap<String, crate::domain::planning::DemandForecast>>
{
    #[derive(diesel::QueryableByName)]
    struct Total {
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = Array<Double>)]
        point: Vec<f64>,
        #[diesel(sql_type = Array<Double>)]
        lower_bound: Vec<f64>,
        #[diesel(sql_type = Array<Double>)]
        upper_bound: Vec<f64>,
        #[diesel(sql_type = Double)]
        level: f64,
    }
    let rows: Vec<Total> = diesel::sql_query(
        "SELECT sku, point, lower_bound, upper_bound, level FROM forecasts \
         WHERE channel_id = '' AND sku = ANY($1)",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.sku,
                crate::domain::planning::DemandForecast {
                    point: r.point,
                    lower: r.lower_bound,
                    upper: r.upper_bound,
                    level: r.level,
                },
            )
        })
        .collect())
}
