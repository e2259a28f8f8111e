//! Order intake and lifecycle: create (idempotent on channel + external id),
//! read, list, history, cancel, payment updates.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::contracts::Page;
use domain::contracts::orders::{
    CancelRequest, CreateOrderRequest, HoldReason, OrderListQuery, OrderStatus, OrderView,
    PaymentUpdate, StatusChangeView,
};
use domain::{Sku, Validator};
use platform::error::Problem;
use platform::http::{Json, parse_json};
use platform::{Access, ApiError, Authorized, Runtime};
use uuid::Uuid;

use super::{
    Cancellers, IntakeStaff, PaymentStaff, Readers, check_access, committed, lock_visible,
    not_found, page_limit,
};
use crate::domain::intake::{self, ChannelRules, Listing};
use crate::domain::lifecycle::{self, PaymentEffect};
use crate::store::history;
use crate::store::orders::{self as order_store, NewOrder};
use crate::{events, store};

/// Place an order from any channel. The same payload again returns the same
/// order (200); another payload under the same external id is 409. The raw
/// payload is kept beside the normalized order.
#[utoipa::path(
    post, path = "/v1/orders", tag = "orders",
    request_body = CreateOrderRequest,
    responses(
        (status = 201, description = "Accepted", body = OrderView, headers(("Location" = String))),
        (status = 200, description = "The same order was already accepted (idempotent retry)", body = OrderView),
        (status = 409, description = "Another payload was already accepted under this external order id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: unknown or unlisted SKU, quantity, currency, totals, address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    rt: web::Data<Runtime>,
    caller: Authorized<IntakeStaff>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let raw: serde_json::Value = parse_json(&body)?;
    let req: CreateOrderRequest = parse_json(&body)?;
    let channel_id =
        caller.acting_channel(req.channel_id.as_deref(), "channel_id", IntakeStaff::STAFF)?;
    let actor = caller.actor();
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let (view, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            accept(outbox, tx, channel_id.as_str(), &req, &raw, &actor, None).await
        })
        .await?;
    if created {
        committed(&rt);
        return Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/v1/orders/{}", view.id)))
            .json(view));
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Idempotent-Replayed", "true"))
        .json(view))
}

/// Accepts an order of `channel_id` in the caller's transaction: validated
/// against the channel and its listings, inserted (received, or on hold)
/// and OrderPlaced published unless held. The same payload again answers
/// the stored order (false); another payload under its external id is 409.
/// Intake and exchanges' replacement orders both come through here.
pub(crate) async fn accept(
    outbox: &platform::outbox::Outbox,
    tx: &mut platform::db::Conn,
    channel_id: &str,
    req: &CreateOrderRequest,
    raw: &serde_json::Value,
    actor: &str,
    replaces_return: Option<Uuid>,
) -> Result<(OrderView, bool), ApiError> {
    let hash = platform::idempotency::request_hash(raw);
    let replay = async |tx: &mut platform::db::Conn, id: Uuid, stored_hash: String| {
        if stored_hash != hash {
            return Err(ApiError::Conflict(format!(
                "order {} of channel {channel_id} was already accepted with a different payload",
                req.external_order_id
            )));
        }
        let view = order_store::load(tx, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok((view, false))
    };
    if let Some((id, stored_hash)) =
        order_store::existing(tx, channel_id, req.external_order_id.trim()).await?
    {
        return replay(tx, id, stored_hash).await;
    }
    let channel = store::channels::get(tx, channel_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| {
            ApiError::field(
                "channel_id",
                format!("channel {channel_id} is not registered or not active"),
            )
        })?;
    let rules = ChannelRules {
        currency: channel.currency()?,
        fraud_threshold: channel.fraud_threshold()?,
    };
    let skus: Vec<String> = req.lines.iter().map(|l| l.sku.clone()).collect();
    let listings = store::catalog::listings(tx, channel_id, &skus).await?;
    let order = intake::validate(
        req,
        &rules,
        |sku: &Sku| {
            listings
                .get(sku.as_str())
                .copied()
                .unwrap_or(Listing::Unknown)
        },
        Utc::now(),
    )?;
    let first_time = intake::above_fraud_threshold(&order, &rules)
        && order_store::first_time_customer(tx, &order.customer.email).await?;
    let hold = intake::intake_hold(&order, &rules, first_time);
    let new = NewOrder {
        id: Uuid::now_v7(),
        channel_id,
        order: &order,
        hold: hold.as_ref(),
        raw_payload: raw,
        request_hash: &hash,
        actor,
        at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 6),
    };
    if !order_store::insert(tx, &new).await? {
        // A concurrent duplicate committed first: answer as its retry.
        let (id, stored_hash) = order_store::existing(tx, channel_id, &order.external_order_id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("conflicting order vanished")))?;
        return replay(tx, id, stored_hash).await;
    }
    let head = new.head();
    match &hold {
        Some((reason, detail)) => events::on_hold_event(outbox, tx, &head, *reason, detail).await?,
        None => {
            let mut placement = order_store::Placement::of(&order);
            placement.replaces_return_id = replaces_return;
            events::placed_with(outbox, tx, &head, &channel, &placement).await?
        }
    }
    let view = new.view()?;
    Ok((view, true))
}

