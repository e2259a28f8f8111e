//! Shipping, driven by the warehouse's FulfillmentShipped and inventory's
//! StockReallocated over Kafka: partially shipped and shipped, once per
//! fulfillment; tracking numbers in the feed and in signed webhooks; no cancel
//! after shipment; allocations moved by a short pick, waits and cuts.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use common::*;
use domain::events::proto::orders::v1 as pb;
use orders::domain::webhook;
use platform::testing::fixtures::serve_http;
use platform::testing::{channel_token, decode_all, eventually, fixtures, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "whsec-shipping-0123456789";

/// A webhook receiver on 127.0.0.1 that accepts everything: (signature, body).
type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

async fn receiver() -> (String, Seen, actix_web::dev::ServerHandle) {
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    let (base, handle) = serve_http(move |cfg: &mut web::ServiceConfig| {
        let seen = seen2.clone();
        cfg.route(
            "/hooks",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let seen = seen.clone();
                async move {
                    let signature = req
                        .headers()
                        .get(webhook::SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    seen.lock().unwrap().push((signature, body.to_vec()));
                    HttpResponse::NoContent().finish()
                }
            }),
        );
    });
    (format!("{base}/hooks"), seen, handle)
}

fn id(order: &Value) -> String {
    order["id"].as_str().unwrap().to_string()
}

fn shipped_quantities(order: &Value) -> Vec<i64> {
    order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["shipped_quantity"].as_i64().unwrap())
        .collect()
}

