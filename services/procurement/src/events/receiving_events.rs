//! The warehouse's GoodsReceived: the order's received quantities, its
//! status, the supplier's lead-time samples (the scorecard and the next
//! runs' lead times), and PurchaseOrderChanged. Applied once per receipt.

use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Event, from_timestamp};
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;

use super::{RECEIVING_ACTOR, publish_changed};
use crate::domain::purchase_orders::{LineQuantities, after_receipt, receivable};
use crate::store::lifecycle::{self, ReceivedLine, Stamp};
use crate::store::purchase_orders;
use domain::contracts::procurement::PurchaseOrderStatus;

pub(super) async fn on_receiving_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    if record.envelope.event_type != warehouse::GoodsReceived::TYPE {
        return Ok(());
    }
    let e: warehouse::GoodsReceived = record.decode()?;
    let id: uuid::Uuid = e.purchase_order_id.parse()?;
    let Some(head) = purchase_orders::lock(conn, id).await? else {
        anyhow::bail!("goods received against purchase order {id}, which does not exist");
    };
    let received_at = from_timestamp(e.received_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    // From sending (or approval, for an order never marked sent) to receipt.
    let since = head.sent_at.or(head.approved_at).unwrap_or(head.created_at);
    let lead_days = ((received_at - since).num_seconds() as f64 / 86_400.0).max(0.0);
    let on_time = received_at.date_naive() <= head.expected_on;
    let lines: Vec<ReceivedLine> = e
        .lines
        .iter()
        .map(|l| ReceivedLine {
            line_no: l.line_no,
            good: l.good.max(0),
            damaged: l.damaged.max(0),
        })
        .collect();
    if !lifecycle::record_receipt(
        conn,
        &e.receipt_id,
        id,
        received_at,
        &lines,
        on_time,
        lead_days,
    )
    .await?
    {
        return Ok(());
    }
    for l in e.lines.iter().filter(|l| l.good + l.damaged > 0) {
        lifecycle::record_lead_time(
            conn,
            &head.supplier_code,
            &l.sku,
            id,
            lead_days,
            received_at,
        )
        .await?;
    }
    let view = purchase_orders::view_of(conn, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("purchase order {id} vanished"))?;
    let status = head.status().map_err(|e| anyhow::anyhow!("{e}"))?;
    let next = if receivable(status) {
        let quantities: Vec<LineQuantities> = view
            .lines
            .iter()
            .map(|l| LineQuantities {
                quantity: l.quantity,
                received_good: l.received_good,
                received_damaged: l.received_damaged,
                cancelled: l.cancelled,
            })
            .collect();
        after_receipt(&quantities)
    } else {
        // Received after it was closed or cancelled (a race with the dock):
        // the goods are counted, the order stays as it is.
        tracing::warn!(purchase_order = %id, status = status.as_str(), "goods received against a closed order");
        status
    };
    let stamp = if next == PurchaseOrderStatus::Closed && status != PurchaseOrderStatus::Closed {
        Stamp::Closed
    } else {
        Stamp::None
    };
    lifecycle::set_status(conn, id, next, RECEIVING_ACTOR, stamp).await?;
    let view = purchase_orders::view_of(conn, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("purchase order {id} vanished"))?;
    lifecycle::record_version(conn, &view, "received", RECEIVING_ACTOR, None).await?;
    publish_changed(outbox, conn, &view, "received").await?;
    Ok(())
}