/// Get an order.
#[utoipa::path(
    get, path = "/v1/orders/{id}", tag = "orders",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = OrderView),
        (status = 404, description = "No such order, or another channel's", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    // An order is read in several statements (order, lines, allocations,
    // shipments): one snapshot, so a shipment committing in between is seen
    // whole or not at all (never the shipment without its shipped units).
    let view = platform::snapshot!(conn, |tx| Ok(order_store::load(tx, id).await?))?
        .ok_or_else(|| not_found(id))?;
    check_access(&caller, view.channel_id.as_str(), id, Readers::STAFF)?;
    Ok(HttpResponse::Ok().json(view))
}

/// List orders in creation order; a channel token lists only its own.
#[utoipa::path(
    get, path = "/v1/orders", tag = "orders",
    params(OrderListQuery),
    responses(
        (status = 200, body = inline(Page<OrderView>)),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    caller: Authorized<Readers>,
    query: web::Query<OrderListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let channel = caller
        .channel_filter(q.channel.as_deref(), "channel")?
        .map(|c| c.to_string());
    let mut v = Validator::new();
    let limit = page_limit(&mut v, q.limit);
    if let Some(s) = &q.status
        && OrderStatus::parse(s).is_none()
    {
        v.push("status", "is not an order status");
    }
    let after = platform::http::id_cursor(&mut v, q.cursor.as_deref());
    v.finish()?;
    let mut conn = rt.conn().await?;
    let filter = order_store::ListFilter {
        status: q.status,
        hold_reason: None,
        channel,
        after,
        limit,
    };
    // Each order of the page is read in several statements: one snapshot.
    let items = platform::snapshot!(conn, |tx| order_store::list(tx, &filter).await)?;
    Ok(HttpResponse::Ok().json(Page::list(items, limit, |o| o.id.to_string())))
}

/// The order's status history: every move, who or what made it, and when.
#[utoipa::path(
    get, path = "/v1/orders/{id}/history", tag = "orders",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<StatusChangeView>),
    )
)]
pub async fn history(
    rt: web::Data<Runtime>,
    caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let view = order_store::load(&mut conn, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    check_access(&caller, view.channel_id.as_str(), id, Readers::STAFF)?;
    Ok(HttpResponse::Ok().json(history::history(&mut conn, id).await?))
}

/// Cancel an order before shipment (the channel itself, or ops/support). Its
/// reserved stock is released. Cancelling a cancelled order changes nothing;
/// once anything has shipped it is a 409 (returns are a separate flow).
#[utoipa::path(
    post, path = "/v1/orders/{id}/cancel", tag = "orders",
    request_body = CancelRequest,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = OrderView),
        (status = 409, description = "The order can no longer be cancelled (e.g. it has shipped)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    rt: web::Data<Runtime>,
    caller: Authorized<Cancellers>,
    id: web::Path<Uuid>,
    Json(req): Json<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    v.require_text("reason", &req.reason, 500);
    v.finish()?;
    let id = id.into_inner();
    let actor = caller.actor();
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let mut head = lock_visible(tx, &caller, id, Cancellers::STAFF).await?;
            if head.status != OrderStatus::Cancelled {
                if head.status.has_shipped() {
                    return Err(ApiError::Conflict(format!(
                        "the order has shipped ({}) and can no longer be cancelled; \
                         returns are a separate flow",
                        head.status.as_str()
                    )));
                }
                if !lifecycle::cancellable(head.status) {
                    return Err(ApiError::Conflict(format!(
                        "an order that is {} can no longer be cancelled",
                        head.status.as_str()
                    )));
                }
                history::transition(
                    tx,
                    &mut head,
                    OrderStatus::Cancelled,
                    None,
                    Some(req.reason.trim()),
                    &actor,
                )
                .await?;
                events::cancelled(outbox, tx, &head, req.reason.trim(), &actor).await?;
            }
            order_store::load(tx, id)
                .await?
                .ok_or_else(|| not_found(id))
        })
        .await?;
    committed(&rt);
    Ok(HttpResponse::Ok().json(view))
}

/// Record a payment status change from the channel or finance: paid or
/// authorized confirms a reserved order (or places an order held for a failed
/// payment); failed puts the order on hold.
#[utoipa::path(
    post, path = "/v1/orders/{id}/payment", tag = "orders",
    request_body = PaymentUpdate,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = OrderView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn payment(
    rt: web::Data<Runtime>,
    caller: Authorized<PaymentStaff>,
    id: web::Path<Uuid>,
    Json(req): Json<PaymentUpdate>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = caller.actor();
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let mut head = lock_visible(tx, &caller, id, PaymentStaff::STAFF).await?;
            let effect =
                lifecycle::payment_effect(head.status, head.hold_reason, req.payment_status);
            if effect == PaymentEffect::Refuse {
                return Err(ApiError::Conflict("the order is cancelled".into()));
            }
            history::set_payment_status(tx, id, req.payment_status).await?;
            head.payment_status = req.payment_status;
            match effect {
                PaymentEffect::Hold => {
                    events::hold(
                        outbox,
                        tx,
                        &mut head,
                        HoldReason::PaymentFailed,
                        "payment failed",
                        &actor,
                    )
                    .await?;
                }
                PaymentEffect::Resume => {
                    super::exceptions::resume(outbox, tx, &mut head, "payment secured", &actor)
                        .await?;
                }
                PaymentEffect::ConfirmIfReserved => {
                    events::confirm_if_paid(outbox, tx, &mut head, &actor).await?;
                }
                PaymentEffect::RecordOnly | PaymentEffect::Refuse => {}
            }
            order_store::load(tx, id)
                .await?
                .ok_or_else(|| not_found(id))
        })
        .await?;
    committed(&rt);
    Ok(HttpResponse::Ok().json(view))
}
