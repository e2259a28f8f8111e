//! What billing consumes and publishes.
//!
//! Consumes: orders' OrderPlaced (the facts an invoice is made from),
//! catalog's ProductUpserted (titles and cost prices), the warehouse's
//! FulfillmentShipped (an invoice per shipment, with its cost of goods) and
//! GoodsReceived (stock valued at landed cost, units received per order
//! line), procurement's purchase orders (what supplier bills match), support's
//! ReturnAuthorized and the warehouse's ReturnInspected (the refund step of
//! the returns saga). Publishes InvoiceIssued, CreditNoteIssued,
//! RefundIssued, RefundHeld and RefundRejected on `billing.invoice-events.v1`
//! through the outbox.

use std::sync::Arc;

use domain::events::topics;
use futures_util::FutureExt;
use platform::Runtime;
use platform::kafka::{Subscription, handler, handler_with_outbox};

pub mod background;
mod fulfillment_events;
mod order_events;
mod product_events;
mod purchase_order_events;
mod receiving_events;
mod return_events;

pub const TOPICS: &[&str] = &[topics::BILLING_INVOICE_EVENTS];

/// Who entries posted from the warehouse's receipts are recorded as.
pub const RECEIVING_ACTOR: &str = "system:billing.receiving";

pub fn subscriptions(rt: &Runtime) -> Vec<Subscription> {
    let invoicing_due = rt.waker(background::INVOICING_DUE);
    vec![
        // Each shipment in its own transaction: an invoice locks its order,
        // the stock values of its SKUs (in SKU order) and its series last,
        // and a batch holding one series while waiting for another order
        // could deadlock with a second consumer.
        Subscription::new(
            "billing.shipments",
            topics::WAREHOUSE_FULFILLMENT_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                fulfillment_events::on_fulfillment_event(outbox, conn, record).boxed()
            }),
        )
        .unbatched(),
        Subscription::new(
            "billing.orders",
            topics::ORDERS_ORDER_EVENTS,
            handler(move |conn, record| {
                order_events::on_order_event(conn, record, Arc::clone(&invoicing_due)).boxed()
            }),
        ),
        Subscription::new(
            "billing.catalog",
            topics::CATALOG_PRODUCT_EVENTS,
            handler(|conn, record| product_events::on_product_event(conn, record).boxed()),
        )
        .single_task(),
        Subscription::new(
            "billing.purchase-orders",
            topics::PROCUREMENT_PURCHASE_ORDER_EVENTS,
            handler(|conn, record| {
                purchase_order_events::on_purchase_order_event(conn, record).boxed()
            }),
        )
        .single_task(),
        // Receipts are few; one at a time keeps stock-value locks in SKU order.
        Subscription::new(
            "billing.receipts",
            topics::WAREHOUSE_RECEIVING_EVENTS,
            handler(|conn, record| receiving_events::on_receiving_event(conn, record).boxed()),
        )
        .single_task()
        .unbatched(),
        // Returns are few; one at a time, each in its own transaction, as a
        // refund locks the order's invoices and then a credit note series.
        Subscription::new(
            "billing.returns",
            topics::SUPPORT_RETURN_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                return_events::on_support_return_event(outbox, conn, record).boxed()
            }),
        )
        .single_task()
        .unbatched(),
        Subscription::new(
            "billing.return-inspections",
            topics::WAREHOUSE_RETURN_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                return_events::on_warehouse_return_event(outbox, conn, record).boxed()
            }),
        )
        .single_task()
        .unbatched(),
    ]
}
