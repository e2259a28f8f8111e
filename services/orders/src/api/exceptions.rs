//! The exception queue: orders on hold (payment failed, stock conflict,
//! address problem, fraud review) and the actions ops take on them. Every
//! action is role-checked and lands in the order's status history.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::Page;
use domain::contracts::orders::{
    ActionRequest, ExceptionQuery, HoldReason, OrderStatus, OrderView, PaymentStatus,
};
use platform::error::Problem;
use platform::http::OptionalJson;
use platform::outbox::Outbox;
use platform::{Access, ApiError, Authorized, Caller, Runtime};
use uuid::Uuid;

use super::{ExceptionReaders, ExceptionStaff, lock_visible, not_found, page_limit};
use crate::store::allocations;
use crate::store::history::{self, Head};
use crate::store::orders as order_store;
use crate::{events, store};

/// Orders on hold, oldest first, by reason and channel.
#[utoipa::path(
    get, path = "/v1/exceptions", tag = "exceptions",
    params(ExceptionQuery),
    responses(
        (status = 200, body = inline(Page<OrderView>)),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<ExceptionReaders>,
    query: web::Query<ExceptionQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Validator::new();
    let limit = page_limit(&mut v, q.limit);
    if let Some(r) = &q.reason
        && HoldReason::parse(r).is_none()
    {
        v.push(
            "reason",
            "must be payment_failed, stock_conflict, address_problem or fraud_review",
        );
    }
    let after = platform::http::id_cursor(&mut v, q.cursor.as_deref());
    if let Some(channel) = &q.channel {
        v.check("channel", channel.parse::<domain::ChannelId>());
    }
    v.finish()?;
    let mut conn = rt.conn().await?;
    let filter = order_store::ListFilter {
        status: Some(OrderStatus::OnHold.as_str().into()),
        hold_reason: q.reason,
        channel: q.channel,
        after,
        limit,
    };
    let items = platform::snapshot!(conn, |tx| order_store::list(tx, &filter).await)?;
    Ok(HttpResponse::Ok().json(Page::list(items, limit, |o| o.id.to_string())))
}

/// Takes an order off hold: back to reserved (and confirmed, if paid) when its
/// stock is still reserved, else received and placed again with inventory.
pub async fn resume(
    outbox: &Outbox,
    conn: &mut platform::db::Conn,
    head: &mut Head,
    why: &str,
    actor: &str,
) -> Result<(), ApiError> {
    if allocations::has_allocations(conn, head.id).await? {
        history::transition(conn, head, OrderStatus::Reserved, None, Some(why), actor).await?;
        return events::confirm_if_paid(outbox, conn, head, actor).await;
    }
    place_again(outbox, conn, head, why, actor).await
}

async fn place_again(
    outbox: &Outbox,
    conn: &mut platform::db::Conn,
    head: &mut Head,
    why: &str,
    actor: &str,
) -> Result<(), ApiError> {
    let channel = store::channels::get(conn, &head.channel_id)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(format!("channel {} no longer exists", head.channel_id))
        })?;
    history::transition(conn, head, OrderStatus::Received, None, Some(why), actor).await?;
    events::placed(outbox, conn, head, &channel).await
}

fn with_note(action: &str, note: &Option<String>) -> String {
    match note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("{action}: {n}"),
        None => action.to_string(),
    }
}

/// Release an order from hold after review (fraud cleared, address fixed,
/// stock conflict resolved). An order held for a failed payment is released by
/// recording the payment instead.
#[utoipa::path(
    post, path = "/v1/orders/{id}/release", tag = "exceptions",
    request_body = Option<ActionRequest>,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = OrderView),
        (status = 409, description = "Not on hold, or the payment is still failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn release(
    rt: web::Data<Runtime>,
    caller: Authorized<ExceptionStaff>,
    id: web::Path<Uuid>,
    body: OptionalJson<ActionRequest>,
) -> Result<HttpResponse, ApiError> {
    act(&rt, &caller, id.into_inner(), body, Action::Release).await
}

/// Ask inventory to reserve again: for an order held for a stock conflict, or
/// a backordered one (e.g. after the channel's policy or eligibility changed).
#[utoipa::path(
    post, path = "/v1/orders/{id}/retry-reservation", tag = "exceptions",
    request_body = Option<ActionRequest>,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = OrderView),
        (status = 409, description = "Not held for stock and not backordered", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn retry(
    rt: web::Data<Runtime>,
    caller: Authorized<ExceptionStaff>,
    id: web::Path<Uuid>,
    body: OptionalJson<ActionRequest>,
) -> Result<HttpResponse, ApiError> {
    act(&rt, &caller, id.into_inner(), body, Action::Retry).await
}

/// What ops do to an order in the exception queue.
#[derive(Clone, Copy)]
enum Action {
    Release,
    Retry,
}

/// Applies `action` to the locked order in one transaction, with the caller's
/// note in the status history, and returns the order as it is afterwards.
async fn act(
    rt: &Runtime,
    caller: &Caller,
    id: Uuid,
    body: OptionalJson<ActionRequest>,
    action: Action,
) -> Result<HttpResponse, ApiError> {
    let note = body.0.and_then(|b| b.note);
    let actor = caller.actor();
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let mut head = lock_visible(tx, caller, id, ExceptionStaff::STAFF).await?;
            match action {
                Action::Release => {
                    if head.status != OrderStatus::OnHold {
                        return Err(ApiError::Conflict(format!(
                            "the order is {}, not on hold",
                            head.status.as_str()
                        )));
                    }
                    if head.payment_status == PaymentStatus::Failed {
                        return Err(ApiError::Conflict(
                            "the payment is still failed: record the payment (POST /payment) to release the order"
                                .into(),
                        ));
                    }
                    resume(outbox, tx, &mut head, &with_note("released from hold", &note), &actor).await?;
                }
                Action::Retry => {
                    let retryable = head.status == OrderStatus::Backordered
                        || (head.status == OrderStatus::OnHold
                            && head.hold_reason == Some(HoldReason::StockConflict));
                    if !retryable {
                        return Err(ApiError::Conflict(format!(
                            "only backordered orders or orders held for a stock conflict can retry; this one is {}",
                            head.status.as_str()
                        )));
                    }
                    place_again(outbox, tx, &mut head, &with_note("reservation retried", &note), &actor).await?;
                }
            }
            order_store::load(tx, id).await?.ok_or_else(|| not_found(id))
        })
        .await?;
    super::committed(rt);
    Ok(HttpResponse::Ok().json(view))
}
