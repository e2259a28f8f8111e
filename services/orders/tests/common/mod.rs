#![allow(dead_code)]
//! Helpers shared by the orders integration tests. Catalog and inventory are
//! represented by their events on the real Kafka topics orders consumes.

use std::time::Duration;

use domain::events::proto::inventory::v1 as inventory;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::topics;
use platform::Role;
use platform::testing::fixtures::{self, SeedVariant};
use platform::testing::{TestApp, eventually_some, publish, read_topic, scalar, token};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub async fn app() -> TestApp {
    TestApp::spawn(&orders::service()).await
}

pub fn ops() -> String {
    token(&[Role::Ops])
}

pub async fn get(app: &TestApp, path: &str, bearer: &str) -> (StatusCode, Value) {
    app.get_json(path, bearer).await
}

pub async fn post(app: &TestApp, path: &str, bearer: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .expect("request")
}

pub fn channel_body(kind: &str, policy: &str) -> Value {
    json!({"kind": kind, "name": "Test channel", "currency": "EUR", "backorder_policy": policy})
}

pub async fn put_channel(app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/v1/channels/{id}")))
        .bearer_auth(ops())
        .json(body)
        .send()
        .await
        .expect("request")
}

pub async fn channel(app: &TestApp, id: &str, body: Value) -> Value {
    let res = put_channel(app, id, &body).await;
    assert!(res.status().is_success(), "{:?}", res.text().await);
    res.json().await.unwrap()
}

/// Lists `sku` on `channels` at 19.90 EUR, as catalog's ProductUpserted would,
/// and waits until orders applied it.
pub async fn list_sku(app: &TestApp, sku: &str, channels: &[&str]) {
    let variant = SeedVariant {
        sku,
        gtin14: None,
        listed_on: channels,
    };
    fixtures::seed_product(app, &[variant]).await;
}

/// A valid order body: `lines` of (SKU, quantity) at 19.90, 4.90 shipping.
pub fn order_body(external_id: &str, lines: &[(&str, i64)]) -> Value {
    let subtotal: rust_decimal::Decimal = lines
        .iter()
        .map(|(_, q)| rust_decimal::Decimal::new(1990, 2) * rust_decimal::Decimal::from(*q))
        .sum();
    let total = subtotal + rust_decimal::Decimal::new(490, 2);
    json!({
        "external_order_id": external_id,
        "customer": {"email": format!("{external_id}@example.com"), "name": "Ada Lovelace"},
        "shipping_address": {"name": "Ada Lovelace", "line1": "Unter den Linden 1", "city": "Berlin",
                             "postal_code": "10117", "country": "DE"},
        "lines": lines.iter().map(|(sku, q)| json!({"sku": sku, "quantity": q,
                  "unit_price": {"amount": "19.90", "currency": "EUR"}})).collect::<Vec<_>>(),
        "shipping_total": {"amount": "4.90", "currency": "EUR"},
        "tax_total": {"amount": "0", "currency": "EUR"},
        "discount_total": {"amount": "0", "currency": "EUR"},
        "total": {"amount": total.to_string(), "currency": "EUR"},
        "payment_status": "paid",
        "placed_at": chrono::Utc::now().to_rfc3339(),
    })
}

/// Places an order with a channel token; returns the created order.
pub async fn place(app: &TestApp, channel: &str, body: &Value) -> Value {
    let res = post(
        app,
        "/v1/orders",
        &platform::testing::channel_token(channel),
        body,
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    res.json().await.unwrap()
}

/// Inventory's answer: the order's lines reserved at `location`.
/// Publishes inventory's StockReserved for every line of `order` at `location`.
pub async fn reserve(app: &TestApp, order: &Value, location: &str) -> domain::ids::EventId {
    let event = inventory::StockReserved {
        order_id: order["id"].as_str().unwrap().into(),
        lines: order["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| inventory::ReservedLine {
                line_no: l["line_no"].as_i64().unwrap() as i32,
                sku: l["sku"].as_str().unwrap().into(),
                location_code: location.into(),
                quantity: l["quantity"].as_i64().unwrap(),
            })
            .collect(),
        shortfalls: vec![],
        trigger: "placement".into(),
        reserved_at: None,
    };
    let id = event.order_id.clone();
    publish(
        &app.runtime().producer,
        &app.topic(topics::INVENTORY_RESERVATION_EVENTS),
        &id,
        &event,
    )
    .await
}

