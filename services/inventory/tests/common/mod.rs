#![allow(dead_code)]
//! Helpers shared by inventory's integration tests: the upstream events
//! (catalog products, orders' channels and orders) are published to the real
//! Kafka topics the service consumes, as those services' relays would.

use std::time::Duration;

use domain::events::proto::inventory::v1 as pb;
use domain::events::proto::orders::v1 as orders;
use domain::events::topics;
use platform::Role;
use platform::testing::fixtures::{self, SeedVariant};
use platform::testing::{TestApp, publish, read_topic, read_topic_until, scalar, token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

pub async fn app() -> TestApp {
    TestApp::spawn(&inventory::service()).await
}

pub fn ops() -> String {
    token(&[Role::Ops])
}

pub async fn get(app: &TestApp, path: &str, bearer: &str) -> (StatusCode, Value) {
    app.get_json(path, bearer).await
}

/// Makes `skus` known, as catalog's ProductUpserted would.
pub async fn seed_skus(app: &TestApp, skus: &[&str]) {
    let variants: Vec<SeedVariant> = skus.iter().map(|s| SeedVariant::sku(s)).collect();
    fixtures::seed_product(app, &variants).await;
}

/// A channel as orders' ChannelUpserted describes it.
pub struct Channel<'a> {
    pub id: &'a str,
    pub policy: &'a str,
    pub ship_from: &'a [&'a str],
    pub priority: i32,
    pub buffer_units: i64,
    pub buffer_percent: i32,
    pub version: i64,
}

impl<'a> Channel<'a> {
    pub fn new(id: &'a str, policy: &'a str) -> Self {
        Self {
            id,
            policy,
            ship_from: &[],
            priority: 100,
            buffer_units: 0,
            buffer_percent: 0,
            version: 1,
        }
    }
}

pub async fn seed_channel(app: &TestApp, c: Channel<'_>) {
    let event = orders::ChannelUpserted {
        backorder_policy: c.policy.into(),
        ship_from: c.ship_from.iter().map(|s| s.to_string()).collect(),
        priority: c.priority,
        safety_buffer_units: c.buffer_units,
        safety_buffer_percent: c.buffer_percent,
        version: c.version,
        ..fixtures::channel_upserted(c.id)
    };
    fixtures::seed_channel(app, &event).await;
}

