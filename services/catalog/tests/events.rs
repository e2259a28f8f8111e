//! The catalog's events through the outbox and a real Kafka broker.

mod common;

use std::time::Duration;

use common::*;
use domain::events::proto::catalog::v1::ProductUpserted;
use domain::events::topics::CATALOG_PRODUCT_EVENTS;
use platform::testing::read_topic;
use prost::Message;
use reqwest::StatusCode;
use tokio::sync::watch;

#[tokio::test]
async fn create_publishes_exactly_one_product_upserted_with_headers() {
    let app = app().await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let res = app
        .client
        .post(app.url("/v1/products"))
        .bearer_auth(ops())
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&product_body("EVT-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: serde_json::Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap();

    let records = read_topic(
        &app.topic(CATALOG_PRODUCT_EVENTS),
        1,
        Duration::from_secs(30),
        Duration::from_secs(2),
    )
    .await;
    assert_eq!(records.len(), 1, "exactly one record");
    let record = &records[0];
    assert_eq!(record.key.as_deref(), Some(id), "keyed by product id");
    let h = &record.headers;
    assert_eq!(h["event-type"], "crossdock.catalog.v1.ProductUpserted");
    assert_eq!(h["source"], "catalog");
    assert_eq!(h["content-type"], "application/x-protobuf");
    let event_id: uuid::Uuid = h["event-id"].parse().expect("event-id is a UUID");
    assert_eq!(event_id.get_version_num(), 7);
    assert!(chrono::DateTime::parse_from_rfc3339(&h["occurred-at"]).is_ok());
    let traceparent = &h["traceparent"];
    assert!(
        traceparent.starts_with(&format!("00-{trace_id}-")),
        "the event continues the request's trace: {traceparent}"
    );
    assert!(
        !traceparent.contains("00f067aa0ba902b7"),
        "a child span, not the caller's"
    );

    let event = ProductUpserted::decode(record.payload.as_slice()).unwrap();
    assert_eq!(event.product_id, id);
    assert_eq!(event.status, "active");
    assert_eq!(event.variants[0].sku, "EVT-1");
    assert_eq!(event.variants[0].barcode, "04006381333931");
    assert_eq!(event.variants[0].listings.len(), 2);
    assert_eq!(
        event.variants[0].cost_price.as_ref().unwrap().amount,
        "7.50"
    );
    assert_eq!(event.updated_by, "user:test-user");
}

#[tokio::test]
async fn product_created_while_relay_is_stopped_is_published_once_after_it_starts() {
    let mut app = platform::testing::TestApp::spawn_with(&catalog::service(), |s| {
        s.outbox.relay_enabled = false;
    })
    .await;
    let created = create_ok(&app, &product_body("RELAY-1")).await;
    let topic = app.topic(CATALOG_PRODUCT_EVENTS);

    let early = read_topic(&topic, 1, Duration::from_secs(3), Duration::ZERO).await;
    assert!(early.is_empty(), "nothing is published without the relay");
    assert_eq!(count(&app, "outbox WHERE published_at IS NULL").await, 1);

    // Five price changes pile up behind it: 1 + 5 × (PriceChanged, ListingChanged).
    let id = created["id"].as_str().unwrap();
    for cents in 1..=5 {
        let res = app
            .client
            .put(app.url(&format!("/v1/products/{id}/variants/RELAY-1/listings/web-eu")))
            .bearer_auth(ops())
            .json(&serde_json::json!({"price": {"amount": format!("20.0{cents}"), "currency": "EUR"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(count(&app, "outbox WHERE published_at IS NULL").await, 11);

    // Start the relay as a second process would, and a second one beside it:
    // two relays publish no row twice and keep the product's events in order.
    let rt = app.runtime().clone();
    let (stop, stopped) = watch::channel(false);
    let relays: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn(platform::outbox::run_relay(
                rt.db.clone(),
                rt.producer.clone(),
                rt.outbox.clone(),
                rt.settings.outbox.clone(),
                rt.metrics.clone(),
                stopped.clone(),
            ))
        })
        .collect();
    let records = read_topic(&topic, 11, Duration::from_secs(30), Duration::from_secs(3)).await;
    assert_eq!(records.len(), 11, "each row published exactly once");
    let ids: std::collections::HashSet<&str> = records
        .iter()
        .map(|r| r.headers["event-id"].as_str())
        .collect();
    assert_eq!(ids.len(), 11);
    let event = ProductUpserted::decode(records[0].payload.as_slice()).unwrap();
    assert_eq!(event.product_id, id);
    let prices: Vec<String> = records
        .iter()
        .filter(|r| r.headers["event-type"] == "crossdock.catalog.v1.PriceChanged")
        .map(|r| {
            domain::events::proto::catalog::v1::PriceChanged::decode(r.payload.as_slice())
                .unwrap()
                .new_price
                .unwrap()
                .amount
        })
        .collect();
    assert_eq!(
        prices,
        ["20.01", "20.02", "20.03", "20.04", "20.05"],
        "in order"
    );
    assert_eq!(count(&app, "outbox WHERE published_at IS NULL").await, 0);
    stop.send(true).unwrap();
    for relay in relays {
        relay.await.unwrap();
    }
    app.stop().await;
}

#[tokio::test]
async fn listing_price_change_publishes_price_and_listing_events() {
    let app = app().await;
    let created = create_ok(&app, &product_body("PRICE-1")).await;
    let id = created["id"].as_str().unwrap();
    let res = app
        .client
        .put(app.url(&format!(
            "/v1/products/{id}/variants/PRICE-1/listings/web-eu"
        )))
        .bearer_auth(ops())
        .json(&serde_json::json!({"price": {"amount": "25.00", "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let records = read_topic(
        &app.topic(CATALOG_PRODUCT_EVENTS),
        3,
        Duration::from_secs(30),
        Duration::from_secs(2),
    )
    .await;
    let types: Vec<&str> = records
        .iter()
        .map(|r| r.headers["event-type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "crossdock.catalog.v1.ProductUpserted",
            "crossdock.catalog.v1.PriceChanged",
            "crossdock.catalog.v1.ListingChanged"
        ],
        "one product's events arrive in order on one partition"
    );
    let price =
        domain::events::proto::catalog::v1::PriceChanged::decode(records[1].payload.as_slice())
            .unwrap();
    assert_eq!(price.old_price.unwrap().amount, "29.90");
    assert_eq!(price.new_price.unwrap().amount, "25.00");
    assert_eq!(price.channel_id, "web-eu");
}
