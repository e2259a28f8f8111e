//! The order lifecycle driven by inventory's answers and by people: reserved
//! and confirmed, backordered, holds and the exception queue, cancellation,
//! payment changes. Every move lands in the status history.

mod common;

use common::*;
use domain::events::proto::orders::v1 as pb;
use platform::Role;
use platform::testing::{channel_token, decode_all, problem, token};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ready() -> platform::testing::TestApp {
    let app = app().await;
    let mut web = channel_body("web", "backorder");
    web["fraud_threshold"] = json!({"amount": "500", "currency": "EUR"});
    channel(&app, "web-eu", web).await;
    channel(&app, "amazon-de", channel_body("marketplace", "reject")).await;
    list_sku(&app, "TEE-RED-M", &["web-eu", "amazon-de"]).await;
    app
}

fn id(order: &Value) -> String {
    order["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn reserved_stock_and_a_paid_order_confirm_with_allocations() {
    let app = ready().await;
    let order = place(&app, "amazon-de", &order_body("AMZ-1", &[("TEE-RED-M", 2)])).await;
    reserve(&app, &order, "WH-PRIMARY").await;
    let confirmed = wait_status(&app, &id(&order), "confirmed").await;
    assert!(confirmed["confirmed_at"].is_string());
    assert_eq!(
        confirmed["lines"][0]["allocations"],
        json!([{"location": "WH-PRIMARY", "quantity": 2}])
    );

    let records = order_events(&app, 2).await;
    assert_eq!(
        types_for(&records, &id(&order)),
        ["OrderPlaced", "OrderConfirmed"]
    );
    let confirmed: Vec<pb::OrderConfirmed> = decode_all(&records);
    assert_eq!(confirmed[0].allocations[0].location_code, "WH-PRIMARY");
    assert_eq!(confirmed[0].allocations[0].sku, "TEE-RED-M");

    let (_, history) = get(&app, &format!("/v1/orders/{}/history", id(&order)), &ops()).await;
    let steps: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["received", "reserved", "confirmed"]);
    assert_eq!(history[1]["actor"], "system:orders.reservations");
}

