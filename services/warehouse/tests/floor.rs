//! The warehouse through its HTTP API, its database and Kafka: fulfillment
//! orders from OrderConfirmed, waves and scan-validated picking, packing,
//! quality checks and shipping, and every rejection leaving state unchanged.

mod common;

use std::time::Duration;

use common::*;
use domain::events::proto::inventory::v1 as inventory;
use domain::events::proto::warehouse::v1 as pb;
use domain::events::topics;
use platform::testing::{channel_token, decode_all, read_topic, scalar};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A fulfillment's lines and packages, to compare before and after a refusal.
async fn snapshot(app: &platform::testing::TestApp, id: &str) -> (Value, Value, String) {
    let f = get(app, &format!("/v1/fulfillments/{id}")).await;
    (
        f["lines"].clone(),
        f["packages"].clone(),
        f["status"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn confirmed_orders_become_one_fulfillment_per_location_and_duplicates_create_none() {
    let app = app().await;
    let (a, b) = (gtin(1), gtin(2));
    seed_skus(&app, &[("SKU-A", &a), ("SKU-B", &b)]).await;
    seed_channel(&app, "amazon-de").await;
    // The channel ships same day before 23:59 with its own carrier.
    let (status, level) =
        platform::testing::TestApp::get_json(&app, "/v1/service-levels/amazon-de", &ops()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(level["configured"], false, "defaults until configured");
    let res = app
        .client
        .put(app.url("/v1/service-levels/amazon-de"))
        .bearer_auth(ops())
        .json(
            &json!({"cutoff_time": "23:59:59", "ship_by_time": "23:59:59", "handling_days": 1,
                      "carrier": "dhl", "carrier_service": "paket",
                      "targets": {"release": 30, "pick": 20, "pack": 10, "ship": 60}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let allocations = [
        (1, "SKU-A", "WH1", 2),
        (2, "SKU-B", "WH1", 1),
        (2, "SKU-B", "WH2", 1),
    ];
    let (order_id, list) = confirm(&app, "amazon-de", &allocations, 2).await;
    let wh1 = list.iter().find(|f| f["location_code"] == "WH1").unwrap();
    assert_eq!(wh1["lines"].as_array().unwrap().len(), 2);
    assert_eq!(wh1["status"], "open");
    assert_eq!(wh1["carrier"], "dhl");
    let ship_by: chrono::DateTime<chrono::Utc> = wh1["ship_by"].as_str().unwrap().parse().unwrap();
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    assert_eq!(ship_by.date_naive(), tomorrow, "one handling day");

    // The same confirmation again (a release from hold, or a replay under a new
    // event id) creates nothing new.
    publish_order_event(
        &app,
        &order_id,
        &confirmed(&order_id, "amazon-de", &allocations),
    )
    .await;
    let (_, other) = confirm(&app, "amazon-de", &[(1, "SKU-A", "WH1", 1)], 1).await;
    assert_eq!(
        other.len(),
        1,
        "a later order is consumed, so the duplicate was too"
    );
    assert_eq!(fulfillments_of(&app, &order_id, 2).await.len(), 2);
    let total = scalar(&app.runtime().db, "SELECT count(*) AS n FROM fulfillments").await;
    assert_eq!(total, 3);
}

#[tokio::test]
async fn picking_needs_the_right_bin_item_and_quantity_and_refusals_change_nothing() {
    let app = app().await;
    let (a, b) = (gtin(11), gtin(12));
    seed_skus(&app, &[("SKU-A", &a), ("SKU-B", &b)]).await;
    bin(&app, "WH1", "B-02-01", "B", 20, &["SKU-B"]).await;
    bin(&app, "WH1", "A-01-01", "A", 10, &["SKU-A"]).await;
    bin(&app, "WH1", "A-01-02", "A", 11, &["SKU-A"]).await;
    let (_, list) = confirm(
        &app,
        "web-eu",
        &[(1, "SKU-A", "WH1", 2), (2, "SKU-B", "WH1", 1)],
        1,
    )
    .await;
    let id = list[0]["id"].as_str().unwrap().to_string();
    let wave = release(&app, "WH1").await;
    assert_eq!(wave["fulfillment_ids"], json!([id]));
    let zones: Vec<&str> = wave["pick_lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["zone"].as_str().unwrap())
        .collect();
    assert_eq!(zones, ["A", "B"], "one pick list per zone");
    let tasks = tasks(&wave);
    let task_a = tasks.iter().find(|t| t["sku"] == "SKU-A").unwrap().clone();
    assert_eq!(task_a["bin_code"], "A-01-01", "the first bin on the walk");
    assert_eq!(task_a["gtin"], gtin14(&a));
    let scan = |body: Value| {
        let app = &app;
        let task = task_a["id"].as_str().unwrap().to_string();
        async move {
            post(
                app,
                &format!("/v1/pick-tasks/{task}/scans"),
                &picker(),
                &body,
            )
            .await
        }
    };
    let before = snapshot(&app, &id).await;

    let (status, p) = scan(json!({"bin": "B-02-01", "item": a})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(platform::testing::fields(&p), ["bin"]);
    let (status, p) = scan(json!({"bin": "A-01-01", "item": b})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(platform::testing::fields(&p), ["item"]);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SKU-A")
    );
    let (status, p) = scan(json!({"bin": "A-01-01", "item": "SKU-A"})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an item with a GTIN is scanned by it: {p}"
    );
    let (status, p) = scan(json!({"bin": "A-01-01", "item": a, "quantity": 3})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(platform::testing::fields(&p), ["quantity"]);
    assert_eq!(
        snapshot(&app, &id).await,
        before,
        "refused scans change nothing"
    );
    assert_eq!(exceptions(&app, "wrong_bin").await, 1);
    assert_eq!(exceptions(&app, "wrong_item").await, 2);
    assert_eq!(exceptions(&app, "over_pick").await, 1);

    // The second bin stocking the SKU is fine; the GTIN-14 form too.
    let (status, t) = scan(json!({"bin": "A-01-02", "item": gtin14(&a)})).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(
        (t["picked"].as_i64(), t["status"].as_str()),
        (Some(1), Some("open"))
    );
    assert_eq!(
        get(&app, &format!("/v1/fulfillments/{id}")).await["status"],
        "picking"
    );
    let (status, t) = scan(json!({"bin": "A-01-01", "item": a})).await;
    assert_eq!(
        (status, t["status"].as_str()),
        (StatusCode::OK, Some("done"))
    );
    let (status, p) = scan(json!({"bin": "A-01-01", "item": a})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a done task takes no more: {p}"
    );
    let task_b = tasks.iter().find(|t| t["sku"] == "SKU-B").unwrap();
    pick(&app, task_b, &b).await;
    let f = get(&app, &format!("/v1/fulfillments/{id}")).await;
    assert_eq!(f["status"], "picked");
    assert_eq!(f["lines"][0]["picked"], 2);
    let wave = get(&app, &format!("/v1/waves/{}", wave["id"].as_str().unwrap())).await;
    assert_eq!(wave["status"], "completed");

    // Roles: a channel token and a picker can't release waves; support can't scan.
    let (status, _) = post(
        &app,
        "/v1/waves",
        &picker(),
        &json!({"location_code": "WH1"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &app,
        "/v1/waves",
        &channel_token("web-eu"),
        &json!({"location_code": "WH1"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let history = get(&app, &format!("/v1/fulfillments/{id}/history")).await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "created",
            "released",
            "pick_scanned",
            "pick_scanned",
            "pick_scanned",
            "picked"
        ]
    );
}

#[tokio::test]
async fn packing_quality_checks_and_shipping_refuse_what_is_not_ready() {
    let app = app().await;
    let (a, b) = (gtin(21), gtin(22));
    seed_skus(&app, &[("SKU-A", &a), ("SKU-B", &b)]).await;
    bin(&app, "WH1", "A-01-01", "A", 10, &["SKU-A", "SKU-B"]).await;
    // SKU-B is high value: its packages are checked.
    let (status, _) = post(
        &app,
        "/v1/quality-rules",
        &ops(),
        &json!({"scope": "sku", "value": "SKU-B"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (order_id, list) = confirm(
        &app,
        "web-eu",
        &[(1, "SKU-A", "WH1", 2), (2, "SKU-B", "WH1", 1)],
        1,
    )
    .await;
    let id = list[0]["id"].as_str().unwrap().to_string();
    let wave = release(&app, "WH1").await;
    // Packing waits for picking.
    let (status, _) = post(
        &app,
        &format!("/v1/fulfillments/{id}/packages"),
        &picker(),
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    for t in tasks(&wave) {
        pick(&app, &t, if t["sku"] == "SKU-A" { &a } else { &b }).await;
    }

    // Package 1: SKU-A only, then a double pack and a stranger are refused.
    let (_, p1) = post(
        &app,
        &format!("/v1/fulfillments/{id}/packages"),
        &picker(),
        &json!({}),
    )
    .await;
    let p1 = p1["id"].as_str().unwrap().to_string();
    let (status, _) = ship(&app, &p1, "TRACK-0001").await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an open package is not packed"
    );
    let (status, body) = post(
        &app,
        &format!("/v1/packages/{p1}/items"),
        &picker(),
        &json!({"item": a, "quantity": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let before = snapshot(&app, &id).await;
    let (status, p) = post(
        &app,
        &format!("/v1/packages/{p1}/items"),
        &picker(),
        &json!({"item": a}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "double pack: {p}");
    assert!(p["detail"].as_str().unwrap().contains("packed already"));
    let (status, p) = post(
        &app,
        &format!("/v1/packages/{p1}/items"),
        &picker(),
        &json!({"item": gtin(99)}),
    )
    .await;
    assert_refused(status, &p, "item");
    let (status, p) = post(
        &app,
        &format!("/v1/packages/{p1}/items"),
        &picker(),
        &json!({"item": b, "quantity": 2}),
    )
    .await;
    assert_refused(status, &p, "quantity");
    assert_eq!(
        snapshot(&app, &id).await,
        before,
        "refused pack scans change nothing"
    );
    assert_eq!(exceptions(&app, "pack_mismatch").await, 3);
    let (status, p) = post(
        &app,
        &format!("/v1/packages/{p1}/close"),
        &picker(),
        &json!({"weight_grams": 0, "length_mm": 1, "width_mm": 1, "height_mm": 1}),
    )
    .await;
    assert_refused(status, &p, "weight_grams");
    let (status, closed) = post(
        &app,
        &format!("/v1/packages/{p1}/close"),
        &picker(),
        &json!({"weight_grams": 900, "length_mm": 300, "width_mm": 200, "height_mm": 100}),
    )
    .await;
    assert_eq!(
        (status, closed["qc_status"].as_str()),
        (StatusCode::OK, Some("not_required"))
    );

    // Package 2: SKU-B needs a check; it fails, blocks shipping, ops repack.
    let p2 = pack_all(&app, &id, &[(&b, 1)]).await;
    assert_eq!(p2["qc_status"], "pending");
    assert_eq!(
        get(&app, &format!("/v1/fulfillments/{id}")).await["status"],
        "packed"
    );
    let p2 = p2["id"].as_str().unwrap().to_string();
    let (status, _) = ship(&app, &p2, "TRACK-0002").await;
    assert_eq!(status, StatusCode::CONFLICT, "waiting for its check");
    let (status, _) = post(
        &app,
        &format!("/v1/packages/{p2}/quality-check"),
        &picker(),
        &json!({"result": "failed", "note": "scratched case"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let before = snapshot(&app, &id).await;
    let (status, p) = ship(&app, &p2, "TRACK-0002").await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("failed its quality check")
    );
    assert_eq!(snapshot(&app, &id).await, before);
    let open = get(&app, "/v1/exceptions?status=open&kind=qc_failed").await;
    let exception = open["items"][0]["id"].as_str().unwrap().to_string();
    let (status, p) = post(
        &app,
        &format!("/v1/exceptions/{exception}/resolve"),
        &ops(),
        &json!({"action": "acknowledge"}),
    )
    .await;
    assert_refused(status, &p, "action");
    let (status, _) = post(
        &app,
        &format!("/v1/exceptions/{exception}/resolve"),
        &picker(),
        &json!({"action": "repack"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "ops resolve exceptions");
    let (status, resolved) = post(
        &app,
        &format!("/v1/exceptions/{exception}/resolve"),
        &ops(),
        &json!({"action": "repack"}),
    )
    .await;
    assert_eq!(
        (status, resolved["status"].as_str()),
        (StatusCode::OK, Some("resolved"))
    );
    let f = get(&app, &format!("/v1/fulfillments/{id}")).await;
    assert_eq!(
        f["status"], "picked",
        "the voided package's unit is to be packed again"
    );
    assert_eq!(f["lines"][1]["packed"], 0);

    let p3 = pack_all(&app, &id, &[(&b, 1)]).await;
    let p3 = p3["id"].as_str().unwrap().to_string();
    let (status, _) = post(
        &app,
        &format!("/v1/packages/{p3}/quality-check"),
        &picker(),
        &json!({"result": "passed"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Ship both; the second ships the fulfillment and publishes the event.
    let (status, shipped) = ship(&app, &p1, "TRACK-0001").await;
    assert_eq!(
        (status, shipped["carrier"].as_str()),
        (StatusCode::OK, Some("house"))
    );
    assert_eq!(
        get(&app, &format!("/v1/fulfillments/{id}")).await["status"],
        "packed"
    );
    let (status, p) = ship(&app, &p3, "TRACK-0001").await;
    assert_eq!(status, StatusCode::CONFLICT, "a label is used once: {p}");
    let (status, _) = ship(&app, &p3, "TRACK-0003").await;
    assert_eq!(status, StatusCode::OK);
    let f = get(&app, &format!("/v1/fulfillments/{id}")).await;
    assert_eq!(f["status"], "shipped");
    let (status, _) = ship(&app, &p3, "TRACK-0004").await;
    assert_eq!(status, StatusCode::CONFLICT, "shipped is final");

    let records = read_topic(
        &app.topic(topics::WAREHOUSE_FULFILLMENT_EVENTS),
        1,
        Duration::from_secs(30),
        Duration::from_millis(300),
    )
    .await;
    let events: Vec<pb::FulfillmentShipped> = decode_all(&records);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.order_id.as_str(), e.fulfillment_id.as_str()),
        (order_id.as_str(), id.as_str())
    );
    assert_eq!(records[0].key.as_deref(), Some(order_id.as_str()));
    let lines: Vec<(i32, &str, i64)> = e
        .lines
        .iter()
        .map(|l| (l.line_no, l.sku.as_str(), l.quantity))
        .collect();
    assert_eq!(lines, [(1, "SKU-A", 2), (2, "SKU-B", 1)]);
    let mut tracking: Vec<&str> = e
        .parcels
        .iter()
        .map(|p| p.tracking_number.as_str())
        .collect();
    tracking.sort();
    assert_eq!(
        tracking,
        ["TRACK-0001", "TRACK-0003"],
        "the voided package did not ship"
    );

    // Lead times report the shipment.
    let report = get(&app, "/v1/reports/lead-times").await;
    assert_eq!(report[0]["channel_id"], "web-eu");
    assert_eq!(report[0]["shipped"], 1);
}

#[tokio::test]
async fn a_short_pick_is_written_off_and_reallocated_work_appears_where_the_stock_is() {
    let app = app().await;
    let a = gtin(31);
    seed_skus(&app, &[("SKU-A", &a)]).await;
    bin(&app, "WH1", "A-01-01", "A", 10, &["SKU-A"]).await;
    let (order_id, list) = confirm(&app, "ebay-de", &[(1, "SKU-A", "WH1", 3)], 1).await;
    let id = list[0]["id"].as_str().unwrap().to_string();
    let wave = release(&app, "WH1").await;
    let task = tasks(&wave)[0].clone();
    let task_id = task["id"].as_str().unwrap();
    let (status, _) = post(
        &app,
        &format!("/v1/pick-tasks/{task_id}/scans"),
        &picker(),
        &json!({"bin": "A-01-01", "item": a}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = post(
        &app,
        &format!("/v1/pick-tasks/{task_id}/short"),
        &picker(),
        &json!({"bin": "A-09-09"}),
    )
    .await;
    assert_refused(status, &p, "bin");
    let (status, t) = post(
        &app,
        &format!("/v1/pick-tasks/{task_id}/short"),
        &picker(),
        &json!({"bin": "A-01-01", "note": "empty bin"}),
    )
    .await;
    assert_eq!(
        (status, t["status"].as_str(), t["short"].as_i64()),
        (StatusCode::OK, Some("short"), Some(2))
    );
    let f = get(&app, &format!("/v1/fulfillments/{id}")).await;
    assert_eq!(f["status"], "picked", "what was found is picked");
    assert_eq!(
        (
            f["lines"][0]["picked"].as_i64(),
            f["lines"][0]["short"].as_i64()
        ),
        (Some(1), Some(2))
    );
    let open = get(&app, "/v1/exceptions?status=open&kind=short_pick").await;
    assert!(
        open["items"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("empty bin")
    );

    let records = read_topic(
        &app.topic(topics::WAREHOUSE_FULFILLMENT_EVENTS),
        1,
        Duration::from_secs(30),
        Duration::from_millis(300),
    )
    .await;
    let shorts: Vec<pb::ShortPicked> = decode_all(&records);
    assert_eq!(shorts.len(), 1);
    assert_eq!(
        (
            shorts[0].missing,
            shorts[0].bin_code.as_str(),
            shorts[0].location_code.as_str()
        ),
        (2, "A-01-01", "WH1")
    );

    // Inventory's answer: the two units are reserved at the overflow location.
    bin(&app, "OVERFLOW", "O-01", "O", 1, &["SKU-A"]).await;
    let answer = inventory::StockReallocated {
        order_id: order_id.clone(),
        channel_id: "ebay-de".into(),
        fulfillment_id: id.clone(),
        from_location_code: "WH1".into(),
        lines: vec![inventory::ReservedLine {
            line_no: 1,
            sku: "SKU-A".into(),
            location_code: "OVERFLOW".into(),
            quantity: 2,
        }],
        shortfalls: vec![],
        outcome: "reallocated".into(),
        reallocated_at: Some(domain::events::timestamp(chrono::Utc::now())),
        trigger: "short_pick".into(),
    };
    reallocated(&app, &answer).await;
    let again = reallocated(&app, &answer).await;
    let list = fulfillments_of(&app, &order_id, 2).await;
    let overflow = list
        .iter()
        .find(|f| f["location_code"] == "OVERFLOW")
        .unwrap();
    assert_eq!(overflow["lines"][0]["quantity"], 2);
    assert_eq!(
        overflow["ship_by"], list[0]["ship_by"],
        "the original promise"
    );
    assert!(app.wait_inbox(again).await, "the second answer was handled");
    assert_eq!(
        fulfillments_of(&app, &order_id, 2).await.len(),
        2,
        "a redelivered answer creates nothing"
    );
}

#[tokio::test]
async fn cancelling_withdraws_released_work_and_holds_block_it() {
    let app = app().await;
    let a = gtin(41);
    seed_skus(&app, &[("SKU-A", &a)]).await;
    bin(&app, "WH1", "A-01-01", "A", 10, &["SKU-A"]).await;
    let (order_id, list) = confirm(&app, "web-eu", &[(1, "SKU-A", "WH1", 2)], 1).await;
    let id = list[0]["id"].as_str().unwrap().to_string();
    let wave = release(&app, "WH1").await;
    let task = tasks(&wave)[0]["id"].as_str().unwrap().to_string();
    let (status, _) = post(
        &app,
        &format!("/v1/pick-tasks/{task}/scans"),
        &picker(),
        &json!({"bin": "A-01-01", "item": a}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    cancel(&app, &order_id, "web-eu").await;
    let f = platform::testing::eventually_some(Duration::from_secs(30), || async {
        let f = get(&app, &format!("/v1/fulfillments/{id}")).await;
        (f["status"] == "cancelled").then_some(f)
    })
    .await
    .expect("cancelled");
    assert_eq!(f["lines"][0]["picked"], 1);
    let list = get(
        &app,
        &format!(
            "/v1/pick-lists/{}",
            wave["pick_lists"][0]["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(list["tasks"][0]["status"], "withdrawn");
    let (status, p) = post(
        &app,
        &format!("/v1/pick-tasks/{task}/scans"),
        &picker(),
        &json!({"bin": "A-01-01", "item": a}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(p["detail"].as_str().unwrap().contains("withdrawn"));
    let open = get(&app, "/v1/exceptions?status=open&kind=cancelled_after_pick").await;
    assert!(
        open["items"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("1 unit(s)")
    );

    // A held order is not released into a wave, and shipping it is refused.
    let (held, list) = confirm(&app, "web-eu", &[(1, "SKU-A", "WH1", 1)], 1).await;
    let held_id = list[0]["id"].as_str().unwrap().to_string();
    let hold = domain::events::proto::orders::v1::OrderOnHold {
        order_id: held.clone(),
        channel_id: "web-eu".into(),
        reason: "payment_failed".into(),
        detail: "card declined".into(),
        held_at: None,
    };
    publish_order_event(&app, &held, &hold).await;
    let on_hold = platform::testing::eventually(Duration::from_secs(30), || async {
        get(&app, &format!("/v1/fulfillments/{held_id}")).await["on_hold"] == true
    })
    .await;
    assert!(on_hold);
    let (status, _) = post(&app, "/v1/waves", &ops(), &json!({"location_code": "WH1"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing releasable");
    let (status, _) = post(
        &app,
        &format!("/v1/fulfillments/{held_id}/pick"),
        &ops(),
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Released from hold: orders confirms again, and the work can go.
    publish_order_event(
        &app,
        &held,
        &confirmed(&held, "web-eu", &[(1, "SKU-A", "WH1", 1)]),
    )
    .await;
    let lifted = platform::testing::eventually(Duration::from_secs(30), || async {
        get(&app, &format!("/v1/fulfillments/{held_id}")).await["on_hold"] == false
    })
    .await;
    assert!(lifted);
    let (status, single) = post(
        &app,
        &format!("/v1/fulfillments/{held_id}/pick"),
        &ops(),
        &json!({}),
    )
    .await;
    assert_eq!(
        (status, single["kind"].as_str()),
        (StatusCode::CREATED, Some("single"))
    );
}

#[tokio::test]
async fn late_work_is_at_risk() {
    let app = app().await;
    let a = gtin(51);
    seed_skus(&app, &[("SKU-A", &a)]).await;
    let (_, list) = confirm(&app, "web-eu", &[(1, "SKU-A", "WH1", 1)], 1).await;
    let id = list[0]["id"].as_str().unwrap().to_string();
    // Due in 10 minutes: the default targets need 3 hours from open.
    execute_sql(
        &app,
        &format!(
            "UPDATE fulfillments SET ship_by = now() + interval '10 minutes' WHERE id = '{id}'"
        ),
    )
    .await;
    let risky = get(&app, "/v1/fulfillments/at-risk?location_code=WH1").await;
    let item = risky
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["fulfillment_id"] == id.as_str())
        .expect("listed");
    assert!(item["minutes_late"].as_i64().unwrap() >= 160, "{item}");
    // Due in two days: fine.
    execute_sql(
        &app,
        &format!("UPDATE fulfillments SET ship_by = now() + interval '2 days' WHERE id = '{id}'"),
    )
    .await;
    let risky = get(&app, "/v1/fulfillments/at-risk").await;
    assert!(risky.as_array().unwrap().is_empty(), "{risky}");
}

async fn execute_sql(app: &platform::testing::TestApp, sql: &str) {
    use diesel_async::RunQueryDsl;
    let mut conn = app.runtime().db.get().await.unwrap();
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
}

#[tokio::test]
async fn bad_setup_input_is_refused_by_field() {
    let app = app().await;
    seed_skus(&app, &[("SKU-A", &gtin(61))]).await;
    let put = |path: &str, body: Value| {
        app.client
            .put(app.url(path))
            .bearer_auth(ops())
            .json(&body)
            .send()
    };
    let res = put("/v1/locations/WH1/bins/A-01", json!({"zone": "", "aisle": "1", "shelf": "1", "level": "1", "walk_sequence": 1, "skus": ["SKU-A"]})).await.unwrap();
    let p = platform::testing::problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(platform::testing::fields(&p), ["zone"]);
    let res = put("/v1/locations/WH1/bins/A-01", json!({"zone": "A", "aisle": "1", "shelf": "1", "level": "1", "walk_sequence": 1, "skus": ["SKU-A", "NOPE"]})).await.unwrap();
    let p = platform::testing::problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(platform::testing::fields(&p), ["skus[1]"]);
    let res = put("/v1/service-levels/nowhere", json!({"cutoff_time": "14:00:00", "ship_by_time": "18:00:00", "carrier": "dhl", "carrier_service": "x", "targets": {"release": 1, "pick": 1, "pack": 1, "ship": 1}})).await.unwrap();
    let p = platform::testing::problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(platform::testing::fields(&p), ["channel_id"]);
    let bins = scalar(&app.runtime().db, "SELECT count(*) AS n FROM bins").await;
    assert_eq!(bins, 0, "nothing written");
    let res = app
        .client
        .get(app.url("/v1/fulfillments"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn openapi_document_is_committed() {
    platform::testing::assert_committed_openapi(&warehouse::service());
}
