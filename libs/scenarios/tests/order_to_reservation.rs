//! Catalog + inventory + orders over Kafka: products and stock in two
//! locations; orders from a web store, two marketplaces and a wholesale
//! channel are reserved and confirmed, split, held or backordered exactly as
//! the rules say; cancelling releases stock; availability per channel reflects
//! the buffers.

use reqwest::Method;
use scenarios::{Stack, call, ops, wait_for};
use serde_json::{Value, json};

fn product(skus: &[&str]) -> Value {
    let listing = |channel: &str| json!({"channel_id": channel, "price": {"amount": "10.00", "currency": "EUR"}});
    json!({
        "title": "Scenario product",
        "status": "active",
        "variants": skus.iter().map(|sku| json!({
            "sku": sku,
            "listings": [listing("web-eu"), listing("amazon-de"), listing("ebay-de"), listing("wholesale")]
        })).collect::<Vec<_>>()
    })
}

fn order(external_id: &str, lines: &[(&str, i64)]) -> Value {
    let total: i64 = lines.iter().map(|(_, q)| q * 10).sum();
    json!({
        "external_order_id": external_id,
        "customer": {"email": format!("{external_id}@example.com"), "name": "Grace Hopper"},
        "shipping_address": {"name": "Grace Hopper", "line1": "Hauptstr. 5", "city": "Hamburg",
                             "postal_code": "20095", "country": "DE"},
        "lines": lines.iter().map(|(sku, q)| json!({"sku": sku, "quantity": q,
                  "unit_price": {"amount": "10.00", "currency": "EUR"}})).collect::<Vec<_>>(),
        "shipping_total": {"amount": "0", "currency": "EUR"},
        "tax_total": {"amount": "0", "currency": "EUR"},
        "discount_total": {"amount": "0", "currency": "EUR"},
        "total": {"amount": total.to_string(), "currency": "EUR"},
        "payment_status": "paid",
        "placed_at": chrono::Utc::now().to_rfc3339(),
    })
}