pub async fn location(app: &TestApp, code: &str, kind: &str, priority: i32) {
    let res = app
        .client
        .put(app.url(&format!("/v1/locations/{code}")))
        .bearer_auth(ops())
        .json(&json!({"name": format!("Location {code}"), "kind": kind, "priority": priority}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{:?}", res.text().await);
}

pub async fn adjust(app: &TestApp, sku: &str, location: &str, delta: i64) -> Value {
    let reason = if delta > 0 { "receipt" } else { "correction" };
    let res = app
        .client
        .post(app.url("/v1/adjustments"))
        .bearer_auth(ops())
        .json(&json!({"sku": sku, "location": location, "reason": reason, "quantity_delta": delta}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    res.json().await.unwrap()
}

/// Publishes OrderPlaced for `lines` (SKU, quantity); returns the order id.
pub async fn place(app: &TestApp, channel: &Channel<'_>, lines: &[(&str, i64)]) -> String {
    place_with(app, channel, lines, None).await
}

pub async fn place_with(
    app: &TestApp,
    channel: &Channel<'_>,
    lines: &[(&str, i64)],
    hold: Option<&str>,
) -> String {
    let order_id = Uuid::now_v7().to_string();
    let event = order_placed(&order_id, channel, lines, hold);
    publish(
        &app.runtime().producer,
        &app.topic(topics::ORDERS_ORDER_EVENTS),
        &order_id,
        &event,
    )
    .await;
    order_id
}

pub fn order_placed(
    order_id: &str,
    channel: &Channel<'_>,
    lines: &[(&str, i64)],
    hold: Option<&str>,
) -> orders::OrderPlaced {
    orders::OrderPlaced {
        order_id: order_id.into(),
        channel_id: channel.id.into(),
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
        backorder_policy: channel.policy.into(),
        ship_from: channel.ship_from.iter().map(|s| s.to_string()).collect(),
        channel_priority: channel.priority,
        placed_at: Some(domain::events::timestamp(chrono::Utc::now())),
        hold_id: hold.unwrap_or_default().into(),
        // What inventory does not read (the buyer, totals for billing).
        ..Default::default()
    }
}

pub async fn cancel(app: &TestApp, order_id: &str, channel: &str) {
    let event = orders::OrderCancelled {
        order_id: order_id.into(),
        channel_id: channel.into(),
        reason: "customer asked".into(),
        cancelled_by: "channel:test".into(),
        cancelled_at: None,
    };
    publish(
        &app.runtime().producer,
        &app.topic(topics::ORDERS_ORDER_EVENTS),
        order_id,
        &event,
    )
    .await;
}

/// Reservation outcomes published so far, one per event id (waits for at least `want`).
pub struct Outcomes {
    pub reserved: Vec<pb::StockReserved>,
    pub failed: Vec<pb::ReservationFailed>,
    pub released: Vec<pb::StockReleased>,
    pub reallocated: Vec<pb::StockReallocated>,
}

pub async fn outcomes(app: &TestApp, want: usize) -> Outcomes {
    let records = read_topic(
        &app.topic(topics::INVENTORY_RESERVATION_EVENTS),
        want,
        Duration::from_secs(60),
        Duration::from_millis(500),
    )
    .await;
    // The relay publishes at least once: a restart between Kafka's ack and
    // marking the row published sends it again, under the same event id.
    // Consumers' inboxes drop such copies; count what they would apply.
    let mut seen = std::collections::HashSet::new();
    let records: Vec<_> = records
        .into_iter()
        .filter(|r| seen.insert(r.headers.get("event-id").cloned()))
        .collect();
    Outcomes {
        reserved: platform::testing::decode_all(&records),
        failed: platform::testing::decode_all(&records),
        released: platform::testing::decode_all(&records),
        reallocated: platform::testing::decode_all(&records),
    }
}

/// Waits until inventory knows `order_id` and returns its reservation status.
pub async fn reservation_status(app: &TestApp, order_id: &str) -> String {
    platform::testing::eventually_some(Duration::from_secs(30), || async {
        let (code, body) = get(app, &format!("/v1/reservations/{order_id}"), &ops()).await;
        (code == StatusCode::OK).then(|| body["status"].as_str().unwrap_or_default().to_string())
    })
    .await
    .unwrap_or_default()
}

pub async fn stock(app: &TestApp, sku: &str) -> Value {
    let (status, body) = get(app, &format!("/v1/stock/{sku}"), &ops()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Available units of `sku` at `location`.
pub fn available_at(stock: &Value, location: &str) -> i64 {
    stock["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location"] == location)
        .map(|l| l["available"].as_i64().unwrap())
        .unwrap_or(0)
}

/// Checks that stock totals reconcile with the movement log and the
/// reservation lines: no unit appears or vanishes without a movement.
pub async fn assert_reconciles(app: &TestApp) {
    let db = &app.runtime().db;
    let on_hand_drift = scalar(
        db,
        "SELECT count(*) AS n FROM stock s WHERE s.on_hand <> COALESCE((SELECT sum(on_hand_after - on_hand_before) \
         FROM movements m WHERE m.sku = s.sku AND m.location_id = s.location_id), 0)",
    )
    .await;
    assert_eq!(on_hand_drift, 0, "on hand equals the sum of its movements");
    let reserved_drift = scalar(
        db,
        "SELECT count(*) AS n FROM stock s WHERE s.reserved <> COALESCE((SELECT sum(reserved_after - reserved_before) \
         FROM movements m WHERE m.sku = s.sku AND m.location_id = s.location_id), 0)",
    )
    .await;
    assert_eq!(
        reserved_drift, 0,
        "reserved equals the sum of its movements"
    );
    let lines_drift = scalar(
        db,
        "SELECT count(*) AS n FROM stock s WHERE s.reserved <> COALESCE((SELECT sum(quantity) \
         FROM reservation_lines r WHERE r.sku = s.sku AND r.location_id = s.location_id), 0)",
    )
    .await;
    assert_eq!(lines_drift, 0, "reserved equals what orders and holds hold");
    let oversold = scalar(
        db,
        "SELECT count(*) AS n FROM stock WHERE reserved > on_hand OR on_hand < 0",
    )
    .await;
    assert_eq!(oversold, 0, "nothing oversold");
}

/// StockAdjusted events published so far, one per event id (waits for at
/// least `want`; the topic carries StockLevelChanged too).
pub async fn stock_events(app: &TestApp, want: usize) -> Vec<pb::StockAdjusted> {
    let records = read_topic_until(
        &app.topic(topics::INVENTORY_STOCK_EVENTS),
        Duration::from_secs(60),
        Duration::from_millis(500),
        |records| platform::testing::decode_all::<pb::StockAdjusted>(records).len() >= want,
    )
    .await;
    let mut seen = std::collections::HashSet::new();
    let records: Vec<_> = records
        .into_iter()
        .filter(|r| seen.insert(r.headers.get("event-id").cloned()))
        .collect();
    platform::testing::decode_all(&records)
}

/// The movement log of `sku`, oldest first.
pub async fn movements(app: &TestApp, sku: &str) -> Vec<Value> {
    let (status, page) = get(app, &format!("/v1/movements?sku={sku}&limit=1000"), &ops()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Inventory's reservation view of an order.
pub async fn reservation(app: &TestApp, order_id: &str) -> Value {
    let (status, body) = get(app, &format!("/v1/reservations/{order_id}"), &ops()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// (SKU, location, quantity) of a reservation view's `field` lines.
pub fn view_lines(view: &Value, field: &str) -> Vec<(i64, String, i64)> {
    view[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["line_no"].as_i64().unwrap(),
                l["location"].as_str().unwrap().to_string(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// On hand and reserved of `sku` at `location`.
pub fn levels_at(stock: &Value, location: &str) -> (i64, i64) {
    stock["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location"] == location)
        .map(|l| {
            (
                l["on_hand"].as_i64().unwrap(),
                l["reserved"].as_i64().unwrap(),
            )
        })
        .unwrap_or((0, 0))
}

/// Publishes a warehouse event for `order_id` on the fulfillment topic under
/// `envelope` (the same envelope twice is a redelivery).
pub async fn publish_warehouse<E: domain::events::Event>(
    app: &TestApp,
    order_id: &str,
    event: &E,
    envelope: &domain::events::Envelope,
) {
    platform::testing::publish_with(
        &app.runtime().producer,
        &app.topic(topics::WAREHOUSE_FULFILLMENT_EVENTS),
        order_id,
        event,
        envelope,
    )
    .await;
}

/// How many distinct fulfillment events inventory has consumed.
pub async fn fulfillment_events_consumed(app: &TestApp) -> i64 {
    scalar(
        &app.runtime().db,
        "SELECT count(*) AS n FROM inbox WHERE consumer = 'inventory.fulfillment'",
    )
    .await
}