#[tokio::test]
async fn a_pending_payment_waits_reserved_until_it_is_secured() {
    let app = ready().await;
    let mut body = order_body("WEB-P", &[("TEE-RED-M", 1)]);
    body["payment_status"] = json!("pending");
    let order = place(&app, "web-eu", &body).await;
    reserve(&app, &order, "WH-PRIMARY").await;
    wait_status(&app, &id(&order), "reserved").await;
    let res = post(
        &app,
        &format!("/v1/orders/{}/payment", id(&order)),
        &channel_token("web-eu"),
        &json!({"payment_status": "authorized"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "confirmed");
}

#[tokio::test]
async fn no_stock_under_reject_holds_the_order_and_ops_can_retry() {
    let app = ready().await;
    let order = place(&app, "amazon-de", &order_body("AMZ-2", &[("TEE-RED-M", 3)])).await;
    fail_reservation(&app, &order, "rejected").await;
    let held = wait_status(&app, &id(&order), "on_hold").await;
    assert_eq!(held["hold"]["reason"], "stock_conflict");
    assert!(
        held["hold"]["detail"]
            .as_str()
            .unwrap()
            .contains("TEE-RED-M short by 1")
    );

    let (_, queue) = get(
        &app,
        "/v1/exceptions?reason=stock_conflict",
        &token(&[Role::Support]),
    )
    .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    let (_, other) = get(&app, "/v1/exceptions?reason=fraud_review", &ops()).await;
    assert!(other["items"].as_array().unwrap().is_empty());

    let path = format!("/v1/orders/{}/retry-reservation", id(&order));
    problem(
        post(&app, &path, &token(&[Role::Support]), &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let res = post(
        &app,
        &path,
        &ops(),
        &json!({"note": "stock moved from the store"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "received");
    reserve(&app, &order, "WH-OVERFLOW").await;
    wait_status(&app, &id(&order), "confirmed").await;

    let records = order_events(&app, 4).await;
    assert_eq!(
        types_for(&records, &id(&order)),
        [
            "OrderPlaced",
            "OrderOnHold",
            "OrderPlaced",
            "OrderConfirmed"
        ]
    );
    let (_, history) = get(&app, &format!("/v1/orders/{}/history", id(&order)), &ops()).await;
    let retry = &history[2];
    assert_eq!(
        (retry["to"].as_str(), retry["actor"].as_str()),
        (Some("received"), Some("user:test-user"))
    );
    assert_eq!(
        retry["reason"],
        "reservation retried: stock moved from the store"
    );
}

#[tokio::test]
async fn backordered_orders_confirm_when_stock_arrives() {
    let app = ready().await;
    let order = place(&app, "web-eu", &order_body("WEB-B", &[("TEE-RED-M", 1)])).await;
    fail_reservation(&app, &order, "backordered").await;
    wait_status(&app, &id(&order), "backordered").await;
    reserve(&app, &order, "WH-PRIMARY").await;
    wait_status(&app, &id(&order), "confirmed").await;
}

#[tokio::test]
async fn intake_exceptions_hold_the_order_before_inventory_sees_it() {
    let app = ready().await;
    let mut failed = order_body("WEB-F", &[("TEE-RED-M", 1)]);
    failed["payment_status"] = json!("failed");
    let mut address = order_body("WEB-A", &[("TEE-RED-M", 1)]);
    address["shipping_address"]["postal_code"] = json!("1011");
    // 30 x 19.90 + 4.90 = 601.90, above the 500 threshold, first order of this email.
    let fraud = order_body("WEB-X", &[("TEE-RED-M", 30)]);
    let mut held = Vec::new();
    for (body, reason) in [
        (failed, "payment_failed"),
        (address, "address_problem"),
        (fraud, "fraud_review"),
    ] {
        let order = place(&app, "web-eu", &body).await;
        assert_eq!(
            (order["status"].as_str(), order["hold"]["reason"].as_str()),
            (Some("on_hold"), Some(reason))
        );
        held.push(order);
    }
    // A returning customer above the threshold is not held.
    let mut returning = order_body("WEB-R", &[("TEE-RED-M", 30)]);
    returning["customer"]["email"] = json!("WEB-F@example.com");
    assert_eq!(
        place(&app, "web-eu", &returning).await["status"],
        "received"
    );

    let records = order_events(&app, 4).await;
    let on_hold: Vec<pb::OrderOnHold> = decode_all(&records);
    assert_eq!(on_hold.len(), 3);
    for order in &held {
        assert_eq!(
            types_for(&records, &id(order)),
            ["OrderOnHold"],
            "inventory is not asked yet"
        );
    }

    // A failed payment is released by recording the payment, not by ops.
    let payment_path = format!("/v1/orders/{}/release", id(&held[0]));
    problem(
        post(&app, &payment_path, &ops(), &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    let res = post(
        &app,
        &format!("/v1/orders/{}/payment", id(&held[0])),
        &channel_token("web-eu"),
        &json!({"payment_status": "paid"}),
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "received");
    // Fraud cleared by ops: placed with inventory.
    let res = post(
        &app,
        &format!("/v1/orders/{}/release", id(&held[2])),
        &ops(),
        &json!({"note": "called the customer"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "received");
    let records = order_events(&app, 6).await;
    assert_eq!(
        types_for(&records, &id(&held[2])),
        ["OrderOnHold", "OrderPlaced"]
    );
    assert_eq!(
        types_for(&records, &id(&held[0])),
        ["OrderOnHold", "OrderPlaced"]
    );
    // Releasing an order that is not on hold is refused.
    problem(
        post(
            &app,
            &format!("/v1/orders/{}/release", id(&held[2])),
            &ops(),
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn cancellation_is_published_once_and_final() {
    let app = ready().await;
    let order = place(&app, "amazon-de", &order_body("AMZ-C", &[("TEE-RED-M", 1)])).await;
    reserve(&app, &order, "WH-PRIMARY").await;
    wait_status(&app, &id(&order), "confirmed").await;
    let path = format!("/v1/orders/{}/cancel", id(&order));
    problem(
        post(
            &app,
            &path,
            &channel_token("amazon-de"),
            &json!({"reason": " "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        post(
            &app,
            &path,
            &token(&[Role::Warehouse]),
            &json!({"reason": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    for _ in 0..2 {
        let res = post(
            &app,
            &path,
            &channel_token("amazon-de"),
            &json!({"reason": "customer changed their mind"}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "cancelled");
    }
    let records = order_events(&app, 3).await;
    assert_eq!(
        types_for(&records, &id(&order)),
        ["OrderPlaced", "OrderConfirmed", "OrderCancelled"]
    );
    let cancelled: Vec<pb::OrderCancelled> = decode_all(&records);
    assert_eq!(cancelled[0].cancelled_by, "channel:amazon-de");
    // A late answer from inventory doesn't revive it; payment can't either.
    let late = reserve(&app, &order, "WH-PRIMARY").await;
    let res = post(
        &app,
        &format!("/v1/orders/{}/payment", id(&order)),
        &ops(),
        &json!({"payment_status": "paid"}),
    )
    .await;
    problem(res, StatusCode::CONFLICT).await;
    assert!(app.wait_inbox(late).await, "the late answer was handled");
    let (_, now) = get(&app, &format!("/v1/orders/{}", id(&order)), &ops()).await;
    assert_eq!(now["status"], "cancelled");
}
