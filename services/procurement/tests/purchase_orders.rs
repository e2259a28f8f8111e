//! The purchase order's life: four-eyes approval above the threshold,
//! approval by rule below it, versioned amendments, landed-cost charges,
//! sending, receipts applied once, cancelling the remainder, and the events
//! the warehouse expects goods from.

mod common;

use std::time::Duration;

use common::*;
use domain::events::proto::procurement::v1 as pb;
use domain::events::topics;
use platform::Role;
use platform::testing::{decode_all, fields, problem, read_topic_until, token, token_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One draft order of 48 × 2.50 EUR (120 EUR) for PO-A at WH-1.
async fn drafted(app: &platform::testing::TestApp, sku: &str) -> Value {
    seed_skus(app, &[sku]).await;
    supplier(
        app,
        "ACME",
        &[sku],
        json!({"unit_cost": {"amount": "2.50", "currency": "EUR"}, "moq": 12, "pack_size": 12,
               "lead_time_days": 10, "preferred_rank": 1}),
    )
    .await;
    level(app, sku, "WH-1", 0, 0, 0, 10).await;
    put_ok(
        app,
        &format!("/v1/reorder-rules/{sku}/WH-1"),
        &json!({"kind": "min_max", "min_units": 10, "max_units": 48}),
    )
    .await;
    let (status, run) = run(app, false).await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    run["purchase_orders"][0].clone()
}

async fn set_policy(app: &platform::testing::TestApp, threshold: &str, auto: bool) {
    let res = app
        .client
        .put(app.url("/v1/approval-policy"))
        .bearer_auth(token(&[Role::Finance]))
        .json(&json!({"thresholds": [{"amount": threshold, "currency": "EUR"}], "auto_approve_below": auto}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

async fn order_events(
    app: &platform::testing::TestApp,
    timeout: Duration,
    done: impl Fn(&[pb::PurchaseOrderChanged], &[pb::PurchaseOrderApproved]) -> bool,
) -> (
    Vec<pb::PurchaseOrderApproved>,
    Vec<pb::PurchaseOrderChanged>,
) {
    let records = read_topic_until(
        &app.topic(topics::PROCUREMENT_PURCHASE_ORDER_EVENTS),
        timeout,
        Duration::from_millis(300),
        |r| done(&decode_all(r), &decode_all(r)),
    )
    .await;
    (decode_all(&records), decode_all(&records))
}

#[tokio::test]
async fn above_the_threshold_a_second_approver_decides_and_the_order_lives_on() {
    let app = app().await;
    set_policy(&app, "100", false).await;
    let po = drafted(&app, "LIFE-A").await;
    assert_eq!(po["status"], "draft");
    assert_eq!(po["total"], json!({"amount": "120", "currency": "EUR"}));
    let id = po["id"].as_str().unwrap();
    let path = |action: &str| format!("/v1/purchase-orders/{id}/{action}");

    // The buyer cannot approve 120 EUR; neither can an approver who created it.
    let (status, body) = post(&app, &path("approve"), &buyer(), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("approver role"));
    let own = token_for("test-user", &[Role::Approver]);
    let (status, body) = post(&app, &path("approve"), &own, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Sending a draft is refused; nothing has changed.
    let (status, _) = post(&app, &path("send"), &buyer(), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, now) = app
        .get_json(&format!("/v1/purchase-orders/{id}"), &buyer())
        .await;
    assert_eq!(
        (now["status"].as_str(), now["version"].as_i64()),
        (Some("draft"), Some(1))
    );

    let ada = token_for("ada", &[Role::Approver]);
    let (status, approved) = post(&app, &path("approve"), &ada, json!({"note": "ok"})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["approved_by"], "user:ada");
    let (status, _) = post(&app, &path("approve"), &ada, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "approved once");

    // Approved quantities only go down; each amendment is a version.
    let (status, body) = post(
        &app,
        &path("amendments"),
        &buyer(),
        json!({"lines": [{"line_no": 1, "quantity": 60}]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["lines[0].quantity"]);
    let (status, amended) = post(
        &app,
        &path("amendments"),
        &buyer(),
        json!({"lines": [{"line_no": 1, "quantity": 36}], "expected_on": "2030-01-31"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{amended}");
    assert_eq!(amended["lines"][0]["quantity"], 36);
    assert_eq!(amended["expected_on"], "2030-01-31");

    // Freight by quantity: 12 EUR over 36 units is 0.3333 a unit.
    let (status, body) = post(&app, &path("charges"), &buyer(), json!({"kind": "freight", "amount": {"amount": "12", "currency": "USD"}, "basis": "quantity"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["amount.currency"]);
    let (_, charged) = post(&app, &path("charges"), &buyer(), json!({"kind": "freight", "amount": {"amount": "12", "currency": "EUR"}, "basis": "quantity"})).await;
    assert_eq!(
        charged["lines"][0]["unit_landed_cost"],
        json!({"amount": "2.8333", "currency": "EUR"})
    );

    // A stale If-Match is refused.
    let res = app
        .client
        .post(app.url(&path("send")))
        .bearer_auth(buyer())
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_FAILED).await;
    let (status, sent) = post(&app, &path("send"), &buyer(), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sent["sent_at"].is_string());

    // A receipt applies once, however often it is delivered.
    goods_received(&app, &sent, "R-1", &[(1, "LIFE-A", 20, 1)]).await;
    goods_received(&app, &sent, "R-1", &[(1, "LIFE-A", 20, 1)]).await;
    let (_, partly) = app
        .get_json(&format!("/v1/purchase-orders/{id}"), &buyer())
        .await;
    assert_eq!(partly["status"], "partially_received");
    assert_eq!(
        (
            partly["lines"][0]["received_good"].as_i64(),
            partly["lines"][0]["received_damaged"].as_i64()
        ),
        (Some(20), Some(1))
    );
    // No charge once goods came in; cancelling now closes with the rest cancelled.
    let (status, _) = post(
        &app,
        &path("charges"),
        &buyer(),
        json!({"kind": "duty", "amount": {"amount": "1", "currency": "EUR"}, "basis": "value"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, closed) = post(
        &app,
        &path("cancel"),
        &buyer(),
        json!({"note": "supplier out of stock"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["lines"][0]["cancelled"], 15);

    let (_, history) = app
        .get_json(&format!("/v1/purchase-orders/{id}/history"), &buyer())
        .await;
    let changes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["change"].as_str().unwrap())
        .collect();
    assert_eq!(
        changes,
        [
            "drafted",
            "approved",
            "amended",
            "charged",
            "sent",
            "received",
            "cancelled"
        ]
    );
    assert_eq!(history[1]["note"], "ok");
    assert_eq!(history[2]["order"]["lines"][0]["quantity"], 36);

    // The warehouse heard of it from the approval on, with every change.
    let (approvals, changes) = order_events(&app, Duration::from_secs(30), |c, _| {
        c.iter().any(|c| c.change == "cancelled")
    })
    .await;
    assert_eq!(approvals.len(), 1);
    let state = approvals[0].state.as_ref().unwrap();
    assert_eq!(
        (state.status.as_str(), state.lines[0].quantity),
        ("approved", 48)
    );
    let kinds: Vec<&str> = changes.iter().map(|c| c.change.as_str()).collect();
    assert_eq!(
        kinds,
        ["amended", "charged", "sent", "received", "cancelled"]
    );
    let last = changes.last().unwrap().state.as_ref().unwrap();
    assert_eq!(
        (last.status.as_str(), last.lines[0].cancelled),
        ("closed", 15)
    );
    assert_eq!(
        last.lines[0].unit_landed_cost.as_ref().unwrap().amount,
        "2.8333"
    );
}

#[tokio::test]
async fn within_the_threshold_drafts_are_approved_by_rule_and_a_draft_cancels_quietly() {
    let app = app().await;
    set_policy(&app, "1000", true).await;
    let po = drafted(&app, "AUTO-A").await;
    assert_eq!(po["status"], "approved", "{po}");
    assert_eq!(po["approved_by"], "system:procurement.auto-approval");

    // Without the rule a draft waits, and cancelling it tells nobody.
    let app = common::app().await;
    let po = drafted(&app, "QUIET-A").await;
    assert_eq!(po["status"], "draft");
    let id = po["id"].as_str().unwrap();
    let (status, cancelled) = post(
        &app,
        &format!("/v1/purchase-orders/{id}/cancel"),
        &buyer(),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["lines"][0]["cancelled"], 48);
    let (approvals, changes) = order_events(&app, Duration::from_secs(3), |_, _| false).await;
    assert!(approvals.is_empty() && changes.is_empty());
    // And the next run orders the need again.
    let (_, again) = run(&app, false).await;
    assert_eq!(again["purchase_orders"][0]["lines"][0]["quantity"], 48);
}
