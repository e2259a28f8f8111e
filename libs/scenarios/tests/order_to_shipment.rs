//! Catalog → inventory → orders → warehouse over Kafka: marketplace orders are
//! reserved, confirmed, picked by scans, packed, checked and shipped; stock on
//! hand drops by exactly what shipped; orders and the channel (feed and
//! webhook) see the shipment with its tracking number. Split orders ship as
//! two fulfillments, a short pick is re-allocated to the overflow location
//! and the order still ships complete, and cancelling withdraws released work.

use std::sync::{Arc, Mutex};

use actix_web::{HttpResponse, web};
use platform::testing::fixtures::serve_http;
use reqwest::{Method, StatusCode};
use scenarios::{
    Stack, call, fulfillments, ops, pack_and_ship, post, release, scan, wait_for, warehouse_staff,
};
use serde_json::{Value, json};

const WH: &str = "WH-PRIMARY";
const OVERFLOW: &str = "WH-OVERFLOW";

/// A valid EAN-13 for `n`.
fn ean(n: u64) -> String {
    let body = format!("400{n:09}");
    let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
    format!("{body}{}", domain::barcode::check_digit(&digits))
}

/// A webhook receiver on 127.0.0.1 that keeps every body.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let kept = seen.clone();
    let (base, _server) = serve_http(move |cfg: &mut web::ServiceConfig| {
        let kept = kept.clone();
        cfg.route(
            "/hooks",
            web::post().to(move |body: web::Bytes| {
                let kept = kept.clone();
                async move {
                    kept.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&body).into_owned());
                    HttpResponse::NoContent().finish()
                }
            }),
        );
    });
    (format!("{base}/hooks"), seen)
}

