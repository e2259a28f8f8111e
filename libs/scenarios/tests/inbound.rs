//! Demand to receipt across catalog, orders, inventory, warehouse and
//! procurement over Kafka: sales history → forecast → an order pushes a SKU
//! below its reorder point (and waits as a backorder) → a replenishment run
//! drafts a purchase order in whole packs → a second person approves it →
//! the warehouse receives part of it, some damaged → on hand rises, the
//! damaged units are quarantined, the backordered order is filled and
//! confirmed by itself → the rest arrives → the order is closed and the
//! supplier's scorecard shows it.

use std::time::Duration;

use platform::Role;
use platform::testing::{eventually, scalar, token};
use reqwest::{Method, StatusCode};
use scenarios::{Stack, call, ops, wait_for};
use serde_json::{Value, json};

const WH: &str = "WH-INBOUND";
const SKU: &str = "INB-TEE";
const CHANNEL: &str = "web-inbound";

fn buyer() -> String {
    platform::testing::token_for("bea", &[Role::Buyer])
}

fn approver(subject: &str) -> String {
    platform::testing::token_for(subject, &[Role::Approver, Role::Buyer])
}

fn dock() -> String {
    token(&[Role::Warehouse])
}

async fn ok(
    app: &platform::testing::TestApp,
    method: Method,
    path: &str,
    bearer: &str,
    body: Value,
) -> Value {
    let (status, answer) = call(app, method.clone(), path, bearer, Some(&body)).await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

/// The product, the location with a bin, 10 on hand, a backorder channel.
async fn setup(stack: &Stack) {
    let ops = ops();
    let product = json!({
        "title": "Inbound tee", "status": "active",
        "variants": [{"sku": SKU, "weight_grams": 200,
                      "cost_price": {"amount": "4.00", "currency": "EUR"},
                      "listings": [{"channel_id": CHANNEL, "price": {"amount": "25.00", "currency": "EUR"}}]}]
    });
    ok(&stack.catalog, Method::POST, "/v1/products", &ops, product).await;
    ok(
        &stack.inventory,
        Method::PUT,
        &format!("/v1/locations/{WH}"),
        &ops,
        json!({"name": "Inbound DC", "kind": "warehouse", "priority": 10}),
    )
    .await;
    for app in [&stack.warehouse, &stack.procurement] {
        let db = &app.runtime().db;
        assert!(
            eventually(Duration::from_secs(30), || async {
                scalar(
                    db,
                    &format!("SELECT count(*) AS n FROM skus WHERE sku = '{SKU}'"),
                )
                .await
                    == 1
            })
            .await
        );
    }
    wait_for(&stack.inventory, &format!("/v1/stock/{SKU}"), &ops, |_| {
        true
    })
    .await;
    ok(
        &stack.inventory,
        Method::POST,
        "/v1/adjustments",
        &ops,
        json!({"sku": SKU, "location": WH, "reason": "receipt", "quantity_delta": 10}),
    )
    .await;
    ok(&stack.warehouse, Method::PUT, &format!("/v1/locations/{WH}/bins/R-01"), &ops,
       json!({"zone": "R", "aisle": "01", "shelf": "01", "level": "1", "walk_sequence": 1, "skus": [SKU]})).await;
    ok(&stack.orders, Method::PUT, &format!("/v1/channels/{CHANNEL}"), &ops,
       json!({"kind": "web", "name": "Inbound web", "currency": "EUR", "backorder_policy": "backorder"})).await;
    let db = &stack.orders.runtime().db;
    assert!(
        eventually(Duration::from_secs(30), || async {
            scalar(
                db,
                &format!("SELECT count(*) AS n FROM catalog_listings WHERE sku = '{SKU}'"),
            )
            .await
                == 1
        })
        .await
    );
    wait_for(
        &stack.inventory,
        &format!("/v1/availability?channel={CHANNEL}&sku={SKU}"),
        &ops,
        |_| true,
    )
    .await;
}

async fn place(stack: &Stack, quantity: i64) -> String {
    let body = json!({
        "external_order_id": "INB-1",
        "customer": {"email": "inb@example.com", "name": "Ada Lovelace"},
        "shipping_address": {"name": "Ada Lovelace", "line1": "Hauptstr. 5", "city": "Hamburg",
                             "postal_code": "20095", "country": "DE"},
        "lines": [{"sku": SKU, "quantity": quantity, "unit_price": {"amount": "25.00", "currency": "EUR"}}],
        "shipping_total": {"amount": "0", "currency": "EUR"},
        "tax_total": {"amount": "0", "currency": "EUR"},
        "discount_total": {"amount": "0", "currency": "EUR"},
        "total": {"amount": (25 * quantity).to_string(), "currency": "EUR"},
        "payment_status": "paid",
        "placed_at": chrono::Utc::now().to_rfc3339(),
    });
    let order = ok(
        &stack.orders,
        Method::POST,
        "/v1/orders",
        &platform::testing::channel_token(CHANNEL),
        body,
    )
    .await;
    order["id"].as_str().unwrap().to_string()
}

/// Eight weeks of five a day on the channel, ending yesterday.
fn history() -> String {
    let today = chrono::Utc::now().date_naive();
    let mut csv = String::from("sku,channel,date,quantity\n");
    for back in (1..=56).rev() {
        csv.push_str(&format!(
            "{SKU},{CHANNEL},{},5\n",
            today - chrono::Duration::days(back)
        ));
    }
    csv
}

async fn receive(stack: &Stack, number: &str, scans: &[Value]) -> Value {
    let receipt = ok(
        &stack.warehouse,
        Method::POST,
        "/v1/receipts",
        &dock(),
        json!({"purchase_order": number}),
    )
    .await;
    let id = receipt["id"].as_str().unwrap().to_string();
    for scan in scans {
        ok(
            &stack.warehouse,
            Method::POST,
            &format!("/v1/receipts/{id}/scans"),
            &dock(),
            scan.clone(),
        )
        .await;
    }
    ok(
        &stack.warehouse,
        Method::POST,
        &format!("/v1/receipts/{id}/complete"),
        &dock(),
        json!({}),
    )
    .await
}

fn on_hand(stock: &Value, location: &str) -> i64 {
    stock["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location"] == location)
        .map_or(0, |l| l["on_hand"].as_i64().unwrap())
}

