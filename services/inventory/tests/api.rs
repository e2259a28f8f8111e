//! Inventory's REST API against a real PostgreSQL and Kafka: locations,
//! adjustments with their audit trail, validation and roles.

mod common;

use common::*;
use platform::Role;
use platform::testing::{channel_token, fields, problem, scalar, token};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn locations_are_created_replaced_and_validated() {
    let app = app().await;
    let res = app
        .client
        .put(app.url("/v1/locations/WH-PRIMARY"))
        .bearer_auth(ops())
        .json(&json!({"name": "Primary", "kind": "warehouse", "priority": 10, "region": "eu-central"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let res = app
        .client
        .put(app.url("/v1/locations/WH-PRIMARY"))
        .bearer_auth(ops())
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "Primary DC", "kind": "warehouse", "priority": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        (body["name"].as_str(), body["version"].as_i64()),
        (Some("Primary DC"), Some(2))
    );

    // A stale ETag changes nothing.
    let res = app
        .client
        .put(app.url("/v1/locations/WH-PRIMARY"))
        .bearer_auth(ops())
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "Stale", "kind": "warehouse", "priority": 1}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_FAILED).await;

    // Bad code, name and priority are all named.
    let res = app
        .client
        .put(app.url("/v1/locations/wh%20x"))
        .bearer_auth(ops())
        .json(&json!({"name": " ", "kind": "3pl", "priority": -1}))
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["code", "name", "priority"]);
    // An unknown kind is a typed error on the field.
    let res = app
        .client
        .put(app.url("/v1/locations/X1"))
        .bearer_auth(ops())
        .json(&json!({"name": "X", "kind": "garage", "priority": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(res, StatusCode::BAD_REQUEST).await),
        ["kind"]
    );

    // Warehouse staff read but don't manage locations.
    let res = app
        .client
        .put(app.url("/v1/locations/X2"))
        .bearer_auth(token(&[Role::Warehouse]))
        .json(&json!({"name": "X", "kind": "store", "priority": 1}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;
    let (status, list) = get(&app, "/v1/locations", &token(&[Role::Warehouse])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        scalar(&app.runtime().db, "SELECT count(*) AS n FROM locations").await,
        1
    );
}

#[tokio::test]
async fn adjustments_are_audited_and_published() {
    let app = app().await;
    seed_skus(&app, &["TEE-RED-M"]).await;
    location(&app, "WH-1", "warehouse", 10).await;

    let movement = adjust(&app, "TEE-RED-M", "WH-1", 40).await;
    assert_eq!(
        (
            movement["kind"].as_str(),
            movement["on_hand_before"].as_i64(),
            movement["on_hand_after"].as_i64()
        ),
        (Some("receipt"), Some(0), Some(40))
    );
    assert_eq!(movement["actor"], "user:test-user");
    let res = app
        .client
        .post(app.url("/v1/adjustments"))
        .bearer_auth(token(&[Role::Warehouse]))
        .json(
            &json!({"sku": "TEE-RED-M", "location": "WH-1", "reason": "cycle_count",
                      "counted_on_hand": 37, "note": "aisle 4 recount"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let stock = stock(&app, "TEE-RED-M").await;
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["available"].as_i64()),
        (Some(37), Some(37))
    );

    let (_, log) = get(&app, "/v1/movements?sku=TEE-RED-M", &ops()).await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["kind"], "cycle_count");
    assert_eq!(items[1]["note"], "aisle 4 recount");
    assert_eq!(
        (
            items[1]["on_hand_before"].as_i64(),
            items[1]["on_hand_after"].as_i64()
        ),
        (Some(40), Some(37))
    );

    let events = stock_events(&app, 2).await;
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[1].delta, events[1].reason.as_str()),
        (-3, "cycle_count")
    );
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn bad_adjustments_name_the_field_and_change_nothing() {
    let app = app().await;
    seed_skus(&app, &["MUG-1"]).await;
    location(&app, "WH-1", "warehouse", 10).await;
    adjust(&app, "MUG-1", "WH-1", 5).await;
    let post = |body: serde_json::Value| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/v1/adjustments"))
                .bearer_auth(ops())
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let cases = [
        (
            json!({"sku": "NOPE-1", "location": "WH-1", "reason": "receipt", "quantity_delta": 1}),
            "sku",
        ),
        (
            json!({"sku": "MUG-1", "location": "WH-9", "reason": "receipt", "quantity_delta": 1}),
            "location",
        ),
        (
            json!({"sku": "MUG-1", "location": "WH-1", "reason": "correction", "quantity_delta": -6}),
            "quantity_delta",
        ),
        (
            json!({"sku": "MUG-1", "location": "WH-1", "reason": "damage", "quantity_delta": 2}),
            "quantity_delta",
        ),
        (
            json!({"sku": "MUG-1", "location": "WH-1", "reason": "cycle_count", "counted_on_hand": -1}),
            "counted_on_hand",
        ),
    ];
    for (body, field) in cases {
        let p = problem(post(body.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), [field], "{body}");
    }
    let res = post(
        json!({"sku": "MUG-1", "location": "WH-1", "reason": "teleport", "quantity_delta": 1}),
    )
    .await;
    assert_eq!(
        fields(&problem(res, StatusCode::BAD_REQUEST).await),
        ["reason"]
    );
    let res = app
        .client
        .post(app.url("/v1/adjustments"))
        .bearer_auth(channel_token("web-eu"))
        .json(
            &json!({"sku": "MUG-1", "location": "WH-1", "reason": "receipt", "quantity_delta": 1}),
        )
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;
    let res = app
        .client
        .post(app.url("/v1/adjustments"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;

    assert_eq!(stock(&app, "MUG-1").await["on_hand"], 5, "nothing changed");
    assert_eq!(
        scalar(&app.runtime().db, "SELECT count(*) AS n FROM movements").await,
        1
    );
}

#[tokio::test]
async fn an_adjustment_retried_with_its_idempotency_key_applies_once() {
    let app = app().await;
    seed_skus(&app, &["MUG-2"]).await;
    location(&app, "WH-1", "warehouse", 10).await;
    let body =
        json!({"sku": "MUG-2", "location": "WH-1", "reason": "receipt", "quantity_delta": 12});
    let mut ids = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .post(app.url("/v1/adjustments"))
            .bearer_auth(ops())
            .header("Idempotency-Key", "receipt-4711")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        ids.push(res.json::<serde_json::Value>().await.unwrap()["id"].clone());
    }
    assert_eq!(ids[0], ids[1], "the retry returns the first movement");
    assert_eq!(stock(&app, "MUG-2").await["on_hand"], 12);
}
