//! Receiving at the dock: the inbound orders procurement approved, a
//! receipt opened by the order's number, scans checked against the order
//! and the over-receipt tolerance, putaway to a bin, and GoodsReceived once
//! per receipt. Every refusal names its field and counts nothing.

mod common;

use std::time::Duration;

use common::*;
use domain::events::proto::common::v1 as common_pb;
use domain::events::proto::procurement::v1 as po;
use domain::events::proto::warehouse::v1 as pb;
use domain::events::topics;
use platform::testing::{decode_all, fixtures, read_topic_until};
use reqwest::StatusCode;
use serde_json::{Value, json};

const WH: &str = "WH-DOCK";

fn order_state(
    id: &str,
    status: &str,
    version: i64,
    lines: &[(i32, &str, i64, i64)],
) -> po::PurchaseOrderState {
    po::PurchaseOrderState {
        purchase_order_id: id.into(),
        number: format!("PO-{}", id[id.len() - 8..].to_uppercase()),
        supplier_code: "ACME".into(),
        location_code: WH.into(),
        status: status.into(),
        lines: lines
            .iter()
            .map(
                |(line_no, sku, quantity, cancelled)| po::PurchaseOrderLine {
                    line_no: *line_no,
                    sku: sku.to_string(),
                    supplier_sku: format!("AC-{sku}"),
                    quantity: *quantity,
                    cancelled: *cancelled,
                    unit_cost: Some(common_pb::Money {
                        amount: "2.5".into(),
                        currency: "EUR".into(),
                    }),
                    unit_landed_cost: Some(common_pb::Money {
                        amount: "2.8333".into(),
                        currency: "EUR".into(),
                    }),
                    ..Default::default()
                },
            )
            .collect(),
        expected_on: "2030-01-31".into(),
        version,
        changed_at: None,
    }
}

async fn approved(
    app: &platform::testing::TestApp,
    lines: &[(i32, &str, i64, i64)],
) -> (String, String) {
    let id = uuid::Uuid::now_v7().to_string();
    let state = order_state(&id, "approved", 2, lines);
    let number = state.number.clone();
    fixtures::publish_applied(
        app,
        topics::PROCUREMENT_PURCHASE_ORDER_EVENTS,
        &id,
        &po::PurchaseOrderApproved {
            state: Some(state),
            approved_by: "user:ada".into(),
        },
    )
    .await;
    (id, number)
}

async fn open(app: &platform::testing::TestApp, number: &str) -> (StatusCode, Value) {
    post(
        app,
        "/v1/receipts",
        &picker(),
        &json!({"purchase_order": number}),
    )
    .await
}

async fn scan(app: &platform::testing::TestApp, receipt: &str, body: Value) -> (StatusCode, Value) {
    post(
        app,
        &format!("/v1/receipts/{receipt}/scans"),
        &picker(),
        &body,
    )
    .await
}

#[tokio::test]
async fn a_receipt_counts_scans_puts_away_and_publishes_goods_received_once() {
    let app = app().await;
    let tee = gtin(101);
    seed_skus(&app, &[("DOCK-TEE", &tee), ("DOCK-CAP", &gtin(102))]).await;
    bin(&app, WH, "R-01", "R", 1, &[]).await;
    let (id, number) = approved(&app, &[(1, "DOCK-TEE", 40, 0), (2, "DOCK-CAP", 10, 0)]).await;
    let expected = get(&app, &format!("/v1/inbound-orders?location={WH}")).await;
    assert_eq!(expected[0]["number"], number.as_str());
    assert_eq!(expected[0]["open_units"], 50);

    let (status, receipt) = open(&app, &number.to_lowercase()).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let rid = receipt["id"].as_str().unwrap().to_string();
    // By barcode, into a bin; damaged units are counted apart.
    let (status, r) = scan(
        &app,
        &rid,
        json!({"item": tee, "quantity": 30, "bin": "R-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    scan(
        &app,
        &rid,
        json!({"item": "DOCK-TEE", "quantity": 2, "condition": "damaged"}),
    )
    .await;
    let (_, r) = scan(&app, &rid, json!({"item": "DOCK-CAP", "quantity": 10})).await;
    assert_eq!(r["lines"][0]["good"], 30);
    assert_eq!(r["lines"][0]["damaged"], 2);
    assert_eq!(r["lines"][0]["open"], 8);
    // 5 % tolerance on 40: 42 in all, 10 more at most.
    assert_eq!(r["lines"][0]["acceptable"], 10);

    let (status, done) = post(
        &app,
        &format!("/v1/receipts/{rid}/complete"),
        &picker(),
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "completed");
    let (status, _) = post(
        &app,
        &format!("/v1/receipts/{rid}/complete"),
        &picker(),
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "completed once");
    // The bin now stocks the SKU.
    let bin = get(&app, &format!("/v1/locations/{WH}/bins/R-01")).await;
    assert_eq!(bin["skus"], json!(["DOCK-TEE"]));

    let records = read_topic_until(
        &app.topic(topics::WAREHOUSE_RECEIVING_EVENTS),
        Duration::from_secs(30),
        Duration::from_millis(500),
        |r| !decode_all::<pb::GoodsReceived>(r).is_empty(),
    )
    .await;
    let events: Vec<pb::GoodsReceived> = decode_all(&records);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.purchase_order_id.as_str(),
            e.location_code.as_str(),
            e.receipt_id.as_str()
        ),
        (id.as_str(), WH, rid.as_str())
    );
    let mut lines: Vec<(i32, i64, i64, String)> = e
        .lines
        .iter()
        .map(|l| (l.line_no, l.good, l.damaged, l.bin_code.clone()))
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        vec![
            (1, 0, 2, String::new()),
            (1, 30, 0, "R-01".into()),
            (2, 10, 0, String::new())
        ]
    );
    assert_eq!(
        e.lines[0].unit_landed_cost.as_ref().unwrap().amount,
        "2.8333"
    );

    // The next receipt sees what came: 8 open, 10 acceptable.
    let (_, second) = open(&app, &number).await;
    assert_eq!(second["lines"][0]["received_before"], 32);
    assert_eq!(second["lines"][1]["open"], 0);
}