#[tokio::test]
async fn demand_drives_a_purchase_order_whose_receipt_fills_a_backorder() {
    let stack = Stack::start().await;
    setup(&stack).await;
    let p = &stack.procurement;

    // Sales history and its forecast.
    let res = p
        .client
        .post(p.url("/v1/demand-history"))
        .bearer_auth(buyer())
        .header("content-type", "text/csv")
        .body(history())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let forecast = wait_for(p, &format!("/v1/forecasts/{SKU}"), &buyer(), |_| true).await;
    assert!(
        (forecast["total"].as_f64().unwrap() / 90.0 - 5.0).abs() < 0.5,
        "{forecast}"
    );

    // The supplier, the rule, and the approval threshold.
    ok(
        p,
        Method::PUT,
        "/v1/suppliers/ACME",
        &buyer(),
        json!({"name": "Acme Textiles", "currency": "EUR", "payment_terms_days": 30}),
    )
    .await;
    ok(
        p,
        Method::PUT,
        &format!("/v1/suppliers/ACME/products/{SKU}"),
        &buyer(),
        json!({"supplier_sku": "AC-TEE", "unit_cost": {"amount": "4.20", "currency": "EUR"},
              "moq": 24, "pack_size": 12, "lead_time_days": 7, "preferred_rank": 1}),
    )
    .await;
    ok(
        p,
        Method::PUT,
        &format!("/v1/reorder-rules/{SKU}/{WH}"),
        &buyer(),
        json!({"kind": "forecast", "service_level": 0.95, "cover_days": 14}),
    )
    .await;
    ok(
        p,
        Method::PUT,
        "/v1/approval-policy",
        &token(&[Role::Finance]),
        json!({"thresholds": [{"amount": "100", "currency": "EUR"}], "auto_approve_below": false}),
    )
    .await;

    // An order for more than is on hand waits whole as a backorder; the
    // position procurement sees falls below the reorder point.
    let order_id = place(&stack, 14).await;
    wait_for(
        &stack.orders,
        &format!("/v1/orders/{order_id}"),
        &ops(),
        |o| o["status"] == "backordered",
    )
    .await;
    let db = &p.runtime().db;
    assert!(eventually(Duration::from_secs(30), || async {
        scalar(db, &format!("SELECT count(*) AS n FROM stock_levels WHERE sku = '{SKU}' AND location_code = '{WH}' AND backordered = 14")).await == 1
    })
    .await);

    let run = ok(
        p,
        Method::POST,
        "/v1/replenishment-runs",
        &buyer(),
        json!({}),
    )
    .await;
    let orders = run["purchase_orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{run}");
    let po = &orders[0];
    assert_eq!(
        (po["supplier_code"].as_str(), po["location_code"].as_str()),
        (Some("ACME"), Some(WH))
    );
    let line = &po["lines"][0];
    let quantity = line["quantity"].as_i64().unwrap();
    assert_eq!(quantity % 12, 0, "whole packs: {line}");
    assert_eq!(line["explanation"]["position"], 10 - 14);
    assert_eq!(line["explanation"]["backordered"], 14);
    assert!(
        quantity >= 35 + 70 + 4,
        "lead-time demand, cover and the shortfall: {line}"
    );
    let id = po["id"].as_str().unwrap().to_string();
    let number = po["number"].as_str().unwrap().to_string();

    // Above 100 EUR: the buyer cannot approve, nor an approver who created it.
    let approve = format!("/v1/purchase-orders/{id}/approve");
    let (status, body) = call(p, Method::POST, &approve, &buyer(), Some(&json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(
        p,
        Method::POST,
        &approve,
        &approver("bea"),
        Some(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("creator"),
        "{body}"
    );
    let approved = ok(
        p,
        Method::POST,
        &approve,
        &approver("ada"),
        json!({"note": "seasonal top-up"}),
    )
    .await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved_by"], "user:ada");
    ok(
        p,
        Method::POST,
        &format!("/v1/purchase-orders/{id}/send"),
        &buyer(),
        json!({}),
    )
    .await;

    // The dock expects it; over-receipt beyond 5 % is refused.
    wait_for(
        &stack.warehouse,
        &format!("/v1/inbound-orders?location={WH}"),
        &dock(),
        |list| {
            list.as_array().is_some_and(|l| {
                l.iter()
                    .any(|o| o["number"] == number.as_str() && o["status"] == "sent")
            })
        },
    )
    .await;
    let first = receive(
        &stack,
        &number,
        &[
            json!({"item": SKU, "quantity": 10, "bin": "R-01"}),
            json!({"item": SKU, "quantity": 2, "condition": "damaged"}),
        ],
    )
    .await;
    assert_eq!(first["status"], "completed");
    assert_eq!(
        (
            first["lines"][0]["good"].as_i64(),
            first["lines"][0]["damaged"].as_i64()
        ),
        (Some(10), Some(2))
    );

    // Inventory: 10 more on hand, 2 in quarantine, and the backorder filled
    // and confirmed without anyone touching it.
    let stock = wait_for(&stack.inventory, &format!("/v1/stock/{SKU}"), &ops(), |s| {
        on_hand(s, WH) == 20
    })
    .await;
    assert_eq!(on_hand(&stock, &format!("{WH}-Q")), 2);
    wait_for(
        &stack.orders,
        &format!("/v1/orders/{order_id}"),
        &ops(),
        |o| o["status"] == "confirmed",
    )
    .await;
    let partly = wait_for(p, &format!("/v1/purchase-orders/{id}"), &buyer(), |o| {
        o["status"] == "partially_received"
    })
    .await;
    assert_eq!(partly["lines"][0]["received_good"], 10);
    assert_eq!(partly["lines"][0]["received_damaged"], 2);

    // More than the rest (plus 5 %) is refused and counts nothing.
    let rest = quantity - 12;
    let receipt = ok(
        &stack.warehouse,
        Method::POST,
        "/v1/receipts",
        &dock(),
        json!({"purchase_order": number}),
    )
    .await;
    let receipt_id = receipt["id"].as_str().unwrap().to_string();
    let too_many = rest + quantity * 5 / 100 + 1;
    let (status, problem) = call(
        &stack.warehouse,
        Method::POST,
        &format!("/v1/receipts/{receipt_id}/scans"),
        &dock(),
        Some(&json!({"item": SKU, "quantity": too_many})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(platform::testing::fields(&problem), ["quantity"]);
    ok(
        &stack.warehouse,
        Method::POST,
        &format!("/v1/receipts/{receipt_id}/scans"),
        &dock(),
        json!({"item": SKU, "quantity": rest, "bin": "R-01"}),
    )
    .await;
    ok(
        &stack.warehouse,
        Method::POST,
        &format!("/v1/receipts/{receipt_id}/complete"),
        &dock(),
        json!({}),
    )
    .await;
    wait_for(&stack.inventory, &format!("/v1/stock/{SKU}"), &ops(), |s| {
        on_hand(s, WH) == 20 + rest
    })
    .await;

    // Everything came (two damaged): received, and the buyer closes it.
    wait_for(p, &format!("/v1/purchase-orders/{id}"), &buyer(), |o| {
        o["status"] == "received"
    })
    .await;
    let closed = ok(
        p,
        Method::POST,
        &format!("/v1/purchase-orders/{id}/close"),
        &buyer(),
        json!({"note": "damage credited"}),
    )
    .await;
    assert_eq!(closed["status"], "closed");

    let card = ok(
        p,
        Method::GET,
        "/v1/suppliers/ACME/scorecard",
        &buyer(),
        Value::Null,
    )
    .await;
    assert_eq!(card["orders"], 1);
    assert_eq!(card["receipts"], 2);
    assert_eq!(card["on_time_pct"], 100.0);
    assert_eq!(card["units_received_good"], 10 + rest);
    assert_eq!(card["units_received_damaged"], 2);
    let fill = card["fill_rate_pct"].as_f64().unwrap();
    assert!(
        (fill - 100.0 * (quantity - 2) as f64 / quantity as f64).abs() < 1e-9,
        "{card}"
    );
    // Paid 4.20 against a cost price of 4.00: +5 %.
    assert!(
        (card["price_variance_pct"].as_f64().unwrap() - 5.0).abs() < 1e-9,
        "{card}"
    );
    assert!(card["lead_time_days"]["actual_p50"].as_f64().unwrap() < 1.0);
    assert_eq!(card["lead_time_days"]["promised_p50"], 7.0);

    let history = ok(
        p,
        Method::GET,
        &format!("/v1/purchase-orders/{id}/history"),
        &buyer(),
        Value::Null,
    )
    .await;
    let changes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["change"].as_str().unwrap())
        .collect();
    assert_eq!(
        changes,
        [
            "drafted", "approved", "sent", "received", "received", "closed"
        ]
    );
}
