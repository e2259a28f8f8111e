//! A purchase order's decisions: approve (four eyes above the threshold),
//! send, amend, add charges, cancel the remainder, close; and its history. Each change bumps the version, is kept in the
//! order's history, audited, and (once approved) published.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::procurement::{
    AmendmentInput, ChargeInput, PurchaseOrderAction, PurchaseOrderStatus as Status,
    PurchaseOrderVersionView, PurchaseOrderView,
};
use platform::error::Problem;
use platform::http::{Json, OptionalJson, check_version, etag, if_match};
use platform::{ApiError, Authorized, Caller, Role, Runtime, audit};
use uuid::Uuid;

use super::{Buyers, Planners};
use crate::domain::purchase_orders::{
    self as rules, Decider, LineQuantities, Refusal, after_cancel, may_approve, may_close, may_send,
};
use crate::events::{publish_approved, publish_changed};
use crate::store::lifecycle::{self, Stamp};
use crate::store::purchase_orders;

platform::access!(
    /// Who approves: buyers within the threshold, approvers above it.
    pub Approvers: [Admin, Buyer, Approver]
);

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("purchase order {id} does not exist"))
}

fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::WrongStatus(..) => ApiError::Conflict(r.to_string()),
        Refusal::NeedsApprover { .. } | Refusal::OwnOrder { .. } | Refusal::NoThreshold(_) => {
            ApiError::Forbidden(r.to_string())
        }
    }
}

fn note_of(v: &mut Validator, note: Option<&str>) {
    if let Some(n) = note
        && n.chars().count() > 500
    {
        v.push("note", "must be at most 500 characters");
    }
}

/// Locks the order, checks If-Match, and returns its view.
async fn load_for_change(
    tx: &mut platform::db::Conn,
    id: Uuid,
    expected: Option<i64>,
) -> Result<PurchaseOrderView, ApiError> {
    purchase_orders::lock(tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let view = purchase_orders::view_of(tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    check_version(expected, view.version, "the order")?;
    Ok(view)
}

/// Records a change: the version, the audit entry, the event.
pub(super) async fn record(
    rt: &Runtime,
    tx: &mut platform::db::Conn,
    id: Uuid,
    before: &PurchaseOrderView,
    change: &str,
    actor: &str,
    note: Option<&str>,
) -> Result<PurchaseOrderView, ApiError> {
    let after = purchase_orders::view_of(tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    lifecycle::record_version(tx, &after, change, actor, note).await?;
    audit::record(
        tx,
        actor,
        audit::Change {
            entity_type: "purchase_order",
            entity_id: &id.to_string(),
            action: change,
            before: Some(audit::snapshot(before)),
            after: Some(audit::snapshot(&after)),
        },
    )
    .await?;
    if change == "approved" || change == "auto_approved" {
        publish_approved(&rt.outbox, tx, &after, actor)
            .await
            .map_err(ApiError::internal)?;
    } else {
        publish_changed(&rt.outbox, tx, &after, change)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(after)
}

fn respond(view: PurchaseOrderView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(view.version)))
        .json(view)
}

/// Approves a draft; above the threshold of its currency only a second
/// person with the approver role may, never the order's creator.
pub async fn approve_in(
    rt: &Runtime,
    tx: &mut platform::db::Conn,
    id: Uuid,
    expected: Option<i64>,
    caller: &Caller,
    note: Option<&str>,
) -> Result<PurchaseOrderView, ApiError> {
    let before = load_for_change(tx, id, expected).await?;
    let threshold = lifecycle::threshold(tx, before.total.currency.code()).await?;
    let actor = caller.actor();
    let decider = Decider {
        actor: &actor,
        approver: caller.roles().contains(&Role::Approver),
    };
    may_approve(
        before.status,
        before.total,
        threshold,
        &before.created_by,
        &decider,
    )
    .map_err(refused)?;
    lifecycle::set_status(tx, id, Status::Approved, &actor, Stamp::Approved).await?;
    record(rt, tx, id, &before, "approved", &actor, note).await
}

macro_rules! decision_doc {
    () => {
        "If-Match (optional) guards against deciding on a version you have not seen."
    };
}

/// Approve a draft purchase order. Within its currency's threshold a buyer
/// may approve (their own too); above it, only a second person with the
/// approver role, never its creator. The warehouse then expects its goods.
#[utoipa::path(
    post, path = "/v1/purchase-orders/{id}/approve", tag = "purchase-orders",
    request_body = Option<PurchaseOrderAction>,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = decision_doc!())),
    responses(
        (status = 200, body = PurchaseOrderView, headers(("ETag" = String))),
        (status = 403, description = "Above the threshold: needs another person with the approver role", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn approve(
    rt: web::Data<Runtime>,
    caller: Authorized<Approvers>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    OptionalJson(body): OptionalJson<PurchaseOrderAction>,
) -> Result<HttpResponse, ApiError> {
    let body = body.unwrap_or_default();
    let mut v = Validator::new();
    note_of(&mut v, body.note.as_deref());
    v.finish()?;
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            approve_in(&rt, tx, id, expected, &caller, body.note.as_deref()).await
        })
        .await?;
    rt.outbox.notify();
    Ok(respond(view))
}

