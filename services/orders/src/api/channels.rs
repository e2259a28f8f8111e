//! The channel registry: create or replace, read, list.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::orders::{ChannelInput, ChannelView};
use domain::{ChannelId, LocationCode, Validator};
use platform::error::Problem;
use platform::http::{Json, etag, if_match};
use platform::{Access, ApiError, Authorized, Runtime, audit};

use super::{ChannelAdmins, Readers, StaffReaders};
use crate::{events, store};

fn validate(input: &ChannelInput, outbound: platform::outbound::Policy) -> Result<(), ApiError> {
    let mut v = Validator::new();
    v.require_text("name", &input.name, 200);
    for (i, code) in input.ship_from.iter().enumerate() {
        v.check(format!("ship_from[{i}]"), code.parse::<LocationCode>());
    }
    if !(0..=10_000).contains(&input.priority) {
        v.push("priority", "must be between 0 and 10000");
    }
    if input.safety_buffer_units < 0 {
        v.push("safety_buffer_units", "must not be negative");
    }
    if !(0..=100).contains(&input.safety_buffer_percent) {
        v.push("safety_buffer_percent", "must be between 0 and 100");
    }
    if let Some(t) = &input.fraud_threshold {
        if t.currency != input.currency {
            v.push("fraud_threshold", "must be in the channel's currency");
        } else if t.amount.is_sign_negative() {
            v.push("fraud_threshold", "must not be negative");
        }
    }
    // Checked again at every delivery, after DNS resolution (platform::outbound).
    if let Some(url) = &input.webhook_url
        && let Err(why) = outbound.check_url(url)
    {
        v.push("webhook_url", why.to_string());
    }
    if let Some(secret) = &input.webhook_secret
        && !(16..=200).contains(&secret.len())
    {
        v.push("webhook_secret", "must be 16-200 characters");
    }
    Ok(v.finish()?)
}

/// Create a channel or replace its settings (`If-Match` optional). Inventory
/// receives the stock-related part (eligibility, buffers, priority) as an event.
#[utoipa::path(
    put, path = "/v1/channels/{id}", tag = "channels",
    request_body = ChannelInput,
    params(
        ("id" = domain::ChannelId, Path, description = "Channel id, a slug such as amazon-de"),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Replace only this version"),
    ),
    responses(
        (status = 201, description = "Created", body = ChannelView, headers(("ETag" = String))),
        (status = 200, description = "Replaced", body = ChannelView, headers(("ETag" = String))),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put(
    rt: web::Data<Runtime>,
    caller: Authorized<ChannelAdmins>,
    req_http: HttpRequest,
    id: web::Path<String>,
    Json(input): Json<ChannelInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id
        .into_inner()
        .parse::<ChannelId>()
        .map_err(|e| ApiError::field("id", e.to_string()))?;
    validate(&input, (&rt.settings.outbound).into())?;
    let expected = if_match(&req_http)?;
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let (row, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let current = store::channels::lock(tx, id.as_str()).await?;
            if let Some(expected) = expected {
                let version = current.as_ref().map(|c| c.version);
                if version != Some(expected) {
                    return Err(ApiError::PreconditionFailed(format!(
                        "the channel changed: If-Match is \"{expected}\" but the current ETag is {}",
                        version.map(|v| format!("\"{v}\"")).unwrap_or_else(|| "absent".into())
                    )));
                }
            }
            let row = store::channels::upsert(tx, id.as_str(), &input).await?;
            events::channel_upserted(outbox, tx, &row).await?;
            audit_channel(tx, &caller.actor(), current.as_ref(), &row).await?;
            Ok((row, current.is_none()))
        })
        .await?;
    rt.outbox.notify();
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// Audits a channel change: the views before and after (the secret is never
/// recorded, only whether it changed).
async fn audit_channel(
    tx: &mut platform::db::Conn,
    actor: &str,
    before: Option<&store::channels::ChannelRow>,
    after: &store::channels::ChannelRow,
) -> Result<(), ApiError> {
    let before_secret = before.and_then(|b| b.webhook_secret.as_ref());
    let mut after_view = audit::snapshot(&after.view()?);
    after_view["webhook_secret_changed"] =
        serde_json::json!(before_secret != after.webhook_secret.as_ref());
    let before_view = before
        .map(|b| b.view())
        .transpose()?
        .map(|v| audit::snapshot(&v));
    audit::record(
        tx,
        actor,
        audit::Change {
            entity_type: "channel",
            entity_id: &after.id,
            action: if before.is_some() {
                "replaced"
            } else {
                "created"
            },
            before: before_view,
            after: Some(after_view),
        },
    )
    .await?;
    Ok(())
}

/// Get a channel (a channel token may read its own).
#[utoipa::path(
    get, path = "/v1/channels/{id}", tag = "channels",
    params(("id" = domain::ChannelId, Path)),
    responses(
        (status = 200, body = ChannelView, headers(("ETag" = String))),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    caller: Authorized<Readers>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let not_found = || ApiError::NotFound(format!("channel {id} does not exist"));
    caller.require_channel(&id, Readers::STAFF, not_found)?;
    let mut conn = rt.conn().await?;
    let row = store::channels::get(&mut conn, &id)
        .await?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// List channels.
#[utoipa::path(
    get, path = "/v1/channels", tag = "channels",
    responses(
        (status = 200, body = Vec<ChannelView>),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<StaffReaders>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let views = store::channels::list(&mut conn)
        .await?
        .iter()
        .map(|r| r.view())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(views))
}
