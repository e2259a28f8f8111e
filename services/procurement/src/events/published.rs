//! What procurement publishes, through the outbox in the transaction of the
//! change: PurchaseOrderApproved when an order is approved, and
//! PurchaseOrderChanged after every later change (amended, sent, received,
//! cancelled, closed), both keyed by order id and carrying its full state.

use chrono::Utc;
use domain::Money;
use domain::contracts::procurement::PurchaseOrderView;
use domain::events::proto::common::v1 as common;
use domain::events::proto::procurement::v1 as pb;
use domain::events::{timestamp, topics};
use platform::db::Conn;
use platform::outbox::Outbox;

fn money(m: &Money) -> common::Money {
    common::Money {
        amount: m.amount.normalize().to_string(),
        currency: m.currency.code().to_string(),
    }
}

fn state(po: &PurchaseOrderView) -> pb::PurchaseOrderState {
    pb::PurchaseOrderState {
        purchase_order_id: po.id.to_string(),
        number: po.number.clone(),
        supplier_code: po.supplier_code.clone(),
        location_code: po.location_code.clone(),
        status: po.status.as_str().to_string(),
        lines: po
            .lines
            .iter()
            .map(|l| pb::PurchaseOrderLine {
                line_no: l.line_no,
                sku: l.sku.clone(),
                supplier_sku: l.supplier_sku.clone(),
                quantity: l.quantity,
                cancelled: l.cancelled,
                received_good: l.received_good,
                received_damaged: l.received_damaged,
                unit_cost: Some(money(&l.unit_cost)),
                unit_landed_cost: Some(money(&l.unit_landed_cost)),
            })
            .collect(),
        expected_on: po.expected_on.to_string(),
        version: po.version,
        changed_at: Some(timestamp(Utc::now())),
    }
}

pub async fn publish_approved(
    outbox: &Outbox,
    conn: &mut Conn,
    po: &PurchaseOrderView,
    approved_by: &str,
) -> anyhow::Result<()> {
    outbox
        .enqueue(
            conn,
            topics::PROCUREMENT_PURCHASE_ORDER_EVENTS,
            &po.id.to_string(),
            &pb::PurchaseOrderApproved {
                state: Some(state(po)),
                approved_by: approved_by.to_string(),
            },
        )
        .await?;
    Ok(())
}

/// Publishes a change of an order the warehouse knows of (approved before);
/// a draft's changes stay inside procurement.
pub async fn publish_changed(
    outbox: &Outbox,
    conn: &mut Conn,
    po: &PurchaseOrderView,
    change: &str,
) -> anyhow::Result<()> {
    if po.approved_at.is_none() {
        return Ok(());
    }
    outbox
        .enqueue(
            conn,
            topics::PROCUREMENT_PURCHASE_ORDER_EVENTS,
            &po.id.to_string(),
            &pb::PurchaseOrderChanged {
                state: Some(state(po)),
                change: change.to_string(),
            },
        )
        .await?;
    Ok(())
}
