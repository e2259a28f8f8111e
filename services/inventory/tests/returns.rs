//! Inspected returns (the warehouse's ReturnInspected): resellable units go
//! back on hand at the return location with a `return` movement referencing
//! the RMA, refurbish units to its quarantine (never sold), scrap is written
//! off there (in, then out as `damage`), and a redelivered event applies once.

mod common;

use common::*;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::topics;
use platform::testing::{fixtures, publish_with};
use serde_json::Value;

fn on_hand_at(stock: &Value, location: &str) -> i64 {
    stock["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location"] == location)
        .map_or(0, |l| l["on_hand"].as_i64().unwrap())
}

#[tokio::test]
async fn inspected_returns_restock_quarantine_and_write_off_once() {
    let app = app().await;
    seed_skus(&app, &["RET-A", "RET-B"]).await;
    location(&app, "RET-1", "warehouse", 10).await;
    let e = warehouse::ReturnInspected {
        return_id: uuid::Uuid::now_v7().to_string(),
        number: "RMA-000007".into(),
        order_id: uuid::Uuid::now_v7().to_string(),
        channel_id: "web".into(),
        location_code: "RET-1".into(),
        lines: vec![
            warehouse::InspectedLine {
                line_no: 1,
                sku: "RET-A".into(),
                resellable: 2,
                refurbish: 1,
                scrap: 1,
            },
            warehouse::InspectedLine {
                line_no: 2,
                sku: "RET-B".into(),
                resellable: 0,
                refurbish: 0,
                scrap: 1,
            },
        ],
        inspected_by: "user:dock".into(),
        ..Default::default()
    };
    let id =
        fixtures::publish_applied(&app, topics::WAREHOUSE_RETURN_EVENTS, &e.order_id, &e).await;
    let a = stock(&app, "RET-A").await;
    assert_eq!(on_hand_at(&a, "RET-1"), 2, "resellable units back on hand");
    assert_eq!(
        on_hand_at(&a, "RET-1-Q"),
        1,
        "the refurbish unit quarantined, the scrap written off"
    );
    let b = stock(&app, "RET-B").await;
    assert_eq!((on_hand_at(&b, "RET-1"), on_hand_at(&b, "RET-1-Q")), (0, 0));

    let moves = movements(&app, "RET-A").await;
    let kinds: Vec<(&str, i64)> = moves
        .iter()
        .map(|m| {
            let delta =
                m["on_hand_after"].as_i64().unwrap() - m["on_hand_before"].as_i64().unwrap();
            (m["kind"].as_str().unwrap(), delta)
        })
        .collect();
    let returned: i64 = kinds
        .iter()
        .filter(|(k, _)| *k == "return")
        .map(|(_, d)| d)
        .sum();
    let written_off: i64 = kinds
        .iter()
        .filter(|(k, _)| *k == "damage")
        .map(|(_, d)| d)
        .sum();
    assert_eq!((returned, written_off), (4, -1), "{kinds:?}");
    assert!(moves.iter().all(|m| m["reference"] == "RMA-000007"));

    // The same record delivered again applies nothing.
    let mut envelope = domain::events::Envelope::new::<warehouse::ReturnInspected>("warehouse");
    envelope.event_id = id;
    publish_with(
        &app.runtime().producer,
        &app.topic(topics::WAREHOUSE_RETURN_EVENTS),
        &e.order_id,
        &e,
        &envelope,
    )
    .await;
    assert!(app.wait_consumed(topics::WAREHOUSE_RETURN_EVENTS, 2).await);
    assert_eq!(on_hand_at(&stock(&app, "RET-A").await, "RET-1"), 2);
    assert_eq!(movements(&app, "RET-A").await.len(), moves.len());
    assert_reconciles(&app).await;
}
