//! Reservations through Kafka: OrderPlaced in, StockReserved or
//! ReservationFailed out, by the allocation strategy and the channel's
//! backorder policy; cancellation releases; backorders fill when stock arrives.

mod common;

use std::time::Duration;

use common::*;
use domain::events::Envelope;
use domain::events::proto::orders::v1 as orders;
use domain::events::topics;
use platform::testing::{eventually, publish_with, scalar};

async fn two_locations() -> platform::testing::TestApp {
    let app = app().await;
    location(&app, "WH-PRIMARY", "warehouse", 10).await;
    location(&app, "WH-OVERFLOW", "overflow", 20).await;
    app
}

#[tokio::test]
async fn whole_orders_come_from_one_location_and_split_only_when_needed() {
    let app = two_locations().await;
    seed_skus(&app, &["A-1", "B-1"]).await;
    adjust(&app, "A-1", "WH-PRIMARY", 3).await;
    adjust(&app, "A-1", "WH-OVERFLOW", 5).await;
    adjust(&app, "B-1", "WH-OVERFLOW", 2).await;
    let web = Channel::new("web-eu", "reject");

    // A-1 x2 + B-1 x1: only the overflow has both, so it ships whole from there.
    let whole = place(&app, &web, &[("A-1", 2), ("B-1", 1)]).await;
    // Orders of different keys may be consumed in any order: let the first
    // settle so the second sees what it left.
    outcomes(&app, 1).await;
    // A-1 x5 now: overflow has 3 left, primary 3: split, primary first.
    let split = place(&app, &web, &[("A-1", 5)]).await;
    let out = outcomes(&app, 2).await;
    assert_eq!(out.reserved.len(), 2, "both reserved");
    let of = |id: &str| {
        out.reserved
            .iter()
            .find(|r| r.order_id == id)
            .expect("reserved")
    };
    let lines: Vec<(&str, &str, i64)> = of(&whole)
        .lines
        .iter()
        .map(|l| (l.sku.as_str(), l.location_code.as_str(), l.quantity))
        .collect();
    assert_eq!(
        lines,
        [("A-1", "WH-OVERFLOW", 2), ("B-1", "WH-OVERFLOW", 1)]
    );
    let lines: Vec<(&str, i64)> = of(&split)
        .lines
        .iter()
        .map(|l| (l.location_code.as_str(), l.quantity))
        .collect();
    assert_eq!(lines, [("WH-PRIMARY", 3), ("WH-OVERFLOW", 2)]);

    let stock = stock(&app, "A-1").await;
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["reserved"].as_i64()),
        (Some(8), Some(7))
    );
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn channel_eligibility_limits_where_stock_comes_from() {
    let app = two_locations().await;
    seed_skus(&app, &["W-1"]).await;
    adjust(&app, "W-1", "WH-PRIMARY", 1).await;
    adjust(&app, "W-1", "WH-OVERFLOW", 10).await;
    let mut wholesale = Channel::new("wholesale", "reject");
    wholesale.ship_from = &["WH-PRIMARY"];
    let order = place(&app, &wholesale, &[("W-1", 2)]).await;
    let out = outcomes(&app, 1).await;
    assert_eq!(
        out.failed.len(),
        1,
        "the overflow stock is not eligible for wholesale"
    );
    assert_eq!(out.failed[0].order_id, order);
    assert_eq!(out.failed[0].outcome, "rejected");
    assert_eq!(
        (
            out.failed[0].shortfalls[0].sku.as_str(),
            out.failed[0].shortfalls[0].missing
        ),
        ("W-1", 1)
    );
    assert_eq!(
        stock(&app, "W-1").await["reserved"],
        0,
        "reject reserves nothing"
    );
}

#[tokio::test]
async fn partial_policy_reserves_what_there_is() {
    let app = two_locations().await;
    seed_skus(&app, &["P-1", "P-2"]).await;
    adjust(&app, "P-1", "WH-PRIMARY", 1).await;
    adjust(&app, "P-2", "WH-PRIMARY", 4).await;
    let social = Channel::new("social-tt", "partial");
    place(&app, &social, &[("P-1", 3), ("P-2", 2)]).await;
    let out = outcomes(&app, 1).await;
    let r = &out.reserved[0];
    assert_eq!(r.lines.iter().map(|l| l.quantity).sum::<i64>(), 3);
    assert_eq!(
        (r.shortfalls[0].sku.as_str(), r.shortfalls[0].missing),
        ("P-1", 2)
    );
}

