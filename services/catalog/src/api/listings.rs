//! Channel listings: set a variant's price and active flag on a channel, and read
//! the audit trail of price changes.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::contracts::Page;
use domain::contracts::catalog::{ListingView, PriceChangeView, ProductStatus, SetListingRequest};
use domain::{ChannelId, Money, Sku, Validator};
use platform::error::Problem;
use platform::http::{Json, etag, if_match};
use platform::{ApiError, Authorized, Caller, Runtime, audit};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::Writers;
use super::products::check_version;
use crate::events::{self, ListingEvent};
use crate::{domain as rules, store};

/// Set the price and active flag of a variant on a channel. A price change is
/// audited (who, when, old, new) and published as PriceChanged.
#[utoipa::path(
    put, path = "/v1/products/{id}/variants/{sku}/listings/{channel_id}", tag = "listings",
    request_body = SetListingRequest,
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("sku" = domain::Sku, Path, description = "Variant SKU"),
        ("channel_id" = domain::ChannelId, Path, description = "Channel id"),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Optional: change only this product version"),
    ),
    responses(
        (status = 200, body = ListingView, headers(("ETag" = String, description = "The product's new ETag"))),
        (status = 409, description = "Product archived", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_listing(
    rt: web::Data<Runtime>,
    caller: Authorized<Writers>,
    req_http: HttpRequest,
    path: web::Path<(Uuid, String, String)>,
    Json(req): Json<SetListingRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req_http)?;
    let (id, sku, channel) = path.into_inner();
    let mut v = Validator::new();
    let sku = v.check("sku", sku.parse::<Sku>());
    let channel = v.check("channel_id", channel.parse::<ChannelId>());
    rules::check_price(&mut v, "price.amount", &req.price);
    v.finish()?;
    let (sku, channel) = (sku.expect("validated"), channel.expect("validated"));
    let actor = caller.actor();
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let (listing, version, changed) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let product = store::lock_product(tx, id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("product {id} does not exist")))?;
            check_version(product.version, expected)?;
            if product.status == ProductStatus::Archived.as_str() {
                return Err(ApiError::Conflict("archived products are read-only".into()));
            }
            let variant = store::find_variant(tx, id, &sku)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("product {id} has no variant {sku}")))?;
            let old = store::find_listing(tx, variant.id, channel.as_str()).await?;
            let old_state = old
                .as_ref()
                .map(|l| {
                    Ok::<_, ApiError>((store::money(l.price_amount, &l.price_currency)?, l.active))
                })
                .transpose()?;
            let change = rules::listing_change(old_state, req.price, req.active);
            if change.any {
                store::upsert_listing(tx, variant.id, channel.as_str(), req.price, req.active)
                    .await?;
                let state = |price: Money, active: bool| {
                    serde_json::json!({"product_id": id, "sku": sku, "channel_id": channel,
                                       "price": price, "active": active})
                };
                audit::record(
                    tx,
                    &actor,
                    audit::Change {
                        entity_type: "listing",
                        entity_id: &format!("{sku}:{channel}"),
                        action: if old_state.is_some() {
                            "replaced"
                        } else {
                            "created"
                        },
                        before: old_state.map(|(price, active)| state(price, active)),
                        after: Some(state(req.price, req.active)),
                    },
                )
                .await?;
                if change.price_changed {
                    store::audit_price(
                        tx,
                        variant.id,
                        channel.as_str(),
                        old_state.map(|s| s.0),
                        req.price,
                        &actor,
                    )
                    .await?;
                }
                store::touch_product(tx, &product, None, &actor).await?;
                events::publish_listing(
                    outbox,
                    tx,
                    ListingEvent {
                        product_id: id.to_string(),
                        variant_id: variant.id.to_string(),
                        sku: &sku,
                        channel: &channel,
                        old_price: old_state.map(|s| s.0),
                        price: req.price,
                        active: req.active,
                        price_changed: change.price_changed,
                        actor: &actor,
                        at: Utc::now(),
                    },
                )
                .await?;
            }
            let row = store::find_listing(tx, variant.id, channel.as_str())
                .await?
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("listing vanished")))?;
            let version = if change.any {
                product.version + 1
            } else {
                product.version
            };
            Ok((row, version, change.any))
        })
        .await?;
    if changed {
        rt.outbox.notify();
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(ListingView {
            channel_id: channel,
            price: store::money(listing.price_amount, &listing.price_currency)?,
            active: listing.active,
            updated_at: listing.updated_at,
        }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque cursor from the previous page's `next_cursor`.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
}

/// The audited price changes of a product's listings, newest first.
#[utoipa::path(
    get, path = "/v1/products/{id}/price-history", tag = "listings",
    params(("id" = Uuid, Path, description = "Product id"), HistoryQuery),
    responses(
        (status = 200, body = inline(Page<PriceChangeView>)),
    )
)]
pub async fn price_history(
    rt: web::Data<Runtime>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut v = Validator::new();
    let limit = platform::http::page_limit(
        &mut v,
        query.limit,
        super::products::DEFAULT_PAGE,
        super::products::MAX_PAGE,
    );
    let before = query.cursor.as_deref().and_then(|c| {
        v.check(
            "cursor",
            c.parse::<i64>().map_err(|_| "not a cursor from this API"),
        )
    });
    v.finish()?;
    let mut conn = rt.conn().await?;
    if store::product_exists(&mut conn, id).await? {
        let channel = caller.channel().map(ChannelId::as_str);
        let (items, next) = store::price_history(&mut conn, id, channel, before, limit).await?;
        Ok(HttpResponse::Ok().json(Page {
            items,
            next_cursor: next.map(|n| n.to_string()),
        }))
    } else {
        Err(ApiError::NotFound(format!("product {id} does not exist")))
    }
}
