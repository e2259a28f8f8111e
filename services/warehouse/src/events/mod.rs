//! What the warehouse consumes and publishes.
//!
//! Consumes: catalog product events (SKUs and their barcodes), orders' channel
//! events, order events (OrderConfirmed creates fulfillment orders per
//! location, OrderOnHold blocks them, OrderCancelled withdraws them) and
//! inventory's StockReallocated (a short pick's units reserved elsewhere become
//! a fulfillment there) and procurement's purchase-order events (the inbound
//! orders the dock expects) and support's ReturnAuthorized (the returns a
//! return location expects). Publishes FulfillmentShipped, ShortPicked and
//! ReturnInspected keyed by order id, and GoodsReceived keyed by purchase
//! order id, through the outbox, in the transaction of the change.

mod order_events;
mod product_events;
mod published;
mod purchase_order_events;
mod reservation_events;
mod return_events;

pub use published::{goods_received, return_inspected, shipped, short_picked};

use domain::events::proto::inventory::v1 as inventory;
use domain::events::proto::orders::v1 as orders;
use domain::events::{Event, topics};
use futures_util::FutureExt;
use platform::db::Conn;
use platform::kafka::{Record, Subscription, handler};
use platform::{ApiError, Runtime};
use uuid::Uuid;

use crate::store::{self};

pub const TOPICS: &[&str] = &[
    topics::WAREHOUSE_FULFILLMENT_EVENTS,
    topics::WAREHOUSE_RECEIVING_EVENTS,
    topics::WAREHOUSE_RETURN_EVENTS,
];

/// Who changes driven by other services' events are recorded as.
pub const EVENTS_ACTOR: &str = "system:warehouse.events";

pub(crate) fn parse_id(s: &str) -> Result<Uuid, ApiError> {
    s.parse()
        .map_err(|_| ApiError::internal(anyhow::anyhow!("'{s}' is not a UUID")))
}

pub fn subscriptions(_rt: &Runtime) -> Vec<Subscription> {
    vec![
        Subscription::new(
            "warehouse.returns",
            topics::SUPPORT_RETURN_EVENTS,
            handler(|conn, record| return_events::on_return_event(conn, record).boxed()),
        ),
        Subscription::new(
            "warehouse.inbound",
            topics::PROCUREMENT_PURCHASE_ORDER_EVENTS,
            handler(|conn, record| {
                purchase_order_events::on_purchase_order_event(conn, record).boxed()
            }),
        ),
        Subscription::new(
            "warehouse.catalog-projection",
            topics::CATALOG_PRODUCT_EVENTS,
            handler(|conn, record| product_events::on_product_event(conn, record).boxed()),
        )
        .single_task(),
        Subscription::new(
            "warehouse.channel-projection",
            topics::ORDERS_CHANNEL_EVENTS,
            handler(|conn, record| on_channel_event(conn, record).boxed()),
        )
        .single_task(),
        // Each record locks only its own order's fulfillments.
        Subscription::new(
            "warehouse.orders",
            topics::ORDERS_ORDER_EVENTS,
            handler(|conn, record| {
                async move {
                    order_events::on_order_event(conn, record)
                        .await
                        .map_err(ApiError::into_anyhow)
                }
                .boxed()
            }),
        ),
        Subscription::new(
            "warehouse.reallocations",
            topics::INVENTORY_RESERVATION_EVENTS,
            handler(|conn, record| {
                async move {
                    if record.envelope.event_type != inventory::StockReallocated::TYPE {
                        return Ok(());
                    }
                    reservation_events::on_reallocated(conn, record.decode()?)
                        .await
                        .map_err(ApiError::into_anyhow)
                }
                .boxed()
            }),
        )
        .single_task(),
    ]
}

/// Orders' channel events: the channel registry the warehouse keeps.
async fn on_channel_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type == orders::ChannelUpserted::TYPE {
        store::upsert_channel(conn, &record.decode()?).await?;
    }
    Ok(())
}
