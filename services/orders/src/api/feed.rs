//! A channel's updates feed and its webhook delivery log.

use actix_web::{HttpResponse, web};
use domain::Validator;
use domain::contracts::Page;
use domain::contracts::orders::{ChannelUpdate, FeedQuery, WebhookDeliveryView};
use platform::{Access, ApiError, Authorized, Caller, Role, Runtime};

use super::{Readers, page_limit};

platform::access!(
    /// Who reads a channel's webhook delivery log: support staff, or the channel itself.
    pub DeliveryReaders: [Admin, Ops, Support], channels
);
use crate::store;

/// A channel token reads only its own channel's feed; staff read any.
async fn visible_channel(
    conn: &mut platform::db::Conn,
    caller: &Caller,
    id: &str,
    roles: &[Role],
) -> Result<(), ApiError> {
    let not_found = || ApiError::NotFound(format!("channel {id} does not exist"));
    caller.require_channel(id, roles, not_found)?;
    store::channels::get(conn, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(())
}

/// Status changes of the channel's orders since a cursor, in order. Poll with
/// the returned `next_cursor`; an empty page means nothing new yet.
#[utoipa::path(
    get, path = "/v1/channels/{id}/updates", tag = "feed",
    params(("id" = domain::ChannelId, Path), FeedQuery),
    responses(
        (status = 200, body = inline(Page<ChannelUpdate>)),
    )
)]
pub async fn updates(
    rt: web::Data<Runtime>,
    caller: Authorized<Readers>,
    id: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let q = query.into_inner();
    let mut v = Validator::new();
    let limit = page_limit(&mut v, q.limit);
    let after = platform::http::sequence_cursor(&mut v, q.cursor.as_deref());
    v.finish()?;
    let mut conn = rt.conn().await?;
    visible_channel(&mut conn, &caller, &id, Readers::STAFF).await?;
    let items = store::feed::updates(&mut conn, &id, after, limit).await?;
    Ok(HttpResponse::Ok().json(Page::feed(items, after, |u| u.sequence)))
}

/// The channel's latest webhook deliveries (newest first) with their state.
#[utoipa::path(
    get, path = "/v1/channels/{id}/webhook-deliveries", tag = "feed",
    params(("id" = domain::ChannelId, Path)),
    responses(
        (status = 200, body = Vec<WebhookDeliveryView>),
    )
)]
pub async fn deliveries(
    rt: web::Data<Runtime>,
    caller: Authorized<DeliveryReaders>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    visible_channel(&mut conn, &caller, &id, DeliveryReaders::STAFF).await?;
    Ok(HttpResponse::Ok().json(store::feed::deliveries(&mut conn, &id, 100).await?))
}
