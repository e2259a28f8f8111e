//! What procurement consumes and publishes.
//!
//! Consumes: catalog product events (the SKU projection), orders' order
//! events (OrderPlaced counts demand per SKU × channel × day, OrderCancelled
//! takes it back), inventory's reservation outcomes (a shortfall flags the
//! SKU's day as a stock-out) and its stock levels (StockLevelChanged, the
//! positions replenishment starts from), and the warehouse's GoodsReceived
//! (the order's receipts, lead times and scorecard). Publishes
//! PurchaseOrderApproved and PurchaseOrderChanged (`published.rs`).

use domain::events::topics;
use futures_util::FutureExt;
use platform::Runtime;
use platform::kafka::{Subscription, handler, handler_with_outbox};

pub use published::{publish_approved, publish_changed};

pub mod background;
mod order_events;
mod product_events;
mod published;
mod receiving_events;
mod reservation_events;
mod stock_events;

pub const TOPICS: &[&str] = &[topics::PROCUREMENT_PURCHASE_ORDER_EVENTS];

/// Who changes made on the warehouse's receipts are recorded as.
pub const RECEIVING_ACTOR: &str = "system:procurement.receiving";

pub fn subscriptions(rt: &Runtime) -> Vec<Subscription> {
    vec![
        Subscription::new(
            "procurement.receipts",
            topics::WAREHOUSE_RECEIVING_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                receiving_events::on_receiving_event(outbox, conn, record).boxed()
            }),
        ),
        Subscription::new(
            "procurement.sku-projection",
            topics::CATALOG_PRODUCT_EVENTS,
            handler(|conn, record| product_events::on_product_event(conn, record).boxed()),
        )
        .single_task(),
        // One task: a hot SKU's demand row of the day is written by every
        // order, and one writer in SKU order never deadlocks.
        Subscription::new(
            "procurement.demand",
            topics::ORDERS_ORDER_EVENTS,
            handler(|conn, record| order_events::on_order_event(conn, record).boxed()),
        )
        .single_task(),
        Subscription::new(
            "procurement.stock-levels",
            topics::INVENTORY_STOCK_EVENTS,
            handler(|conn, record| stock_events::on_stock_event(conn, record).boxed()),
        )
        .single_task(),
        Subscription::new(
            "procurement.stock-outs",
            topics::INVENTORY_RESERVATION_EVENTS,
            handler(|conn, record| reservation_events::on_reservation_event(conn, record).boxed()),
        )
        .single_task(),
    ]
}
