//! What the warehouse publishes, through the outbox in the transaction of
//! the change: FulfillmentShipped and ShortPicked, keyed by order id.

use std::collections::BTreeMap;

use chrono::Utc;
use domain::contracts::warehouse::PackageStatus;
use domain::events::proto::warehouse::v1 as pb;
use domain::events::{timestamp, topics};
use platform::ApiError;
use platform::db::Conn;
use platform::outbox::Outbox;
use uuid::Uuid;

use crate::store::fulfillments::Head;
use crate::store::{packing, picking};

/// Publishes FulfillmentShipped for a fulfillment whose packages have all left.
pub async fn shipped(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    actor: &str,
) -> Result<(), ApiError> {
    let packages: Vec<_> = packing::of_fulfillment(conn, head.id)
        .await?
        .into_iter()
        .filter(|p| p.state().status == PackageStatus::Shipped)
        .collect();
    let ids: Vec<Uuid> = packages.iter().map(|p| p.id).collect();
    let items = packing::items(conn, &ids).await?;
    let mut totals: BTreeMap<i32, (String, i64)> = BTreeMap::new();
    for i in &items {
        totals.entry(i.line_no).or_insert((i.sku.clone(), 0)).1 += i.quantity;
    }
    let line = |line_no: i32, sku: &str, quantity: i64| pb::FulfilledLine {
        line_no,
        sku: sku.to_string(),
        quantity,
    };
    outbox
        .enqueue(
            conn,
            topics::WAREHOUSE_FULFILLMENT_EVENTS,
            &head.order_id.to_string(),
            &pb::FulfillmentShipped {
                fulfillment_id: head.id.to_string(),
                order_id: head.order_id.to_string(),
                channel_id: head.channel_id.clone(),
                external_order_id: head.external_order_id.clone(),
                location_code: head.location_code.clone(),
                lines: totals
                    .iter()
                    .map(|(no, (sku, q))| line(*no, sku, *q))
                    .collect(),
                parcels: packages
                    .iter()
                    .map(|p| pb::Parcel {
                        package_id: p.id.to_string(),
                        carrier: p.carrier.clone().unwrap_or_default(),
                        service: p.carrier_service.clone().unwrap_or_default(),
                        tracking_number: p.tracking_number.clone().unwrap_or_default(),
                        lines: items
                            .iter()
                            .filter(|i| i.package_id == p.id)
                            .map(|i| line(i.line_no, &i.sku, i.quantity))
                            .collect(),
                        weight_grams: p.weight_grams.unwrap_or_default(),
                    })
                    .collect(),
                shipped_by: actor.to_string(),
                shipped_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

/// Publishes ShortPicked: inventory writes the units off and re-allocates them.
pub async fn short_picked(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    task: &picking::TaskRow,
    missing: i64,
    actor: &str,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::WAREHOUSE_FULFILLMENT_EVENTS,
            &head.order_id.to_string(),
            &pb::ShortPicked {
                fulfillment_id: head.id.to_string(),
                order_id: head.order_id.to_string(),
                channel_id: head.channel_id.clone(),
                location_code: head.location_code.clone(),
                line_no: task.line_no,
                sku: task.sku.clone(),
                missing,
                bin_code: task.bin_code.clone(),
                reported_by: actor.to_string(),
                reported_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

/// Publishes GoodsReceived for a completed receipt: one line per order
/// line, condition and putaway bin as counted.
pub async fn goods_received(
    outbox: &Outbox,
    conn: &mut Conn,
    receipt: &crate::store::receiving::ReceiptRow,
    order: &crate::store::receiving::InboundRow,
    actor: &str,
) -> Result<(), ApiError> {
    use crate::store::receiving;
    let lines = receiving::lines(conn, order.po_id).await?;
    let counted = receiving::counted(conn, receipt.id).await?;
    let mut received = Vec::with_capacity(counted.len());
    for c in &counted {
        let Some(line) = lines.iter().find(|l| l.line_no == c.line_no) else {
            continue;
        };
        let good = c.condition == "good";
        received.push(pb::ReceivedLine {
            line_no: c.line_no,
            sku: line.sku.clone(),
            good: if good { c.quantity } else { 0 },
            damaged: if good { 0 } else { c.quantity },
            unit_landed_cost: Some(domain::events::proto::common::v1::Money {
                amount: line.unit_landed_cost.normalize().to_string(),
                currency: line.currency.clone(),
            }),
            bin_code: c.bin_code.clone(),
        });
    }
    outbox
        .enqueue(
            conn,
            topics::WAREHOUSE_RECEIVING_EVENTS,
            &order.po_id.to_string(),
            &pb::GoodsReceived {
                receipt_id: receipt.id.to_string(),
                purchase_order_id: order.po_id.to_string(),
                purchase_order_number: order.number.clone(),
                supplier_code: order.supplier_code.clone(),
                location_code: order.location_code.clone(),
                lines: received,
                received_by: actor.to_string(),
                received_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

/// Publishes ReturnInspected for a return whose units are all graded.
pub async fn return_inspected(
    outbox: &Outbox,
    conn: &mut Conn,
    r: &crate::store::returns::ReturnRow,
) -> Result<(), ApiError> {
    let lines = crate::store::returns::lines(conn, r.return_id).await?;
    outbox
        .enqueue(
            conn,
            topics::WAREHOUSE_RETURN_EVENTS,
            &r.order_id.to_string(),
            &pb::ReturnInspected {
                return_id: r.return_id.to_string(),
                number: r.number.clone(),
                order_id: r.order_id.to_string(),
                channel_id: r.channel_id.clone(),
                location_code: r.location_code.clone(),
                lines: lines
                    .iter()
                    .map(|l| pb::InspectedLine {
                        line_no: l.line_no,
                        sku: l.sku.clone(),
                        resellable: l.resellable,
                        refurbish: l.refurbish,
                        scrap: l.scrap,
                    })
                    .collect(),
                received_by: r.received_by.clone().unwrap_or_default(),
                received_at: r.received_at.map(timestamp),
                inspected_by: r.inspected_by.clone().unwrap_or_default(),
                inspected_at: r.inspected_at.map(timestamp),
            },
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(())
}
