//! What the catalog publishes: ProductUpserted, PriceChanged and ListingChanged on
//! `catalog.product-events.v1`, keyed by product id so one product's events stay
//! in order. Written to the outbox in the transaction of the change.

use chrono::{DateTime, Utc};
use domain::contracts::catalog::ProductView;
use domain::events::proto::catalog::v1 as pb;
use domain::events::{money_to_proto, timestamp, topics};
use domain::{ChannelId, Money, Sku};
use platform::ApiError;
use platform::db::Conn;
use platform::outbox::Outbox;

pub const TOPICS: &[&str] = &[topics::CATALOG_PRODUCT_EVENTS];

pub fn product_upserted(view: &ProductView, actor: &str) -> pb::ProductUpserted {
    pb::ProductUpserted {
        product_id: view.id.to_string(),
        title: view.title.clone(),
        description: view.description.clone(),
        status: view.status.as_str().to_string(),
        version: view.version,
        variants: view
            .variants
            .iter()
            .map(|v| pb::Variant {
                variant_id: v.id.to_string(),
                sku: v.sku.to_string(),
                barcode: v
                    .barcode
                    .as_ref()
                    .map(|b| b.as_gtin14().to_string())
                    .unwrap_or_default(),
                unit_of_measure: v.unit_of_measure.clone(),
                weight_grams: v.weight_grams.unwrap_or_default(),
                length_mm: v.dimensions.map(|d| d.length_mm).unwrap_or_default(),
                width_mm: v.dimensions.map(|d| d.width_mm).unwrap_or_default(),
                height_mm: v.dimensions.map(|d| d.height_mm).unwrap_or_default(),
                cost_price: v.cost_price.as_ref().map(money_to_proto),
                listings: v
                    .listings
                    .iter()
                    .map(|l| pb::Listing {
                        channel_id: l.channel_id.to_string(),
                        price: Some(money_to_proto(&l.price)),
                        active: l.active,
                    })
                    .collect(),
            })
            .collect(),
        updated_at: Some(timestamp(view.updated_at)),
        updated_by: actor.to_string(),
    }
}

/// Enqueues the product's current state.
pub async fn publish_product(
    outbox: &Outbox,
    conn: &mut Conn,
    view: &ProductView,
    actor: &str,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::CATALOG_PRODUCT_EVENTS,
            &view.id.to_string(),
            &product_upserted(view, actor),
        )
        .await?;
    Ok(())
}

/// One listing change, as the events describe it.
pub struct ListingEvent<'a> {
    pub product_id: String,
    pub variant_id: String,
    pub sku: &'a Sku,
    pub channel: &'a ChannelId,
    pub old_price: Option<Money>,
    pub price: Money,
    pub active: bool,
    pub price_changed: bool,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

/// Enqueues ListingChanged, and PriceChanged when the price moved.
pub async fn publish_listing(
    outbox: &Outbox,
    conn: &mut Conn,
    e: ListingEvent<'_>,
) -> Result<(), ApiError> {
    let key = e.product_id.clone();
    if e.price_changed {
        outbox
            .enqueue(
                conn,
                topics::CATALOG_PRODUCT_EVENTS,
                &key,
                &pb::PriceChanged {
                    product_id: e.product_id.clone(),
                    variant_id: e.variant_id.clone(),
                    sku: e.sku.to_string(),
                    channel_id: e.channel.to_string(),
                    old_price: e.old_price.as_ref().map(money_to_proto),
                    new_price: Some(money_to_proto(&e.price)),
                    changed_by: e.actor.to_string(),
                    changed_at: Some(timestamp(e.at)),
                },
            )
            .await?;
    }
    outbox
        .enqueue(
            conn,
            topics::CATALOG_PRODUCT_EVENTS,
            &key,
            &pb::ListingChanged {
                product_id: e.product_id,
                variant_id: e.variant_id,
                sku: e.sku.to_string(),
                channel_id: e.channel.to_string(),
                price: Some(money_to_proto(&e.price)),
                active: e.active,
                changed_at: Some(timestamp(e.at)),
            },
        )
        .await?;
    Ok(())
}
