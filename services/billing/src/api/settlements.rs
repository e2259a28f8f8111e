//! Settlement files from the channels (Amazon's V2 report, Shopify
//! Payments' payout export, the generic CSV): imported once per settlement
//! id, checked whole; and the finance exception queue of lines billing
//! could not place.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::billing::{
    ExceptionListQuery, ExceptionMatchRequest, ExceptionStatus, ExceptionWriteOffRequest,
    SettlementExceptionView, SettlementFormat, SettlementImportQuery, SettlementView,
};
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime, audit};
use uuid::Uuid;

use super::settings::check_channel_id;
use super::{Accountants, file_errors};
use crate::domain::payouts::{self, Imported};
use crate::domain::settlement::{self, FileError};
use crate::store::settlements;

fn parse(format: SettlementFormat, body: &[u8]) -> Result<Imported, Vec<FileError>> {
    match format {
        SettlementFormat::AmazonV2 => settlement::parse(body).map(|s| payouts::from_amazon(&s)),
        SettlementFormat::ShopifyPayments => payouts::shopify(body),
        SettlementFormat::Generic => payouts::generic(body),
    }
}

/// Import a settlement file of a channel (`format`: `amazon_v2`, tab
/// separated; `shopify_payments` or `generic`, CSV). The whole file is
/// checked first: any problem is a 422 naming its line and column, and
/// nothing is applied. Each line is matched to its order (the channel's
/// order id) and posted: sales settle the receivable, fees are trued up
/// against the estimate accrued at shipment, the payout is in transit;
/// lines billing cannot place wait in `GET /v1/settlement-exceptions`. The
/// same file again answers 200 with what the first import did; another file
/// with the same settlement id is a 409.
#[utoipa::path(
    post, path = "/v1/settlements", tag = "settlements",
    params(SettlementImportQuery),
    request_body(content = String, content_type = "text/tab-separated-values", description = "The settlement file as the channel wrote it (text/csv for CSV formats)"),
    responses(
        (status = 201, description = "Imported", body = SettlementView),
        (status = 200, description = "Imported before from the same file", body = SettlementView),
        (status = 409, description = "Imported before from another file", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Problems, each named by line and column; nothing applied", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    req: HttpRequest,
    query: web::Query<SettlementImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase())
        .unwrap_or_default();
    if !["text/tab-separated-values", "text/csv", "text/plain"]
        .iter()
        .any(|t| content_type.starts_with(t))
    {
        return Err(ApiError::UnsupportedMediaType(
            "Content-Type must be text/tab-separated-values, text/csv or text/plain".into(),
        ));
    }
    let mut v = Validator::new();
    check_channel_id(&mut v, "channel", &query.channel);
    v.finish()?;
    let format = query.format;
    let hash = platform::idempotency::sha256_hex(&body);
    // Parsing a large file is CPU work: off the async workers.
    let imported = web::block(move || parse(format, &body))
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?
        .map_err(file_errors)?;
    let actor = caller.actor();
    let channel = query.channel.clone();
    let mut conn = rt.conn().await?;
    let outcome = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let outcome =
                settlements::import(tx, &channel, format, &imported, &hash, &actor).await?;
            if outcome.created {
                audit::record(
                    tx,
                    &actor,
                    audit::Change {
                        entity_type: "settlement",
                        entity_id: &format!("{channel}/{}", imported.id),
                        action: "imported",
                        before: None,
                        after: Some(audit::snapshot(&outcome.view)),
                    },
                )
                .await?;
            }
            Ok(outcome)
        })
        .await?;
    let mut builder = if outcome.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder.json(outcome.view))
}

/// An imported settlement.
#[utoipa::path(
    get, path = "/v1/settlements/{channel_id}/{settlement_id}", tag = "settlements",
    params(
        ("channel_id" = String, Path, pattern = "^[a-z][a-z0-9-]{0,63}$"),
        ("settlement_id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$"),
    ),
    responses(
        (status = 200, body = SettlementView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (channel_id, id) = path.into_inner();
    let mut conn = rt.conn().await?;
    let view = settlements::get(&mut conn, &channel_id, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no settlement {id} of {channel_id}")))?;
    Ok(HttpResponse::Ok().json(view))
}

/// Settlement lines billing could not place (no such order, several, another
/// currency, a kind finance must decide), oldest first; `status` default open.
#[utoipa::path(
    get, path = "/v1/settlement-exceptions", tag = "settlements",
    params(ExceptionListQuery),
    responses((status = 200, body = Vec<SettlementExceptionView>))
)]
pub async fn exceptions(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
    query: web::Query<ExceptionListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let items =
        settlements::exceptions(&mut conn, query.status.unwrap_or(ExceptionStatus::Open)).await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Match an exception to an order of its channel by hand: the line leaves
/// suspense and posts as that order's (a fee is trued up).
#[utoipa::path(
    post, path = "/v1/settlement-exceptions/{id}/match", tag = "settlements",
    params(("id" = Uuid, Path)),
    request_body = ExceptionMatchRequest,
    responses(
        (status = 200, body = SettlementExceptionView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Resolved already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The order is unknown, of another channel or currency", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn match_to(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    id: web::Path<Uuid>,
    Json(input): Json<ExceptionMatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::field("note", "must be at most 500 characters"));
    }
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let view = settlements::match_to(tx, *id, input.order_id, &actor, note).await?;
            record(tx, &actor, &view, "matched").await?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Write an exception off (out of suspense, into write-offs), with why.
#[utoipa::path(
    post, path = "/v1/settlement-exceptions/{id}/write-off", tag = "settlements",
    params(("id" = Uuid, Path)),
    request_body = ExceptionWriteOffRequest,
    responses(
        (status = 200, body = SettlementExceptionView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Resolved already", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn write_off(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    id: web::Path<Uuid>,
    Json(input): Json<ExceptionWriteOffRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    v.require_text("note", &input.note, 500);
    v.finish()?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let view = settlements::write_off(tx, *id, &actor, input.note.trim()).await?;
            record(tx, &actor, &view, "written_off").await?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn record(
    tx: &mut platform::db::Conn,
    actor: &str,
    view: &SettlementExceptionView,
    action: &str,
) -> Result<(), ApiError> {
    audit::record(
        tx,
        actor,
        audit::Change {
            entity_type: "settlement_exception",
            entity_id: &view.id.to_string(),
            action,
            before: None,
            after: Some(audit::snapshot(view)),
        },
    )
    .await?;
    Ok(())
}