async fn place(stack: &Stack, channel: &str, body: &Value) -> String {
    let (status, order) = call(
        &stack.orders,
        Method::POST,
        "/v1/orders",
        &platform::testing::channel_token(channel),
        Some(body),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{order}");
    order["id"].as_str().unwrap().to_string()
}

async fn settled(stack: &Stack, id: &str, status: &str) -> Value {
    wait_for(&stack.orders, &format!("/v1/orders/{id}"), &ops(), |o| {
        o["status"] == status
    })
    .await
}

async fn available(stack: &Stack, sku: &str) -> Value {
    let (_, stock) = call(
        &stack.inventory,
        Method::GET,
        &format!("/v1/stock/{sku}"),
        &ops(),
        None,
    )
    .await;
    stock
}

#[tokio::test]
async fn orders_from_four_channels_reserve_split_hold_backorder_and_release_by_the_rules() {
    let stack = Stack::start().await;
    let ops = ops();

    // Catalog: three SKUs listed on every channel. Inventory and orders learn
    // them from catalog's events.
    let (status, body) = call(
        &stack.catalog,
        Method::POST,
        "/v1/products",
        &ops,
        Some(&product(&["SC-TEE", "SC-MUG", "SC-CAP"])),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");

    for (code, kind, priority) in [
        ("WH-PRIMARY", "warehouse", 10),
        ("WH-OVERFLOW", "overflow", 20),
    ] {
        let (status, _) = call(
            &stack.inventory,
            Method::PUT,
            &format!("/v1/locations/{code}"),
            &ops,
            Some(&json!({"name": code, "kind": kind, "priority": priority})),
        )
        .await;
        assert!(status.is_success());
    }
    wait_for(&stack.inventory, "/v1/stock/SC-CAP", &ops, |_| true).await;
    for (sku, location, units) in [
        ("SC-TEE", "WH-PRIMARY", 10),
        ("SC-TEE", "WH-OVERFLOW", 20),
        ("SC-MUG", "WH-PRIMARY", 3),
        ("SC-MUG", "WH-OVERFLOW", 4),
    ] {
        let (status, body) = call(
            &stack.inventory,
            Method::POST,
            "/v1/adjustments",
            &ops,
            Some(&json!({"sku": sku, "location": location, "reason": "receipt", "quantity_delta": units})),
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    }

    // Channels: their rules travel to inventory as events.
    let channels = [
        (
            "web-eu",
            json!({"kind": "web", "name": "Web store", "currency": "EUR", "backorder_policy": "backorder", "priority": 10}),
        ),
        (
            "amazon-de",
            json!({"kind": "marketplace", "name": "Amazon DE", "currency": "EUR", "backorder_policy": "reject", "safety_buffer_units": 2}),
        ),
        (
            "ebay-de",
            json!({"kind": "marketplace", "name": "eBay DE", "currency": "EUR", "backorder_policy": "partial", "safety_buffer_percent": 10}),
        ),
        (
            "wholesale",
            json!({"kind": "b2b", "name": "Wholesale", "currency": "EUR", "backorder_policy": "reject", "ship_from": ["WH-PRIMARY"]}),
        ),
    ];
    for (id, body) in &channels {
        let (status, answer) = call(
            &stack.orders,
            Method::PUT,
            &format!("/v1/channels/{id}"),
            &ops,
            Some(body),
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{answer}");
    }
    wait_for(&stack.orders, "/v1/orders", &ops, |_| true).await;
    for (id, _) in &channels {
        wait_for(
            &stack.inventory,
            &format!("/v1/availability?channel={id}&sku=SC-TEE"),
            &ops,
            |_| true,
        )
        .await;
    }
    // Orders knows the listings once catalog's events arrived.
    let sku_known = async || {
        platform::testing::scalar(
            &stack.orders.runtime().db,
            "SELECT count(*) AS n FROM catalog_listings WHERE sku = 'SC-CAP'",
        )
        .await
            == 4
    };
    assert!(platform::testing::eventually(std::time::Duration::from_secs(30), sku_known).await);

    // 1. Web: 2 tees, the primary ships them whole.
    let web = place(&stack, "web-eu", &order("WEB-1", &[("SC-TEE", 2)])).await;
    let confirmed = settled(&stack, &web, "confirmed").await;
    assert_eq!(
        confirmed["lines"][0]["allocations"],
        json!([{"location": "WH-PRIMARY", "quantity": 2}])
    );

    // 2. Amazon: 6 mugs, 3 + 4 in two places: split across both.
    let split = place(&stack, "amazon-de", &order("AMZ-1", &[("SC-MUG", 6)])).await;
    let confirmed = settled(&stack, &split, "confirmed").await;
    assert_eq!(
        confirmed["lines"][0]["allocations"],
        json!([{"location": "WH-OVERFLOW", "quantity": 3}, {"location": "WH-PRIMARY", "quantity": 3}])
    );

    // 3. Wholesale ships only from the primary (8 tees left there): 9 is a stock conflict.
    let wholesale = place(&stack, "wholesale", &order("B2B-1", &[("SC-TEE", 9)])).await;
    let held = settled(&stack, &wholesale, "on_hold").await;
    assert_eq!(held["hold"]["reason"], "stock_conflict");

    // 4. eBay, partial: 2 mugs wanted, 1 left: 1 reserved, 1 cut.
    let partial = place(&stack, "ebay-de", &order("EBAY-1", &[("SC-MUG", 2)])).await;
    let confirmed = settled(&stack, &partial, "confirmed").await;
    assert_eq!(confirmed["lines"][0]["short_quantity"], 1);

    // 5. Web, no caps at all: backordered, then filled by a receipt.
    let backorder = place(&stack, "web-eu", &order("WEB-2", &[("SC-CAP", 5)])).await;
    settled(&stack, &backorder, "backordered").await;
    let (status, _) = call(
        &stack.inventory,
        Method::POST,
        "/v1/adjustments",
        &ops,
        Some(&json!({"sku": "SC-CAP", "location": "WH-OVERFLOW", "reason": "receipt", "quantity_delta": 5})),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    settled(&stack, &backorder, "confirmed").await;

    // 6. Cancelling the web order releases its 2 tees at once.
    let before = available(&stack, "SC-TEE").await["available"]
        .as_i64()
        .unwrap();
    let (status, _) = call(
        &stack.orders,
        Method::POST,
        &format!("/v1/orders/{web}/cancel"),
        &platform::testing::channel_token("web-eu"),
        Some(&json!({"reason": "customer cancelled"})),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    wait_for(&stack.inventory, "/v1/stock/SC-TEE", &ops, |s| {
        s["available"].as_i64() == Some(before + 2)
    })
    .await;
    let (_, reservation) = call(
        &stack.inventory,
        Method::GET,
        &format!("/v1/reservations/{web}"),
        &ops,
        None,
    )
    .await;
    assert_eq!(reservation["status"], "released");

    // 7. Availability per channel: 30 tees, none reserved now.
    let ats = |channel: &'static str| {
        let stack = &stack;
        async move {
            let body = wait_for(
                &stack.inventory,
                &format!("/v1/availability?channel={channel}&sku=SC-TEE"),
                &scenarios::ops(),
                |_| true,
            )
            .await;
            body["available_to_sell"].as_i64().unwrap()
        }
    };
    assert_eq!(ats("web-eu").await, 30);
    assert_eq!(ats("amazon-de").await, 28, "2 units held back");
    assert_eq!(ats("ebay-de").await, 27, "10% held back");
    assert_eq!(ats("wholesale").await, 10, "primary only");

    // Every unit reconciles: stock = receipts, reserved = confirmed orders' lines.
    let db = &stack.inventory.runtime().db;
    let reserved =
        platform::testing::scalar(db, "SELECT sum(reserved)::bigint AS n FROM stock").await;
    assert_eq!(reserved, 6 + 1 + 5, "amazon mugs, ebay mug, web caps");
}
