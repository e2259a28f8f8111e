#![allow(dead_code)]
//! Helpers shared by procurement's integration tests: the upstream events
//! (catalog products, orders, inventory's reservation outcomes) are published
//! to the real Kafka topics the service consumes, as those services' relays
//! would; history is imported through the API.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::events::proto::inventory::v1 as inventory;
use domain::events::proto::orders::v1 as orders;
use domain::events::{timestamp, topics};
use platform::Role;
use platform::testing::fixtures::{self, SeedVariant};
use platform::testing::{TestApp, eventually_some, token};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

pub async fn app() -> TestApp {
    TestApp::spawn(&procurement::service()).await
}

pub fn buyer() -> String {
    token(&[Role::Buyer])
}

pub fn ops() -> String {
    token(&[Role::Ops])
}

/// Makes `skus` known, as catalog's ProductUpserted would.
pub async fn seed_skus(app: &TestApp, skus: &[&str]) {
    let variants: Vec<SeedVariant> = skus.iter().map(|s| SeedVariant::sku(s)).collect();
    fixtures::seed_product(app, &variants).await;
}

/// Publishes OrderPlaced for `lines` (SKU, quantity) on `channel` at
/// `placed_at` and waits until it is applied; returns the order id.
pub async fn place(
    app: &TestApp,
    channel: &str,
    placed_at: DateTime<Utc>,
    lines: &[(&str, i64)],
) -> String {
    let order_id = Uuid::now_v7().to_string();
    let event = orders::OrderPlaced {
        order_id: order_id.clone(),
        channel_id: channel.into(),
        external_order_id: format!("EXT-{order_id}"),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, q))| orders::OrderLine {
                line_no: i as i32 + 1,
                sku: sku.to_string(),
                quantity: *q,
                unit_price: None,
            })
            .collect(),
        backorder_policy: "backorder".into(),
        placed_at: Some(timestamp(placed_at)),
        ..Default::default()
    };
    fixtures::publish_applied(app, topics::ORDERS_ORDER_EVENTS, &order_id, &event).await;
    order_id
}

pub async fn cancel(app: &TestApp, order_id: &str) {
    let event = orders::OrderCancelled {
        order_id: order_id.into(),
        channel_id: "web".into(),
        reason: "customer".into(),
        cancelled_by: "test".into(),
        cancelled_at: Some(timestamp(Utc::now())),
    };
    fixtures::publish_applied(app, topics::ORDERS_ORDER_EVENTS, order_id, &event).await;
}

/// Publishes inventory's ReservationFailed (backordered) for `sku` short by
/// `missing` at `at`.
pub async fn reservation_failed(app: &TestApp, sku: &str, missing: i64, at: DateTime<Utc>) {
    let order_id = Uuid::now_v7().to_string();
    let event = inventory::ReservationFailed {
        order_id: order_id.clone(),
        shortfalls: vec![inventory::Shortfall {
            line_no: 1,
            sku: sku.into(),
            requested: missing,
            missing,
        }],
        outcome: "backordered".into(),
        failed_at: Some(timestamp(at)),
    };
    fixtures::publish_applied(app, topics::INVENTORY_RESERVATION_EVENTS, &order_id, &event).await;
}

/// POSTs a CSV body to the import endpoint.
pub async fn import(app: &TestApp, csv: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/demand-history"))
        .bearer_auth(buyer())
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap()
}

/// Imports `csv` and asserts it was applied; returns the import summary.
pub async fn import_ok(app: &TestApp, csv: &str) -> Value {
    let res = import(app, csv).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    res.json().await.unwrap()
}

