//! Contribution margin per order, channel, SKU and day (revenue less
//! refunds, cost of goods, channel fees as estimated and then as settled,
//! payment fees and shipping cost), as JSON or CSV; the orders sold at a loss.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use domain::Validator;
use domain::contracts::Page;
use domain::contracts::billing::{MarginGroup, MarginQuery, MarginRow};
use platform::error::Problem;
use platform::{ApiError, Authorized, Runtime};
use uuid::Uuid;

use super::settings::check_channel_id;
use super::{MarginReaders, page_limit};
use crate::store::margin::{self, Filter};

/// The longest range one read covers.
const MAX_RANGE_DAYS: i64 = 1096;

async fn read(rt: &Runtime, q: &MarginQuery) -> Result<(Vec<MarginRow>, i64), ApiError> {
    let mut v = Validator::new();
    let limit = page_limit(&mut v, q.limit);
    if q.to < q.from {
        v.push("to", "is before from");
    } else if (q.to - q.from).num_days() > MAX_RANGE_DAYS {
        v.push(
            "to",
            format!("is more than {MAX_RANGE_DAYS} days after from"),
        );
    }
    if let Some(c) = &q.channel {
        check_channel_id(&mut v, "channel", c);
    }
    let after = match q.cursor.as_deref() {
        None => None,
        Some(c) => {
            let parsed = c
                .split_once('_')
                .and_then(|(d, id)| Some((d.parse::<NaiveDate>().ok()?, id.parse::<Uuid>().ok()?)));
            if parsed.is_none() {
                v.push("cursor", "not a cursor from this API");
            }
            parsed
        }
    };
    if q.group_by != MarginGroup::Order && (q.cursor.is_some() || q.loss_only.is_some()) {
        v.push("group_by", "cursor and loss_only are for group_by=order");
    }
    v.finish()?;
    let mut conn = rt.conn().await?;
    let rows = margin::grouped(
        &mut conn,
        q.group_by,
        &Filter {
            from: q.from,
            to: q.to,
            channel: q.channel.as_deref(),
            loss_only: q.loss_only.unwrap_or(false),
            after,
            limit,
        },
    )
    .await?;
    Ok((rows, limit))
}

/// Margin grouped by order (newest first, paged; `loss_only` for the orders
/// sold at a loss), channel, SKU or day, over a range of days.
#[utoipa::path(
    get, path = "/v1/margin", tag = "margin",
    params(MarginQuery),
    responses(
        (status = 200, body = Page<MarginRow>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<MarginReaders>,
    query: web::Query<MarginQuery>,
) -> Result<HttpResponse, ApiError> {
    let (rows, limit) = read(&rt, &query).await?;
    let page = if query.group_by == MarginGroup::Order {
        Page::list(rows, limit, |r| {
            format!(
                "{}_{}",
                r.day.map(|d| d.to_string()).unwrap_or_default(),
                r.key
            )
        })
    } else {
        Page {
            items: rows,
            next_cursor: None,
        }
    };
    Ok(HttpResponse::Ok().json(page))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The same as CSV (RFC 4180; one row per group; amounts in the group's
/// currency): `key,channel_id,day,currency,revenue,refunds,cogs,channel_fees,payment_fees,shipping_cost,margin`.
#[utoipa::path(
    get, path = "/v1/margin/export", tag = "margin",
    params(MarginQuery),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export(
    rt: web::Data<Runtime>,
    _caller: Authorized<MarginReaders>,
    query: web::Query<MarginQuery>,
) -> Result<HttpResponse, ApiError> {
    let (rows, _) = read(&rt, &query).await?;
    let mut out = String::from(
        "key,channel_id,day,currency,revenue,refunds,cogs,channel_fees,payment_fees,shipping_cost,margin\r\n",
    );
    for r in &rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\r\n",
            csv_field(&r.key),
            csv_field(r.channel_id.as_deref().unwrap_or("")),
            r.day.map(|d| d.to_string()).unwrap_or_default(),
            r.margin.currency,
            r.revenue.amount,
            r.refunds.amount,
            r.cogs.amount,
            r.channel_fees.amount,
            r.payment_fees.amount,
            r.shipping_cost.amount,
            r.margin.amount,
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"margin-{}-{}-{}.csv\"",
                query.group_by, query.from, query.to
            ),
        ))
        .body(out))
}
