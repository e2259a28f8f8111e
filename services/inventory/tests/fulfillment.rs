//! The warehouse's reports through Kafka: FulfillmentShipped consumes the
//! reservation and on hand (once per fulfillment); ShortPicked writes the
//! missing units off and re-allocates them elsewhere, waits for stock under
//! the backorder policy, or cuts them.

mod common;

use std::time::Duration;

use common::*;
use domain::events::Envelope;
use domain::events::proto::warehouse::v1 as wh;
use inventory::events::background::BACKORDER_FILLER;
use platform::testing::{TestApp, eventually, scalar};

async fn two_locations() -> TestApp {
    let app = app().await;
    location(&app, "WH-PRIMARY", "warehouse", 10).await;
    location(&app, "WH-OVERFLOW", "overflow", 20).await;
    app
}

fn shipped(
    order_id: &str,
    fulfillment: &str,
    at: &str,
    lines: &[(i32, &str, i64)],
) -> wh::FulfillmentShipped {
    let lines: Vec<wh::FulfilledLine> = lines
        .iter()
        .map(|(line_no, sku, quantity)| wh::FulfilledLine {
            line_no: *line_no,
            sku: sku.to_string(),
            quantity: *quantity,
        })
        .collect();
    wh::FulfillmentShipped {
        fulfillment_id: fulfillment.into(),
        order_id: order_id.into(),
        channel_id: "web-eu".into(),
        external_order_id: format!("EXT-{order_id}"),
        location_code: at.into(),
        parcels: vec![wh::Parcel {
            package_id: format!("PKG-{fulfillment}"),
            carrier: "DHL".into(),
            service: "Paket".into(),
            tracking_number: format!("TRK-{fulfillment}"),
            lines: lines.clone(),
            weight_grams: 800,
        }],
        lines,
        shipped_by: "user:packer-3".into(),
        shipped_at: Some(domain::events::timestamp(chrono::Utc::now())),
    }
}

fn short(order_id: &str, fulfillment: &str, at: &str, sku: &str, missing: i64) -> wh::ShortPicked {
    wh::ShortPicked {
        fulfillment_id: fulfillment.into(),
        order_id: order_id.into(),
        channel_id: "web-eu".into(),
        location_code: at.into(),
        line_no: 1,
        sku: sku.into(),
        missing,
        bin_code: "A-01-03".into(),
        reported_by: "user:picker-7".into(),
        reported_at: Some(domain::events::timestamp(chrono::Utc::now())),
    }
}

async fn consumed(app: &TestApp, n: i64) {
    let done = eventually(Duration::from_secs(30), || async {
        fulfillment_events_consumed(app).await == n
    })
    .await;
    assert!(done, "{n} fulfillment events consumed");
}

