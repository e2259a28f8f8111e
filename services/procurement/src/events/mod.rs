//! What procurement consumes and publishes.
//!
//! Consumes: catalog product events (the SKU projection), orders' order
//! events (OrderPlaced counts demand per SKU × channel × day, OrderCancelled
//! takes it back), inventory's reservation outcomes (a shortfall flags the
//! SKU's day as a stock-out) and its stock levels (StockLevelChanged, the
//! positions replenishment starts from). Publishes nothing yet;
//! purchase-order events come with approvals.

use domain::events::topics;
use futures_util::FutureExt;
use platform::Runtime;
use platform::kafka::{Subscription, handler};

pub mod background;
mod order_events;
mod product_events;
mod reservation_events;
mod stock_events;

pub const TOPICS: &[&str] = &[];

pub fn subscriptions(_rt: &Runtime) -> Vec<Subscription> {
    vec![
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
