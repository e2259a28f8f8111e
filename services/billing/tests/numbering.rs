//! Gapless numbering under concurrency and across restarts: hundreds of
//! shipments applied by racing consumers in two processes (six consumers
//! over six partitions), one process restarted in the middle; the numbers
//! of the series are exactly 1..N, each once, each shipment invoiced once.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use domain::events::topics;
use platform::testing::{eventually, publish, scalar};

const ORDERS: usize = 300;

#[tokio::test]
async fn racing_consumers_and_a_restart_leave_no_gap_and_no_duplicate() {
    let mut app = app().await;
    setup(&app, "web", "tax_exclusive", "per_document").await;
    let producer = app.runtime().producer.clone();
    let mut order_ids = Vec::new();
    for _ in 0..ORDERS {
        let id = uuid::Uuid::now_v7().to_string();
        let event = placed(
            &id,
            &Order {
                lines: &[("TEE-1", 1, "19.90")],
                shipping: "4.90",
                ..Default::default()
            },
        );
        publish(
            &producer,
            &app.topic(topics::ORDERS_ORDER_EVENTS),
            &id,
            &event,
        )
        .await;
        order_ids.push(id);
    }
    let db = app.runtime().db.clone();
    assert!(
        eventually(Duration::from_secs(60), || async {
            scalar(&db, "SELECT count(*) AS n FROM orders").await == ORDERS as i64
        })
        .await,
        "placements applied"
    );
    // A second process on the same database and topics: its consumers join
    // the group and share the partitions with the first one's.
    let second = platform::start(&billing::service(), app.settings.clone())
        .await
        .expect("second instance starts");
    let topic = app.topic(topics::WAREHOUSE_FULFILLMENT_EVENTS);
    for (i, id) in order_ids.iter().enumerate() {
        let event = shipped(id, &format!("F-{i:04}"), &[(1, "TEE-1", 1)], Utc::now());
        publish(&producer, &topic, id, &event).await;
        if i == ORDERS / 2 {
            // A pod restarted mid-burst: its uncommitted work is redone.
            app.restart().await;
        }
    }
    assert!(
        eventually(Duration::from_secs(120), || async {
            scalar(
                &db,
                "SELECT count(*) AS n FROM documents WHERE kind = 'invoice'",
            )
            .await
                == ORDERS as i64
        })
        .await,
        "every shipment invoiced within 120 s"
    );
    second.stop().await;
    let n = ORDERS as i64;
    assert_eq!(
        scalar(
            &db,
            "SELECT count(DISTINCT sequence) AS n FROM documents WHERE kind = 'invoice'"
        )
        .await,
        n,
        "no number twice"
    );
    assert_eq!(
        scalar(&db, "SELECT min(sequence) AS n FROM documents").await,
        1
    );
    assert_eq!(
        scalar(&db, "SELECT max(sequence) AS n FROM documents").await,
        n,
        "no gap"
    );
    assert_eq!(
        scalar(&db, "SELECT max(last_number) AS n FROM document_series").await,
        n
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(DISTINCT fulfillment_id) AS n FROM documents"
        )
        .await,
        n,
        "each shipment once"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) AS n FROM journal_entries WHERE source = 'shipment'"
        )
        .await,
        n,
        "one entry per shipment"
    );
    assert_eq!(unbalanced_entries(&app).await, 0);
    let tb = trial_balance(&app).await;
    assert_eq!(tb["total_debit"], tb["total_credit"]);
}