#[tokio::test]
async fn a_shipment_consumes_exactly_its_units_once() {
    let app = two_locations().await;
    seed_skus(&app, &["SHIP-1"]).await;
    adjust(&app, "SHIP-1", "WH-PRIMARY", 5).await;
    let web = Channel::new("web-eu", "reject");
    let order = place(&app, &web, &[("SHIP-1", 3)]).await;
    outcomes(&app, 1).await;
    assert_eq!(
        levels_at(&stock(&app, "SHIP-1").await, "WH-PRIMARY"),
        (5, 3)
    );

    // Two of three units leave; the record is delivered twice (same event id),
    // and the warehouse sends the same fulfillment again under a new event id.
    let event = shipped(&order, "F-100", "WH-PRIMARY", &[(1, "SHIP-1", 2)]);
    let envelope = Envelope::new::<wh::FulfillmentShipped>("warehouse");
    publish_warehouse(&app, &order, &event, &envelope).await;
    publish_warehouse(&app, &order, &event, &envelope).await;
    publish_warehouse(
        &app,
        &order,
        &event,
        &Envelope::new::<wh::FulfillmentShipped>("warehouse"),
    )
    .await;
    consumed(&app, 2).await;

    assert_eq!(
        levels_at(&stock(&app, "SHIP-1").await, "WH-PRIMARY"),
        (3, 1),
        "on hand and reserved drop by exactly the shipped units"
    );
    let ships: Vec<_> = movements(&app, "SHIP-1")
        .await
        .into_iter()
        .filter(|m| m["kind"] == "ship")
        .collect();
    assert_eq!(ships.len(), 1, "one ship movement: {ships:?}");
    let m = &ships[0];
    assert_eq!(m["reference"], format!("order:{order}"));
    assert_eq!(
        (m["on_hand_before"].as_i64(), m["on_hand_after"].as_i64()),
        (Some(5), Some(3))
    );
    assert_eq!(
        (m["reserved_before"].as_i64(), m["reserved_after"].as_i64()),
        (Some(3), Some(1))
    );
    assert!(m["note"].as_str().unwrap().contains("F-100"), "{m}");
    assert!(m["note"].as_str().unwrap().contains("user:packer-3"), "{m}");

    let view = reservation(&app, &order).await;
    assert_eq!(view["status"], "reserved");
    assert_eq!(view_lines(&view, "lines"), [(1, "WH-PRIMARY".into(), 1)]);
    assert_eq!(view_lines(&view, "shipped"), [(1, "WH-PRIMARY".into(), 2)]);

    // Stock consumers see the on-hand change, once.
    let adjusted = stock_events(&app, 2).await;
    let ship_events: Vec<_> = adjusted.iter().filter(|a| a.reason == "ship").collect();
    assert_eq!(ship_events.len(), 1);
    assert_eq!(
        (ship_events[0].delta, ship_events[0].on_hand_after),
        (-2, 3)
    );

    // The last unit ships: nothing is reserved any more.
    publish_warehouse(
        &app,
        &order,
        &shipped(&order, "F-101", "WH-PRIMARY", &[(1, "SHIP-1", 1)]),
        &Envelope::new::<wh::FulfillmentShipped>("warehouse"),
    )
    .await;
    consumed(&app, 3).await;
    assert_eq!(
        levels_at(&stock(&app, "SHIP-1").await, "WH-PRIMARY"),
        (2, 0)
    );
    let view = reservation(&app, &order).await;
    assert!(view_lines(&view, "lines").is_empty());
    assert_eq!(view_lines(&view, "shipped"), [(1, "WH-PRIMARY".into(), 3)]);
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn goods_shipped_after_a_cancellation_come_off_on_hand_but_never_below_reserved() {
    let app = two_locations().await;
    seed_skus(&app, &["SHIP-2"]).await;
    adjust(&app, "SHIP-2", "WH-PRIMARY", 3).await;
    let web = Channel::new("web-eu", "reject");
    let cancelled = place(&app, &web, &[("SHIP-2", 2)]).await;
    outcomes(&app, 1).await;
    cancel(&app, &cancelled, "web-eu").await;
    outcomes(&app, 2).await;
    // Another order takes two of the three units meanwhile.
    place(&app, &web, &[("SHIP-2", 2)]).await;
    let out = outcomes(&app, 3).await;
    assert_eq!(out.reserved.len(), 2);
    assert_eq!(
        levels_at(&stock(&app, "SHIP-2").await, "WH-PRIMARY"),
        (3, 2)
    );

    // The cancelled order's two units left anyway: only the one available
    // unit can come off, the other order's reservation stands.
    publish_warehouse(
        &app,
        &cancelled,
        &shipped(&cancelled, "F-200", "WH-PRIMARY", &[(1, "SHIP-2", 2)]),
        &Envelope::new::<wh::FulfillmentShipped>("warehouse"),
    )
    .await;
    consumed(&app, 1).await;
    assert_eq!(
        levels_at(&stock(&app, "SHIP-2").await, "WH-PRIMARY"),
        (2, 2)
    );
    let ship = movements(&app, "SHIP-2")
        .await
        .into_iter()
        .find(|m| m["kind"] == "ship")
        .expect("ship movement");
    assert_eq!(
        (
            ship["reserved_before"].as_i64(),
            ship["reserved_after"].as_i64()
        ),
        (Some(2), Some(2))
    );
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_short_pick_is_written_off_and_reallocated_to_another_location() {
    let app = two_locations().await;
    seed_skus(&app, &["SP-1"]).await;
    adjust(&app, "SP-1", "WH-PRIMARY", 5).await;
    adjust(&app, "SP-1", "WH-OVERFLOW", 4).await;
    let web = Channel::new("web-eu", "reject");
    let order = place(&app, &web, &[("SP-1", 3)]).await;
    let out = outcomes(&app, 1).await;
    assert_eq!(out.reserved[0].lines[0].location_code, "WH-PRIMARY");

    let event = short(&order, "F-300", "WH-PRIMARY", "SP-1", 2);
    let envelope = Envelope::new::<wh::ShortPicked>("warehouse");
    publish_warehouse(&app, &order, &event, &envelope).await;
    publish_warehouse(&app, &order, &event, &envelope).await;
    consumed(&app, 1).await;

    let out = outcomes(&app, 2).await;
    assert_eq!(out.reallocated.len(), 1, "answered once");
    let r = &out.reallocated[0];
    assert_eq!(r.order_id, order);
    assert_eq!(r.channel_id, "web-eu");
    assert_eq!(r.fulfillment_id, "F-300");
    assert_eq!(r.from_location_code, "WH-PRIMARY");
    assert_eq!(r.outcome, "reallocated");
    assert_eq!(r.trigger, "short_pick");
    assert!(r.shortfalls.is_empty());
    let lines: Vec<(i32, &str, &str, i64)> = r
        .lines
        .iter()
        .map(|l| {
            (
                l.line_no,
                l.sku.as_str(),
                l.location_code.as_str(),
                l.quantity,
            )
        })
        .collect();
    assert_eq!(lines, [(1, "SP-1", "WH-OVERFLOW", 2)]);

    let levels = stock(&app, "SP-1").await;
    assert_eq!(levels_at(&levels, "WH-PRIMARY"), (3, 1), "two written off");
    assert_eq!(
        levels_at(&levels, "WH-OVERFLOW"),
        (4, 2),
        "two reserved there"
    );
    let view = reservation(&app, &order).await;
    assert_eq!(
        view_lines(&view, "lines"),
        [(1, "WH-PRIMARY".into(), 1), (1, "WH-OVERFLOW".into(), 2)]
    );

    let write_off = movements(&app, "SP-1")
        .await
        .into_iter()
        .find(|m| m["kind"] == "short_pick")
        .expect("short_pick movement");
    assert_eq!(write_off["location"], "WH-PRIMARY");
    let note = write_off["note"].as_str().unwrap();
    assert!(
        note.contains("A-01-03") && note.contains("user:picker-7"),
        "{note}"
    );
    let adjusted = stock_events(&app, 3).await;
    let short_picks: Vec<_> = adjusted
        .iter()
        .filter(|a| a.reason == "short_pick")
        .collect();
    assert_eq!(short_picks.len(), 1);
    assert_eq!(
        (
            short_picks[0].location_code.as_str(),
            short_picks[0].delta,
            short_picks[0].on_hand_after
        ),
        ("WH-PRIMARY", -2, 3)
    );

    // A second report for more than is left reserved there is clamped.
    publish_warehouse(
        &app,
        &order,
        &short(&order, "F-300", "WH-PRIMARY", "SP-1", 5),
        &Envelope::new::<wh::ShortPicked>("warehouse"),
    )
    .await;
    consumed(&app, 2).await;
    let levels = stock(&app, "SP-1").await;
    assert_eq!(
        levels_at(&levels, "WH-PRIMARY"),
        (2, 0),
        "only the one reserved unit"
    );
    assert_eq!(levels_at(&levels, "WH-OVERFLOW"), (4, 3));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn under_backorder_missing_units_wait_and_fill_when_stock_arrives_elsewhere() {
    let app = two_locations().await;
    seed_skus(&app, &["SP-2"]).await;
    adjust(&app, "SP-2", "WH-PRIMARY", 5).await;
    let web = Channel::new("web-eu", "backorder");
    let order = place(&app, &web, &[("SP-2", 3)]).await;
    outcomes(&app, 1).await;

    publish_warehouse(
        &app,
        &order,
        &short(&order, "F-400", "WH-PRIMARY", "SP-2", 2),
        &Envelope::new::<wh::ShortPicked>("warehouse"),
    )
    .await;
    let out = outcomes(&app, 2).await;
    let r = &out.reallocated[0];
    assert_eq!(r.outcome, "backordered");
    assert!(r.lines.is_empty());
    assert_eq!(
        (
            r.shortfalls[0].line_no,
            r.shortfalls[0].requested,
            r.shortfalls[0].missing
        ),
        (1, 2, 2)
    );
    let view = reservation(&app, &order).await;
    assert_eq!(view["awaiting_stock"][0]["quantity"], 2);
    assert_eq!(view["awaiting_stock"][0]["short_at"], "WH-PRIMARY");

    // The short location still shows two available units, but they are
    // suspect: the filler (every second) must not take them.
    assert_eq!(levels_at(&stock(&app, "SP-2").await, "WH-PRIMARY"), (3, 1));
    assert!(app.wait_background_steps(BACKORDER_FILLER, 2).await);
    assert_eq!(
        reservation(&app, &order).await["awaiting_stock"][0]["quantity"],
        2,
        "still waiting"
    );

    // Stock arrives at the overflow: the waiting units are reserved there.
    adjust(&app, "SP-2", "WH-OVERFLOW", 2).await;
    let out = outcomes(&app, 3).await;
    assert_eq!(out.reallocated.len(), 2);
    let fill = out
        .reallocated
        .iter()
        .find(|r| r.outcome == "reallocated")
        .expect("filled");
    assert_eq!(fill.trigger, "backorder_fill");
    assert_eq!(
        (
            fill.fulfillment_id.as_str(),
            fill.from_location_code.as_str()
        ),
        ("F-400", "WH-PRIMARY")
    );
    let lines: Vec<(i32, &str, i64)> = fill
        .lines
        .iter()
        .map(|l| (l.line_no, l.location_code.as_str(), l.quantity))
        .collect();
    assert_eq!(lines, [(1, "WH-OVERFLOW", 2)]);
    assert!(fill.shortfalls.is_empty());
    let view = reservation(&app, &order).await;
    assert!(view["awaiting_stock"].as_array().unwrap().is_empty());
    assert_eq!(
        view_lines(&view, "lines"),
        [(1, "WH-PRIMARY".into(), 1), (1, "WH-OVERFLOW".into(), 2)]
    );
    assert_eq!(levels_at(&stock(&app, "SP-2").await, "WH-OVERFLOW"), (2, 2));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn under_partial_missing_units_are_cut() {
    let app = two_locations().await;
    seed_skus(&app, &["SP-3"]).await;
    adjust(&app, "SP-3", "WH-PRIMARY", 3).await;
    adjust(&app, "SP-3", "WH-OVERFLOW", 1).await;
    let social = Channel::new("social-tt", "partial");
    let order = place(&app, &social, &[("SP-3", 3)]).await;
    outcomes(&app, 1).await;

    publish_warehouse(
        &app,
        &order,
        &short(&order, "F-500", "WH-PRIMARY", "SP-3", 2),
        &Envelope::new::<wh::ShortPicked>("warehouse"),
    )
    .await;
    let out = outcomes(&app, 2).await;
    let r = &out.reallocated[0];
    assert_eq!(r.outcome, "cut");
    let lines: Vec<(&str, i64)> = r
        .lines
        .iter()
        .map(|l| (l.location_code.as_str(), l.quantity))
        .collect();
    assert_eq!(lines, [("WH-OVERFLOW", 1)], "what exists is taken");
    assert_eq!((r.shortfalls[0].requested, r.shortfalls[0].missing), (2, 1));
    let view = reservation(&app, &order).await;
    assert_eq!(view["shortfalls"][0]["missing"], 1);
    assert!(view["awaiting_stock"].as_array().unwrap().is_empty());
    let waiting = scalar(
        &app.runtime().db,
        "SELECT count(*) AS n FROM reallocation_backorders",
    )
    .await;
    assert_eq!(waiting, 0, "nothing waits under partial");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_cancelled_order_stops_waiting_for_short_picked_units() {
    let app = two_locations().await;
    seed_skus(&app, &["SP-4"]).await;
    adjust(&app, "SP-4", "WH-PRIMARY", 2).await;
    let web = Channel::new("web-eu", "backorder");
    let order = place(&app, &web, &[("SP-4", 2)]).await;
    outcomes(&app, 1).await;
    publish_warehouse(
        &app,
        &order,
        &short(&order, "F-600", "WH-PRIMARY", "SP-4", 1),
        &Envelope::new::<wh::ShortPicked>("warehouse"),
    )
    .await;
    assert_eq!(
        outcomes(&app, 2).await.reallocated[0].outcome,
        "backordered"
    );
    cancel(&app, &order, "web-eu").await;
    let out = outcomes(&app, 3).await;
    assert_eq!(
        out.released[0].lines[0].quantity, 1,
        "the unit still reserved"
    );
    assert_eq!(
        scalar(
            &app.runtime().db,
            "SELECT count(*) AS n FROM reallocation_backorders"
        )
        .await,
        0
    );
    // Stock arriving later reserves nothing for it.
    adjust(&app, "SP-4", "WH-OVERFLOW", 3).await;
    assert!(app.wait_background_steps(BACKORDER_FILLER, 2).await);
    let out = outcomes(&app, 3).await;
    assert_eq!(out.reallocated.len(), 1);
    assert_eq!(stock(&app, "SP-4").await["reserved"], 0);
    assert_reconciles(&app).await;
}
