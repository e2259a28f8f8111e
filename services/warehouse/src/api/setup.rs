//! Configuration: bins and the SKUs in them, per-channel service levels and
//! quality-check rules.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::warehouse::{
    BinInput, BinQuery, BinView, QualityRuleInput, QualityRuleView, ServiceLevelInput,
    ServiceLevelView,
};
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime, audit};
use uuid::Uuid;

use super::{Planners, Readers};
use crate::domain::{valid_bin_code, validate_bin, validate_quality_rule, validate_service_level};
use crate::store::{self, bins};

fn check_location(location: &str) -> Result<(), ApiError> {
    location
        .parse::<domain::LocationCode>()
        .map(|_| ())
        .map_err(|e| ApiError::field("location", e.to_string()))
}

/// Create or replace a bin and the SKUs stocked in it. The bin code is what
/// its label's barcode encodes; pick lists follow `walk_sequence`.
#[utoipa::path(
    put, path = "/v1/locations/{location}/bins/{code}", tag = "setup",
    params(("location" = domain::LocationCode, Path), ("code" = String, Path, pattern = "^[A-Za-z0-9.-]{1,40}$")),
    request_body = BinInput,
    responses(
        (status = 200, description = "Replaced", body = BinView),
        (status = 201, description = "Created", body = BinView),
        (status = 422, description = "Invalid fields or unknown SKUs", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_bin(
    rt: web::Data<Runtime>,
    caller: Authorized<Planners>,
    path: web::Path<(String, String)>,
    Json(input): Json<BinInput>,
) -> Result<HttpResponse, ApiError> {
    let (location, code) = path.into_inner();
    check_location(&location)?;
    if !valid_bin_code(&code) {
        return Err(ApiError::field(
            "code",
            "bin codes are 1-40 letters, digits, '-' or '.'",
        ));
    }
    validate_bin(&input)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let (view, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let skus: Vec<String> = input.skus.iter().map(|s| s.trim().to_string()).collect();
            let unknown = store::unknown_skus(tx, &skus).await?;
            if let Some(first) = unknown.first() {
                let i = skus.iter().position(|s| s == first).unwrap_or(0);
                return Err(ApiError::field(
                    format!("skus[{i}]"),
                    format!("unknown SKU {first}: not in the catalog, or created a moment ago and not yet received by the warehouse (retry shortly)"),
                ));
            }
            let before = bins::get(tx, &location, &code).await?;
            let (view, created) = bins::put(tx, &location, &code, &input).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "bin",
                    entity_id: &format!("{location}/{code}"),
                    action: if created { "created" } else { "replaced" },
                    before: before.as_ref().map(audit::snapshot),
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok((view, created))
        })
        .await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

#[utoipa::path(
    get, path = "/v1/locations/{location}/bins/{code}", tag = "setup",
    params(("location" = domain::LocationCode, Path), ("code" = String, Path, pattern = "^[A-Za-z0-9.-]{1,40}$")),
    responses(
        (status = 200, body = BinView),
    )
)]
pub async fn get_bin(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (location, code) = path.into_inner();
    let mut conn = rt.conn().await?;
    let view = bins::get(&mut conn, &location, &code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no bin {code} at {location}")))?;
    Ok(HttpResponse::Ok().json(view))
}

/// A location's bins in walking order.
#[utoipa::path(
    get, path = "/v1/locations/{location}/bins", tag = "setup",
    params(("location" = domain::LocationCode, Path), BinQuery),
    responses(
        (status = 200, body = Vec<BinView>),
    )
)]
pub async fn list_bins(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    location: web::Path<String>,
    query: web::Query<BinQuery>,
) -> Result<HttpResponse, ApiError> {
    check_location(&location)?;
    if let Some(sku) = &query.sku {
        sku.parse::<domain::Sku>()
            .map_err(|e| ApiError::field("sku", e.to_string()))?;
    }
    let mut conn = rt.conn().await?;
    let list = bins::list(&mut conn, &location, query.sku.as_deref()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Set a channel's service level: cut-off, collection time, handling days,
/// carrier and per-stage targets. New fulfillment orders take their ship-by
/// time from it.
#[utoipa::path(
    put, path = "/v1/service-levels/{channel_id}", tag = "setup",
    params(("channel_id" = domain::ChannelId, Path)),
    request_body = ServiceLevelInput,
    responses(
        (status = 200, body = ServiceLevelView),
        (status = 422, description = "Invalid fields or unknown channel", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_service_level(
    rt: web::Data<Runtime>,
    caller: Authorized<Planners>,
    channel_id: web::Path<String>,
    Json(input): Json<ServiceLevelInput>,
) -> Result<HttpResponse, ApiError> {
    validate_service_level(&input)?;
    let channel_id = channel_id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            if !store::channel_known(tx, &channel_id).await? {
                return Err(ApiError::field(
                    "channel_id",
                    format!("unknown channel {channel_id}: not in orders' registry"),
                ));
            }
            let before = store::service_level(tx, &channel_id).await?;
            let view = store::put_service_level(tx, &channel_id, &input, &actor).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "service_level",
                    entity_id: &channel_id,
                    action: "replaced",
                    before: Some(audit::snapshot(&before)),
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A channel's service level (the defaults when none is configured).
#[utoipa::path(
    get, path = "/v1/service-levels/{channel_id}", tag = "setup",
    params(("channel_id" = domain::ChannelId, Path)),
    responses(
        (status = 200, body = ServiceLevelView),
    )
)]
pub async fn get_service_level(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    channel_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    channel_id
        .parse::<domain::ChannelId>()
        .map_err(|e| ApiError::field("channel_id", e.to_string()))?;
    let mut conn = rt.conn().await?;
    let view = store::service_level(&mut conn, &channel_id).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Add a quality-check rule: every package holding the SKU, or every package
/// of the channel, must pass a check before it ships.
#[utoipa::path(
    post, path = "/v1/quality-rules", tag = "setup",
    request_body = QualityRuleInput,
    responses(
        (status = 201, body = QualityRuleView),
        (status = 409, description = "The same rule exists", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_rule(
    rt: web::Data<Runtime>,
    caller: Authorized<Planners>,
    Json(input): Json<QualityRuleInput>,
) -> Result<HttpResponse, ApiError> {
    validate_quality_rule(&input)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let view = store::create_rule(tx, &input, &actor)
                .await?
                .ok_or_else(|| {
                    ApiError::Conflict(format!(
                        "a {} rule for {} exists already",
                        input.scope.as_str(),
                        input.value.trim()
                    ))
                })?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "quality_rule",
                    entity_id: &view.id.to_string(),
                    action: "created",
                    before: None,
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(
    get, path = "/v1/quality-rules", tag = "setup",
    responses(
        (status = 200, body = Vec<QualityRuleView>),
    )
)]
pub async fn list_rules(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    Ok(HttpResponse::Ok().json(store::rules(&mut conn).await?))
}

#[utoipa::path(
    delete, path = "/v1/quality-rules/{id}", tag = "setup",
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Removed"),
    )
)]
pub async fn delete_rule(
    rt: web::Data<Runtime>,
    caller: Authorized<Planners>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    conn.transaction::<_, ApiError, _>(async |tx| {
        let before = store::rules(tx).await?.into_iter().find(|r| r.id == id);
        if !store::delete_rule(tx, id).await? {
            return Err(ApiError::NotFound(format!(
                "quality rule {id} does not exist"
            )));
        }
        audit::record(
            tx,
            &actor,
            audit::Change {
                entity_type: "quality_rule",
                entity_id: &id.to_string(),
                action: "removed",
                before: before.as_ref().map(audit::snapshot),
                after: None,
            },
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
