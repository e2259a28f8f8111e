//! Billing's RefundIssued: the returned lines marked returned and refunded,
//! once per return, and the channel told through its feed and signed
//! webhook (a history note carrying the refund; the status is unchanged).

use domain::Money;
use domain::contracts::orders::{RefundView, RefundedLineView};
use domain::events::proto::billing::v1 as billing;
use domain::events::{Event, from_timestamp, money_from_proto};
use platform::db::Conn;
use platform::kafka::Record;

use super::REFUNDS_ACTOR;
use crate::store::{history, refunds};

pub(super) async fn on_invoice_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != billing::RefundIssued::TYPE {
        return Ok(());
    }
    let e: billing::RefundIssued = record.decode()?;
    let order_id: uuid::Uuid = e.order_id.parse()?;
    let money = |m: &Option<domain::events::proto::common::v1::Money>| -> anyhow::Result<Money> {
        let m = m
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("RefundIssued {} lacks an amount", e.return_number))?;
        Ok(money_from_proto(m)?.canonical())
    };
    let refund = RefundView {
        return_id: e.return_id.parse()?,
        return_number: e.return_number.clone(),
        lines: e
            .lines
            .iter()
            .map(|l| {
                Ok(RefundedLineView {
                    line_no: l.line_no,
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                    refunded: money(&l.credited)?,
                })
            })
            .collect::<anyhow::Result<_>>()?,
        credited: money(&e.credited)?,
        restocking_fee: money(&e.restocking_fee)?,
        return_label_fee: money(&e.return_label_fee)?,
        refund: money(&e.refund)?,
        credit_notes: e.credit_note_numbers.clone(),
        issued_at: from_timestamp(e.issued_at.as_ref()).unwrap_or(record.envelope.occurred_at),
    };
    let Some(head) = history::lock(conn, order_id)
        .await
        .map_err(|e| e.into_anyhow())?
    else {
        tracing::warn!(%order_id, return_number = %e.return_number, "refund of an unknown order; ignored");
        return Ok(());
    };
    if !refunds::record(conn, order_id, &refund)
        .await
        .map_err(|e| e.into_anyhow())?
    {
        return Ok(());
    }
    let units: i64 = refund.lines.iter().map(|l| l.quantity).sum();
    let reason = format!(
        "return {}: {units} unit(s) returned, {} {} refunded (credit notes {})",
        refund.return_number,
        refund.refund.amount,
        refund.refund.currency,
        refund.credit_notes.join(", ")
    );
    refunds::note(conn, &head, &reason, REFUNDS_ACTOR, &refund)
        .await
        .map_err(|e| e.into_anyhow())
}
