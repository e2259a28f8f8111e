//! Goods received at the dock (the warehouse's GoodsReceived): good units
//! raise on hand with a `receipt` movement referencing the purchase order,
//! damaged ones land in the location's quarantine (never sold), waiting
//! backorders fill by themselves, and a redelivered receipt applies once.

mod common;

use std::time::Duration;

use common::*;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::topics;
use platform::testing::{eventually, fixtures, publish_with};
use serde_json::Value;

fn receipt(id: &str, lines: &[(&str, i64, i64)]) -> warehouse::GoodsReceived {
    warehouse::GoodsReceived {
        receipt_id: id.into(),
        purchase_order_id: uuid::Uuid::now_v7().to_string(),
        purchase_order_number: "PO-000042".into(),
        supplier_code: "ACME".into(),
        location_code: "WH-1".into(),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, good, damaged))| warehouse::ReceivedLine {
                line_no: i as i32 + 1,
                sku: sku.to_string(),
                good: *good,
                damaged: *damaged,
                ..Default::default()
            })
            .collect(),
        received_by: "user:dock".into(),
        received_at: None,
    }
}

fn on_hand_at(stock: &Value, location: &str) -> i64 {
    stock["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location"] == location)
        .map_or(0, |l| l["on_hand"].as_i64().unwrap())
}

#[tokio::test]
async fn a_receipt_raises_on_hand_quarantines_damage_and_fills_backorders() {
    let app = app().await;
    seed_skus(&app, &["RCV-A"]).await;
    location(&app, "WH-1", "warehouse", 10).await;
    let web = Channel::new("web", "backorder");
    seed_channel(&app, Channel::new("web", "backorder")).await;
    let order = place(&app, &web, &[("RCV-A", 5)]).await;
    assert_eq!(reservation_status(&app, &order).await, "backordered");

    let first = receipt("R-1", &[("RCV-A", 4, 2)]);
    let id = fixtures::publish_applied(
        &app,
        topics::WAREHOUSE_RECEIVING_EVENTS,
        &first.purchase_order_id,
        &first,
    )
    .await;
    let s = stock(&app, "RCV-A").await;
    assert_eq!(on_hand_at(&s, "WH-1"), 4);
    assert_eq!(on_hand_at(&s, "WH-1-Q"), 2);
    let (_, quarantine) = get(&app, "/v1/locations/WH-1-Q", &ops()).await;
    assert_eq!(
        quarantine["active"], false,
        "quarantined units are never allocated"
    );
    // The same record delivered again applies nothing.
    let mut envelope = domain::events::Envelope::new::<warehouse::GoodsReceived>("warehouse");
    envelope.event_id = id;
    publish_with(
        &app.runtime().producer,
        &app.topic(topics::WAREHOUSE_RECEIVING_EVENTS),
        &first.purchase_order_id,
        &first,
        &envelope,
    )
    .await;
    assert!(
        app.wait_consumed(topics::WAREHOUSE_RECEIVING_EVENTS, 2)
            .await
    );
    assert_eq!(on_hand_at(&stock(&app, "RCV-A").await, "WH-1"), 4);
    // Four good units do not cover the order of five: it still waits.
    assert_eq!(reservation_status(&app, &order).await, "backordered");

    let second = receipt("R-2", &[("RCV-A", 3, 0)]);
    fixtures::publish_applied(
        &app,
        topics::WAREHOUSE_RECEIVING_EVENTS,
        &second.purchase_order_id,
        &second,
    )
    .await;
    assert!(
        eventually(Duration::from_secs(30), || async {
            reservation_status(&app, &order).await == "reserved"
        })
        .await,
        "the backorder fills once stock arrives"
    );
    let s = stock(&app, "RCV-A").await;
    assert_eq!((on_hand_at(&s, "WH-1"), available_at(&s, "WH-1")), (7, 2));
    let moves = movements(&app, "RCV-A").await;
    let receipts: Vec<&Value> = moves.iter().filter(|m| m["kind"] == "receipt").collect();
    assert_eq!(receipts.len(), 3);
    assert!(receipts.iter().all(|m| m["reference"] == "PO-000042"));
    assert_reconciles(&app).await;
}
