//! Returns at the return location against the real stack: support's
//! ReturnAuthorized makes a return expected there (a returnless one is not;
//! a redelivery changes nothing), units are scanned in by GTIN or SKU up to
//! what was authorised, and an inspection that grades every received unit
//! publishes ReturnInspected once.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use domain::events::proto::support::v1 as support;
use domain::events::proto::warehouse::v1 as pb;
use domain::events::{timestamp, topics};
use platform::testing::{decode_all, fixtures, read_topic_until};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

fn authorized(
    number: &str,
    returnless: bool,
    lines: &[(i32, &str, i64)],
) -> support::ReturnAuthorized {
    support::ReturnAuthorized {
        return_id: Uuid::now_v7().to_string(),
        number: number.into(),
        order_id: Uuid::now_v7().to_string(),
        channel_id: "web".into(),
        external_order_id: "WEB-1".into(),
        lines: lines
            .iter()
            .map(|(no, sku, q)| support::ReturnLine {
                line_no: *no,
                sku: sku.to_string(),
                quantity: *q,
                unit_price: None,
            })
            .collect(),
        reason: "size_or_fit".into(),
        expected_condition: "resellable".into(),
        return_location: "RET-1".into(),
        returnless,
        resolution: "refund".into(),
        authorized_by: "system:return-policy".into(),
        authorized_at: Some(timestamp(Utc::now())),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_return_is_expected_scanned_in_and_inspected_once() {
    let app = app().await;
    let mug = gtin(11);
    seed_skus(&app, &[("MUG-1", &mug), ("TEA-1", &gtin(12))]).await;
    let rma = authorized("RMA-000001", false, &[(1, "MUG-1", 2), (2, "TEA-1", 1)]);
    let id = rma.return_id.clone();
    fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &rma.order_id, &rma).await;
    // A redelivery (the same event again, as another record) adds nothing.
    fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &rma.order_id, &rma).await;
    let cheap = authorized("RMA-000002", true, &[(1, "MUG-1", 1)]);
    fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &cheap.order_id, &cheap).await;

    let found = get(&app, "/v1/returns?number=RMA-000001").await;
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["status"], "expected");
    assert_eq!(found[0]["location_code"], "RET-1");
    assert_eq!(found[0]["lines"].as_array().unwrap().len(), 2);
    assert_eq!(
        get(&app, "/v1/returns?location=RET-1")
            .await
            .as_array()
            .unwrap()
            .len(),
        1,
        "returnless is not expected"
    );

    // Inspecting before anything arrived is refused.
    let (status, _) = post(
        &app,
        &format!("/v1/returns/{id}/inspection"),
        &picker(),
        &json!({"grades": [{"line_no": 1, "grade": "resellable", "quantity": 1}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Scanned in by barcode and by SKU; never more than authorised, never another item.
    let (status, r) = post(
        &app,
        &format!("/v1/returns/{id}/scans"),
        &picker(),
        &json!({"item": mug}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "receiving");
    let (status, r) = post(
        &app,
        &format!("/v1/returns/{id}/scans"),
        &picker(),
        &json!({"item": "MUG-1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["lines"][0]["received"], 2);
    let (status, p) = post(
        &app,
        &format!("/v1/returns/{id}/scans"),
        &picker(),
        &json!({"item": mug}),
    )
    .await;
    assert_refused(status, &p, "item");
    let (status, p) = post(
        &app,
        &format!("/v1/returns/{id}/scans"),
        &picker(),
        &json!({"item": "LAMP-9"}),
    )
    .await;
    assert_refused(status, &p, "item");

    // The grades must cover exactly what arrived (the tea never did).
    let (status, p) = post(
        &app,
        &format!("/v1/returns/{id}/inspection"),
        &picker(),
        &json!({"grades": [{"line_no": 1, "grade": "resellable", "quantity": 1}]}),
    )
    .await;
    assert_refused(status, &p, "grades");
    let (status, p) = post(&app, &format!("/v1/returns/{id}/inspection"), &picker(),
        &json!({"grades": [{"line_no": 1, "grade": "resellable", "quantity": 1}, {"line_no": 2, "grade": "scrap", "quantity": 1}]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, r) = post(&app, &format!("/v1/returns/{id}/inspection"), &picker(),
        &json!({"grades": [{"line_no": 1, "grade": "resellable", "quantity": 1}, {"line_no": 1, "grade": "scrap", "quantity": 1}]})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "inspected");
    assert_eq!(
        (
            r["lines"][0]["resellable"].as_i64(),
            r["lines"][0]["scrap"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let (status, _) = post(
        &app,
        &format!("/v1/returns/{id}/inspection"),
        &picker(),
        &json!({"grades": [{"line_no": 1, "grade": "scrap", "quantity": 2}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "once");
    let (status, _) = post(
        &app,
        &format!("/v1/returns/{id}/scans"),
        &picker(),
        &json!({"item": "TEA-1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let records = read_topic_until(
        &app.topic(topics::WAREHOUSE_RETURN_EVENTS),
        Duration::from_secs(20),
        Duration::from_millis(500),
        |r| !decode_all::<pb::ReturnInspected>(r).is_empty(),
    )
    .await;
    let inspected = decode_all::<pb::ReturnInspected>(&records);
    assert_eq!(inspected.len(), 1);
    let e = &inspected[0];
    assert_eq!(
        (
            e.return_id.as_str(),
            e.number.as_str(),
            e.location_code.as_str()
        ),
        (id.as_str(), "RMA-000001", "RET-1")
    );
    assert_eq!(e.order_id, rma.order_id);
    assert_eq!(records[0].key.as_deref(), Some(rma.order_id.as_str()));
    let mug_line = e.lines.iter().find(|l| l.line_no == 1).unwrap();
    assert_eq!(
        (mug_line.resellable, mug_line.refurbish, mug_line.scrap),
        (1, 0, 1)
    );
    let tea = e.lines.iter().find(|l| l.line_no == 2).unwrap();
    assert_eq!((tea.resellable, tea.refurbish, tea.scrap), (0, 0, 0));
    assert_eq!(e.inspected_by, "user:test-user");
    // Support staff may look, not scan.
    let support = platform::testing::token(&[platform::Role::Support]);
    let (status, _) = post(
        &app,
        &format!("/v1/returns/{id}/scans"),
        &support,
        &json!({"item": "MUG-1"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