fn steps(history: &[Value]) -> Vec<(String, String)> {
    history
        .iter()
        .map(|h| {
            (
                h["from"].as_str().unwrap_or_default().to_string(),
                h["to"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn cancel_is_refused(app: &platform::testing::TestApp, order: &Value) {
    let res = post(
        app,
        &format!("/v1/orders/{}/cancel", id(order)),
        &channel_token(order["channel_id"].as_str().unwrap()),
        &json!({"reason": "customer changed their mind"}),
    )
    .await;
    let body = problem(res, StatusCode::CONFLICT).await;
    assert!(
        body["detail"].as_str().unwrap().contains("has shipped"),
        "{body}"
    );
}

#[tokio::test]
async fn two_shipments_move_the_order_and_reach_the_channel_with_tracking_numbers() {
    let app = app().await;
    let (url, seen, server) = receiver().await;
    let mut body = channel_body("marketplace", "reject");
    body["webhook_url"] = json!(url);
    body["webhook_secret"] = json!(SECRET);
    channel(&app, "amazon-de", body).await;
    list_sku(&app, "TEE-RED-M", &["amazon-de"]).await;
    list_sku(&app, "MUG-1", &["amazon-de"]).await;
    let order = place(
        &app,
        "amazon-de",
        &order_body("AMZ-S1", &[("TEE-RED-M", 2), ("MUG-1", 1)]),
    )
    .await;
    reserve_lines(&app, &order, &[(1, "WH-PRIMARY"), (2, "WH-OVERFLOW")]).await;
    wait_status(&app, &id(&order), "confirmed").await;

    // The primary ships line 1 in one parcel.
    let first = fulfillment_shipped(
        &order,
        "F-1",
        "WH-PRIMARY",
        "00340434161094042557",
        &[(1, "TEE-RED-M", 2)],
    );
    publish_warehouse(&app, &order, &first).await;
    let partial = wait_status(&app, &id(&order), "partially_shipped").await;
    assert_eq!(shipped_quantities(&partial), [2, 0]);
    assert_eq!(partial["shipments"].as_array().unwrap().len(), 1);
    assert_eq!(partial["shipments"][0]["fulfillment_id"], "F-1");
    assert_eq!(partial["shipments"][0]["location_code"], "WH-PRIMARY");
    assert_eq!(
        partial["shipments"][0]["parcels"][0]["tracking_number"],
        "00340434161094042557"
    );
    assert_eq!(
        partial["shipments"][0]["parcels"][0]["lines"],
        json!([{"line_no": 1, "sku": "TEE-RED-M", "quantity": 2}])
    );
    cancel_is_refused(&app, &order).await;

    // The same fulfillment again (a new event id: the warehouse sent it twice),
    // then the overflow ships line 2. One key: they are applied in this order.
    publish_warehouse(&app, &order, &first).await;
    let second = fulfillment_shipped(
        &order,
        "F-2",
        "WH-OVERFLOW",
        "JJD000390007827419",
        &[(2, "MUG-1", 1)],
    );
    publish_warehouse(&app, &order, &second).await;
    let shipped = wait_status(&app, &id(&order), "shipped").await;
    assert_eq!(shipped_quantities(&shipped), [2, 1], "F-1 counted once");
    assert_eq!(shipped["shipments"].as_array().unwrap().len(), 2);
    assert_eq!(count(&app, "order_shipments").await, 2);

    let history = history(&app, &id(&order)).await;
    let tail: Vec<(String, String)> = steps(&history).into_iter().skip(3).collect();
    assert_eq!(
        tail,
        [
            ("confirmed".into(), "partially_shipped".into()),
            ("partially_shipped".into(), "shipped".into())
        ],
        "{history:?}"
    );
    let last = &history[4];
    assert_eq!(last["actor"], "system:orders.fulfillment");
    let reason = last["reason"].as_str().unwrap();
    assert!(
        reason.contains("WH-OVERFLOW") && reason.contains("JJD000390007827419"),
        "{reason}"
    );

    // The feed: the two shipping updates carry their shipments; the duplicate
    // added nothing.
    let items = feed(&app, "amazon-de", 5).await;
    let statuses: Vec<&str> = items
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "received",
            "reserved",
            "confirmed",
            "partially_shipped",
            "shipped"
        ]
    );
    assert!(items[..3].iter().all(|i| i.get("shipment").is_none()));
    assert_eq!(
        items[3]["shipment"]["parcels"][0]["tracking_number"],
        "00340434161094042557"
    );
    assert_eq!(items[4]["shipment"]["fulfillment_id"], "F-2");
    assert_eq!(items[4]["shipment"]["parcels"][0]["carrier"], "DHL");
    assert_eq!(
        items[4]["shipment"]["parcels"][0]["tracking_number"],
        "JJD000390007827419"
    );

    // The webhooks carry the same, signed.
    let delivered = eventually(Duration::from_secs(20), || async {
        seen.lock().unwrap().len() >= 5
    })
    .await;
    assert!(delivered, "five updates delivered");
    let mut tracking = Vec::new();
    for (signature, body) in seen.lock().unwrap().iter() {
        assert!(webhook::verify(SECRET, signature, body), "signed");
        let payload: Value = serde_json::from_slice(body).unwrap();
        if let Some(number) =
            payload["update"]["shipment"]["parcels"][0]["tracking_number"].as_str()
        {
            tracking.push((
                payload["update"]["status"].as_str().unwrap().to_string(),
                number.to_string(),
            ));
        }
    }
    tracking.sort();
    assert_eq!(
        tracking,
        [
            ("partially_shipped".into(), "00340434161094042557".into()),
            ("shipped".into(), "JJD000390007827419".into())
        ]
    );

    // Shipped is final for cancellation: 409, nothing changes, nothing published.
    cancel_is_refused(&app, &order).await;
    let (_, now) = get(&app, &format!("/v1/orders/{}", id(&order)), &ops()).await;
    assert_eq!(now["status"], "shipped");
    let records = order_events(&app, 2).await;
    assert_eq!(
        types_for(&records, &id(&order)),
        ["OrderPlaced", "OrderConfirmed"]
    );
    assert!(decode_all::<pb::OrderCancelled>(&records).is_empty());
    server.stop(false).await;
}

#[tokio::test]
async fn goods_that_leave_for_a_cancelled_order_are_recorded_without_reviving_it() {
    let app = app().await;
    channel(&app, "web-eu", channel_body("web", "reject")).await;
    list_sku(&app, "TEE-RED-M", &["web-eu"]).await;
    let order = place(&app, "web-eu", &order_body("WEB-S2", &[("TEE-RED-M", 1)])).await;
    reserve(&app, &order, "WH-PRIMARY").await;
    wait_status(&app, &id(&order), "confirmed").await;
    let res = post(
        &app,
        &format!("/v1/orders/{}/cancel", id(&order)),
        &channel_token("web-eu"),
        &json!({"reason": "customer changed their mind"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);

    publish_warehouse(
        &app,
        &order,
        &fulfillment_shipped(
            &order,
            "F-3",
            "WH-PRIMARY",
            "TRK-LATE",
            &[(1, "TEE-RED-M", 1)],
        ),
    )
    .await;
    let recorded = wait_order(&app, &id(&order), "shipment recorded", |o| {
        o["shipments"].as_array().is_some_and(|s| s.len() == 1)
    })
    .await;
    assert_eq!(recorded["status"], "cancelled");
    assert_eq!(shipped_quantities(&recorded), [1]);
    let history = history(&app, &id(&order)).await;
    let last = history.last().unwrap();
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str()),
        (Some("cancelled"), Some("cancelled"))
    );
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .starts_with("shipped while cancelled"),
        "{last}"
    );
    let items = feed(&app, "web-eu", 5).await;
    let last = items.last().unwrap();
    assert_eq!(last["status"], "cancelled");
    assert_eq!(
        last["shipment"]["parcels"][0]["tracking_number"],
        "TRK-LATE"
    );
}

#[tokio::test]
async fn reallocations_move_allocations_once_and_a_cut_can_complete_the_order() {
    let app = app().await;
    channel(&app, "web-eu", channel_body("web", "backorder")).await;
    list_sku(&app, "TEE-RED-M", &["web-eu"]).await;
    list_sku(&app, "MUG-1", &["web-eu"]).await;
    let order = place(
        &app,
        "web-eu",
        &order_body("WEB-S3", &[("TEE-RED-M", 3), ("MUG-1", 3)]),
    )
    .await;
    reserve(&app, &order, "WH-PRIMARY").await;
    wait_status(&app, &id(&order), "confirmed").await;

    // Line 1: two units short at the primary, re-allocated to the overflow.
    reallocated(
        &app,
        &order,
        "F-9",
        "WH-PRIMARY",
        &[(1, "WH-OVERFLOW", 2)],
        &[],
        "reallocated",
    )
    .await;
    // Line 2: two units short, nothing elsewhere: they wait...
    reallocated(
        &app,
        &order,
        "F-9",
        "WH-PRIMARY",
        &[],
        &[(2, 2, 2)],
        "backordered",
    )
    .await;
    // ...and are reserved at the overflow when stock arrives (same fulfillment).
    reallocated(
        &app,
        &order,
        "F-9",
        "WH-PRIMARY",
        &[(2, "WH-OVERFLOW", 2)],
        &[],
        "reallocated",
    )
    .await;
    let want: Vec<(i64, String, i64)> = vec![
        (1, "WH-OVERFLOW".into(), 2),
        (1, "WH-PRIMARY".into(), 1),
        (2, "WH-OVERFLOW".into(), 2),
        (2, "WH-PRIMARY".into(), 1),
    ];
    let moved = wait_order(&app, &id(&order), "allocations moved", |o| {
        allocations(o) == want
    })
    .await;
    assert_eq!(
        moved["status"], "confirmed",
        "a move doesn't change the status"
    );
    let history = history(&app, &id(&order)).await;
    let notes: Vec<&Value> = history
        .iter()
        .filter(|h| h["from"] == "confirmed" && h["to"] == "confirmed")
        .collect();
    assert_eq!(notes.len(), 3, "{history:?}");
    assert!(
        notes[1]["reason"]
            .as_str()
            .unwrap()
            .contains("2 unit(s) wait for stock")
    );
    assert!(
        notes[2]["reason"]
            .as_str()
            .unwrap()
            .contains("stock arrived")
    );

    // The primary ships one of each, the overflow the two of line 1.
    publish_warehouse(
        &app,
        &order,
        &fulfillment_shipped(
            &order,
            "F-9",
            "WH-PRIMARY",
            "TRK-A",
            &[(1, "TEE-RED-M", 1), (2, "MUG-1", 1)],
        ),
    )
    .await;
    publish_warehouse(
        &app,
        &order,
        &fulfillment_shipped(
            &order,
            "F-10",
            "WH-OVERFLOW",
            "TRK-B",
            &[(1, "TEE-RED-M", 2)],
        ),
    )
    .await;
    wait_order(&app, &id(&order), "two shipments", |o| {
        o["shipments"].as_array().is_some_and(|s| s.len() == 2)
    })
    .await;
    let partial = wait_status(&app, &id(&order), "partially_shipped").await;
    assert_eq!(shipped_quantities(&partial), [3, 1]);

    // Line 2's two units turn out short at the overflow too and are cut:
    // nothing more will ship, so the order has shipped.
    reallocated(
        &app,
        &order,
        "F-11",
        "WH-OVERFLOW",
        &[],
        &[(2, 2, 2)],
        "cut",
    )
    .await;
    let shipped = wait_status(&app, &id(&order), "shipped").await;
    assert_eq!(shipped["lines"][1]["short_quantity"], 2);
    assert!(
        !allocations(&shipped).contains(&(2, "WH-OVERFLOW".into(), 2)),
        "the cut units left the overflow's allocation"
    );
    let items = feed(&app, "web-eu", 7).await;
    let cut = items
        .iter()
        .find(|i| i["detail"].as_str().is_some_and(|d| d.contains("cut")))
        .expect("the channel hears of the cut");
    assert_eq!(cut["status"], "partially_shipped");
    assert_eq!(items.last().unwrap()["status"], "shipped");
    cancel_is_refused(&app, &order).await;
}

#[tokio::test]
async fn a_refunded_return_marks_its_lines_once_and_reaches_the_channel_signed() {
    use domain::events::proto::billing::v1 as billing;
    use domain::events::proto::common::v1::Money;
    use domain::events::topics;
    let app = app().await;
    let (url, seen, server) = receiver().await;
    let mut body = channel_body("marketplace", "reject");
    body["webhook_url"] = json!(url);
    body["webhook_secret"] = json!(SECRET);
    channel(&app, "amazon-de", body).await;
    list_sku(&app, "TEE-RED-M", &["amazon-de"]).await;
    list_sku(&app, "MUG-1", &["amazon-de"]).await;
    let order = place(
        &app,
        "amazon-de",
        &order_body("AMZ-R1", &[("TEE-RED-M", 2), ("MUG-1", 1)]),
    )
    .await;
    reserve_lines(&app, &order, &[(1, "WH-PRIMARY"), (2, "WH-PRIMARY")]).await;
    wait_status(&app, &id(&order), "confirmed").await;
    let shipped = fulfillment_shipped(
        &order,
        "F-1",
        "WH-PRIMARY",
        "00340434161094042557",
        &[(1, "TEE-RED-M", 2), (2, "MUG-1", 1)],
    );
    publish_warehouse(&app, &order, &shipped).await;
    wait_status(&app, &id(&order), "shipped").await;

    let eur = |a: &str| {
        Some(Money {
            amount: a.into(),
            currency: "EUR".into(),
        })
    };
    let return_id = uuid::Uuid::now_v7().to_string();
    let refund = billing::RefundIssued {
        return_id: return_id.clone(),
        return_number: "RMA-000007".into(),
        order_id: id(&order),
        channel_id: "amazon-de".into(),
        external_order_id: "AMZ-R1".into(),
        lines: vec![billing::RefundedLine {
            line_no: 1,
            sku: "TEE-RED-M".into(),
            quantity: 1,
            credited: eur("19.90"),
        }],
        credit_note_numbers: vec!["EU1-CN-2026-000003".into()],
        credited: eur("19.90"),
        restocking_fee: eur("1.99"),
        return_label_fee: eur("4.95"),
        refund: eur("12.96"),
        commission_refunded: eur("2.39"),
        approved_by: "system:billing.refunds".into(),
        issued_at: None,
    };
    // Billing's relay may deliver it twice: applied once.
    for _ in 0..2 {
        fixtures::publish_applied(&app, topics::BILLING_INVOICE_EVENTS, &id(&order), &refund).await;
    }
    let (_, now) = get(&app, &format!("/v1/orders/{}", id(&order)), &ops()).await;
    assert_eq!(
        now["status"], "shipped",
        "a return leaves the status as it was"
    );
    let returned: Vec<(i64, &str)> = now["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["returned_quantity"].as_i64().unwrap(),
                l["refunded"]["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(returned, [(1, "19.90"), (0, "0.00")]);
    assert_eq!(now["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(now["refunds"][0]["refund"]["amount"], "12.96");
    assert_eq!(count(&app, "order_refunds").await, 1);
    let history = history(&app, &id(&order)).await;
    let last = history.last().unwrap();
    assert_eq!(last["actor"], "system:orders.refunds");
    assert!(last["reason"].as_str().unwrap().contains("RMA-000007"));

    // The channel's feed and its signed webhook carry the refund, once.
    let items = feed(&app, "amazon-de", 5).await;
    let refunds: Vec<&Value> = items.iter().filter(|i| i.get("refund").is_some()).collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["status"], "shipped");
    assert_eq!(refunds[0]["refund"]["return_number"], "RMA-000007");
    assert_eq!(refunds[0]["refund"]["lines"][0]["quantity"], 1);
    let delivered = eventually(Duration::from_secs(20), || async {
        seen.lock().unwrap().iter().any(|(_, b)| {
            serde_json::from_slice::<Value>(b).unwrap()["update"]["refund"].is_object()
        })
    })
    .await;
    assert!(delivered, "the refund's webhook arrived");
    for (signature, body) in seen.lock().unwrap().iter() {
        assert!(webhook::verify(SECRET, signature, body), "signed");
    }
    server.stop(false).await;
}