/// Which simple decision a request makes.
#[derive(Clone, Copy)]
enum Decision {
    Send,
    Cancel,
    Close,
}

async fn decide(
    rt: web::Data<Runtime>,
    caller: &Caller,
    req: &HttpRequest,
    id: Uuid,
    body: Option<PurchaseOrderAction>,
    decision: Decision,
) -> Result<HttpResponse, ApiError> {
    let body = body.unwrap_or_default();
    let mut v = Validator::new();
    note_of(&mut v, body.note.as_deref());
    v.finish()?;
    let expected = if_match(req)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let before = load_for_change(tx, id, expected).await?;
            let change = match decision {
                Decision::Send => {
                    may_send(before.status).map_err(refused)?;
                    lifecycle::set_status(tx, id, Status::Sent, &actor, Stamp::Sent).await?;
                    "sent"
                }
                Decision::Cancel => {
                    let next = after_cancel(before.status).map_err(refused)?;
                    lifecycle::cancel_remainder(tx, id).await?;
                    let stamp = if next == Status::Closed {
                        Stamp::Closed
                    } else {
                        Stamp::None
                    };
                    lifecycle::set_status(tx, id, next, &actor, stamp).await?;
                    "cancelled"
                }
                Decision::Close => {
                    may_close(before.status).map_err(refused)?;
                    lifecycle::cancel_remainder(tx, id).await?;
                    lifecycle::set_status(tx, id, Status::Closed, &actor, Stamp::Closed).await?;
                    "closed"
                }
            };
            record(&rt, tx, id, &before, change, &actor, body.note.as_deref()).await
        })
        .await?;
    rt.outbox.notify();
    Ok(respond(view))
}

