//! Fulfillment orders: list, read, audit history, at-risk work and lead times.

use actix_web::{HttpResponse, web};
use chrono::{Duration, Utc};
use domain::Validator;
use domain::contracts::Page;
use domain::contracts::warehouse::{
    AtRiskQuery, AtRiskView, AuditEntry, FulfillmentQuery, FulfillmentStatus, FulfillmentView,
    LeadTimeQuery, LeadTimeRow,
};
use platform::{ApiError, Authorized, Runtime};
use uuid::Uuid;

use super::{Readers, fulfillment_not_found, page_limit};
use crate::domain::{ServiceLevel, Stage, projected_ship_at};
use crate::store::{self, fulfillments};

#[utoipa::path(
    get, path = "/v1/fulfillments", tag = "fulfillments",
    params(FulfillmentQuery),
    responses(
        (status = 200, body = inline(Page<FulfillmentView>)),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    query: web::Query<FulfillmentQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Validator::new();
    let limit = page_limit(&mut v, q.limit);
    let after = platform::http::id_cursor(&mut v, q.cursor.as_deref());
    if let Some(status) = &q.status
        && FulfillmentStatus::parse(status).is_none()
    {
        v.push("status", format!("unknown status '{status}'"));
    }
    if let Some(code) = &q.location_code {
        v.check("location_code", code.parse::<domain::LocationCode>());
    }
    v.finish()?;
    let mut conn = rt.conn().await?;
    // Heads, lines and packages of the page in one snapshot.
    let items = platform::snapshot!(conn, |tx| Ok(
        fulfillments::list(tx, &q, after, limit).await?
    ))?;
    Ok(HttpResponse::Ok().json(Page::list(items, limit, |f| f.id.to_string())))
}

#[utoipa::path(
    get, path = "/v1/fulfillments/{id}", tag = "fulfillments",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = FulfillmentView),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let view = platform::snapshot!(conn, |tx| Ok(fulfillments::view(tx, id).await?))?
        .ok_or_else(|| fulfillment_not_found(id))?;
    Ok(HttpResponse::Ok().json(view))
}

/// Everything done to a fulfillment, by whom and when.
#[utoipa::path(
    get, path = "/v1/fulfillments/{id}/history", tag = "fulfillments",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<AuditEntry>),
    )
)]
pub async fn history(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    if fulfillments::get(&mut conn, id).await?.is_none() {
        return Err(fulfillment_not_found(id));
    }
    Ok(HttpResponse::Ok().json(store::audit_of(&mut conn, id).await?))
}

/// Work that will miss its ship-by time at the current pace: each remaining
/// stage is projected at its mean duration at that location over the last
/// hour (the channel's target where nothing finished), and open work waits
/// its turn in the queue at the recent picking rate. Most late first.
#[utoipa::path(
    get, path = "/v1/fulfillments/at-risk", tag = "fulfillments",
    params(AtRiskQuery),
    responses(
        (status = 200, body = Vec<AtRiskView>),
    )
)]
pub async fn at_risk(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    query: web::Query<AtRiskQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Validator::new();
    if let Some(code) = &q.location_code {
        v.check("location_code", code.parse::<domain::LocationCode>());
    }
    if let Some(channel) = &q.channel_id {
        v.check("channel_id", channel.parse::<domain::ChannelId>());
    }
    v.finish()?;
    let mut conn = rt.conn().await?;
    let work = fulfillments::in_progress(
        &mut conn,
        q.location_code.as_deref(),
        q.channel_id.as_deref(),
    )
    .await?;
    let pace = fulfillments::pace(&mut conn).await?;
    let targets = store::all_targets(&mut conn).await?;
    let default_targets = ServiceLevel::default().targets;
    let now = Utc::now();
    // Position of each open fulfillment in its location's queue (by ship-by).
    let mut queued: std::collections::HashMap<&str, i64> = Default::default();
    let mut out = Vec::new();
    for f in &work {
        let status = f.status();
        let p = pace.get(&f.location_code).cloned().unwrap_or_default();
        let mut wait = 0.0;
        if status == FulfillmentStatus::Open {
            let position = queued.entry(f.location_code.as_str()).or_insert(0);
            *position += 1;
            if p.picked_last_hour > 0 {
                // Everything ahead of it is picked at the recent rate first.
                wait = (*position as f64) * 3600.0 / p.picked_last_hour as f64;
            }
        }
        let stage_pace = |s: Stage| match s {
            Stage::Release => p
                .release
                .map(|r| r.max(wait))
                .or((wait > 0.0).then_some(wait)),
            Stage::Pick => p.pick,
            Stage::Pack => p.pack,
            Stage::Ship => p.ship,
        };
        let t = targets.get(&f.channel_id).unwrap_or(&default_targets);
        let projected = projected_ship_at(now, status, stage_pace, t);
        if projected > f.ship_by {
            out.push(AtRiskView {
                fulfillment_id: f.id,
                order_id: f.order_id,
                channel_id: f.channel_id.clone(),
                location_code: f.location_code.clone(),
                status,
                ship_by: f.ship_by,
                projected_ship_at: projected,
                minutes_late: (projected - f.ship_by).num_minutes(),
            });
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.minutes_late));
    Ok(HttpResponse::Ok().json(out))
}

/// Lead times per channel over shipped fulfillments: each stage and the whole
/// confirmed → shipped, as p50/p90/max seconds, and how many shipped on time.
#[utoipa::path(
    get, path = "/v1/reports/lead-times", tag = "fulfillments",
    params(LeadTimeQuery),
    responses(
        (status = 200, body = Vec<LeadTimeRow>),
    )
)]
pub async fn lead_times(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    query: web::Query<LeadTimeQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let to = q.to.unwrap_or_else(Utc::now);
    let from = q.from.unwrap_or(to - Duration::days(7));
    let mut v = Validator::new();
    if from >= to {
        v.push("from", "must be before 'to'");
    }
    if let Some(code) = &q.location_code {
        v.check("location_code", code.parse::<domain::LocationCode>());
    }
    v.finish()?;
    let mut conn = rt.conn().await?;
    let rows = fulfillments::lead_times(&mut conn, from, to, q.location_code.as_deref()).await?;
    Ok(HttpResponse::Ok().json(rows))
}
