//! Available-to-sell per channel: one SKU now, or the coalesced change feed a
//! marketplace connector syncs from without polling every SKU.

use actix_web::{HttpResponse, web};
use domain::contracts::Page;
use domain::contracts::inventory::{
    AvailabilityChange, AvailabilityChangesQuery, AvailabilityQuery, AvailabilityView,
};
use domain::{Sku, Validator};
use platform::error::Problem;
use platform::{ApiError, Authorized, Runtime};

use super::{StaffOrChannel, acting_channel, page_limit};
use crate::store::{self, availability, stock};

async fn known_channel(
    conn: &mut platform::db::Conn,
    channel: &str,
) -> Result<store::ChannelRow, ApiError> {
    store::channel(conn, channel)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("channel {channel} is not known to inventory")))
}

/// What a channel may sell of a SKU right now (computed live from stock).
#[utoipa::path(
    get, path = "/v1/availability", tag = "availability",
    params(AvailabilityQuery),
    responses(
        (status = 200, body = AvailabilityView),
        (status = 404, description = "Unknown channel or SKU", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    caller: Authorized<StaffOrChannel>,
    query: web::Query<AvailabilityQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let channel = acting_channel(&caller, q.channel.as_deref(), "channel")?;
    let mut v = Validator::new();
    let sku = v.check("sku", q.sku.parse::<Sku>());
    v.finish()?;
    let sku = sku.expect("validated").to_string();
    let mut conn = rt.conn().await?;
    let channel_row = known_channel(&mut conn, &channel).await?;
    if !store::sku_known(&mut conn, &sku).await? {
        return Err(ApiError::NotFound(format!(
            "SKU {sku} is not in the catalog"
        )));
    }
    let rows = stock::read(&mut conn, std::slice::from_ref(&sku)).await?;
    let (ats, eligible, buffer) = availability::for_channel(&channel_row, &sku, &rows);
    Ok(HttpResponse::Ok().json(AvailabilityView {
        sku,
        channel_id: channel,
        available_to_sell: if channel_row.active { ats } else { 0 },
        eligible_available: eligible,
        safety_buffer: buffer,
    }))
}

/// Availability changes for a channel since a cursor: the latest value per
/// SKU, in the order they were published (a few hundred milliseconds behind
/// the live value). Start without a cursor for a full snapshot.
#[utoipa::path(
    get, path = "/v1/availability/changes", tag = "availability",
    params(AvailabilityChangesQuery),
    responses(
        (status = 200, body = inline(Page<AvailabilityChange>)),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn changes(
    rt: web::Data<Runtime>,
    caller: Authorized<StaffOrChannel>,
    query: web::Query<AvailabilityChangesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let channel = acting_channel(&caller, q.channel.as_deref(), "channel")?;
    let mut v = Validator::new();
    let limit = page_limit(&mut v, q.limit);
    let after = platform::http::sequence_cursor(&mut v, q.cursor.as_deref());
    v.finish()?;
    let mut conn = rt.conn().await?;
    known_channel(&mut conn, &channel).await?;
    let items = availability::changes(&mut conn, &channel, after, limit).await?;
    Ok(HttpResponse::Ok().json(Page::feed(items, after, |c| c.sequence)))
}
