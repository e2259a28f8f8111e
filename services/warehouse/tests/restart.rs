//! Restarting the warehouse mid-stream and mid-wave loses and duplicates
//! nothing: every confirmed order has exactly its fulfillments, redelivered
//! events apply once, and a released wave is picked to the end after restart.

mod common;

use std::time::Duration;

use common::*;
use domain::events::Envelope;
use domain::events::proto::orders::v1::OrderConfirmed;
use domain::events::topics;
use platform::testing::{eventually, publish_with, scalar};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn restart_mid_stream_and_mid_wave_loses_and_duplicates_nothing() {
    let mut app = app().await;
    let a = gtin(71);
    seed_skus(&app, &[("SKU-A", &a)]).await;
    bin(&app, "WH1", "A-01-01", "A", 10, &["SKU-A"]).await;

    // 60 orders (each split over two locations), every record sent twice
    // under the same event id, as a redelivery would; restart half way.
    const ORDERS: usize = 60;
    let mut envelopes = Vec::new();
    for _ in 0..ORDERS {
        let order_id = Uuid::now_v7().to_string();
        let event = confirmed(
            &order_id,
            "web-eu",
            &[(1, "SKU-A", "WH1", 1), (1, "SKU-A", "WH2", 1)],
        );
        envelopes.push((order_id, event, Envelope::new::<OrderConfirmed>("orders")));
    }
    let topic = app.topic(topics::ORDERS_ORDER_EVENTS);
    for (i, (order_id, event, envelope)) in envelopes.iter().enumerate() {
        publish_with(&app.runtime().producer, &topic, order_id, event, envelope).await;
        publish_with(&app.runtime().producer, &topic, order_id, event, envelope).await;
        if i == ORDERS / 2 {
            app.restart().await;
        }
    }
    let want = (ORDERS * 2) as i64;
    let all = eventually(Duration::from_secs(60), || async {
        scalar(&app.runtime().db, "SELECT count(*) AS n FROM fulfillments").await >= want
    })
    .await;
    assert!(all, "every order's fulfillments arrived");
    assert!(
        app.wait_consumed(topics::ORDERS_ORDER_EVENTS, 2 * envelopes.len() as u64)
            .await,
        "both copies of every event were taken"
    );
    let db = &app.runtime().db;
    assert_eq!(
        scalar(db, "SELECT count(*) AS n FROM fulfillments").await,
        want,
        "none duplicated"
    );
    assert_eq!(
        scalar(db, "SELECT count(*) AS n FROM (SELECT order_id FROM fulfillments GROUP BY order_id HAVING count(*) <> 2) x").await,
        0,
        "each order has one fulfillment per location"
    );

    // A wave of 20 at WH1; pick half, restart, pick the rest.
    let (status, wave) = post(
        &app,
        "/v1/waves",
        &ops(),
        &json!({"location_code": "WH1", "max_fulfillments": 20}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{wave}");
    let tasks = tasks(&wave);
    assert_eq!(tasks.len(), 20);
    for t in &tasks[..10] {
        pick(&app, t, &a).await;
    }
    app.restart().await;
    let again = get(&app, &format!("/v1/waves/{}", wave["id"].as_str().unwrap())).await;
    assert_eq!(
        again["fulfillment_ids"], wave["fulfillment_ids"],
        "the wave survived"
    );
    let done = common::tasks(&again)
        .iter()
        .filter(|t| t["status"] == "done")
        .count();
    assert_eq!(done, 10, "picks before the restart are kept");
    for t in &tasks[10..] {
        pick(&app, t, &a).await;
    }
    let db = &app.runtime().db;
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) AS n FROM fulfillments WHERE status = 'picked'"
        )
        .await,
        20
    );
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) AS n FROM fulfillments WHERE status = 'open'"
        )
        .await,
        want - 20
    );
    let wave = get(&app, &format!("/v1/waves/{}", wave["id"].as_str().unwrap())).await;
    assert_eq!(wave["status"], "completed");
}