/// Mark an approved order as sent to the supplier (its lead time runs from now).
#[utoipa::path(
    post, path = "/v1/purchase-orders/{id}/send", tag = "purchase-orders",
    request_body = Option<PurchaseOrderAction>,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = decision_doc!())),
    responses(
        (status = 200, body = PurchaseOrderView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not approved", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn send(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    OptionalJson(body): OptionalJson<PurchaseOrderAction>,
) -> Result<HttpResponse, ApiError> {
    decide(rt, &caller, &req, id.into_inner(), body, Decision::Send).await
}

/// Cancel what is still open: an order without receipts is cancelled, one
/// with receipts closes with its remainder cancelled. The warehouse refuses
/// further receipts against it.
#[utoipa::path(
    post, path = "/v1/purchase-orders/{id}/cancel", tag = "purchase-orders",
    request_body = Option<PurchaseOrderAction>,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = decision_doc!())),
    responses(
        (status = 200, body = PurchaseOrderView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing open to cancel", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    OptionalJson(body): OptionalJson<PurchaseOrderAction>,
) -> Result<HttpResponse, ApiError> {
    decide(rt, &caller, &req, id.into_inner(), body, Decision::Cancel).await
}

/// Close an order with receipts (its remainder, if any, given up).
#[utoipa::path(
    post, path = "/v1/purchase-orders/{id}/close", tag = "purchase-orders",
    request_body = Option<PurchaseOrderAction>,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = decision_doc!())),
    responses(
        (status = 200, body = PurchaseOrderView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No receipts yet (cancel instead), or already closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn close(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    OptionalJson(body): OptionalJson<PurchaseOrderAction>,
) -> Result<HttpResponse, ApiError> {
    decide(rt, &caller, &req, id.into_inner(), body, Decision::Close).await
}

/// Amend an order: line quantities and the expected date. A draft changes
/// freely; an approved order's quantities only go down, never below what
/// was received. Each amendment is a new version in the order's history.
#[utoipa::path(
    post, path = "/v1/purchase-orders/{id}/amendments", tag = "purchase-orders",
    request_body = AmendmentInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = decision_doc!())),
    responses(
        (status = 200, body = PurchaseOrderView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A line or quantity the order's status does not allow", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn amend(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    Json(input): Json<AmendmentInput>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    note_of(&mut v, input.note.as_deref());
    if input.lines.is_empty() && input.expected_on.is_none() {
        v.push(
            "lines",
            "an amendment changes at least one line or the expected date",
        );
    }
    v.finish()?;
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let before = load_for_change(tx, id, expected).await?;
            let mut v = Validator::new();
            for (i, a) in input.lines.iter().enumerate() {
                let field = format!("lines[{i}].quantity");
                let Some(line) = before.lines.iter().find(|l| l.line_no == a.line_no) else {
                    v.push(
                        format!("lines[{i}].line_no"),
                        format!("the order has no line {}", a.line_no),
                    );
                    continue;
                };
                let q = LineQuantities {
                    quantity: line.quantity,
                    received_good: line.received_good,
                    received_damaged: line.received_damaged,
                    cancelled: line.cancelled,
                };
                if let Err(e) = rules::check_amendment(before.status, q, a.quantity) {
                    v.push(field, e);
                }
            }
            if input.expected_on.is_some()
                && !matches!(
                    before.status,
                    Status::Draft | Status::Approved | Status::Sent | Status::PartiallyReceived
                )
            {
                v.push(
                    "expected_on",
                    format!("a {} order is not amended", before.status.as_str()),
                );
            }
            v.finish()?;
            for a in &input.lines {
                lifecycle::set_quantity(tx, id, a.line_no, a.quantity).await?;
            }
            lifecycle::amend_head(tx, id, input.expected_on, &actor).await?;
            record(
                &rt,
                tx,
                id,
                &before,
                "amended",
                &actor,
                input.note.as_deref(),
            )
            .await
        })
        .await?;
    rt.outbox.notify();
    Ok(respond(view))
}

/// Add an estimated landed-cost charge (freight, duty, insurance), spread
/// over the lines by quantity, weight or value; each line's landed unit
/// cost travels with its receipts. Only before anything is received.
#[utoipa::path(
    post, path = "/v1/purchase-orders/{id}/charges", tag = "purchase-orders",
    request_body = ChargeInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = decision_doc!())),
    responses(
        (status = 200, body = PurchaseOrderView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Goods were received already, or the order is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not in the order's currency", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_charge(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    Json(input): Json<ChargeInput>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let before = load_for_change(tx, id, expected).await?;
            if input.amount.currency != before.total.currency {
                return Err(ApiError::field(
                    "amount.currency",
                    format!("must be the order's currency, {}", before.total.currency),
                ));
            }
            if !matches!(
                before.status,
                Status::Draft | Status::Approved | Status::Sent
            ) {
                return Err(ApiError::Conflict(format!(
                    "the order is {}: charges are added before anything is received",
                    before.status.as_str()
                )));
            }
            lifecycle::add_charge(tx, id, &input, &actor).await?;
            record(&rt, tx, id, &before, "charged", &actor, None).await
        })
        .await?;
    rt.outbox.notify();
    Ok(respond(view))
}

/// Every version of an order: what changed, who, when, and the order as it
/// then was.
#[utoipa::path(
    get, path = "/v1/purchase-orders/{id}/history", tag = "purchase-orders",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<PurchaseOrderVersionView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn history(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let versions = platform::snapshot!(conn, |tx| {
        if purchase_orders::head(tx, id).await?.is_none() {
            return Err(not_found(id));
        }
        lifecycle::history(tx, id).await
    })?;
    Ok(HttpResponse::Ok().json(versions))
}
