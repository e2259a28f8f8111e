//! The returns saga's refund step. Support's ReturnAuthorized records the
//! return with its terms (a returnless return is refunded at once, an
//! exchange is noted and never refunded); the warehouse's ReturnInspected
//! records what came back and refunds it. The two travel on different
//! topics, so either may arrive first: the refund is issued by whichever
//! completes the pair, once (the row's status is the guard).

use domain::contracts::billing::RefundStatus;
use domain::events::proto::{support::v1 as support, warehouse::v1 as warehouse};
use domain::events::{Event, from_timestamp, money_from_proto};
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;
use rust_decimal::Decimal;

use crate::store::refunds::{self as store, AuthorizedLine, InspectedLine, NewRefund, Outcome};

pub(super) async fn on_support_return_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    if record.envelope.event_type != support::ReturnAuthorized::TYPE {
        return Ok(());
    }
    let e: support::ReturnAuthorized = record.decode()?;
    let value = money_from_proto(
        e.value
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("ReturnAuthorized {} carries no value", e.number))?,
    )?;
    let currency = value.currency;
    let amount = |m: &Option<domain::events::proto::common::v1::Money>| -> anyhow::Result<Decimal> {
        match m {
            Some(m) if !m.amount.is_empty() => {
                let m = money_from_proto(m)?;
                anyhow::ensure!(
                    m.currency == currency,
                    "a fee in {} for a return in {currency}",
                    m.currency
                );
                Ok(m.amount)
            }
            _ => Ok(Decimal::ZERO),
        }
    };
    let lines: Vec<AuthorizedLine> = e
        .lines
        .iter()
        .map(|l| {
            Ok(AuthorizedLine {
                line_no: l.line_no,
                sku: l.sku.clone(),
                quantity: l.quantity,
                unit_price: amount(&l.unit_price)?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let exchange = e.resolution == "exchange";
    let return_id = e.return_id.parse()?;
    let inserted = store::insert(
        conn,
        &NewRefund {
            return_id,
            return_number: &e.number,
            order_id: e.order_id.parse()?,
            channel_id: &e.channel_id,
            external_order_id: &e.external_order_id,
            currency,
            status: if exchange {
                RefundStatus::Exchanged
            } else {
                RefundStatus::AwaitingGoods
            },
            reason: &e.reason,
            returnless: e.returnless,
            lines: &lines,
            value: value.amount,
            restocking_fee: amount(&e.restocking_fee)?,
            return_label_fee: amount(&e.return_label_fee)?,
            authorized_by: &e.authorized_by,
            authorized_at: from_timestamp(e.authorized_at.as_ref())
                .unwrap_or(record.envelope.occurred_at),
        },
    )
    .await
    .map_err(|e| e.into_anyhow())?;
    if !inserted || exchange {
        return Ok(());
    }
    settle(outbox, conn, return_id).await
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
    let return_id = e.return_id.parse()?;
    let lines: Vec<InspectedLine> = e
        .lines
        .iter()
        .map(|l| InspectedLine {
            line_no: l.line_no,
            sku: l.sku.clone(),
            resellable: l.resellable,
            refurbish: l.refurbish,
            scrap: l.scrap,
        })
        .collect();
    let inspected_at =
        from_timestamp(e.inspected_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    if !store::insert_inspection(
        conn,
        return_id,
        &lines,
        &e.location_code,
        &e.inspected_by,
        inspected_at,
    )
    .await
    .map_err(|e| e.into_anyhow())?
    {
        return Ok(());
    }
    settle(outbox, conn, return_id).await
}

/// Refunds the return if its authorisation is here (else its arrival will).
async fn settle(outbox: &Outbox, conn: &mut Conn, return_id: uuid::Uuid) -> anyhow::Result<()> {
    let Some(row) = store::lock(conn, return_id).await? else {
        return Ok(());
    };
    match store::settle(outbox, conn, &row, None)
        .await
        .map_err(|e| e.into_anyhow())?
    {
        Outcome::Held(status, reason) => {
            tracing::info!(return_number = %row.return_number, status = status.as_str(), %reason,
                "refund held for a person");
        }
        Outcome::Refunded | Outcome::Nothing => {}
    }
    Ok(())
}
