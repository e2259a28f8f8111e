//! Stock: adjustments, levels, the movement log and order reservations.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::contracts::Page;
use domain::contracts::inventory::{
    AdjustmentRequest, MovementQuery, MovementView, ReservationView, SkuStockView,
};
use domain::events::proto::inventory::v1 as pb;
use domain::events::{timestamp, topics};
use domain::{Sku, Validator};
use platform::error::Problem;
use platform::http::Json;
use platform::idempotency::{self, IdempotencyKey};
use platform::{ApiError, Authorized, Runtime};
use uuid::Uuid;

use super::{Adjusters, Staff, page_limit};
use crate::domain::{Change, validate_adjustment};
use crate::events::background::{AVAILABILITY_DIRTY, STOCK_FREED};
use crate::store::{self, locations, reservations, stock};

/// Adjust stock with a reason: a receipt, a cycle count, damage, a correction
/// or a return. Every adjustment leaves a movement (who, when, why, before,
/// after); backorders waiting for the SKU are reserved as soon as it commits.
#[utoipa::path(
    post, path = "/v1/adjustments", tag = "stock",
    request_body = AdjustmentRequest,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body return the first response")),
    responses(
        (status = 201, description = "Applied; the movement it wrote", body = MovementView),
        (status = 409, description = "Would leave less on hand than is reserved", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, unknown SKU or location, or a negative result", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn adjust(
    rt: web::Data<Runtime>,
    caller: Authorized<Adjusters>,
    key: IdempotencyKey,
    Json(req): Json<AdjustmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let adj = validate_adjustment(&req)?;
    let actor = caller.actor();
    let scope = format!("inventory.adjust:{actor}");
    let hash = idempotency::request_hash(&req);
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let (movement, added) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            if let Some(key) = &key.0
                && let Some(stored) =
                    idempotency::claim::<MovementView>(tx, &scope, key, &hash).await?
            {
                return Ok((stored, false));
            }
            let sku = adj.sku.as_str();
            if !store::sku_known(tx, sku).await? {
                return Err(ApiError::field(
                    "sku",
                    format!("unknown SKU {sku}: not in the catalog, or created a moment ago and not yet received by inventory (retry shortly)"),
                ));
            }
            let location = locations::by_code(tx, &adj.location)
                .await?
                .ok_or_else(|| {
                    ApiError::field("location", format!("unknown location {}", adj.location))
                })?;
            let (on_hand, reserved) = stock::lock_one(tx, sku, location.id).await?;
            let after = adj.change.apply(on_hand);
            let field = match adj.change {
                Change::Delta(_) => "quantity_delta",
                Change::Counted(_) => "counted_on_hand",
            };
            if after < 0 {
                return Err(ApiError::field(
                    field,
                    format!(
                        "would leave {after} on hand at {} (on hand is {on_hand})",
                        location.code
                    ),
                ));
            }
            if after < reserved {
                return Err(ApiError::Conflict(format!(
                    "{field}: would leave {after} on hand at {} with {reserved} reserved; \
                     cancel or move those reservations first",
                    location.code
                )));
            }
            stock::set_on_hand(tx, sku, location.id, after).await?;
            let movement_id = stock::record_movement(
                tx,
                stock::Movement {
                    sku,
                    location_id: location.id,
                    kind: adj.reason.as_str(),
                    on_hand: (on_hand, after),
                    reserved: (reserved, reserved),
                    reference: None,
                    actor: &actor,
                    note: adj.note.as_deref(),
                },
            )
            .await?;
            stock::mark_dirty(tx, &BTreeSet::from([sku.to_string()])).await?;
            let now = Utc::now();
            outbox
                .enqueue(
                    tx,
                    topics::INVENTORY_STOCK_EVENTS,
                    sku,
                    &pb::StockAdjusted {
                        sku: sku.to_string(),
                        location_code: location.code.clone(),
                        reason: adj.reason.as_str().to_string(),
                        delta: after - on_hand,
                        on_hand_before: on_hand,
                        on_hand_after: after,
                        adjusted_by: actor.clone(),
                        note: adj.note.clone().unwrap_or_default(),
                        adjusted_at: Some(timestamp(now)),
                        movement_id,
                    },
                )
                .await?;
            let movement = MovementView {
                id: movement_id,
                sku: sku.to_string(),
                location: location.code.clone(),
                kind: adj.reason.as_str().to_string(),
                on_hand_before: on_hand,
                on_hand_after: after,
                reserved_before: reserved,
                reserved_after: reserved,
                reference: None,
                actor: actor.clone(),
                note: adj.note.clone(),
                at: now,
            };
            if let Some(key) = &key.0 {
                idempotency::record(tx, &scope, key, 201, &movement).await?;
            }
            Ok((movement, after > on_hand))
        })
        .await?;
    rt.outbox.notify();
    AVAILABILITY_DIRTY.notify_one();
    if added {
        STOCK_FREED.notify_one();
    }
    Ok(HttpResponse::Created().json(movement))
}

/// Stock of a SKU per location, with totals.
#[utoipa::path(
    get, path = "/v1/stock/{sku}", tag = "stock",
    params(("sku" = domain::Sku, Path)),
    responses(
        (status = 200, body = SkuStockView),
        (status = 404, description = "SKU not in the catalog", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Staff>,
    sku: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sku = sku.into_inner();
    let mut conn = rt.conn().await?;
    if !store::sku_known(&mut conn, &sku).await? {
        return Err(ApiError::NotFound(format!(
            "SKU {sku} is not in the catalog"
        )));
    }
    let rows = stock::read(&mut conn, std::slice::from_ref(&sku)).await?;
    Ok(HttpResponse::Ok().json(stock::sku_view(&sku, &rows)))
}

/// The movement log in order, optionally for one SKU and/or location.
#[utoipa::path(
    get, path = "/v1/movements", tag = "stock",
    params(MovementQuery),
    responses(
        (status = 200, body = inline(Page<MovementView>)),
    )
)]
pub async fn movements(
    rt: web::Data<Runtime>,
    _caller: Authorized<Staff>,
    query: web::Query<MovementQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Validator::new();
    let limit = page_limit(&mut v, q.limit);
    let after = platform::http::sequence_cursor(&mut v, q.cursor.as_deref());
    let sku = q.sku.and_then(|s| v.check("sku", s.parse::<Sku>()));
    if let Some(location) = &q.location {
        v.check("location", location.parse::<domain::LocationCode>());
    }
    v.finish()?;
    let mut conn = rt.conn().await?;
    let items = stock::movements(
        &mut conn,
        sku.as_ref().map(Sku::as_str),
        q.location.as_deref(),
        after,
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::list(items, limit, |m| m.id.to_string())))
}

/// Inventory's view of an order's reservation.
#[utoipa::path(
    get, path = "/v1/reservations/{order_id}", tag = "stock",
    params(("order_id" = Uuid, Path)),
    responses(
        (status = 200, body = ReservationView),
    )
)]
pub async fn reservation(
    rt: web::Data<Runtime>,
    _caller: Authorized<Staff>,
    order_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let order_id = order_id.into_inner();
    let mut conn = rt.conn().await?;
    // Lines, shipments and units awaiting stock are read in one snapshot.
    let view = platform::snapshot!(conn, |tx| Ok(reservations::view(tx, order_id).await?))?
        .ok_or_else(|| ApiError::NotFound(format!("no reservation for order {order_id}")))?;
    Ok(HttpResponse::Ok().json(view))
}