#[tokio::test]
async fn cancellation_releases_stock_at_once() {
    let app = two_locations().await;
    seed_skus(&app, &["C-1"]).await;
    adjust(&app, "C-1", "WH-PRIMARY", 2).await;
    let web = Channel::new("web-eu", "reject");
    let order = place(&app, &web, &[("C-1", 2)]).await;
    outcomes(&app, 1).await;
    assert_eq!(stock(&app, "C-1").await["available"], 0);
    cancel(&app, &order, "web-eu").await;
    let out = outcomes(&app, 2).await;
    assert_eq!(out.released.len(), 1);
    assert_eq!(out.released[0].lines[0].quantity, 2);
    assert_eq!(reservation_status(&app, &order).await, "released");
    let stock = stock(&app, "C-1").await;
    assert_eq!(
        (stock["available"].as_i64(), stock["reserved"].as_i64()),
        (Some(2), Some(0))
    );
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn backorders_fill_by_channel_priority_then_age_when_stock_arrives() {
    let app = two_locations().await;
    seed_skus(&app, &["BO-1"]).await;
    let mut marketplace = Channel::new("amazon-de", "backorder");
    marketplace.priority = 50;
    let mut web = Channel::new("web-eu", "backorder");
    web.priority = 10;
    let first = place(&app, &marketplace, &[("BO-1", 2)]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = place(&app, &web, &[("BO-1", 2)]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let third = place(&app, &web, &[("BO-1", 1)]).await;
    let out = outcomes(&app, 3).await;
    assert_eq!(out.failed.len(), 3);
    assert!(out.failed.iter().all(|f| f.outcome == "backordered"));

    // 3 units arrive: web (priority 10) first, oldest first: second, then third.
    // The marketplace order (needs 2, 0 left) keeps waiting.
    adjust(&app, "BO-1", "WH-PRIMARY", 3).await;
    let out = outcomes(&app, 5).await;
    let mut filled: Vec<&str> = out.reserved.iter().map(|r| r.order_id.as_str()).collect();
    filled.sort();
    let mut want = vec![second.as_str(), third.as_str()];
    want.sort();
    assert_eq!(filled, want);
    assert!(out.reserved.iter().all(|r| r.trigger == "backorder_fill"));
    assert_eq!(reservation_status(&app, &first).await, "backordered");

    adjust(&app, "BO-1", "WH-OVERFLOW", 2).await;
    let out = outcomes(&app, 6).await;
    assert!(
        out.reserved.iter().any(|r| r.order_id == first),
        "filled when enough arrived"
    );
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_redelivered_order_placed_reserves_once() {
    let app = two_locations().await;
    seed_skus(&app, &["D-1"]).await;
    adjust(&app, "D-1", "WH-PRIMARY", 10).await;
    let web = Channel::new("web-eu", "reject");
    let order_id = uuid::Uuid::now_v7().to_string();
    let event = order_placed(&order_id, &web, &[("D-1", 4)], None);
    let envelope = Envelope::new::<orders::OrderPlaced>("orders");
    let topic = app.topic(topics::ORDERS_ORDER_EVENTS);
    for _ in 0..3 {
        publish_with(
            &app.runtime().producer,
            &topic,
            &order_id,
            &event,
            &envelope,
        )
        .await;
    }
    // A later, distinct OrderPlaced for the same order (an ops retry) is
    // answered again but reserves nothing more.
    place_again(&app, &order_id, &event).await;
    let db = &app.runtime().db;
    let seen = eventually(Duration::from_secs(30), || async {
        scalar(
            db,
            "SELECT count(*) AS n FROM inbox WHERE consumer = 'inventory.reservations'",
        )
        .await
            == 2
    })
    .await;
    assert!(seen, "two distinct events consumed");
    let out = outcomes(&app, 2).await;
    assert_eq!(out.reserved.len(), 2, "answered twice");
    assert_eq!(stock(&app, "D-1").await["reserved"], 4, "reserved once");
    assert_reconciles(&app).await;
}

async fn place_again(
    app: &platform::testing::TestApp,
    order_id: &str,
    event: &orders::OrderPlaced,
) {
    platform::testing::publish(
        &app.runtime().producer,
        &app.topic(topics::ORDERS_ORDER_EVENTS),
        order_id,
        event,
    )
    .await;
}