pub async fn fail_reservation(app: &TestApp, order: &Value, outcome: &str) {
    let line = &order["lines"][0];
    let event = inventory::ReservationFailed {
        order_id: order["id"].as_str().unwrap().into(),
        shortfalls: vec![inventory::Shortfall {
            line_no: 1,
            sku: line["sku"].as_str().unwrap().into(),
            requested: line["quantity"].as_i64().unwrap(),
            missing: 1,
        }],
        outcome: outcome.into(),
        failed_at: None,
    };
    let id = event.order_id.clone();
    publish(
        &app.runtime().producer,
        &app.topic(topics::INVENTORY_RESERVATION_EVENTS),
        &id,
        &event,
    )
    .await;
}

/// Waits for the order to reach `status`; returns it.
pub async fn wait_status(app: &TestApp, id: &str, status: &str) -> Value {
    eventually_some(Duration::from_secs(30), || async {
        let (_, order) = get(app, &format!("/v1/orders/{id}"), &ops()).await;
        (order["status"] == status).then_some(order)
    })
    .await
    .unwrap_or_else(|| panic!("order {id} never became {status}"))
}

/// The order events published so far (at least `want`).
pub async fn order_events(app: &TestApp, want: usize) -> Vec<platform::testing::ReadRecord> {
    read_topic(
        &app.topic(topics::ORDERS_ORDER_EVENTS),
        want,
        Duration::from_secs(30),
        Duration::from_millis(500),
    )
    .await
}

