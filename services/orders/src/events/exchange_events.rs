//! Exchanges in the returns saga: support's ReturnAuthorized with resolution
//! exchange records the units to send again; the replacement order is
//! placed at once (the policy's `immediately`: reserved now, shipped before
//! the return arrives) or when the warehouse's ReturnInspected says the
//! return is in (`after_inspection`). The replacement goes through intake
//! like any order of the channel: same customer and address, the returned
//! SKUs at no charge, external id `<order's>-<RMA>`, so a redelivery finds
//! it. One that cannot be placed (say, a SKU no longer listed) is noted on
//! the original order and kept with why, for a person.

use chrono::Utc;
use domain::Money;
use domain::contracts::orders::{CreateOrderRequest, OrderLineInput, PaymentStatus};
use domain::events::Event;
use domain::events::proto::{support::v1 as support, warehouse::v1 as warehouse};
use platform::ApiError;
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;
use rust_decimal::Decimal;

use super::EXCHANGES_ACTOR;
use crate::store::exchanges::{self as store, ExchangeLine, ExchangeRow};
use crate::store::{history, orders as order_store};

pub(super) async fn on_support_return_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    if record.envelope.event_type != support::ReturnAuthorized::TYPE {
        return Ok(());
    }
    let e: support::ReturnAuthorized = record.decode()?;
    if e.resolution != "exchange" {
        return Ok(());
    }
    let return_id = e.return_id.parse()?;
    let order_id = e.order_id.parse()?;
    let lines: Vec<ExchangeLine> = e
        .lines
        .iter()
        .filter(|l| l.quantity > 0)
        .map(|l| ExchangeLine {
            sku: l.sku.clone(),
            quantity: l.quantity,
        })
        .collect();
    let reservation = if e.exchange_reservation == "immediately" {
        "immediately"
    } else {
        "after_inspection"
    };
    if history::lock(conn, order_id)
        .await
        .map_err(ApiError::into_anyhow)?
        .is_none()
    {
        tracing::warn!(%order_id, return_number = %e.number, "exchange for an unknown order; ignored");
        return Ok(());
    }
    let inserted = store::insert(conn, return_id, &e.number, order_id, &lines, reservation)
        .await
        .map_err(ApiError::into_anyhow)?;
    if inserted && reservation == "immediately" {
        place(outbox, conn, return_id).await?;
    }
    Ok(())
}

pub(super) async fn on_warehouse_return_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    if record.envelope.event_type != warehouse::ReturnInspected::TYPE {
        return Ok(());
    }
    let e: warehouse::ReturnInspected = record.decode()?;
    place(outbox, conn, e.return_id.parse()?).await
}

/// Places the replacement of an exchange not placed yet (else nothing).
async fn place(outbox: &Outbox, conn: &mut Conn, return_id: uuid::Uuid) -> anyhow::Result<()> {
    let Some(x) = store::lock(conn, return_id).await? else {
        return Ok(());
    };
    if x.replacement_order_id.is_some() {
        return Ok(());
    }
    replace(outbox, conn, &x)
        .await
        .map_err(ApiError::into_anyhow)
}

async fn replace(outbox: &Outbox, conn: &mut Conn, x: &ExchangeRow) -> Result<(), ApiError> {
    let Some(original) = order_store::load(conn, x.order_id).await? else {
        return Ok(());
    };
    let head = history::lock(conn, x.order_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("order {} vanished", x.order_id)))?;
    let currency = original.total.currency;
    let zero = Money {
        amount: Decimal::ZERO,
        currency,
    };
    let external = format!("{}-{}", original.external_order_id, x.return_number);
    let req = CreateOrderRequest {
        channel_id: None,
        external_order_id: external.chars().take(100).collect(),
        customer: original.customer.clone(),
        shipping_address: original.shipping_address.clone(),
        billing_address: Some(original.billing_address.clone()),
        lines: x
            .lines()?
            .into_iter()
            .map(|l| OrderLineInput {
                sku: l.sku,
                quantity: l.quantity,
                unit_price: zero,
            })
            .collect(),
        shipping_total: zero,
        tax_total: zero,
        discount_total: zero,
        total: zero,
        payment_status: PaymentStatus::Paid,
        placed_at: Utc::now(),
        checkout_hold_id: None,
    };
    // The request as stored (its hash makes a replay of the same
    // replacement idempotent); placed_at is left out so it is stable.
    let mut raw = serde_json::to_value(&req).map_err(ApiError::internal)?;
    raw["placed_at"] = serde_json::Value::Null;
    let channel = original.channel_id.to_string();
    let now = Utc::now();
    match crate::api::orders::accept(
        outbox,
        conn,
        &channel,
        &req,
        &raw,
        EXCHANGES_ACTOR,
        Some(x.return_id),
    )
    .await
    {
        Ok((replacement, _)) => {
            store::settle(conn, x.return_id, Some(replacement.id), None, now).await?;
            let reason = format!(
                "exchange for return {}: replacement order {} ({}) placed",
                x.return_number, replacement.external_order_id, replacement.id
            );
            history::note(conn, &head, &reason, EXCHANGES_ACTOR, true, None).await
        }
        Err(ApiError::Validation(errors)) => {
            let why = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            tracing::warn!(return_number = %x.return_number, %why, "exchange could not be placed");
            store::settle(conn, x.return_id, None, Some(&why), now).await?;
            let reason = format!(
                "exchange for return {} could not be placed, a person must act: {why}",
                x.return_number
            );
            history::note(conn, &head, &reason, EXCHANGES_ACTOR, false, None).await
        }
        Err(e) => Err(e),
    }
}
