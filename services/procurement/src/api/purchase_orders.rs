//! Purchase orders: read and list.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use domain::Validator;
use domain::contracts::Page;
use domain::contracts::procurement::{PurchaseOrderQuery, PurchaseOrderView};
use platform::error::Problem;
use platform::http::etag;
use platform::{ApiError, Authorized, Runtime};
use uuid::Uuid;

use super::{Planners, page_limit};
use crate::domain::suppliers::check_code;
use crate::store::purchase_orders;

/// A purchase order with its lines, each line's explanation, and what was
/// received of it.
#[utoipa::path(
    get, path = "/v1/purchase-orders/{id}", tag = "purchase-orders",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = PurchaseOrderView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let view = platform::snapshot!(conn, |tx| purchase_orders::views(tx, &[id]).await)?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("purchase order {id} does not exist")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(view.version)))
        .json(view))
}

/// Purchase orders, newest first, optionally of one status or supplier.
#[utoipa::path(
    get, path = "/v1/purchase-orders", tag = "purchase-orders",
    params(PurchaseOrderQuery),
    responses(
        (status = 200, body = Page<PurchaseOrderView>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    query: web::Query<PurchaseOrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let limit = page_limit(&mut v, query.limit);
    if let Some(code) = &query.supplier {
        let mut c = Validator::new();
        check_code(&mut c, code);
        if !c.is_empty() {
            v.push("supplier", "must be a supplier code");
        }
    }
    v.finish()?;
    let status = query.status.map(|s| s.as_str());
    let mut conn = rt.conn().await?;
    let views = platform::snapshot!(conn, |tx| {
        let ids = purchase_orders::list(tx, status, query.supplier.as_deref(), query.cursor, limit)
            .await?;
        purchase_orders::views(tx, &ids).await
    })?;
    Ok(HttpResponse::Ok().json(Page::list(views, limit, |p| p.id.to_string())))
}
