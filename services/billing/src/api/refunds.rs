//! Refunds of returns (the returns saga's refund step, `store/refunds.rs`):
//! finance's queue of refunds above the approval limit and of failed steps,
//! the decision on each (four eyes: not the person who authorised the
//! return), a retry once a failed step's cause is fixed, and the limits per
//! currency. Every decision is audited.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::billing::{
    RefundApproveRequest, RefundLimitInput, RefundLimitView, RefundQuery, RefundRejectRequest,
    RefundStatus, RefundView,
};
use domain::{Currency, Money, Validator};
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime, audit};
use uuid::Uuid;

use super::{Accountants, Readers};
use crate::store::refunds::{self as store, Outcome, RefundRow};

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("no refund for return {id}"))
}

/// Refunds of returns, newest first; `status=awaiting_approval` and
/// `status=failed` are finance's queue.
#[utoipa::path(
    get, path = "/v1/refunds", tag = "refunds",
    params(RefundQuery),
    responses(
        (status = 200, body = [RefundView]),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    query: web::Query<RefundQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let limit = super::page_limit(&mut v, query.limit);
    v.finish()?;
    let mut conn = rt.conn().await?;
    Ok(HttpResponse::Ok().json(store::list(&mut conn, query.status, query.order_id, limit).await?))
}