/// Event types of `records` for one order key.
pub fn types_for(records: &[platform::testing::ReadRecord], order_id: &str) -> Vec<String> {
    records
        .iter()
        .filter(|r| r.key.as_deref() == Some(order_id))
        .map(|r| {
            r.headers["event-type"]
                .rsplit('.')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

pub async fn count(app: &TestApp, table: &str) -> i64 {
    scalar(
        &app.runtime().db,
        &format!("SELECT count(*) AS n FROM {table}"),
    )
    .await
}

/// Inventory's answer with each line reserved where given: (line no, location).
pub async fn reserve_lines(app: &TestApp, order: &Value, at: &[(i32, &str)]) {
    let event = inventory::StockReserved {
        order_id: order["id"].as_str().unwrap().into(),
        lines: order["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let line_no = l["line_no"].as_i64().unwrap() as i32;
                inventory::ReservedLine {
                    line_no,
                    sku: l["sku"].as_str().unwrap().into(),
                    location_code: at
                        .iter()
                        .find(|(no, _)| *no == line_no)
                        .map(|(_, loc)| loc.to_string())
                        .expect("a location for every line"),
                    quantity: l["quantity"].as_i64().unwrap(),
                }
            })
            .collect(),
        shortfalls: vec![],
        trigger: "placement".into(),
        reserved_at: None,
    };
    let id = event.order_id.clone();
    publish(
        &app.runtime().producer,
        &app.topic(topics::INVENTORY_RESERVATION_EVENTS),
        &id,
        &event,
    )
    .await;
}

/// The warehouse's FulfillmentShipped: `lines` (line no, SKU, quantity) in one
/// parcel with tracking number `tracking`.
pub fn fulfillment_shipped(
    order: &Value,
    fulfillment: &str,
    location: &str,
    tracking: &str,
    lines: &[(i32, &str, i64)],
) -> warehouse::FulfillmentShipped {
    let lines: Vec<warehouse::FulfilledLine> = lines
        .iter()
        .map(|(line_no, sku, quantity)| warehouse::FulfilledLine {
            line_no: *line_no,
            sku: sku.to_string(),
            quantity: *quantity,
        })
        .collect();
    warehouse::FulfillmentShipped {
        fulfillment_id: fulfillment.into(),
        order_id: order["id"].as_str().unwrap().into(),
        channel_id: order["channel_id"].as_str().unwrap().into(),
        external_order_id: order["external_order_id"].as_str().unwrap().into(),
        location_code: location.into(),
        parcels: vec![warehouse::Parcel {
            package_id: format!("PKG-{fulfillment}"),
            carrier: "DHL".into(),
            service: "Paket".into(),
            tracking_number: tracking.into(),
            lines: lines.clone(),
            weight_grams: 1200,
        }],
        lines,
        shipped_by: "user:packer-3".into(),
        shipped_at: Some(domain::events::timestamp(chrono::Utc::now())),
    }
}

/// Publishes a warehouse event for the order (a new event id each time).
pub async fn publish_warehouse<E: domain::events::Event>(app: &TestApp, order: &Value, event: &E) {
    publish(
        &app.runtime().producer,
        &app.topic(topics::WAREHOUSE_FULFILLMENT_EVENTS),
        order["id"].as_str().unwrap(),
        event,
    )
    .await;
}

/// Inventory's StockReallocated for the order.
pub async fn reallocated(
    app: &TestApp,
    order: &Value,
    fulfillment: &str,
    from: &str,
    lines: &[(i32, &str, i64)],
    shortfalls: &[(i32, i64, i64)],
    outcome: &str,
) {
    let sku = |line_no: i32| {
        order["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["line_no"] == line_no)
            .map(|l| l["sku"].as_str().unwrap().to_string())
            .expect("line")
    };
    let event = inventory::StockReallocated {
        order_id: order["id"].as_str().unwrap().into(),
        channel_id: order["channel_id"].as_str().unwrap().into(),
        fulfillment_id: fulfillment.into(),
        from_location_code: from.into(),
        lines: lines
            .iter()
            .map(|(line_no, location, quantity)| inventory::ReservedLine {
                line_no: *line_no,
                sku: sku(*line_no),
                location_code: location.to_string(),
                quantity: *quantity,
            })
            .collect(),
        shortfalls: shortfalls
            .iter()
            .map(|(line_no, requested, missing)| inventory::Shortfall {
                line_no: *line_no,
                sku: sku(*line_no),
                requested: *requested,
                missing: *missing,
            })
            .collect(),
        outcome: outcome.into(),
        reallocated_at: None,
        ..Default::default()
    };
    publish(
        &app.runtime().producer,
        &app.topic(topics::INVENTORY_RESERVATION_EVENTS),
        order["id"].as_str().unwrap(),
        &event,
    )
    .await;
}

/// The order's allocations: (line no, location, quantity).
pub fn allocations(order: &Value) -> Vec<(i64, String, i64)> {
    order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| {
            let line_no = l["line_no"].as_i64().unwrap();
            l["allocations"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |a| {
                    (
                        line_no,
                        a["location"].as_str().unwrap().to_string(),
                        a["quantity"].as_i64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Polls the order until `check` holds; returns it.
pub async fn wait_order(
    app: &TestApp,
    id: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    eventually_some(Duration::from_secs(30), || async {
        let (_, order) = get(app, &format!("/v1/orders/{id}"), &ops()).await;
        check(&order).then_some(order)
    })
    .await
    .unwrap_or_else(|| panic!("order {id}: {what}"))
}

/// The order's status history: (from, to, reason, actor).
pub async fn history(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, history) = get(app, &format!("/v1/orders/{id}/history"), &ops()).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    history.as_array().unwrap().clone()
}

/// A channel's feed once it has `want` updates.
pub async fn feed(app: &TestApp, channel: &str, want: usize) -> Vec<Value> {
    eventually_some(Duration::from_secs(20), || async {
        let (_, page) = get(app, &format!("/v1/channels/{channel}/updates"), &ops()).await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        (items.len() >= want).then_some(items)
    })
    .await
    .unwrap_or_else(|| panic!("{want} updates in the feed of {channel}"))
}
