//! What support consumes and publishes.
//!
//! Consumes: orders' order events (the order facts a ticket shows: customer,
//! number, lines, status), the warehouse's FulfillmentShipped (parcels:
//! carrier, tracking number) and ReturnInspected (a return's receipt and
//! grades, steps of its saga) and billing's refund events (the saga's end:
//! refunded and the ticket resolved, held, or refused). Publishes TicketCreated, TicketReplied and
//! TicketStatusChanged and TicketEscalated (`published.rs`; the SLA sweeper in
//! `background.rs`).

use domain::events::topics;
use futures_util::FutureExt;
use platform::Runtime;
use platform::kafka::{Subscription, handler, handler_with_outbox};

pub mod background;
mod fulfillment_events;
mod order_events;
pub mod published;
mod refund_events;
mod return_events;

pub const TOPICS: &[&str] = &[topics::SUPPORT_TICKET_EVENTS, topics::SUPPORT_RETURN_EVENTS];

pub fn subscriptions(rt: &Runtime) -> Vec<Subscription> {
    vec![
        Subscription::new(
            "support.orders",
            topics::ORDERS_ORDER_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                order_events::on_order_event(outbox, conn, record).boxed()
            }),
        ),
        Subscription::new(
            "support.return-inspections",
            topics::WAREHOUSE_RETURN_EVENTS,
            handler(|conn, record| return_events::on_warehouse_return_event(conn, record).boxed()),
        ),
        Subscription::new(
            "support.parcels",
            topics::WAREHOUSE_FULFILLMENT_EVENTS,
            handler(|conn, record| fulfillment_events::on_fulfillment_event(conn, record).boxed()),
        ),
        Subscription::new(
            "support.refunds",
            topics::BILLING_INVOICE_EVENTS,
            handler_with_outbox(&rt.outbox, |outbox, conn, record| {
                refund_events::on_billing_event(outbox, conn, record).boxed()
            }),
        ),
    ]
}
