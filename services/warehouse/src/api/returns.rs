//! Returns at their return location: the returns expected (found by the
//! RMA number on the parcel), each unit scanned in, and the inspection that
//! grades every received unit (resellable, refurbish, scrap) and publishes
//! ReturnInspected.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::warehouse::{
    ExpectedReturnQuery, ExpectedReturnView, InspectionInput, ReturnReceiptStatus, ReturnScanInput,
};
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime, audit};
use uuid::Uuid;

use super::{Floor, Readers};
use crate::domain::returns::{grades, line_for};
use crate::events::return_inspected;
use crate::store::returns as store;

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("no return {id} is expected"))
}

/// Returns expected, being received or inspected, oldest first.
#[utoipa::path(
    get, path = "/v1/returns", tag = "returns",
    params(ExpectedReturnQuery),
    responses(
        (status = 200, body = Vec<ExpectedReturnView>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    query: web::Query<ExpectedReturnQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let limit = platform::http::page_limit(&mut v, query.limit, 100, 1000);
    if query
        .number
        .as_ref()
        .is_some_and(|n| n.chars().count() > 40)
    {
        v.push("number", "must be at most 40 characters");
    }
    if let Some(l) = &query.location
        && !domain::LocationCode::is_valid(l)
    {
        v.push("location", "must be a location code: A-Z, 0-9 and dashes");
    }
    v.finish()?;
    let mut conn = rt.conn().await?;
    let rows = store::list(
        &mut conn,
        query.number.as_deref().map(str::trim),
        query.location.as_deref(),
        query.status,
        limit,
    )
    .await?;
    let mut views = Vec::with_capacity(rows.len());
    for r in &rows {
        views.push(store::view(&mut conn, r).await?);
    }
    Ok(HttpResponse::Ok().json(views))
}

#[utoipa::path(
    get, path = "/v1/returns/{id}", tag = "returns",
    params(("id" = Uuid, Path, description = "The return's id (support's)")),
    responses(
        (status = 200, body = ExpectedReturnView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let row = store::by_id(&mut conn, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(store::view(&mut conn, &row).await?))
}

/// Scan returned units in (SKU or GTIN), at most what was authorised.
#[utoipa::path(
    post, path = "/v1/returns/{id}/scans", tag = "returns",
    request_body = ReturnScanInput,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ExpectedReturnView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already inspected", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an item of the return, or more than expected", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn scan(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    id: web::Path<Uuid>,
    Json(input): Json<ReturnScanInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let quantity = input.quantity.unwrap_or(1);
    let mut v = Validator::new();
    v.require_text("item", &input.item, 64);
    if !(1..=100_000).contains(&quantity) {
        v.push("quantity", "must be 1 to 100000");
    }
    v.finish()?;
    let actor = caller.actor();
    let now = Utc::now();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let row = store::lock(tx, id).await?.ok_or_else(|| not_found(id))?;
            if row.status()? == ReturnReceiptStatus::Inspected {
                return Err(ApiError::Conflict(format!(
                    "{} is inspected already",
                    row.number
                )));
            }
            let lines: Vec<_> = store::lines(tx, id)
                .await?
                .iter()
                .map(|l| l.counted())
                .collect();
            let line_no = line_for(&lines, &input.item, quantity)
                .map_err(|why| ApiError::field("item", why))?;
            store::receive(tx, id, line_no, quantity, &actor, now).await?;
            let row = store::by_id(tx, id).await?.ok_or_else(|| not_found(id))?;
            store::view(tx, &row).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Grade every received unit; publishes ReturnInspected (inventory restocks
/// the resellable units at the return location, quarantines refurbish units
/// and writes off scrap; billing refunds).
#[utoipa::path(
    post, path = "/v1/returns/{id}/inspection", tag = "returns",
    request_body = InspectionInput,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ExpectedReturnView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing received yet, or inspected already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The grades don't cover exactly the units received", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn inspect(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    id: web::Path<Uuid>,
    Json(input): Json<InspectionInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut v = Validator::new();
    if input.grades.is_empty() || input.grades.len() > 600 {
        v.push("grades", "1 to 600 entries");
    }
    for (i, g) in input.grades.iter().enumerate() {
        if !(1..=100_000).contains(&g.quantity) {
            v.push(format!("grades[{i}].quantity"), "must be 1 to 100000");
        }
    }
    v.finish()?;
    let actor = caller.actor();
    let now = Utc::now();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let row = store::lock(tx, id).await?.ok_or_else(|| not_found(id))?;
            match row.status()? {
                ReturnReceiptStatus::Inspected => {
                    return Err(ApiError::Conflict(format!(
                        "{} is inspected already",
                        row.number
                    )));
                }
                ReturnReceiptStatus::Expected => {
                    return Err(ApiError::Conflict(format!(
                        "nothing of {} was received yet: scan its units first",
                        row.number
                    )));
                }
                ReturnReceiptStatus::Receiving => {}
            }
            let lines: Vec<_> = store::lines(tx, id)
                .await?
                .iter()
                .map(|l| l.counted())
                .collect();
            let graded = grades(&lines, &input.grades)?;
            store::inspected(tx, id, &graded, &actor, now).await?;
            let row = store::by_id(tx, id).await?.ok_or_else(|| not_found(id))?;
            return_inspected(&rt.outbox, tx, &row).await?;
            let view = store::view(tx, &row).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "return",
                    entity_id: &id.to_string(),
                    action: "inspected",
                    before: None,
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok(view)
        })
        .await?;
    rt.outbox.notify();
    Ok(HttpResponse::Ok().json(view))
}
