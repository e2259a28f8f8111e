//! Forecasts as the background job computed them, and how they are made.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use diesel_async::AsyncConnection;
use domain::contracts::procurement::{
    BacktestView, DemandClass, ForecastDayView, ForecastMethod, ForecastQuery,
    ForecastSettingsInput, ForecastView,
};
use domain::{ChannelId, Sku, Validator};
use platform::error::Problem;
use platform::http::{Json, check_version, etag, if_match};
use platform::{ApiError, Authorized, Runtime, audit};

use super::{Buyers, Planners};
use crate::events::background::FORECASTS_DUE;
use crate::store::corrupt;
use crate::store::demand;
use crate::store::forecasts::{self, ForecastRow};

fn view_of(row: ForecastRow, channels: Vec<String>) -> Result<ForecastView, ApiError> {
    let class = row
        .class
        .as_deref()
        .map(|c| DemandClass::parse(c).ok_or_else(|| corrupt("demand class", c)))
        .transpose()?;
    let method =
        ForecastMethod::parse(&row.method).ok_or_else(|| corrupt("method", &row.method))?;
    let days: Vec<ForecastDayView> = row
        .point
        .iter()
        .zip(&row.lower_bound)
        .zip(&row.upper_bound)
        .enumerate()
        .map(|(i, ((point, lower), upper))| ForecastDayView {
            date: row.first_date + Duration::days(i as i64),
            point: *point,
            lower: *lower,
            upper: *upper,
        })
        .collect();
    Ok(ForecastView {
        sku: row.sku,
        channel_id: (!row.channel_id.is_empty()).then_some(row.channel_id),
        channels,
        computed_at: row.computed_at,
        history_days: row.history_days,
        stock_out_days: row.stock_out_days,
        class,
        adi: row.adi,
        cv2: row.cv2,
        method,
        reason: row.reason,
        level: row.level,
        backtest: BacktestView {
            folds: row.folds,
            mase: row.mase,
            rmsse: row.rmsse,
            bias: row.bias,
        },
        total: days.iter().map(|d| d.point).sum(),
        days,
    })
}

/// A SKU's forecast, total or for one channel: daily expected units with a
/// prediction interval from today, the demand class, the method chosen and
/// why, and that method's backtest accuracy on the SKU's own history.
/// Computed in the background (daily, and after an import); 404 until the
/// SKU has a whole day of history and the job has run.
#[utoipa::path(
    get, path = "/v1/forecasts/{sku}", tag = "forecasts",
    params(("sku" = Sku, Path), ForecastQuery),
    responses(
        (status = 200, body = ForecastView),
        (status = 404, description = "No forecast yet for the SKU (or channel)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    sku: web::Path<String>,
    query: web::Query<ForecastQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let sku = v.check("sku", sku.parse::<Sku>());
    if let Some(c) = &query.channel {
        v.check("channel", c.parse::<ChannelId>());
    }
    v.finish()?;
    let sku = sku.expect("validated").to_string();
    let channel = query.channel.clone().unwrap_or_default();
    let mut conn = rt.conn().await?;
    let (row, channels, first_day) = platform::snapshot!(conn, |tx| {
        let row = forecasts::load(tx, &sku, &channel).await?;
        let channels = forecasts::channels(tx, &sku).await?;
        let first_day = demand::first_day(tx, &sku).await?;
        Ok::<_, ApiError>((row, channels, first_day))
    })?;
    let Some(row) = row else {
        return Err(ApiError::NotFound(
            match (first_day, query.channel.as_deref()) {
                (None, _) => format!("SKU {sku} has no demand history"),
                (Some(_), Some(c)) if !channels.is_empty() => {
                    format!("SKU {sku} has no demand on channel {c} to forecast")
                }
                (Some(day), _) => format!(
                    "SKU {sku}'s history starts {day}: its forecast is computed once a whole day has passed"
                ),
            },
        ));
    };
    Ok(HttpResponse::Ok().json(view_of(row, channels)?))
}

/// How forecasts are made: horizon, interval coverage, history read.
#[utoipa::path(
    get, path = "/v1/forecast-settings", tag = "forecasts",
    responses((status = 200, body = domain::contracts::procurement::ForecastSettingsView, headers(("ETag" = String))))
)]
pub async fn settings(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let row = forecasts::settings(&mut conn, false).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()))
}

/// Change how forecasts are made; every forecast is recomputed in the
/// background (the forecaster sees the new version).
#[utoipa::path(
    put, path = "/v1/forecast-settings", tag = "forecasts",
    request_body = ForecastSettingsInput,
    params(("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Replace only this version")),
    responses(
        (status = 200, body = domain::contracts::procurement::ForecastSettingsView, headers(("ETag" = String))),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_settings(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    req: HttpRequest,
    Json(input): Json<ForecastSettingsInput>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    if !(7..=365).contains(&input.horizon_days) {
        v.push("horizon_days", "must be between 7 and 365");
    }
    if !(0.5..=0.99).contains(&input.interval_level) {
        v.push("interval_level", "must be between 0.5 and 0.99");
    }
    if !(28..=1096).contains(&input.max_history_days) {
        v.push("max_history_days", "must be between 28 and 1096");
    }
    v.finish()?;
    let expected = if_match(&req)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let before = forecasts::settings(tx, true).await?;
            check_version(expected, before.version, "the settings")?;
            let row = forecasts::update_settings(tx, &input, &actor).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "forecast_settings",
                    entity_id: "forecast_settings",
                    action: "replaced",
                    before: Some(audit::snapshot(&before.view())),
                    after: Some(audit::snapshot(&row.view())),
                },
            )
            .await?;
            Ok(row)
        })
        .await?;
    rt.waker(FORECASTS_DUE).notify_one();
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()))
}
