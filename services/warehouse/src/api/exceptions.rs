//! Floor exceptions: rejected scans (recorded and counted), and short picks,
//! failed quality checks and cancelled picked work, which stay open until ops
//! resolve them.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::Page;
use domain::contracts::warehouse::{
    ExceptionQuery, ExceptionView, PackageStatus, QcStatus, ResolveAction, ResolveRequest,
};
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime};
use serde_json::json;
use uuid::Uuid;

use super::{Planners, Readers, lock_fulfillment, page_limit};
use crate::domain::packing::status_after_void;
use crate::store::{self, fulfillments, packing};

#[utoipa::path(
    get, path = "/v1/exceptions", tag = "exceptions",
    params(ExceptionQuery),
    responses(
        (status = 200, body = inline(Page<ExceptionView>)),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    query: web::Query<ExceptionQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Validator::new();
    let limit = page_limit(&mut v, q.limit);
    let after = platform::http::id_cursor(&mut v, q.cursor.as_deref());
    v.finish()?;
    let mut conn = rt.conn().await?;
    let items = store::exceptions(&mut conn, &q, after, limit).await?;
    Ok(HttpResponse::Ok().json(Page::list(items, limit, |e| e.id.to_string())))
}

/// Resolve an open exception. A failed quality check is resolved by `repack`
/// (the package is voided and its units are packed again) or `accept` (ops
/// pass it as it is); anything else by `acknowledge`.
#[utoipa::path(
    post, path = "/v1/exceptions/{id}/resolve", tag = "exceptions",
    params(("id" = Uuid, Path)),
    request_body = ResolveRequest,
    responses(
        (status = 200, body = ExceptionView),
        (status = 409, description = "Not open", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The action does not fit the exception (`action`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn resolve(
    rt: web::Data<Runtime>,
    caller: Authorized<Planners>,
    id: web::Path<Uuid>,
    Json(req): Json<ResolveRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let not_found = || ApiError::NotFound(format!("exception {id} does not exist"));
            let seen = store::exception(tx, id, false)
                .await?
                .ok_or_else(not_found)?;
            let head = match seen.fulfillment_id {
                Some(f) => Some(lock_fulfillment(tx, f).await?),
                None => None,
            };
            let e = store::exception(tx, id, true)
                .await?
                .ok_or_else(not_found)?;
            if e.status != "open" {
                return Err(ApiError::Conflict(format!(
                    "exception {id} is {}",
                    e.status
                )));
            }
            let is_qc = e.kind == "qc_failed";
            let resolution = match (req.action, is_qc, e.package_id, &head) {
                (ResolveAction::Repack, true, Some(package_id), Some(head)) => {
                    let items = packing::items(tx, &[package_id]).await?;
                    for i in &items {
                        fulfillments::count(tx, head.id, i.line_no, 0, 0, -i.quantity).await?;
                    }
                    packing::set_status(tx, package_id, PackageStatus::Voided).await?;
                    if let Some(status) = status_after_void(head.status()) {
                        fulfillments::set_status(tx, head.id, status).await?;
                    }
                    "repack: package voided, its units are to be packed again"
                }
                (ResolveAction::Accept, true, Some(package_id), _) => {
                    packing::set_qc(tx, package_id, QcStatus::Passed).await?;
                    "accepted: the package ships as it is"
                }
                (ResolveAction::Acknowledge, false, _, _) => "acknowledged",
                _ => {
                    return Err(ApiError::field(
                        "action",
                        if is_qc {
                            "a failed quality check is resolved by repack or accept"
                        } else {
                            "this exception is resolved by acknowledge"
                        },
                    ));
                }
            };
            let resolution = match req.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(note) => format!("{resolution} ({note})"),
                None => resolution.to_string(),
            };
            store::resolve_exception(tx, id, &resolution, &actor).await?;
            store::audit(
                tx,
                &actor,
                "exception_resolved",
                e.fulfillment_id,
                json!({"exception_id": id, "kind": e.kind, "resolution": resolution}),
            )
            .await?;
            Ok(store::exception(tx, id, false)
                .await?
                .ok_or_else(not_found)?
                .view())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
