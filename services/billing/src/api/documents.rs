//! Invoices and credit notes: read them (JSON, or UBL 2.1 XML), list them,
//! credit an invoice; an issued document is never edited. Shipments still
//! waiting for their invoice are listed with the reason.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::Page;
use domain::contracts::billing::{
    CreditNoteRequest, DocumentListQuery, DocumentView, PendingShipmentView,
};
use platform::error::Problem;
use platform::http::{Json, id_cursor};
use platform::{ApiError, Authorized, Runtime, audit};
use uuid::Uuid;

use super::{Accountants, Readers, page_limit};
use crate::domain::ubl;
use crate::store::{documents, invoicing, shipments};

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("document {id} does not exist"))
}

/// Get an invoice or credit note.
#[utoipa::path(
    get, path = "/v1/invoices/{id}", tag = "invoices",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = DocumentView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let view = documents::load(&mut conn, *id)
        .await?
        .ok_or_else(|| not_found(*id))?;
    Ok(HttpResponse::Ok().json(view))
}

/// The document as UBL 2.1 XML (EN 16931): an `Invoice`, or a `CreditNote`
/// referring to the invoice it corrects.
#[utoipa::path(
    get, path = "/v1/invoices/{id}/ubl", tag = "invoices",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "UBL 2.1 XML", content_type = "application/xml", body = String),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ubl(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let view = documents::load(&mut conn, *id)
        .await?
        .ok_or_else(|| not_found(*id))?;
    Ok(HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}.xml\"", view.number),
        ))
        .body(ubl::render(&view)))
}

/// Refused: an issued invoice is never edited. Correct it with a credit
/// note (`POST /v1/invoices/{id}/credit-notes`) and, if needed, a new invoice.
#[utoipa::path(
    patch, path = "/v1/invoices/{id}", tag = "invoices",
    params(("id" = Uuid, Path)),
    request_body(content = serde_json::Value, description = "Any change"),
    responses(
        (status = 409, description = "Issued documents are immutable", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn edit(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let view = documents::load(&mut conn, *id)
        .await?
        .ok_or_else(|| not_found(*id))?;
    Err(ApiError::Conflict(format!(
        "{} was issued on {} and is never edited: issue a credit note against it",
        view.number, view.issue_date
    )))
}

/// Credit an invoice: the lines and units given, or everything not yet
/// credited. Posts the reversal to the ledger; numbered in the credit-note
/// series of the invoice's legal entity.
#[utoipa::path(
    post, path = "/v1/invoices/{id}/credit-notes", tag = "invoices",
    params(("id" = Uuid, Path, description = "The invoice to credit")),
    request_body = CreditNoteRequest,
    responses(
        (status = 201, description = "Issued", body = DocumentView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing is left to credit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown line, more units than are left, or a credit note given as the invoice", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn credit(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    id: web::Path<Uuid>,
    Json(input): Json<CreditNoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    v.require_text("reason", &input.reason, 500);
    if let Some(lines) = &input.lines {
        if lines.is_empty() {
            v.push(
                "lines",
                "must name at least one line, or be absent to credit everything",
            );
        }
        for (i, l) in lines.iter().enumerate() {
            if l.quantity <= 0 {
                v.push(format!("lines[{i}].quantity"), "must be at least 1");
            }
        }
    }
    v.finish()?;
    let actor = caller.actor();
    let outbox = rt.outbox.clone();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let view = invoicing::credit(&outbox, tx, *id, &input, &actor).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "invoice",
                    entity_id: &id.to_string(),
                    action: "credited",
                    before: None,
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok(view)
        })
        .await?;
    rt.outbox.notify();
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/invoices/{}", view.id)))
        .json(view))
}

/// Invoices and credit notes, newest first.
#[utoipa::path(
    get, path = "/v1/invoices", tag = "invoices",
    params(DocumentListQuery),
    responses(
        (status = 200, body = Page<DocumentView>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    query: web::Query<DocumentListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let limit = page_limit(&mut v, query.limit);
    let before = id_cursor(&mut v, query.cursor.as_deref());
    if let Some(channel) = &query.channel {
        super::settings::check_channel_id(&mut v, "channel", channel);
    }
    v.finish()?;
    let mut conn = rt.conn().await?;
    let items = documents::list(
        &mut conn,
        &documents::ListFilter {
            order_id: query.order_id,
            channel: query.channel.clone(),
            kind: query.kind,
            before,
            limit,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::list(items, limit, |d| d.id.to_string())))
}

/// Shipments not invoiced yet, and why (the order's placement has not
/// arrived, the channel has no billing settings, a tax rule is missing).
#[utoipa::path(
    get, path = "/v1/pending-shipments", tag = "invoices",
    responses((status = 200, body = Vec<PendingShipmentView>))
)]
pub async fn pending(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let rows = shipments::pending(&mut conn, "", super::MAX_PAGE).await?;
    let views: Vec<PendingShipmentView> = rows.iter().map(|r| r.pending_view()).collect();
    Ok(HttpResponse::Ok().json(views))
}
