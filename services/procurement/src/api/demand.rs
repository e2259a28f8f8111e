//! Demand history: the CSV import and the daily view.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use diesel_async::AsyncConnection;
use domain::contracts::procurement::{DemandDayView, DemandImportView, DemandQuery, DemandView};
use domain::{ChannelId, FieldError, Sku, Validator};
use platform::error::Problem;
use platform::{ApiError, Authorized, Runtime, audit};

use super::{Buyers, Planners};
use crate::domain::history_csv::{self, CsvError};
use crate::events::background::FORECASTS_DUE;
use crate::store::{demand, skus};

/// The longest range one read returns.
const MAX_RANGE_DAYS: i64 = 1096;

fn file_errors(errors: Vec<CsvError>) -> ApiError {
    ApiError::Validation(
        errors
            .into_iter()
            .map(|e| FieldError::in_file(e.field, e.line, e.column as u64, e.message))
            .collect(),
    )
}

/// Import daily demand history from CSV (columns `sku`, `channel`, `date`,
/// `quantity`, in any order, with a header row; RFC 4180 quoting, UTF-8,
/// an optional BOM). The whole file is checked first: any bad row is a 422
/// naming its line and column and nothing is applied. Otherwise every SKU ×
/// channel × day in the file replaces what that day held, in one
/// transaction, so importing the same file twice changes nothing the second
/// time. The SKUs' forecasts are recomputed in the background.
#[utoipa::path(
    post, path = "/v1/demand-history", tag = "demand",
    request_body(content = String, content_type = "text/csv", description = "sku,channel,date,quantity"),
    responses(
        (status = 200, description = "Applied", body = DemandImportView),
        (status = 413, description = "Larger than the body limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad rows, each named by line and column; nothing applied", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let is_csv = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/csv"));
    if !is_csv {
        return Err(ApiError::UnsupportedMediaType(
            "Content-Type must be text/csv".into(),
        ));
    }
    let today = Utc::now().date_naive();
    // Parsing a large file is CPU work: off the async workers.
    let rows = web::block(move || {
        history_csv::parse(&body, today).map(|mut rows| {
            // In key order: every writer locks demand rows in one order.
            rows.sort_by(|a, b| (&a.sku, &a.channel, a.date).cmp(&(&b.sku, &b.channel, b.date)));
            rows
        })
    })
    .await
    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?
    .map_err(file_errors)?;
    let mut distinct: Vec<String> = rows.iter().map(|r| r.sku.to_string()).collect();
    distinct.sort();
    distinct.dedup();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let unknown = skus::unknown(tx, &distinct).await?;
            if !unknown.is_empty() {
                return Err(file_errors(history_csv::unknown_skus(&rows, &unknown)));
            }
            let written = demand::import(tx, &rows).await?;
            let view = DemandImportView {
                rows: rows.len() as i64,
                days_written: written,
                skus: distinct.len() as i64,
                first_date: rows.iter().map(|r| r.date).min(),
                last_date: rows.iter().map(|r| r.date).max(),
            };
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "demand_history",
                    entity_id: "import",
                    action: "imported",
                    before: None,
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok(view)
        })
        .await?;
    rt.waker(FORECASTS_DUE).notify_one();
    Ok(HttpResponse::Ok().json(view))
}

/// A SKU's daily demand over a range (every day, zero days included), for
/// one channel or all, with stock-out days flagged.
#[utoipa::path(
    get, path = "/v1/demand/{sku}", tag = "demand",
    params(("sku" = Sku, Path), DemandQuery),
    responses(
        (status = 200, body = DemandView),
        (status = 422, description = "A bad SKU, channel or range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    sku: web::Path<String>,
    query: web::Query<DemandQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let sku = v.check("sku", sku.parse::<Sku>());
    if let Some(c) = &query.channel {
        v.check("channel", c.parse::<ChannelId>());
    }
    let to = query.to.unwrap_or_else(|| Utc::now().date_naive());
    let from = query.from.unwrap_or(to - Duration::days(89));
    if from > to {
        v.push("from", "must not be after to");
    } else if (to - from).num_days() >= MAX_RANGE_DAYS {
        v.push(
            "from",
            format!("the range is at most {MAX_RANGE_DAYS} days"),
        );
    }
    v.finish()?;
    let sku = sku.expect("validated").to_string();
    let mut conn = rt.conn().await?;
    let (recorded, stock_outs) = platform::snapshot!(conn, |tx| {
        let recorded = demand::recorded(tx, &sku, query.channel.as_deref(), from, to).await?;
        let stock_outs = demand::stock_outs(tx, &sku, from, to).await?;
        Ok::<_, ApiError>((recorded, stock_outs))
    })?;
    let mut per_day = std::collections::HashMap::new();
    for days in recorded.values() {
        for (day, q) in days {
            *per_day.entry(*day).or_insert(0i64) += q;
        }
    }
    let days: Vec<DemandDayView> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| DemandDayView {
            date,
            quantity: per_day.get(&date).copied().unwrap_or(0),
            stock_out: stock_outs.contains(&date),
        })
        .collect();
    Ok(HttpResponse::Ok().json(DemandView {
        sku,
        channel_id: query.channel.clone(),
        from,
        to,
        total: days.iter().map(|d| d.quantity).sum(),
        days,
    }))
}
