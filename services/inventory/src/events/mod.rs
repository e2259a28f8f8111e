//! What inventory consumes and publishes.
//!
//! Consumes: catalog product events (the SKU projection), orders' channel
//! events (the channel projection), order events (OrderPlaced reserves,
//! OrderCancelled releases) and the warehouse's fulfillment events
//! (FulfillmentShipped consumes the reservation, ShortPicked writes off and
//! re-allocates), its return events (ReturnInspected restocks resellable units
//! at the return location, quarantines refurbish units, writes off scrap),
//! and its receiving events (GoodsReceived raises on hand, damaged
//! units to the location's quarantine). Publishes StockReserved, ReservationFailed, StockReleased and
//! StockReallocated keyed by order id, StockAdjusted (every on-hand change:
//! adjustments, shipments, short picks), StockLevelChanged (per SKU ×
//! location, when on hand, reserved or backordered moved) and
//! AvailabilityChanged keyed by SKU,
//! all through the outbox in the transaction of the change.

use std::sync::Arc;

use domain::events::topics;
use futures_util::FutureExt;
use platform::Runtime;
use platform::kafka::{BatchHandlerFn, Subscription, batch_fn, handler, handler_with_outbox};

pub const TOPICS: &[&str] = &[
    topics::INVENTORY_RESERVATION_EVENTS,
    topics::INVENTORY_STOCK_EVENTS,
    topics::INVENTORY_AVAILABILITY,
];

/// Who consumer-driven changes are recorded as.
pub const RESERVATIONS_ACTOR: &str = "system:inventory.reservations";
/// Who changes made on the warehouse's reports are recorded as (the person
/// who shipped or reported is named in the movement's note).
pub const FULFILLMENT_ACTOR: &str = "system:inventory.fulfillment";
/// Who receipts at the dock are recorded as.
pub const RECEIVING_ACTOR: &str = "system:inventory.receiving";
/// Who stock changes made on inspected returns are recorded as.
pub const RETURNS_ACTOR: &str = "system:inventory.returns";

pub mod background;
mod channel_events;
mod fulfillment_events;
mod order_events;
mod product_events;
mod published;
mod receiving_events;
mod return_events;

pub use published::{
    StockChange, publish_availability, publish_outcome, publish_outcomes, publish_reallocated,
    publish_stock_adjusted, publish_stock_levels, reserved_lines,
};

pub fn subscriptions(rt: &Runtime) -> Vec<Subscription> {
    let outbox = rt.outbox.clone();
    let order_batch: BatchHandlerFn = Arc::new(move |conn, records| {
        let outbox = outbox.clone();
        async move { order_events::on_order_batch(&outbox, conn, records).await }.boxed()
    });
    vec![
        Subscription::new(
            "inventory.sku-projection",
            topics::CATALOG_PRODUCT_EVENTS,
            handler(|conn, record| product_events::on_product_event(conn, record).boxed()),
        )
        .single_task(),
        Subscription::new(
            "inventory.channel-projection",
            topics::ORDERS_CHANNEL_EVENTS,
            handler(|conn, record| channel_events::on_channel_event(conn, record).boxed()),
        )
        .single_task(),
        Subscription::new(
            "inventory.reservations",
            topics::ORDERS_ORDER_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                order_events::on_order_event(outbox, conn, record).boxed()
            }),
        )
        // A batch first locks the stock of every order in it, in SKU order,
        // so two consumers' batches never deadlock on shared SKUs.
        .before_batch(batch_fn(|conn, records| {
            order_events::lock_batch_stock(conn, records)
        }))
        // Plain placements of a batch are applied set-based (the batch holds
        // the hot SKUs' locks; round trips per order would serialize every
        // consumer behind it).
        .batch_handler(order_batch),
        Subscription::new(
            "inventory.fulfillment",
            topics::WAREHOUSE_FULFILLMENT_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                fulfillment_events::on_fulfillment_event(outbox, conn, record).boxed()
            }),
        )
        // As for reservations: the batch's stock first, in SKU order.
        .before_batch(batch_fn(|conn, records| {
            fulfillment_events::lock_fulfillment_stock(conn, records)
        })),
        Subscription::new(
            "inventory.receiving",
            topics::WAREHOUSE_RECEIVING_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                receiving_events::on_receiving_event(outbox, conn, record).boxed()
            }),
        )
        // Receipts lock their SKUs' rows one by one; one task keeps two
        // receipts of the same SKUs from waiting on each other.
        .single_task(),
        Subscription::new(
            "inventory.returns",
            topics::WAREHOUSE_RETURN_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                return_events::on_return_event(outbox, conn, record).boxed()
            }),
        )
        // As receipts: one writer, SKU rows in order.
        .single_task(),
    ]
}