/// Products, two locations with bins, stock, and a channel (with a webhook).
async fn setup(
    stack: &Stack,
    skus: &[(&str, u64, i64, i64)],
    channel: &str,
    webhook: Option<&str>,
) {
    let ops = ops();
    let product = json!({
        "title": "Scenario product",
        "status": "active",
        "variants": skus.iter().map(|(sku, n, _, _)| json!({
            "sku": sku, "barcode": ean(*n),
            "listings": [{"channel_id": channel, "price": {"amount": "25.00", "currency": "EUR"}}]
        })).collect::<Vec<_>>()
    });
    let (status, body) = call(
        &stack.catalog,
        Method::POST,
        "/v1/products",
        &ops,
        Some(&product),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (code, kind, priority) in [(WH, "warehouse", 10), (OVERFLOW, "overflow", 20)] {
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
    let last = skus.last().unwrap().0;
    wait_for(&stack.inventory, &format!("/v1/stock/{last}"), &ops, |_| {
        true
    })
    .await;
    let known = || async {
        platform::testing::scalar(
            &stack.warehouse.runtime().db,
            &format!("SELECT count(*) AS n FROM skus WHERE sku = '{last}'"),
        )
        .await
            == 1
    };
    assert!(platform::testing::eventually(std::time::Duration::from_secs(30), known).await);
    for (i, (sku, _, primary, overflow)) in skus.iter().enumerate() {
        for (location, units, zone) in [(WH, *primary, "A"), (OVERFLOW, *overflow, "O")] {
            if units > 0 {
                let (status, body) = call(
                    &stack.inventory,
                    Method::POST,
                    "/v1/adjustments",
                    &ops,
                    Some(&json!({"sku": sku, "location": location, "reason": "receipt", "quantity_delta": units})),
                )
                .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
            }
            let (status, body) = call(
                &stack.warehouse,
                Method::PUT,
                &format!("/v1/locations/{location}/bins/{zone}-{i:02}"),
                &ops,
                Some(
                    &json!({"zone": zone, "aisle": "01", "shelf": format!("{i:02}"), "level": "1",
                             "walk_sequence": i, "skus": [sku]}),
                ),
            )
            .await;
            assert!(status.is_success(), "{body}");
        }
    }
    let mut body = json!({"kind": "marketplace", "name": channel, "currency": "EUR", "backorder_policy": "backorder"});
    if let Some(url) = webhook {
        body["webhook_url"] = json!(url);
        body["webhook_secret"] = json!("whsec-0123456789abcdef");
    }
    let (status, answer) = call(
        &stack.orders,
        Method::PUT,
        &format!("/v1/channels/{channel}"),
        &ops,
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let listed = || async {
        platform::testing::scalar(
            &stack.orders.runtime().db,
            &format!("SELECT count(*) AS n FROM catalog_listings WHERE sku = '{last}'"),
        )
        .await
            == 1
    };
    assert!(platform::testing::eventually(std::time::Duration::from_secs(30), listed).await);
    wait_for(
        &stack.inventory,
        &format!("/v1/availability?channel={channel}&sku={last}"),
        &ops,
        |_| true,
    )
    .await;
}

async fn place(stack: &Stack, channel: &str, external_id: &str, lines: &[(&str, i64)]) -> String {
    let total: i64 = lines.iter().map(|(_, q)| q * 25).sum();
    let body = json!({
        "external_order_id": external_id,
        "customer": {"email": format!("{external_id}@example.com"), "name": "Grace Hopper"},
        "shipping_address": {"name": "Grace Hopper", "line1": "Hauptstr. 5", "city": "Hamburg",
                             "postal_code": "20095", "country": "DE"},
        "lines": lines.iter().map(|(sku, q)| json!({"sku": sku, "quantity": q,
                  "unit_price": {"amount": "25.00", "currency": "EUR"}})).collect::<Vec<_>>(),
        "shipping_total": {"amount": "0", "currency": "EUR"},
        "tax_total": {"amount": "0", "currency": "EUR"},
        "discount_total": {"amount": "0", "currency": "EUR"},
        "total": {"amount": total.to_string(), "currency": "EUR"},
        "payment_status": "paid",
        "placed_at": chrono::Utc::now().to_rfc3339(),
    });
    let (status, order) = call(
        &stack.orders,
        Method::POST,
        "/v1/orders",
        &platform::testing::channel_token(channel),
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    order["id"].as_str().unwrap().to_string()
}

async fn order_status(stack: &Stack, id: &str, status: &str) -> Value {
    wait_for(&stack.orders, &format!("/v1/orders/{id}"), &ops(), |o| {
        o["status"] == status
    })
    .await
}

async fn stock_at(stack: &Stack, sku: &str, location: &str) -> (i64, i64) {
    let (_, stock) = call(
        &stack.inventory,
        Method::GET,
        &format!("/v1/stock/{sku}"),
        &ops(),
        None,
    )
    .await;
    let row = stock["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location"] == location)
        .cloned()
        .unwrap_or(Value::Null);
    (
        row["on_hand"].as_i64().unwrap_or(0),
        row["reserved"].as_i64().unwrap_or(0),
    )
}

#[tokio::test]
async fn a_marketplace_order_is_picked_packed_checked_and_shipped_with_tracking() {
    let stack = Stack::start().await;
    let (hook, seen) = receiver().await;
    setup(&stack, &[("SH-TEE", 101, 10, 0)], "amazon-de", Some(&hook)).await;
    // Every amazon-de package is checked before it ships.
    let (status, _) = post(
        &stack.warehouse,
        "/v1/quality-rules",
        &ops(),
        json!({"scope": "channel", "value": "amazon-de"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let order = place(&stack, "amazon-de", "AMZ-SHIP-1", &[("SH-TEE", 2)]).await;
    order_status(&stack, &order, "confirmed").await;
    let list = fulfillments(&stack, &order, 1).await;
    let f = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["location_code"], WH);
    let tasks = release(&stack, &f).await;
    // Wrong item first: refused, nothing counted.
    let (status, _) = post(
        &stack.warehouse,
        &format!("/v1/pick-tasks/{}/scans", tasks[0]["id"].as_str().unwrap()),
        &warehouse_staff(),
        json!({"bin": tasks[0]["bin_code"], "item": ean(999)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    scan(&stack, &tasks[0], &ean(101), 1).await;
    scan(&stack, &tasks[0], &ean(101), 1).await;
    pack_and_ship(&stack, &f, &[(ean(101), 2)], "1Z999AA10123456784").await;

    let shipped = order_status(&stack, &order, "shipped").await;
    assert!(
        shipped.to_string().contains("1Z999AA10123456784"),
        "the order shows the tracking: {shipped}"
    );
    let on_hand = wait_for(&stack.inventory, "/v1/stock/SH-TEE", &ops(), |s| {
        s["on_hand"] == 8
    })
    .await;
    assert_eq!(on_hand["reserved"], 0, "the reservation was consumed");
    assert_eq!(
        stock_at(&stack, "SH-TEE", WH).await,
        (8, 0),
        "exactly the shipped quantity left"
    );

    let feed = wait_for(
        &stack.orders,
        "/v1/channels/amazon-de/updates",
        &platform::testing::channel_token("amazon-de"),
        |p| {
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["status"] == "shipped")
        },
    )
    .await;
    let update = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["status"] == "shipped")
        .unwrap();
    assert!(
        update.to_string().contains("1Z999AA10123456784"),
        "{update}"
    );
    let delivered = platform::testing::eventually(std::time::Duration::from_secs(30), || async {
        seen.lock()
            .unwrap()
            .iter()
            .any(|b| b.contains("1Z999AA10123456784") && b.contains("shipped"))
    })
    .await;
    assert!(delivered, "the webhook carried the tracking number");

    // Shipped is final: the channel can no longer cancel.
    let (status, problem) = call(
        &stack.orders,
        Method::POST,
        &format!("/v1/orders/{order}/cancel"),
        &platform::testing::channel_token("amazon-de"),
        Some(&json!({"reason": "changed my mind"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        order_status(&stack, &order, "shipped").await["status"],
        "shipped"
    );
}

#[tokio::test]
async fn split_short_picked_and_cancelled_orders_end_where_they_should() {
    let stack = Stack::start().await;
    setup(
        &stack,
        &[
            ("SP-MUG", 201, 2, 2),
            ("SP-CAP", 202, 3, 5),
            ("SP-HAT", 203, 5, 0),
        ],
        "ebay-de",
        None,
    )
    .await;

    // Split: 3 mugs, 2 + 2 in stock: two fulfillments, partially shipped after
    // the first, shipped after the second.
    let split = place(&stack, "ebay-de", "EBAY-SPLIT", &[("SP-MUG", 3)]).await;
    order_status(&stack, &split, "confirmed").await;
    let list = fulfillments(&stack, &split, 2).await;
    for (n, f) in list.iter().enumerate() {
        let id = f["id"].as_str().unwrap();
        let quantity = f["lines"][0]["quantity"].as_i64().unwrap();
        let tasks = release(&stack, id).await;
        scan(&stack, &tasks[0], &ean(201), quantity).await;
        pack_and_ship(&stack, id, &[(ean(201), quantity)], &format!("SPLIT-{n}")).await;
        let expected = if n == 0 {
            "partially_shipped"
        } else {
            "shipped"
        };
        order_status(&stack, &split, expected).await;
    }
    assert_eq!(stock_at(&stack, "SP-MUG", WH).await.1, 0);
    let mug = wait_for(&stack.inventory, "/v1/stock/SP-MUG", &ops(), |s| {
        s["on_hand"] == 1
    })
    .await;
    assert_eq!(mug["reserved"], 0);

    // Short pick: 2 caps reserved at the primary; one is not in the bin. It is
    // written off there, re-allocated to the overflow, and the order ships complete.
    let short = place(&stack, "ebay-de", "EBAY-SHORT", &[("SP-CAP", 2)]).await;
    order_status(&stack, &short, "confirmed").await;
    let first = fulfillments(&stack, &short, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tasks = release(&stack, &first).await;
    scan(&stack, &tasks[0], &ean(202), 1).await;
    let (status, body) = post(
        &stack.warehouse,
        &format!("/v1/pick-tasks/{}/short", tasks[0]["id"].as_str().unwrap()),
        &warehouse_staff(),
        json!({"bin": tasks[0]["bin_code"], "note": "only one in the bin"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = fulfillments(&stack, &short, 2).await;
    let overflow = list
        .iter()
        .find(|f| f["location_code"] == OVERFLOW)
        .expect("re-allocated to the overflow");
    assert_eq!(overflow["lines"][0]["quantity"], 1);
    let movements = wait_for(&stack.inventory, "/v1/movements?sku=SP-CAP", &ops(), |m| {
        m["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "short_pick")
    })
    .await;
    let write_off = movements["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "short_pick")
        .unwrap();
    assert_eq!(
        (
            write_off["on_hand_before"].as_i64(),
            write_off["on_hand_after"].as_i64()
        ),
        (Some(3), Some(2))
    );
    pack_and_ship(&stack, &first, &[(ean(202), 1)], "SHORT-1").await;
    order_status(&stack, &short, "partially_shipped").await;
    let second = overflow["id"].as_str().unwrap();
    let tasks = release(&stack, second).await;
    scan(&stack, &tasks[0], &ean(202), 1).await;
    pack_and_ship(&stack, second, &[(ean(202), 1)], "SHORT-2").await;
    order_status(&stack, &short, "shipped").await;
    assert_eq!(
        stock_at(&stack, "SP-CAP", WH).await,
        (1, 0),
        "3 - 1 written off - 1 shipped"
    );
    assert_eq!(
        stock_at(&stack, "SP-CAP", OVERFLOW).await,
        (4, 0),
        "5 - 1 shipped"
    );

    // Cancel after the wave was released, before shipping: the pick line is
    // withdrawn and the stock released.
    let cancelled = place(&stack, "ebay-de", "EBAY-CANCEL", &[("SP-HAT", 2)]).await;
    order_status(&stack, &cancelled, "confirmed").await;
    let f = fulfillments(&stack, &cancelled, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    release(&stack, &f).await;
    assert_eq!(stock_at(&stack, "SP-HAT", WH).await, (5, 2));
    let (status, body) = call(
        &stack.orders,
        Method::POST,
        &format!("/v1/orders/{cancelled}/cancel"),
        &platform::testing::channel_token("ebay-de"),
        Some(&json!({"reason": "customer asked"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_for(
        &stack.warehouse,
        &format!("/v1/fulfillments/{f}"),
        &ops(),
        |f| f["status"] == "cancelled",
    )
    .await;
    let list = wait_for(
        &stack.warehouse,
        &format!("/v1/pick-lists/{}", tasks_list(&stack, &f).await),
        &ops(),
        |_| true,
    )
    .await;
    assert_eq!(list["tasks"][0]["status"], "withdrawn");
    let hat = wait_for(&stack.inventory, "/v1/stock/SP-HAT", &ops(), |s| {
        s["reserved"] == 0
    })
    .await;
    assert_eq!(hat["on_hand"], 5, "nothing left the building");
}

/// The pick list holding a fulfillment's task.
async fn tasks_list(stack: &Stack, fulfillment_id: &str) -> String {
    let f = wait_for(
        &stack.warehouse,
        &format!("/v1/fulfillments/{fulfillment_id}"),
        &ops(),
        |_| true,
    )
    .await;
    let wave = wait_for(
        &stack.warehouse,
        &format!("/v1/waves/{}", f["wave_id"].as_str().unwrap()),
        &ops(),
        |_| true,
    )
    .await;
    wave["pick_lists"][0]["id"].as_str().unwrap().to_string()
}
