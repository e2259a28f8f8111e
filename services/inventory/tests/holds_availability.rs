//! Storefront holds (expiry, conversion) and per-channel availability (live,
//! the change feed and AvailabilityChanged events).

mod common;

use std::time::Duration;

use common::*;
use domain::events::proto::inventory::v1 as pb;
use domain::events::topics;
use platform::testing::{
    channel_token, decode_all, eventually, eventually_some, problem, read_topic,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn hold(
    app: &platform::testing::TestApp,
    channel: &str,
    lines: Value,
    ttl: i64,
) -> reqwest::Response {
    app.client
        .post(app.url("/v1/holds"))
        .bearer_auth(channel_token(channel))
        .json(&json!({"lines": lines, "ttl_seconds": ttl}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_hold_reserves_expires_by_itself_and_announces_availability() {
    let app = app().await;
    location(&app, "WH-1", "warehouse", 10).await;
    seed_skus(&app, &["H-1"]).await;
    seed_channel(&app, Channel::new("web-eu", "reject")).await;
    adjust(&app, "H-1", "WH-1", 5).await;

    let res = hold(&app, "web-eu", json!([{"sku": "H-1", "quantity": 4}]), 1).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["status"], "active");
    assert_eq!(stock(&app, "H-1").await["available"], 1);

    // Not enough for a second hold: nothing is held.
    let res = hold(&app, "web-eu", json!([{"sku": "H-1", "quantity": 2}]), 60).await;
    let p = problem(res, StatusCode::CONFLICT).await;
    assert!(
        p["detail"].as_str().unwrap().contains("H-1 short by 1"),
        "{p}"
    );

    // Another channel can't see it.
    let id = created["id"].as_str().unwrap();
    // The channel that made it is in the audit trail.
    let (status, trail) = get(&app, &format!("/v1/audit?entity=hold:{id}"), &ops()).await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    assert_eq!(trail["items"][0]["action"], "created");
    assert_eq!(trail["items"][0]["actor"], "channel:web-eu");
    assert_eq!(trail["items"][0]["after"]["status"], "active");
    let (status, _) = get(
        &app,
        &format!("/v1/holds/{id}"),
        &channel_token("amazon-de"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let expired = eventually(Duration::from_secs(10), || async {
        get(&app, &format!("/v1/holds/{id}"), &channel_token("web-eu"))
            .await
            .1["status"]
            == "expired"
    })
    .await;
    assert!(expired, "the hold expired by itself");
    assert_eq!(stock(&app, "H-1").await["available"], 5, "released");

    // Availability went 5 -> 1 -> 5 on the channel, as events.
    let records = read_topic(
        &app.topic(topics::INVENTORY_AVAILABILITY),
        3,
        Duration::from_secs(20),
        Duration::from_millis(800),
    )
    .await;
    let events: Vec<pb::AvailabilityChanged> = decode_all(&records);
    let last = events
        .iter()
        .rev()
        .find(|e| e.sku == "H-1" && e.channel_id == "web-eu")
        .expect("event");
    assert_eq!(last.available_to_sell, 5);
    assert!(
        events.iter().any(|e| e.available_to_sell == 1),
        "{events:?}"
    );
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn an_order_converts_its_checkout_hold() {
    let app = app().await;
    location(&app, "WH-1", "warehouse", 10).await;
    seed_skus(&app, &["H-2"]).await;
    let web = Channel::new("web-eu", "reject");
    seed_channel(&app, Channel::new("web-eu", "reject")).await;
    adjust(&app, "H-2", "WH-1", 3).await;
    let res = hold(&app, "web-eu", json!([{"sku": "H-2", "quantity": 3}]), 600).await;
    let hold_id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // All 3 are held, yet the order holding them gets them.
    let order = place_with(&app, &web, &[("H-2", 3)], Some(&hold_id)).await;
    let out = outcomes(&app, 1).await;
    assert_eq!(out.reserved.len(), 1, "{:?}", out.failed);
    assert_eq!(out.reserved[0].order_id, order);
    let (_, h) = get(&app, &format!("/v1/holds/{hold_id}"), &ops()).await;
    assert_eq!(
        (h["status"].as_str(), h["order_id"].as_str()),
        (Some("converted"), Some(order.as_str()))
    );
    let stock = stock(&app, "H-2").await;
    assert_eq!(
        (stock["reserved"].as_i64(), stock["available"].as_i64()),
        (Some(3), Some(0))
    );
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn availability_per_channel_applies_eligibility_and_buffers() {
    let app = app().await;
    location(&app, "WH-PRIMARY", "warehouse", 10).await;
    location(&app, "WH-OVERFLOW", "overflow", 20).await;
    seed_skus(&app, &["AV-1"]).await;
    adjust(&app, "AV-1", "WH-PRIMARY", 40).await;
    adjust(&app, "AV-1", "WH-OVERFLOW", 60).await;
    let mut amazon = Channel::new("amazon-de", "reject");
    amazon.buffer_units = 5;
    amazon.buffer_percent = 10;
    seed_channel(&app, amazon).await;
    let mut wholesale = Channel::new("wholesale", "reject");
    wholesale.ship_from = &["WH-PRIMARY"];
    wholesale.buffer_units = 50;
    seed_channel(&app, wholesale).await;
    seed_channel(&app, Channel::new("web-eu", "backorder")).await;

    let ats = |channel: &'static str| {
        let app = &app;
        async move {
            let (status, body) = get(
                app,
                &format!("/v1/availability?channel={channel}&sku=AV-1"),
                &ops(),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["available_to_sell"].as_i64().unwrap()
        }
    };
    assert_eq!(ats("web-eu").await, 100);
    assert_eq!(ats("amazon-de").await, 90, "10% of 100 beats 5 units");
    assert_eq!(
        ats("wholesale").await,
        0,
        "40 eligible minus 50 never goes below zero"
    );

    // A channel token reads its own channel (no parameter needed), not another's.
    let (status, body) = get(
        &app,
        "/v1/availability?sku=AV-1",
        &channel_token("amazon-de"),
    )
    .await;
    assert_eq!(
        (status, body["available_to_sell"].as_i64()),
        (StatusCode::OK, Some(90))
    );
    let (status, _) = get(
        &app,
        "/v1/availability?channel=web-eu&sku=AV-1",
        &channel_token("amazon-de"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&app, "/v1/availability?channel=nowhere&sku=AV-1", &ops()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The feed: a full snapshot from the start, then only what changed.
    let feed = |cursor: String| {
        let app = &app;
        async move {
            let (_, body) = get(
                app,
                &format!("/v1/availability/changes?channel=amazon-de&cursor={cursor}"),
                &ops(),
            )
            .await;
            body
        }
    };
    let page = eventually_some(Duration::from_secs(10), || async {
        let page = feed("0".into()).await;
        page["items"]
            .as_array()
            .is_some_and(|i| i.len() == 1 && i[0]["available_to_sell"] == 90)
            .then_some(page)
    })
    .await
    .expect("the feed holds the snapshot");
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    assert!(
        feed(cursor.clone()).await["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing new"
    );
    adjust(&app, "AV-1", "WH-OVERFLOW", -10).await;
    let next = eventually_some(Duration::from_secs(10), || async {
        let next = feed(cursor.clone()).await;
        next["items"]
            .as_array()
            .is_some_and(|i| i.len() == 1)
            .then_some(next)
    })
    .await
    .expect("the change shows in the feed");
    assert_eq!(
        next["items"][0]["available_to_sell"], 81,
        "90 less 10, buffer now 9"
    );
}
