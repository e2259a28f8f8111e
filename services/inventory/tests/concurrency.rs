//! No oversell, ever: orders racing for the same SKU through Kafka, with two
//! inventory replicas, several consumer tasks each and several partitions.
//! And a restart in the middle of a burst loses no order and reserves nothing
//! twice.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use domain::events::topics;
use platform::testing::{TestApp, eventually, publish, scalar, unique_topic_prefix};

/// 200 single-unit orders from three channels (reject, backorder, partial)
/// race for 57 units split over two locations.
#[tokio::test]
async fn two_hundred_orders_racing_for_57_units_reserve_exactly_57() {
    let prefix = unique_topic_prefix();
    let settings = |s: &mut platform::config::Settings| {
        s.kafka.topic_prefix = prefix.clone();
        s.kafka.topic_partitions = 6;
        s.kafka.consumer_tasks = 3;
    };
    let first = TestApp::spawn_with(&inventory::service(), settings).await;
    // A second replica on the same database and consumer group.
    let db_url = first.settings.database.url.clone();
    let second = TestApp::spawn_with(&inventory::service(), |s| {
        settings(s);
        s.database.url = db_url.clone();
        s.database.run_migrations = false;
    })
    .await;

    location(&first, "WH-PRIMARY", "warehouse", 10).await;
    location(&first, "WH-OVERFLOW", "overflow", 20).await;
    seed_skus(&first, &["HOT-1"]).await;
    adjust(&first, "HOT-1", "WH-PRIMARY", 40).await;
    adjust(&first, "HOT-1", "WH-OVERFLOW", 17).await;

    let channels = [
        Channel::new("web-eu", "reject"),
        Channel::new("amazon-de", "backorder"),
        Channel::new("tiktok-shop", "partial"),
    ];
    let topic = first.topic(topics::ORDERS_ORDER_EVENTS);
    let producer = first.runtime().producer.clone();
    let mut sends = Vec::new();
    let mut channel_of = HashMap::new();
    for i in 0..200 {
        let channel = &channels[i % 3];
        let order_id = uuid::Uuid::now_v7().to_string();
        channel_of.insert(order_id.clone(), channel.policy);
        let event = order_placed(&order_id, channel, &[("HOT-1", 1)], None);
        let (producer, topic) = (producer.clone(), topic.clone());
        sends.push(tokio::spawn(async move {
            publish(&producer, &topic, &order_id, &event).await;
        }));
    }
    for s in sends {
        s.await.unwrap();
    }

    let out = outcomes(&first, 200).await;
    assert_eq!(
        out.reserved.len() + out.failed.len(),
        200,
        "every order answered exactly once"
    );
    assert_eq!(out.reserved.len(), 57, "exactly the 57 units are reserved");
    let reserved_units: i64 = out
        .reserved
        .iter()
        .flat_map(|r| &r.lines)
        .map(|l| l.quantity)
        .sum();
    assert_eq!(reserved_units, 57);
    for f in &out.failed {
        let policy = channel_of[&f.order_id];
        let expected = if policy == "backorder" {
            "backordered"
        } else {
            "rejected"
        };
        assert_eq!(f.outcome, expected, "{policy} order");
    }

    let db = &first.runtime().db;
    assert_eq!(
        scalar(db, "SELECT sum(reserved)::bigint AS n FROM stock").await,
        57
    );
    assert_eq!(
        scalar(db, "SELECT sum(on_hand)::bigint AS n FROM stock").await,
        57
    );
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) AS n FROM order_reservations WHERE status = 'reserved'"
        )
        .await,
        57
    );
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) AS n FROM movements WHERE kind = 'reserve'"
        )
        .await,
        57,
        "one reserve movement per unit (one line each)"
    );
    let both_replicas_worked = scalar(
        db,
        "SELECT count(DISTINCT event_id) AS n FROM inbox WHERE consumer = 'inventory.reservations'",
    )
    .await;
    assert_eq!(both_replicas_worked, 200);
    assert_reconciles(&first).await;
    drop(second);
}

/// 300 orders; the service stops and starts again while they are consumed.
#[tokio::test]
async fn a_restart_mid_burst_loses_no_order_and_reserves_nothing_twice() {
    let mut app = app().await;
    location(&app, "WH-PRIMARY", "warehouse", 10).await;
    seed_skus(&app, &["R-1", "R-2"]).await;
    adjust(&app, "R-1", "WH-PRIMARY", 1000).await;
    adjust(&app, "R-2", "WH-PRIMARY", 100).await;
    let topic = app.topic(topics::ORDERS_ORDER_EVENTS);
    let producer = app.runtime().producer.clone();
    let burst = tokio::spawn(async move {
        for i in 0..300 {
            let order_id = uuid::Uuid::now_v7().to_string();
            let lines: &[(&str, i64)] = if i % 2 == 0 {
                &[("R-1", 2), ("R-2", 1)]
            } else {
                &[("R-1", 1)]
            };
            publish(
                &producer,
                &topic,
                &order_id,
                &order_placed(&order_id, &web_channel(), lines, None),
            )
            .await;
        }
    });
    let db = app.runtime().db.clone();
    let started = eventually(Duration::from_secs(30), || async {
        scalar(&db, "SELECT count(*) AS n FROM order_reservations").await >= 30
    })
    .await;
    assert!(started, "the burst is being consumed");
    app.restart().await;
    burst.await.unwrap();

    let db = app.runtime().db.clone();
    let all = eventually(Duration::from_secs(60), || async {
        scalar(&db, "SELECT count(*) AS n FROM order_reservations").await == 300
    })
    .await;
    assert!(all, "every order reached inventory");
    let out = outcomes(&app, 300).await;
    let mut per_order: HashMap<&str, usize> = HashMap::new();
    for id in out
        .reserved
        .iter()
        .map(|r| r.order_id.as_str())
        .chain(out.failed.iter().map(|f| f.order_id.as_str()))
    {
        *per_order.entry(id).or_default() += 1;
    }
    assert_eq!(per_order.len(), 300, "every order answered");
    assert!(
        per_order.values().all(|n| *n == 1),
        "no order answered twice"
    );
    // 150 orders x (2 + 1) and 150 x 1: R-1 = 450, R-2 = 150 wanted, 100 there.
    let r1 = stock(&app, "R-1").await;
    let r2 = stock(&app, "R-2").await;
    assert_eq!(r2["reserved"], 100, "R-2 fully used, never more");
    let reserved_orders = out.reserved.len() as i64;
    let two_line = out.reserved.iter().filter(|r| r.lines.len() == 2).count() as i64;
    assert_eq!(
        r1["reserved"].as_i64().unwrap(),
        two_line * 2 + (reserved_orders - two_line)
    );
    assert_eq!(two_line, 100);
    assert_reconciles(&app).await;
}

fn web_channel() -> Channel<'static> {
    Channel::new("web-eu", "backorder")
}
