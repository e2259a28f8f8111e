//! What orders publishes, through the outbox in the transaction of the
//! change: OrderPlaced, OrderCancelled, OrderConfirmed and OrderOnHold keyed
//! by order id, ChannelUpserted keyed by channel id.

use chrono::Utc;
use domain::contracts::orders::{HoldReason, OrderStatus};
use domain::events::proto::common::v1 as common;
use domain::events::proto::orders::v1 as pb;
use domain::events::{timestamp, topics};
use platform::ApiError;
use platform::db::Conn;
use platform::outbox::Outbox;

use crate::store::channels::ChannelRow;
use crate::store::history::{self, Head};
use crate::store::orders::Placement;
use crate::store::{allocations, orders};

/// Confirms a reserved order whose payment is secured, publishing OrderConfirmed.
pub async fn confirm_if_paid(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &mut Head,
    actor: &str,
) -> Result<(), ApiError> {
    if head.status != OrderStatus::Reserved || !head.payment_status.is_secured() {
        return Ok(());
    }
    history::transition(
        conn,
        head,
        OrderStatus::Confirmed,
        None,
        Some("stock reserved and payment secured"),
        actor,
    )
    .await?;
    let allocations = allocations::allocation_lines(conn, head.id).await?;
    outbox
        .enqueue(
            conn,
            topics::ORDERS_ORDER_EVENTS,
            &head.id.to_string(),
            &pb::OrderConfirmed {
                order_id: head.id.to_string(),
                channel_id: head.channel_id.clone(),
                external_order_id: head.external_order_id.clone(),
                allocations: allocations
                    .into_iter()
                    .map(|(line_no, sku, location_code, quantity)| pb::Allocation {
                        line_no,
                        sku,
                        location_code,
                        quantity,
                    })
                    .collect(),
                placed_at: Some(timestamp(head.placed_at)),
                confirmed_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

/// Puts an order on hold and publishes OrderOnHold.
pub async fn hold(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &mut Head,
    reason: HoldReason,
    detail: &str,
    actor: &str,
) -> Result<(), ApiError> {
    history::transition(
        conn,
        head,
        OrderStatus::OnHold,
        Some((reason, detail)),
        None,
        actor,
    )
    .await?;
    on_hold_event(outbox, conn, head, reason, detail).await
}

/// Publishes OrderOnHold for an order that is on hold.
pub async fn on_hold_event(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    reason: HoldReason,
    detail: &str,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::ORDERS_ORDER_EVENTS,
            &head.id.to_string(),
            &pb::OrderOnHold {
                order_id: head.id.to_string(),
                channel_id: head.channel_id.clone(),
                reason: reason.as_str().to_string(),
                detail: detail.to_string(),
                held_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

/// Publishes OrderPlaced for a stored order: inventory reserves it under the
/// channel's current rules.
pub async fn placed(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    channel: &ChannelRow,
) -> Result<(), ApiError> {
    let placement = orders::placement(conn, head.id).await?;
    placed_with(outbox, conn, head, channel, &placement).await
}

/// Publishes OrderPlaced from what the caller holds (intake: the order it just wrote).
pub async fn placed_with(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    channel: &ChannelRow,
    placement: &Placement,
) -> Result<(), ApiError> {
    let currency = placement.currency.code().to_string();
    let money = |amount: &rust_decimal::Decimal| {
        Some(common::Money {
            amount: amount.normalize().to_string(),
            currency: currency.clone(),
        })
    };
    let customer = &placement.customer;
    let address = &placement.billing_address;
    outbox
        .enqueue(
            conn,
            topics::ORDERS_ORDER_EVENTS,
            &head.id.to_string(),
            &pb::OrderPlaced {
                order_id: head.id.to_string(),
                channel_id: head.channel_id.clone(),
                external_order_id: head.external_order_id.clone(),
                lines: placement
                    .lines
                    .iter()
                    .map(|(line_no, sku, quantity, price)| pb::OrderLine {
                        line_no: *line_no,
                        sku: sku.clone(),
                        quantity: *quantity,
                        unit_price: money(price),
                    })
                    .collect(),
                backorder_policy: channel.backorder_policy.clone(),
                ship_from: channel.ship_from.clone(),
                channel_priority: channel.priority,
                placed_at: Some(timestamp(head.placed_at)),
                hold_id: placement.hold_id.map(|h| h.to_string()).unwrap_or_default(),
                total: money(&placement.total),
                customer: Some(pb::Customer {
                    email: customer.email.clone(),
                    name: customer.name.clone(),
                    external_id: customer.external_id.clone().unwrap_or_default(),
                    vat_id: customer.vat_id.clone().unwrap_or_default(),
                }),
                billing_address: Some(pb::PostalAddress {
                    name: address.name.clone(),
                    company: address.company.clone().unwrap_or_default(),
                    line1: address.line1.clone(),
                    line2: address.line2.clone().unwrap_or_default(),
                    city: address.city.clone(),
                    region: address.region.clone().unwrap_or_default(),
                    postal_code: address.postal_code.clone(),
                    country: address.country.clone(),
                    email: address.email.clone().unwrap_or_default(),
                    phone: address.phone.clone().unwrap_or_default(),
                }),
                subtotal: money(&placement.subtotal),
                shipping_total: money(&placement.shipping_total),
                tax_total: money(&placement.tax_total),
                discount_total: money(&placement.discount_total),
                ship_to_country: placement.ship_to_country.clone(),
                replaces_return_id: placement
                    .replaces_return_id
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
            },
        )
        .await?;
    Ok(())
}

pub async fn cancelled(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    reason: &str,
    actor: &str,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::ORDERS_ORDER_EVENTS,
            &head.id.to_string(),
            &pb::OrderCancelled {
                order_id: head.id.to_string(),
                channel_id: head.channel_id.clone(),
                reason: reason.to_string(),
                cancelled_by: actor.to_string(),
                cancelled_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

pub async fn channel_upserted(
    outbox: &Outbox,
    conn: &mut Conn,
    row: &ChannelRow,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::ORDERS_CHANNEL_EVENTS,
            &row.id,
            &pb::ChannelUpserted {
                channel_id: row.id.clone(),
                kind: row.kind.clone(),
                name: row.name.clone(),
                currency: row.currency.clone(),
                backorder_policy: row.backorder_policy.clone(),
                ship_from: row.ship_from.clone(),
                priority: row.priority,
                safety_buffer_units: row.safety_buffer_units,
                safety_buffer_percent: row.safety_buffer_percent,
                active: row.active,
                version: row.version,
            },
        )
        .await?;
    Ok(())
}