pub async fn demand(app: &TestApp, sku: &str, query: &str) -> Value {
    let (status, body) = app
        .get_json(&format!("/v1/demand/{sku}?{query}"), &buyer())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Waits (up to 60 s) for the forecast at `path` to satisfy `ready`.
pub async fn forecast_when(app: &TestApp, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    eventually_some(Duration::from_secs(60), || async {
        let (status, body) = app.get_json(path, &buyer()).await;
        (status == StatusCode::OK && ready(&body)).then_some(body)
    })
    .await
    .unwrap_or_else(|| panic!("no forecast at {path} within 60 s"))
}

/// A CSV of `days` days of history ending yesterday, the quantity of each
/// day from `quantity(day index, weekday 0 = Monday)`.
pub fn history_csv(
    sku: &str,
    channel: &str,
    days: i64,
    quantity: impl Fn(i64, u32) -> i64,
) -> String {
    use chrono::Datelike;
    let today = Utc::now().date_naive();
    let mut out = String::from("sku,channel,date,quantity\n");
    for i in 0..days {
        let date = today - chrono::Duration::days(days - i);
        let q = quantity(i, date.weekday().num_days_from_monday());
        out.push_str(&format!("{sku},{channel},{date},{q}\n"));
    }
    out
}

/// Publishes inventory's StockLevelChanged for `sku` at `location` and waits
/// until it is applied.
pub async fn level(
    app: &TestApp,
    sku: &str,
    location: &str,
    on_hand: i64,
    reserved: i64,
    backordered: i64,
    priority: i32,
) {
    static SEQ: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    let event = inventory::StockLevelChanged {
        sku: sku.into(),
        location_code: location.into(),
        on_hand,
        reserved,
        backordered,
        location_priority: priority,
        sequence: SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        changed_at: Some(timestamp(Utc::now())),
    };
    fixtures::publish_applied(app, topics::INVENTORY_STOCK_EVENTS, sku, &event).await;
}

/// PUTs `body` to `path` as a buyer; asserts 200 or 201.
pub async fn put_ok(app: &TestApp, path: &str, body: &Value) -> Value {
    let res = app
        .client
        .put(app.url(path))
        .bearer_auth(buyer())
        .json(body)
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success(),
        "PUT {path}: {:?}",
        res.text().await
    );
    res.json().await.unwrap()
}

/// A supplier `code` in EUR supplying `skus` at `cost`, MOQ, packs, lead
/// time and rank.
pub async fn supplier(app: &TestApp, code: &str, skus: &[&str], terms: Value) {
    put_ok(
        app,
        &format!("/v1/suppliers/{code}"),
        &serde_json::json!({"name": format!("Supplier {code}"), "currency": "EUR", "payment_terms_days": 30}),
    )
    .await;
    for sku in skus {
        let mut body = serde_json::json!({"supplier_sku": format!("{code}-{sku}")});
        body.as_object_mut()
            .unwrap()
            .extend(terms.as_object().unwrap().clone());
        put_ok(app, &format!("/v1/suppliers/{code}/products/{sku}"), &body).await;
    }
}

/// POSTs a replenishment run; returns the status and the run.
pub async fn run(app: &TestApp, dry_run: bool) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url("/v1/replenishment-runs"))
        .bearer_auth(buyer())
        .json(&serde_json::json!({"dry_run": dry_run}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

/// POSTs `body` to `path` with `bearer`; returns the status and body.
pub async fn post(app: &TestApp, path: &str, bearer: &str, body: Value) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Publishes the warehouse's GoodsReceived for `receipt_id` (`lines`: line
/// number, SKU, good, damaged) and waits until it is applied; returns the
/// event id.
pub async fn goods_received(
    app: &TestApp,
    po: &Value,
    receipt_id: &str,
    lines: &[(i32, &str, i64, i64)],
) -> domain::ids::EventId {
    use domain::events::proto::warehouse::v1 as warehouse;
    let event = warehouse::GoodsReceived {
        receipt_id: receipt_id.into(),
        purchase_order_id: po["id"].as_str().unwrap().into(),
        purchase_order_number: po["number"].as_str().unwrap().into(),
        supplier_code: po["supplier_code"].as_str().unwrap().into(),
        location_code: po["location_code"].as_str().unwrap().into(),
        lines: lines
            .iter()
            .map(|(line_no, sku, good, damaged)| warehouse::ReceivedLine {
                line_no: *line_no,
                sku: sku.to_string(),
                good: *good,
                damaged: *damaged,
                unit_landed_cost: None,
                bin_code: String::new(),
            })
            .collect(),
        received_by: "user:dock".into(),
        received_at: Some(timestamp(Utc::now())),
    };
    fixtures::publish_applied(
        app,
        topics::WAREHOUSE_RECEIVING_EVENTS,
        po["id"].as_str().unwrap(),
        &event,
    )
    .await
}
