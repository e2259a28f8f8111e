#![allow(dead_code)]
//! Helpers shared by billing's integration tests: the upstream events
//! (orders' OrderPlaced, the warehouse's FulfillmentShipped and
//! GoodsReceived, catalog's products) are published to the real Kafka topics
//! billing consumes, as those services' relays would; settings go through
//! the API; UBL documents are checked against the official schemas.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::events::proto::common::v1 as common;
use domain::events::proto::orders::v1 as orders;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{timestamp, topics};
use platform::Role;
use platform::testing::fixtures;
use platform::testing::{TestApp, eventually_some, token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

pub async fn app() -> TestApp {
    TestApp::spawn(&billing::service()).await
}

pub fn finance() -> String {
    token(&[Role::Finance])
}

pub fn ops() -> String {
    token(&[Role::Ops])
}

pub fn eur(amount: &str) -> common::Money {
    common::Money {
        amount: amount.into(),
        currency: "EUR".into(),
    }
}

pub async fn put(app: &TestApp, path: &str, body: &Value) -> (StatusCode, Value) {
    let res = app
        .client
        .put(app.url(path))
        .bearer_auth(finance())
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub async fn post(app: &TestApp, path: &str, body: &Value) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(finance())
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.get_json(path, &finance()).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

/// A German seller (EU1) invoicing `channel` with the given price basis and
/// rounding; DE 19 / 7 %, FR 20 %.
pub async fn setup(app: &TestApp, channel: &str, prices: &str, rounding: &str) {
    let (status, body) = put(
        app,
        "/v1/legal-entities/EU1",
        &json!({"name": "Crossdock Demo GmbH", "country": "DE", "vat_id": "DE136695976",
                "street": "Friedrichstraße 1", "city": "Berlin", "postal_code": "10117"}),
    )
    .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = put(
        app,
        &format!("/v1/channel-billing/{channel}"),
        &json!({"legal_entity": "EU1", "prices": prices, "rounding": rounding}),
    )
    .await;
    assert!(status.is_success(), "{body}");
    for (country, category, rate) in [
        ("DE", "standard", "19"),
        ("DE", "reduced", "7"),
        ("FR", "standard", "20"),
    ] {
        let (status, body) = put(
            app,
            &format!("/v1/tax-rules/{country}/{category}"),
            &json!({"rate": rate}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// An order to place: lines (SKU, quantity, unit price), shipping, discount.
pub struct Order<'a> {
    pub channel: &'a str,
    pub lines: &'a [(&'a str, i64, &'a str)],
    pub shipping: &'a str,
    pub discount: &'a str,
    pub country: &'a str,
    pub vat_id: &'a str,
    /// The channel's order id (default `EXT-<order id>`).
    pub external_id: &'a str,
}

impl Default for Order<'_> {
    fn default() -> Self {
        Order {
            channel: "web",
            lines: &[],
            shipping: "0",
            discount: "0",
            country: "DE",
            vat_id: "",
            external_id: "",
        }
    }
}

pub fn placed(order_id: &str, o: &Order<'_>) -> orders::OrderPlaced {
    let subtotal: rust_decimal::Decimal = o
        .lines
        .iter()
        .map(|(_, q, p)| {
            p.parse::<rust_decimal::Decimal>().unwrap() * rust_decimal::Decimal::from(*q)
        })
        .sum();
    let shipping: rust_decimal::Decimal = o.shipping.parse().unwrap();
    let discount: rust_decimal::Decimal = o.discount.parse().unwrap();
    orders::OrderPlaced {
        order_id: order_id.into(),
        channel_id: o.channel.into(),
        external_order_id: if o.external_id.is_empty() {
            format!("EXT-{order_id}")
        } else {
            o.external_id.to_string()
        },
        lines: o
            .lines
            .iter()
            .enumerate()
            .map(|(i, (sku, q, p))| orders::OrderLine {
                line_no: i as i32 + 1,
                sku: sku.to_string(),
                quantity: *q,
                unit_price: Some(eur(p)),
            })
            .collect(),
        placed_at: Some(timestamp(Utc::now())),
        total: Some(eur(&(subtotal + shipping - discount).to_string())),
        customer: Some(orders::Customer {
            email: "ada@example.com".into(),
            name: "Ada Lovelace".into(),
            vat_id: o.vat_id.into(),
            ..Default::default()
        }),
        billing_address: Some(orders::PostalAddress {
            name: "Ada Lovelace".into(),
            company: if o.vat_id.is_empty() {
                String::new()
            } else {
                "Analytical Engines SARL".into()
            },
            line1: "1 Rue de Rivoli".into(),
            city: if o.country == "DE" {
                "Berlin".into()
            } else {
                "Paris".into()
            },
            postal_code: "75001".into(),
            country: o.country.into(),
            ..Default::default()
        }),
        subtotal: Some(eur(&subtotal.to_string())),
        shipping_total: Some(eur(o.shipping)),
        tax_total: Some(eur("0")),
        discount_total: Some(eur(o.discount)),
        ship_to_country: o.country.into(),
        ..Default::default()
    }
}

/// Publishes OrderPlaced and waits until billing applied it; the order id.
pub async fn place(app: &TestApp, o: &Order<'_>) -> String {
    let order_id = Uuid::now_v7().to_string();
    fixtures::publish_applied(
        app,
        topics::ORDERS_ORDER_EVENTS,
        &order_id,
        &placed(&order_id, o),
    )
    .await;
    order_id
}

pub fn shipped(
    order_id: &str,
    fulfillment_id: &str,
    lines: &[(i32, &str, i64)],
    at: DateTime<Utc>,
) -> warehouse::FulfillmentShipped {
    warehouse::FulfillmentShipped {
        fulfillment_id: fulfillment_id.into(),
        order_id: order_id.into(),
        channel_id: "web".into(),
        external_order_id: format!("EXT-{order_id}"),
        location_code: "WH-1".into(),
        lines: lines
            .iter()
            .map(|(n, sku, q)| warehouse::FulfilledLine {
                line_no: *n,
                sku: sku.to_string(),
                quantity: *q,
            })
            .collect(),
        shipped_by: "test".into(),
        shipped_at: Some(timestamp(at)),
        ..Default::default()
    }
}

/// Publishes FulfillmentShipped and waits until billing applied it.
pub async fn ship(app: &TestApp, order_id: &str, lines: &[(i32, &str, i64)]) -> String {
    let fulfillment_id = format!("F-{}", Uuid::now_v7());
    let event = shipped(order_id, &fulfillment_id, lines, Utc::now());
    fixtures::publish_applied(app, topics::WAREHOUSE_FULFILLMENT_EVENTS, order_id, &event).await;
    fulfillment_id
}

pub async fn receive(app: &TestApp, lines: &[(&str, i64, i64, &str)]) -> String {
    let receipt_id = Uuid::now_v7().to_string();
    let po = Uuid::now_v7().to_string();
    let event = warehouse::GoodsReceived {
        receipt_id: receipt_id.clone(),
        purchase_order_id: po.clone(),
        purchase_order_number: "PO-1".into(),
        supplier_code: "ACME".into(),
        location_code: "WH-1".into(),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, good, damaged, cost))| warehouse::ReceivedLine {
                line_no: i as i32 + 1,
                sku: sku.to_string(),
                good: *good,
                damaged: *damaged,
                unit_landed_cost: Some(eur(cost)),
                bin_code: String::new(),
            })
            .collect(),
        received_by: "dock".into(),
        received_at: Some(timestamp(Utc::now())),
    };
    fixtures::publish_applied(app, topics::WAREHOUSE_RECEIVING_EVENTS, &po, &event).await;
    receipt_id
}

/// The documents of an order, oldest first.
pub async fn documents_of(app: &TestApp, order_id: &str) -> Vec<Value> {
    let page = get(app, &format!("/v1/invoices?order_id={order_id}")).await;
    let mut items = page["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

/// Waits (up to 30 s) until the order has `n` documents.
pub async fn wait_documents(app: &TestApp, order_id: &str, n: usize) -> Vec<Value> {
    eventually_some(Duration::from_secs(30), || async {
        let docs = documents_of(app, order_id).await;
        (docs.len() >= n).then_some(docs)
    })
    .await
    .unwrap_or_else(|| panic!("order {order_id} did not get {n} documents within 30 s"))
}

pub async fn trial_balance(app: &TestApp) -> Value {
    get(app, "/v1/trial-balance?currency=EUR").await
}

/// Entries whose lines do not sum to zero per currency (none, ever).
pub async fn unbalanced_entries(app: &TestApp) -> i64 {
    platform::testing::scalar(
        &app.runtime().db,
        "SELECT count(*) AS n FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id, currency \
         HAVING sum(amount) <> 0) u",
    )
    .await
}

/// Where the UBL 2.1 schemas are (fetched by scripts/ubl-schemas.sh).
pub fn ubl_schemas() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new(repo.join("scripts/ubl-schemas.sh"))
        .output()
        .expect("scripts/ubl-schemas.sh runs");
    assert!(
        out.status.success(),
        "scripts/ubl-schemas.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// Validates XML documents against a UBL 2.1 main schema (`Invoice` or
/// `CreditNote`) with the JDK's validator: Ok, or the validator's report.
pub fn validate_ubl(kind: &str, documents: &[Vec<u8>]) -> Result<(), String> {
    let schemas = ubl_schemas();
    let dir = std::env::temp_dir().join(format!("ubl-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (i, d) in documents.iter().enumerate() {
        let f = dir.join(format!("{kind}-{i}.xml"));
        std::fs::write(&f, d).unwrap();
        files.push(f);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new("java")
        .arg(repo.join("scripts/ubl/XsdValidate.java"))
        .arg(schemas.join(format!("maindoc/UBL-{kind}-2.1.xsd")))
        .args(&files)
        .output()
        .expect("java runs");
    let _ = std::fs::remove_dir_all(&dir);
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

pub async fn ubl(app: &TestApp, id: &str) -> Vec<u8> {
    let res = app
        .client
        .get(app.url(&format!("/v1/invoices/{id}/ubl")))
        .bearer_auth(ops())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    res.bytes().await.unwrap().to_vec()
}

/// A body posted as a file of `content_type`.
pub async fn upload(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(finance())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The V2 flat file's columns, in Seller Central's order.
pub const AMAZON_HEADER: [&str; 24] = [
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
    "transaction-type",
    "order-id",
    "merchant-order-id",
    "adjustment-id",
    "shipment-id",
    "marketplace-name",
    "amount-type",
    "amount-description",
    "amount",
    "fulfillment-id",
    "posted-date",
    "posted-date-time",
    "order-item-code",
    "merchant-order-item-id",
    "merchant-adjustment-item-id",
    "sku",
    "quantity-purchased",
    "promotion-id",
];

/// A V2 settlement report as Seller Central writes it (amazon.de: decimal
/// commas, day-first dates): the summary row, then one row per component
/// (transaction type, order, SKU, amount type, description, amount, qty).
pub fn amazon_report(
    id: &str,
    components: &[(&str, &str, &str, &str, &str, &str, &str)],
) -> Vec<u8> {
    let total: rust_decimal::Decimal = components
        .iter()
        .map(|c| {
            c.5.replace('.', "")
                .replace(',', ".")
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    let row = |values: &[(&str, String)]| {
        AMAZON_HEADER
            .iter()
            .map(|c| {
                values
                    .iter()
                    .find(|(k, _)| k == c)
                    .map_or(String::new(), |(_, v)| v.clone())
            })
            .collect::<Vec<_>>()
            .join("\t")
    };
    // The settlement covers the run's own day and is paid out that day, so
    // its true-up counts in the same day as the shipments it settles.
    let today = chrono::Utc::now().date_naive();
    let day = |d: chrono::NaiveDate| d.format("%d.%m.%Y").to_string();
    let mut lines = vec![AMAZON_HEADER.join("\t")];
    lines.push(row(&[
        ("settlement-id", id.into()),
        (
            "settlement-start-date",
            format!("{} 00:00:00 UTC", day(today - chrono::Days::new(14))),
        ),
        (
            "settlement-end-date",
            format!("{} 23:59:59 UTC", day(today)),
        ),
        ("deposit-date", format!("{} 00:00:00 UTC", day(today))),
        ("total-amount", total.to_string().replace('.', ",")),
        ("currency", "EUR".into()),
    ]));
    for (tt, order, sku, kind, description, amount, qty) in components {
        lines.push(row(&[
            ("settlement-id", id.into()),
            ("transaction-type", tt.to_string()),
            ("order-id", order.to_string()),
            ("marketplace-name", "Amazon.de".into()),
            ("amount-type", kind.to_string()),
            ("amount-description", description.to_string()),
            ("amount", amount.to_string()),
            ("fulfillment-id", "AFN".into()),
            ("posted-date", day(today)),
            ("sku", sku.to_string()),
            ("quantity-purchased", qty.to_string()),
        ]));
    }
    (lines.join("\n") + "\n").into_bytes()
}

/// An account's balance in the trial balance, signed (credit negative).
pub fn balance(tb: &Value, account: &str) -> rust_decimal::Decimal {
    tb["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == account)
        .map(|a| {
            let amount: rust_decimal::Decimal =
                a["balance"]["amount"].as_str().unwrap().parse().unwrap();
            if a["balance_side"] == "credit" {
                -amount
            } else {
                amount
            }
        })
        .unwrap_or_default()
}
