#![allow(dead_code)]
//! Helpers shared by the warehouse's integration tests: upstream events
//! (catalog products, orders' channels and order events, inventory's
//! re-allocations) are published to the real Kafka topics the service
//! consumes, as those services' relays would; everything else goes through
//! the HTTP API.

use std::time::Duration;

use domain::events::proto::inventory::v1 as inventory;
use domain::events::proto::orders::v1 as orders;
use domain::events::topics;
use domain::ids::EventId;
use platform::Role;
use platform::testing::fixtures::{self, SeedVariant};
use platform::testing::{TestApp, eventually_some, publish, scalar, token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

pub async fn app() -> TestApp {
    TestApp::spawn(&warehouse::service()).await
}

pub fn ops() -> String {
    token(&[Role::Ops])
}

pub fn picker() -> String {
    token(&[Role::Warehouse])
}

/// A valid EAN-13 for `n` (the check digit computed).
pub fn gtin(n: u64) -> String {
    let body = format!("400{n:09}");
    let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
    format!("{body}{}", domain::barcode::check_digit(&digits))
}

/// The normalized GTIN-14 the catalog publishes for an EAN-13.
pub fn gtin14(ean13: &str) -> String {
    format!("0{ean13}")
}

/// Makes `skus` (SKU, EAN-13) known, as catalog's ProductUpserted would.
pub async fn seed_skus(app: &TestApp, skus: &[(&str, &str)]) {
    let gtins: Vec<String> = skus.iter().map(|(_, ean)| gtin14(ean)).collect();
    let variants: Vec<SeedVariant> = skus
        .iter()
        .zip(&gtins)
        .map(|((sku, _), gtin)| SeedVariant {
            sku,
            gtin14: Some(gtin),
            listed_on: &[],
        })
        .collect();
    fixtures::seed_product(app, &variants).await;
}

pub async fn seed_channel(app: &TestApp, id: &str) {
    let event = orders::ChannelUpserted {
        kind: "marketplace".into(),
        priority: 10,
        ..fixtures::channel_upserted(id)
    };
    fixtures::seed_channel(app, &event).await;
}

/// Puts a bin stocking `skus` at `location`.
pub async fn bin(app: &TestApp, location: &str, code: &str, zone: &str, walk: i32, skus: &[&str]) {
    let res = app
        .client
        .put(app.url(&format!("/v1/locations/{location}/bins/{code}")))
        .bearer_auth(ops())
        .json(
            &json!({"zone": zone, "aisle": "01", "shelf": "01", "level": "1",
                      "walk_sequence": walk, "skus": skus}),
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{:?}", res.text().await);
}

/// An OrderConfirmed with allocations (line no, SKU, location, quantity).
pub fn confirmed(
    order_id: &str,
    channel: &str,
    allocations: &[(i32, &str, &str, i64)],
) -> orders::OrderConfirmed {
    let now = chrono::Utc::now();
    orders::OrderConfirmed {
        order_id: order_id.into(),
        channel_id: channel.into(),
        external_order_id: format!("EXT-{order_id}"),
        allocations: allocations
            .iter()
            .map(|(line_no, sku, location, quantity)| orders::Allocation {
                line_no: *line_no,
                sku: sku.to_string(),
                location_code: location.to_string(),
                quantity: *quantity,
            })
            .collect(),
        placed_at: Some(domain::events::timestamp(now)),
        confirmed_at: Some(domain::events::timestamp(now)),
    }
}

pub async fn publish_order_event<E: domain::events::Event>(
    app: &TestApp,
    order_id: &str,
    event: &E,
) {
    publish(
        &app.runtime().producer,
        &app.topic(topics::ORDERS_ORDER_EVENTS),
        order_id,
        event,
    )
    .await;
}

/// Publishes OrderConfirmed and waits for `expect` fulfillments of the order.
pub async fn confirm(
    app: &TestApp,
    channel: &str,
    allocations: &[(i32, &str, &str, i64)],
    expect: usize,
) -> (String, Vec<Value>) {
    let order_id = Uuid::now_v7().to_string();
    publish_order_event(app, &order_id, &confirmed(&order_id, channel, allocations)).await;
    let list = fulfillments_of(app, &order_id, expect).await;
    (order_id, list)
}

/// Waits until the order has `expect` fulfillments; returns them.
pub async fn fulfillments_of(app: &TestApp, order_id: &str, expect: usize) -> Vec<Value> {
    let path = format!("/v1/fulfillments?order_id={order_id}");
    let found = eventually_some(Duration::from_secs(30), || async {
        let (status, body) = app.get_json(&path, &ops()).await;
        let items = body["items"].as_array().cloned().unwrap_or_default();
        (status == StatusCode::OK && items.len() == expect).then_some(items)
    })
    .await;
    found.unwrap_or_else(|| panic!("order {order_id} never had {expect} fulfillment(s)"))
}

pub async fn cancel(app: &TestApp, order_id: &str, channel: &str) {
    let event = orders::OrderCancelled {
        order_id: order_id.into(),
        channel_id: channel.into(),
        reason: "customer asked".into(),
        cancelled_by: "channel:test".into(),
        cancelled_at: None,
    };
    publish_order_event(app, order_id, &event).await;
}

pub async fn reallocated(app: &TestApp, e: &inventory::StockReallocated) -> EventId {
    publish(
        &app.runtime().producer,
        &app.topic(topics::INVENTORY_RESERVATION_EVENTS),
        &e.order_id,
        e,
    )
    .await
}

/// POST `body` with `bearer`; the status and JSON body.
pub async fn post(app: &TestApp, path: &str, bearer: &str, body: &Value) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.get_json(path, &ops()).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

/// Releases a wave at `location`; returns it.
pub async fn release(app: &TestApp, location: &str) -> Value {
    let (status, wave) = post(
        app,
        "/v1/waves",
        &ops(),
        &json!({"location_code": location}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{wave}");
    wave
}

/// Every task of a wave, across its pick lists.
pub fn tasks(wave: &Value) -> Vec<Value> {
    wave["pick_lists"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["tasks"].as_array().unwrap().clone())
        .collect()
}

/// Picks a task in full with the right scans.
pub async fn pick(app: &TestApp, task: &Value, ean: &str) {
    let (status, body) = post(
        app,
        &format!("/v1/pick-tasks/{}/scans", task["id"].as_str().unwrap()),
        &picker(),
        &json!({"bin": task["bin_code"], "item": ean, "quantity": task["quantity"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "done");
}

/// Packs everything of a fulfillment into one package, closes it; returns it.
pub async fn pack_all(app: &TestApp, fulfillment_id: &str, items: &[(&str, i64)]) -> Value {
    let (status, package) = post(
        app,
        &format!("/v1/fulfillments/{fulfillment_id}/packages"),
        &picker(),
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{package}");
    let id = package["id"].as_str().unwrap().to_string();
    for (ean, quantity) in items {
        let (status, body) = post(
            app,
            &format!("/v1/packages/{id}/items"),
            &picker(),
            &json!({"item": ean, "quantity": quantity}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, closed) = post(
        app,
        &format!("/v1/packages/{id}/close"),
        &picker(),
        &json!({"weight_grams": 1200, "length_mm": 300, "width_mm": 200, "height_mm": 100}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    closed
}

pub async fn ship(app: &TestApp, package_id: &str, tracking: &str) -> (StatusCode, Value) {
    post(
        app,
        &format!("/v1/packages/{package_id}/ship"),
        &picker(),
        &json!({"tracking_number": tracking}),
    )
    .await
}

/// Floor exceptions of `kind` recorded so far.
pub async fn exceptions(app: &TestApp, kind: &str) -> i64 {
    scalar(
        &app.runtime().db,
        &format!("SELECT count(*) AS n FROM floor_exceptions WHERE kind = '{kind}'"),
    )
    .await
}

/// Asserts a 422 that names exactly `field`.
pub fn assert_refused(status: StatusCode, problem: &Value, field: &str) {
    assert_eq!(
        (status, platform::testing::fields(problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_string()]),
        "{problem}"
    );
}
