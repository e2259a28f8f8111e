#![allow(dead_code)]
//! Helpers shared by support's integration tests: orders' and the
//! warehouse's events are published to the real Kafka topics the service
//! consumes, as those services' relays would; email is posted raw.

use chrono::{DateTime, Utc};
use domain::events::proto::common::v1 as common;
use domain::events::proto::orders::v1 as orders;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{timestamp, topics};
use platform::Role;
use platform::testing::{TestApp, fixtures, token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

pub async fn app() -> TestApp {
    TestApp::spawn(&support::service()).await
}

pub fn agent() -> String {
    token(&[Role::Support])
}

pub fn admin() -> String {
    token(&[Role::Admin])
}

pub struct PlacedOrder {
    pub order_id: String,
    pub number: String,
    pub channel: String,
}

/// Publishes OrderPlaced on `channel` for `email` with `lines` (SKU,
/// quantity) at 19.90 EUR, and waits until it is applied.
pub async fn place(
    app: &TestApp,
    channel: &str,
    number: &str,
    email: &str,
    lines: &[(&str, i64)],
    placed_at: DateTime<Utc>,
) -> PlacedOrder {
    place_at_price(app, channel, number, email, lines, "19.90", placed_at).await
}

/// OrderPlaced as [`place`], every unit at `price` EUR.
pub async fn place_at_price(
    app: &TestApp,
    channel: &str,
    number: &str,
    email: &str,
    lines: &[(&str, i64)],
    price: &str,
    placed_at: DateTime<Utc>,
) -> PlacedOrder {
    let order_id = Uuid::now_v7().to_string();
    let eur = |a: &str| {
        Some(common::Money {
            amount: a.into(),
            currency: "EUR".into(),
        })
    };
    let event = orders::OrderPlaced {
        order_id: order_id.clone(),
        channel_id: channel.into(),
        external_order_id: number.into(),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, q))| orders::OrderLine {
                line_no: i as i32 + 1,
                sku: sku.to_string(),
                quantity: *q,
                unit_price: eur(price),
            })
            .collect(),
        backorder_policy: "backorder".into(),
        placed_at: Some(timestamp(placed_at)),
        total: eur("39.80"),
        customer: Some(orders::Customer {
            email: email.into(),
            name: "Ana Silva".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    fixtures::publish_applied(app, topics::ORDERS_ORDER_EVENTS, &order_id, &event).await;
    PlacedOrder {
        order_id,
        number: number.into(),
        channel: channel.into(),
    }
}

pub async fn confirm(app: &TestApp, order: &PlacedOrder) {
    let event = orders::OrderConfirmed {
        order_id: order.order_id.clone(),
        channel_id: order.channel.clone(),
        external_order_id: order.number.clone(),
        confirmed_at: Some(timestamp(Utc::now())),
        ..Default::default()
    };
    fixtures::publish_applied(app, topics::ORDERS_ORDER_EVENTS, &order.order_id, &event).await;
}

/// Publishes FulfillmentShipped: every line of `lines` in one parcel with
/// `tracking` by `carrier`, from `location`.
pub async fn ship(
    app: &TestApp,
    order: &PlacedOrder,
    location: &str,
    carrier: &str,
    tracking: &str,
    lines: &[(i32, &str, i64)],
    shipped_at: DateTime<Utc>,
) {
    let fulfilled: Vec<warehouse::FulfilledLine> = lines
        .iter()
        .map(|(no, sku, q)| warehouse::FulfilledLine {
            line_no: *no,
            sku: sku.to_string(),
            quantity: *q,
        })
        .collect();
    let event = warehouse::FulfillmentShipped {
        fulfillment_id: Uuid::now_v7().to_string(),
        order_id: order.order_id.clone(),
        channel_id: order.channel.clone(),
        external_order_id: order.number.clone(),
        location_code: location.into(),
        lines: fulfilled.clone(),
        parcels: vec![warehouse::Parcel {
            package_id: "P1".into(),
            carrier: carrier.into(),
            service: "parcel".into(),
            tracking_number: tracking.into(),
            lines: fulfilled,
            weight_grams: 800,
        }],
        shipped_by: "packer-1".into(),
        shipped_at: Some(timestamp(shipped_at)),
    };
    fixtures::publish_applied(
        app,
        topics::WAREHOUSE_FULFILLMENT_EVENTS,
        &order.order_id,
        &event,
    )
    .await;
}

/// Posts a raw RFC 5322 message as the email gateway would.
pub async fn post_email(app: &TestApp, raw: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/inbound-email"))
        .bearer_auth(agent())
        .header("content-type", "message/rfc822")
        .body(raw.replace('\n', "\r\n"))
        .send()
        .await
        .unwrap()
}

pub async fn post_email_ok(app: &TestApp, raw: &str, status: StatusCode) -> Value {
    let res = post_email(app, raw).await;
    assert_eq!(res.status(), status, "{:?}", res.text().await);
    res.json().await.unwrap()
}

/// A plain-text email.
pub fn email(from: &str, message_id: &str, subject: &str, body: &str) -> String {
    format!(
        "From: Ana Silva <{from}>\nTo: support@shop.example\nSubject: {subject}\n\
         Date: Fri, 04 Dec 2026 09:00:00 +0000\nMessage-ID: <{message_id}>\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
}

pub async fn ticket(app: &TestApp, id: &str, bearer: &str) -> Value {
    let (status, body) = app.get_json(&format!("/v1/tickets/{id}"), bearer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

pub async fn create_ticket(app: &TestApp, bearer: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/v1/tickets"))
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn patch(app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/v1/tickets/{id}")))
        .bearer_auth(agent())
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn message(app: &TestApp, id: &str, bearer: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/tickets/{id}/messages")))
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn enable_auto_reply(app: &TestApp, category: &str, min_confidence: f64) {
    let res = app
        .client
        .put(app.url(&format!("/v1/auto-replies/{category}")))
        .bearer_auth(admin())
        .json(&json!({"enabled": true, "min_confidence": min_confidence}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    platform::testing::scalar(&app.runtime().db, sql).await
}
