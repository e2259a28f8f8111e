//! Storefront holds: stock reserved for a checkout for a limited time. An
//! expired hold releases by itself; an order naming the hold converts it.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::inventory::{HoldRequest, HoldView, ReservedLineView};
use domain::{ChannelId, Sku, Validator};
use platform::error::Problem;
use platform::http::Json;
use platform::{Access, ApiError, Authorized, Caller, Runtime, audit};
use uuid::Uuid;

use super::{StaffOrChannel, acting_channel};
use crate::domain::allocation::Line;
use crate::domain::{DEFAULT_HOLD_TTL_SECONDS, MAX_HOLD_TTL_SECONDS};
use crate::events::background::{AVAILABILITY_DIRTY, STOCK_FREED};
use crate::store::{self, holds, stock};

const MAX_LINES: usize = 200;

async fn view(conn: &mut platform::db::Conn, row: holds::HoldRow) -> Result<HoldView, ApiError> {
    let lines = stock::reserved_lines(conn, row.id).await?;
    Ok(HoldView {
        id: row.id,
        channel_id: row
            .channel_id
            .parse::<ChannelId>()
            .map_err(|_| ApiError::internal(anyhow::anyhow!("stored channel id is invalid")))?,
        status: row.status,
        lines: lines
            .into_iter()
            .map(|l| ReservedLineView {
                line_no: Some(l.line_no),
                sku: l.sku,
                location: l.code,
                quantity: l.quantity,
            })
            .collect(),
        expires_at: row.expires_at,
        created_at: row.created_at,
        order_id: row.order_id,
    })
}

/// Hold stock for a checkout. All lines are held, or none (409).
#[utoipa::path(
    post, path = "/v1/holds", tag = "holds",
    request_body = HoldRequest,
    responses(
        (status = 201, body = HoldView),
        (status = 409, description = "Not enough stock for every line", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    rt: web::Data<Runtime>,
    caller: Authorized<StaffOrChannel>,
    Json(req): Json<HoldRequest>,
) -> Result<HttpResponse, ApiError> {
    let channel = acting_channel(&caller, req.channel_id.as_deref(), "channel_id")?;
    let mut v = Validator::new();
    if req.lines.is_empty() {
        v.push("lines", "must have at least one line");
    } else if req.lines.len() > MAX_LINES {
        v.push("lines", format!("must have at most {MAX_LINES} lines"));
    }
    let mut lines = Vec::new();
    for (i, l) in req.lines.iter().enumerate() {
        let sku = v.check(format!("lines[{i}].sku"), l.sku.parse::<Sku>());
        if l.quantity <= 0 {
            v.push(format!("lines[{i}].quantity"), "must be at least 1");
        }
        if let Some(sku) = sku {
            lines.push(Line {
                line_no: i as i32 + 1,
                sku: sku.to_string(),
                quantity: l.quantity,
            });
        }
    }
    let ttl = req.ttl_seconds.unwrap_or(DEFAULT_HOLD_TTL_SECONDS);
    if !(1..=MAX_HOLD_TTL_SECONDS).contains(&ttl) {
        v.push(
            "ttl_seconds",
            format!("must be between 1 and {MAX_HOLD_TTL_SECONDS}"),
        );
    }
    v.finish()?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let hold = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let Some(channel_row) = store::channel(tx, &channel).await? else {
                return Err(ApiError::field(
                    "channel_id",
                    format!("unknown channel {channel}"),
                ));
            };
            let mut unknown = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                if !store::sku_known(tx, &l.sku).await? {
                    unknown.push(domain::FieldError::new(
                        format!("lines[{i}].sku"),
                        format!("unknown SKU {}", l.sku),
                    ));
                }
            }
            if !unknown.is_empty() {
                return Err(ApiError::Validation(unknown));
            }
            let id = Uuid::now_v7();
            match holds::create(
                tx,
                id,
                &channel,
                &channel_row.ship_from,
                &lines,
                ttl,
                &actor,
            )
            .await?
            {
                Ok(row) => {
                    let hold = view(tx, row).await?;
                    audit::record(
                        tx,
                        &actor,
                        audit::Change {
                            entity_type: "hold",
                            entity_id: &hold.id.to_string(),
                            action: "created",
                            before: None,
                            after: Some(audit::snapshot(&hold)),
                        },
                    )
                    .await?;
                    Ok(hold)
                }
                Err(shorts) => Err(ApiError::Conflict(format!(
                    "not enough stock to hold: {}",
                    shorts
                        .iter()
                        .map(|s| format!("{} short by {}", s.sku, s.missing))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        })
        .await?;
    AVAILABILITY_DIRTY.notify_one();
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/holds/{}", hold.id)))
        .json(hold))
}

/// A hold of another channel is 404 to a channel token.
fn visible(caller: &Caller, row: &holds::HoldRow) -> Result<(), ApiError> {
    caller.require_channel(&row.channel_id, StaffOrChannel::STAFF, || {
        ApiError::NotFound(format!("hold {} does not exist", row.id))
    })
}

/// Get a hold.
#[utoipa::path(
    get, path = "/v1/holds/{id}", tag = "holds",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = HoldView),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    caller: Authorized<StaffOrChannel>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let row = holds::get(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("hold {id} does not exist")))?;
    visible(&caller, &row)?;
    Ok(HttpResponse::Ok().json(view(&mut conn, row).await?))
}

/// Release a hold now (the checkout was abandoned).
#[utoipa::path(
    delete, path = "/v1/holds/{id}", tag = "holds",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Released", body = HoldView),
        (status = 409, description = "Already expired, released or converted", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn release(
    rt: web::Data<Runtime>,
    caller: Authorized<StaffOrChannel>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let row = holds::get(tx, id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("hold {id} does not exist")))?;
            visible(&caller, &row)?;
            let before = view(tx, row.clone()).await?;
            if !holds::end(tx, id, "released", &actor).await? {
                return Err(ApiError::Conflict(format!("hold {id} is {}", row.status)));
            }
            let released = holds::get(tx, id).await?.expect("hold exists");
            let after = view(tx, released).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "hold",
                    entity_id: &id.to_string(),
                    action: "released",
                    before: Some(audit::snapshot(&before)),
                    after: Some(audit::snapshot(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await?;
    AVAILABILITY_DIRTY.notify_one();
    STOCK_FREED.notify_one();
    Ok(HttpResponse::Ok().json(row))
}
