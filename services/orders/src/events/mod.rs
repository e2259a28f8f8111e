//! What orders consumes and publishes.
//!
//! Consumes catalog product events (the SKU and listing projection intake
//! validates against), inventory's reservation events (which move orders to
//! reserved, confirmed, backordered or on hold; StockReallocated moves
//! allocations after a short pick) and the warehouse's FulfillmentShipped
//! (partially shipped, shipped; the shipment goes to the channel) and billing's
//! RefundIssued (lines returned and refunded; the refund goes to the channel),
//! and support's ReturnAuthorized with the warehouse's ReturnInspected for
//! exchanges (the replacement order placed at once or after inspection).
//! Publishes OrderPlaced,
//! OrderCancelled, OrderConfirmed and OrderOnHold keyed by order id, and
//! ChannelUpserted keyed by channel id, through the outbox.

pub mod background;
mod exchange_events;
mod fulfillment_events;
mod product_events;
mod published;
mod refund_events;
mod reservation_events;

pub use published::{
    cancelled, channel_upserted, confirm_if_paid, hold, on_hold_event, placed, placed_with,
};

use domain::events::topics;
use futures_util::FutureExt;
use platform::Runtime;
use platform::kafka::{Subscription, handler, handler_with_outbox};

pub const TOPICS: &[&str] = &[topics::ORDERS_ORDER_EVENTS, topics::ORDERS_CHANNEL_EVENTS];

/// Who changes made by inventory's answers are recorded as.
pub const RESERVATIONS_ACTOR: &str = "system:orders.reservations";
/// Who changes made on the warehouse's reports are recorded as.
pub const FULFILLMENT_ACTOR: &str = "system:orders.fulfillment";
/// Who exchanges' replacement orders are placed and noted as.
pub const EXCHANGES_ACTOR: &str = "system:orders.exchanges";
/// Who refunds of returns (billing's RefundIssued) are recorded as.
pub const REFUNDS_ACTOR: &str = "system:orders.refunds";

pub fn subscriptions(rt: &Runtime) -> Vec<Subscription> {
    vec![
        Subscription::new(
            "orders.catalog-projection",
            topics::CATALOG_PRODUCT_EVENTS,
            handler(|conn, record| product_events::on_catalog_event(conn, record).boxed()),
        )
        .single_task(),
        // Each record locks only its own order's row.
        Subscription::new(
            "orders.reservations",
            topics::INVENTORY_RESERVATION_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                reservation_events::on_reservation_event(outbox, conn, record).boxed()
            }),
        ),
        // Each record locks only its own order's row.
        Subscription::new(
            "orders.fulfillment",
            topics::WAREHOUSE_FULFILLMENT_EVENTS,
            handler(|conn, record| fulfillment_events::on_fulfillment_event(conn, record).boxed()),
        ),
        // An exchange locks its original order, then places the replacement.
        Subscription::new(
            "orders.exchanges",
            topics::SUPPORT_RETURN_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                exchange_events::on_support_return_event(outbox, conn, record).boxed()
            }),
        ),
        Subscription::new(
            "orders.exchange-inspections",
            topics::WAREHOUSE_RETURN_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                exchange_events::on_warehouse_return_event(outbox, conn, record).boxed()
            }),
        ),
        // Each record locks only its own order's row.
        Subscription::new(
            "orders.refunds",
            topics::BILLING_INVOICE_EVENTS,
            handler(|conn, record| refund_events::on_invoice_event(conn, record).boxed()),
        ),
    ]
}
