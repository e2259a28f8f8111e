//! Reorder rules per SKU × location.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::procurement::{
    ReorderRuleInput, ReorderRuleQuery, ReorderRuleView, RuleKind,
};
use domain::{LocationCode, Sku, Validator};
use platform::error::Problem;
use platform::http::{Json, check_version, etag, if_match};
use platform::{ApiError, Authorized, Runtime, audit};

use super::{Buyers, Planners};
use crate::store::{rules, skus};

fn validate(input: &ReorderRuleInput) -> Result<(), Vec<domain::FieldError>> {
    let mut v = Validator::new();
    match input.kind {
        RuleKind::MinMax => {
            match (input.min_units, input.max_units) {
                (Some(min), Some(max)) => {
                    if !(0..=1_000_000_000).contains(&min) {
                        v.push("min_units", "must be between 0 and 1000000000");
                    }
                    if !(0..=1_000_000_000).contains(&max) {
                        v.push("max_units", "must be between 0 and 1000000000");
                    } else if max < min {
                        v.push("max_units", "must be at least min_units");
                    }
                }
                (min, max) => {
                    if min.is_none() {
                        v.push("min_units", "is required for a min_max rule");
                    }
                    if max.is_none() {
                        v.push("max_units", "is required for a min_max rule");
                    }
                }
            }
            if input.service_level.is_some() {
                v.push("service_level", "applies to forecast rules only");
            }
            if input.cover_days.is_some() {
                v.push("cover_days", "applies to forecast rules only");
            }
        }
        RuleKind::Forecast => {
            if let Some(level) = input.service_level
                && !(0.5..=0.999).contains(&level)
            {
                v.push("service_level", "must be between 0.5 and 0.999");
            }
            if let Some(days) = input.cover_days
                && !(0..=365).contains(&days)
            {
                v.push("cover_days", "must be between 0 and 365");
            }
            if input.min_units.is_some() {
                v.push("min_units", "applies to min_max rules only");
            }
            if input.max_units.is_some() {
                v.push("max_units", "applies to min_max rules only");
            }
        }
    }
    v.finish()
}

/// Set how a SKU is reordered at a location: min/max, or from its forecast
/// (reorder point = demand over the supplier's lead time + safety stock at
/// the service level; order up to that plus `cover_days` of demand).
#[utoipa::path(
    put, path = "/v1/reorder-rules/{sku}/{location}", tag = "replenishment",
    request_body = ReorderRuleInput,
    params(
        ("sku" = Sku, Path),
        ("location" = LocationCode, Path, description = "Destination location code"),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Replace only this version"),
    ),
    responses(
        (status = 201, description = "Created", body = ReorderRuleView, headers(("ETag" = String))),
        (status = 200, description = "Replaced", body = ReorderRuleView, headers(("ETag" = String))),
        (status = 404, description = "The SKU is not in the catalog", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    Json(input): Json<ReorderRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let (sku, location) = path.into_inner();
    let mut v = Validator::new();
    let sku = v.check("sku", sku.parse::<Sku>());
    let location = v.check("location", location.parse::<LocationCode>());
    v.finish()?;
    validate(&input)?;
    let (sku, location) = (
        sku.expect("validated").to_string(),
        location.expect("validated").to_string(),
    );
    let expected = if_match(&req)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let (row, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            skus::require_known(tx, &sku).await?;
            let before = rules::get(tx, &sku, &location).await?;
            if let Some(expected) = expected {
                let current = before.as_ref().ok_or_else(|| {
                    ApiError::NotFound(format!("no reorder rule for {sku} at {location}"))
                })?;
                check_version(Some(expected), current.version, "the rule")?;
            }
            let row = rules::upsert(tx, &sku, &location, &input, &actor).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "reorder_rule",
                    entity_id: &format!("{sku}/{location}"),
                    action: if before.is_none() {
                        "created"
                    } else {
                        "replaced"
                    },
                    before: before
                        .as_ref()
                        .map(|b| b.view())
                        .transpose()?
                        .map(|v| audit::snapshot(&v)),
                    after: Some(audit::snapshot(&row.view()?)),
                },
            )
            .await?;
            Ok((row, before.is_none()))
        })
        .await?;
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// A SKU's reorder rule at a location.
#[utoipa::path(
    get, path = "/v1/reorder-rules/{sku}/{location}", tag = "replenishment",
    params(("sku" = Sku, Path), ("location" = LocationCode, Path)),
    responses(
        (status = 200, body = ReorderRuleView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (sku, location) = path.into_inner();
    let sku = sku.trim().to_ascii_uppercase();
    let mut conn = rt.conn().await?;
    let row = rules::get(&mut conn, &sku, &location)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no reorder rule for {sku} at {location}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// Reorder rules, of one SKU or location or all (at most 10,000).
#[utoipa::path(
    get, path = "/v1/reorder-rules", tag = "replenishment",
    params(ReorderRuleQuery),
    responses(
        (status = 200, body = Vec<ReorderRuleView>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    query: web::Query<ReorderRuleQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let sku = query
        .sku
        .as_deref()
        .and_then(|s| v.check("sku", s.parse::<Sku>()))
        .map(|s| s.to_string());
    let location = query
        .location
        .as_deref()
        .and_then(|l| v.check("location", l.parse::<LocationCode>()))
        .map(|l| l.to_string());
    v.finish()?;
    let mut conn = rt.conn().await?;
    let views = rules::list(&mut conn, sku.as_deref(), location.as_deref())
        .await?
        .iter()
        .map(|r| r.view())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(views))
}