#[tokio::test]
async fn every_refusal_names_its_field_and_counts_nothing() {
    let app = app().await;
    seed_skus(&app, &[("REF-TEE", &gtin(201)), ("REF-OTHER", &gtin(202))]).await;
    bin(&app, WH, "R-01", "R", 1, &[]).await;
    let (id, number) = approved(&app, &[(1, "REF-TEE", 10, 0)]).await;

    let (status, _) = open(&app, "PO-NOPE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, receipt) = open(&app, &number).await;
    let rid = receipt["id"].as_str().unwrap().to_string();
    let (status, body) = scan(&app, &rid, json!({"item": "REF-OTHER"})).await;
    assert_refused(status, &body, "item");
    // 10 ordered, 5 %: 10 at most (rounded down).
    let (status, body) = scan(&app, &rid, json!({"item": "REF-TEE", "quantity": 11})).await;
    assert_refused(status, &body, "quantity");
    let (status, body) = scan(&app, &rid, json!({"item": "REF-TEE", "bin": "Z-99"})).await;
    assert_refused(status, &body, "bin");
    let (status, body) = scan(
        &app,
        &rid,
        json!({"item": "REF-TEE", "condition": "damaged", "bin": "R-01"}),
    )
    .await;
    assert_refused(status, &body, "bin");
    let (status, body) = post(
        &app,
        &format!("/v1/receipts/{rid}/complete"),
        &picker(),
        &json!({}),
    )
    .await;
    assert_refused(status, &body, "receipt");
    let r = get(&app, &format!("/v1/receipts/{rid}")).await;
    assert_eq!(
        (
            r["lines"][0]["good"].as_i64(),
            r["lines"][0]["damaged"].as_i64()
        ),
        (Some(0), Some(0))
    );

    // Two receipts of one order share its tolerance.
    scan(&app, &rid, json!({"item": "REF-TEE", "quantity": 6})).await;
    let (_, other) = open(&app, &number).await;
    let (status, body) = scan(
        &app,
        other["id"].as_str().unwrap(),
        json!({"item": "REF-TEE", "quantity": 5}),
    )
    .await;
    assert_refused(status, &body, "quantity");

    // Once procurement cancels the order, nothing more is received; an
    // older state arriving late changes nothing.
    let cancelled = order_state(&id, "cancelled", 5, &[(1, "REF-TEE", 10, 10)]);
    fixtures::publish_applied(
        &app,
        topics::PROCUREMENT_PURCHASE_ORDER_EVENTS,
        &id,
        &po::PurchaseOrderChanged {
            state: Some(cancelled),
            change: "cancelled".into(),
        },
    )
    .await;
    let stale = order_state(&id, "sent", 4, &[(1, "REF-TEE", 10, 0)]);
    fixtures::publish_applied(
        &app,
        topics::PROCUREMENT_PURCHASE_ORDER_EVENTS,
        &id,
        &po::PurchaseOrderChanged {
            state: Some(stale),
            change: "sent".into(),
        },
    )
    .await;
    let (status, body) = open(&app, &number).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = scan(&app, &rid, json!({"item": "REF-TEE"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = post(
        &app,
        &format!("/v1/receipts/{rid}/complete"),
        &picker(),
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        get(&app, &format!("/v1/inbound-orders?location={WH}"))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
}