/// A return's refund: its lines as authorised and received, the figures,
/// the credit notes, and why it waits if it does.
#[utoipa::path(
    get, path = "/v1/refunds/{return_id}", tag = "refunds",
    params(("return_id" = Uuid, Path, description = "Support's return (RMA) id")),
    responses(
        (status = 200, body = RefundView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let row = store::get(&mut conn, *id)
        .await?
        .ok_or_else(|| not_found(*id))?;
    Ok(HttpResponse::Ok().json(row.view()?))
}

/// The refund locked, in one of `allowed` statuses.
async fn locked(
    tx: &mut platform::db::Conn,
    id: Uuid,
    allowed: &[RefundStatus],
) -> Result<RefundRow, ApiError> {
    let row = store::lock(tx, id).await?.ok_or_else(|| not_found(id))?;
    let status = row.status()?;
    if !allowed.contains(&status) {
        return Err(ApiError::Conflict(format!(
            "the refund of {} is {status}",
            row.return_number
        )));
    }
    Ok(row)
}

/// What finance does with a held refund.
enum Decision<'a> {
    Approve(Option<&'a str>),
    Reject(&'a str),
    Retry,
}

/// Runs a decision in one transaction, audited with before and after. A
/// held refund is decided by someone other than who authorised the return.
async fn decide(
    rt: &Runtime,
    actor: &str,
    id: Uuid,
    decision: Decision<'_>,
) -> Result<RefundView, ApiError> {
    let (action, allowed): (&str, &[RefundStatus]) = match decision {
        Decision::Approve(_) => ("approved", &[RefundStatus::AwaitingApproval]),
        Decision::Reject(_) => (
            "rejected",
            &[RefundStatus::AwaitingApproval, RefundStatus::Failed],
        ),
        Decision::Retry => ("retried", &[RefundStatus::Failed]),
    };
    let outbox = rt.outbox.clone();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let row = locked(tx, id, allowed).await?;
            let four_eyes = || {
                ApiError::Forbidden(
                    "a held refund is decided by a finance person other than the one who \
                     authorised the return"
                        .into(),
                )
            };
            match decision {
                Decision::Approve(note) => {
                    if row.authorized_by == actor {
                        return Err(four_eyes());
                    }
                    match store::settle(&outbox, tx, &row, Some((actor, note))).await? {
                        Outcome::Refunded => {}
                        Outcome::Held(_, reason) => {
                            return Err(ApiError::Conflict(format!(
                                "the refund of {} cannot be issued: {reason}",
                                row.return_number
                            )));
                        }
                        Outcome::Nothing => {
                            return Err(ApiError::Conflict(format!(
                                "the refund of {} is not awaiting approval",
                                row.return_number
                            )));
                        }
                    }
                }
                Decision::Reject(reason) => {
                    if row.authorized_by == actor {
                        return Err(four_eyes());
                    }
                    store::reject(&outbox, tx, &row, actor, reason).await?;
                }
                Decision::Retry => {
                    store::settle(&outbox, tx, &row, None).await?;
                }
            }
            let after = store::get(tx, id)
                .await?
                .ok_or_else(|| not_found(id))?
                .view()?;
            audit::record(
                tx,
                actor,
                audit::Change {
                    entity_type: "refund",
                    entity_id: &id.to_string(),
                    action,
                    before: Some(audit::snapshot(&row.view()?)),
                    after: Some(audit::snapshot(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await?;
    rt.outbox.notify();
    Ok(view)
}

/// Approve a refund above the approval limit: its credit notes are issued
/// and it is refunded. Not by the person who authorised the return.
#[utoipa::path(
    post, path = "/v1/refunds/{return_id}/approve", tag = "refunds",
    params(("return_id" = Uuid, Path)),
    request_body = RefundApproveRequest,
    responses(
        (status = 200, body = RefundView),
        (status = 403, description = "The person who authorised the return", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not awaiting approval, or it failed on approval", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn approve(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    id: web::Path<Uuid>,
    Json(input): Json<RefundApproveRequest>,
) -> Result<HttpResponse, ApiError> {
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::field("note", "must be at most 500 characters"));
    }
    let view = decide(&rt, &caller.actor(), *id, Decision::Approve(note)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Refuse a refund awaiting approval, or a failed one, with why: nothing is
/// credited; support hears of it.
#[utoipa::path(
    post, path = "/v1/refunds/{return_id}/reject", tag = "refunds",
    params(("return_id" = Uuid, Path)),
    request_body = RefundRejectRequest,
    responses(
        (status = 200, body = RefundView),
        (status = 403, description = "The person who authorised the return", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Neither awaiting approval nor failed", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reject(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    id: web::Path<Uuid>,
    Json(input): Json<RefundRejectRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    v.require_text("reason", &input.reason, 500);
    v.finish()?;
    let reason = input.reason.trim();
    let view = decide(&rt, &caller.actor(), *id, Decision::Reject(reason)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Try a failed refund again once its cause is fixed (say, the invoice it
/// waited for is issued): refunded, held for approval, or failed again with
/// the reason.
#[utoipa::path(
    post, path = "/v1/refunds/{return_id}/retry", tag = "refunds",
    params(("return_id" = Uuid, Path)),
    responses(
        (status = 200, body = RefundView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn retry(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = decide(&rt, &caller.actor(), *id, Decision::Retry).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Set the amount above which a refund in `currency` waits for a finance
/// approver (a currency without a limit needs none).
#[utoipa::path(
    put, path = "/v1/refund-approval-limits/{currency}", tag = "refunds",
    params(("currency" = inline(Currency), Path)),
    request_body = RefundLimitInput,
    responses(
        (status = 200, body = RefundLimitView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_limit(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    currency: web::Path<String>,
    Json(input): Json<RefundLimitInput>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let currency = v.check("currency", currency.parse::<Currency>());
    if let Some(c) = currency {
        v.check(
            "amount",
            Money {
                amount: input.amount,
                currency: c,
            }
            .validated()
            .and_then(Money::non_negative),
        );
    }
    v.finish()?;
    let currency = currency.ok_or_else(|| ApiError::field("currency", "unknown currency"))?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let (view, before) =
                store::put_limit(tx, currency, input.amount.normalize(), &actor).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "refund_approval_limit",
                    entity_id: currency.code(),
                    action: if before.is_some() {
                        "updated"
                    } else {
                        "created"
                    },
                    before: before.as_ref().map(audit::snapshot),
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(
    get, path = "/v1/refund-approval-limits", tag = "refunds",
    responses((status = 200, body = [RefundLimitView]))
)]
pub async fn limits(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    Ok(HttpResponse::Ok().json(store::limits(&mut conn).await?))
}
