//! The returns saga's refund step: support's ReturnAuthorized and the
//! warehouse's ReturnInspected (in either order, each redelivered) refund
//! what came back on the invoices that held it, keep the restocking and
//! label fees, give the channel's commission back per its fee schedule,
//! and publish RefundIssued once; above the currency's limit a second
//! finance person approves; a step that can't be done is queued, retried.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use domain::events::proto::billing::v1::RefundIssued;
use domain::events::proto::support::v1 as support;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Event, timestamp, topics};
use platform::Role;
use platform::testing::{
    TestApp, eventually_some, fields, fixtures, problem, read_topic_until, token_for,
};
use prost::Message;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn money(v: &Value) -> Decimal {
    v["amount"].as_str().unwrap().parse().unwrap()
}

struct Return<'a> {
    id: Uuid,
    number: &'a str,
    order_id: &'a str,
    channel: &'a str,
    /// (line no, SKU, units, unit price)
    lines: &'a [(i32, &'a str, i64, &'a str)],
    restocking_fee: &'a str,
    return_label_fee: &'a str,
    returnless: bool,
    resolution: &'a str,
    authorized_by: &'a str,
}

fn authorized(r: &Return<'_>) -> support::ReturnAuthorized {
    let value: Decimal = r
        .lines
        .iter()
        .map(|(_, _, q, p)| d(p) * Decimal::from(*q))
        .sum();
    let refund = value - d(r.restocking_fee) - d(r.return_label_fee);
    support::ReturnAuthorized {
        return_id: r.id.to_string(),
        number: r.number.into(),
        order_id: r.order_id.into(),
        channel_id: r.channel.into(),
        external_order_id: format!("EXT-{}", r.order_id),
        lines: r
            .lines
            .iter()
            .map(|(n, sku, q, p)| support::ReturnLine {
                line_no: *n,
                sku: sku.to_string(),
                quantity: *q,
                unit_price: Some(eur(p)),
            })
            .collect(),
        reason: "no_longer_needed".into(),
        expected_condition: "resellable".into(),
        return_location: "WH-1".into(),
        returnless: r.returnless,
        resolution: r.resolution.into(),
        exchange_reservation: "after_inspection".into(),
        value: Some(eur(&value.to_string())),
        restocking_fee: Some(eur(r.restocking_fee)),
        return_label_fee: Some(eur(r.return_label_fee)),
        refund: Some(eur(&refund.to_string())),
        authorized_by: r.authorized_by.into(),
        authorized_at: Some(timestamp(Utc::now())),
        ticket_id: String::new(),
    }
}

/// (line no, SKU, resellable, refurbish, scrap)
fn inspected(r: &Return<'_>, lines: &[(i32, &str, i64, i64, i64)]) -> warehouse::ReturnInspected {
    warehouse::ReturnInspected {
        return_id: r.id.to_string(),
        number: r.number.into(),
        order_id: r.order_id.into(),
        channel_id: r.channel.into(),
        location_code: "WH-1".into(),
        lines: lines
            .iter()
            .map(|(n, sku, a, b, c)| warehouse::InspectedLine {
                line_no: *n,
                sku: sku.to_string(),
                resellable: *a,
                refurbish: *b,
                scrap: *c,
            })
            .collect(),
        received_by: "dock".into(),
        received_at: Some(timestamp(Utc::now())),
        inspected_by: "qa".into(),
        inspected_at: Some(timestamp(Utc::now())),
    }
}

async fn wait_refund(app: &TestApp, id: Uuid, status: &str) -> Value {
    eventually_some(Duration::from_secs(30), || async {
        let (code, body) = app.get_json(&format!("/v1/refunds/{id}"), &finance()).await;
        (code == StatusCode::OK && body["status"] == status).then_some(body)
    })
    .await
    .unwrap_or_else(|| panic!("refund {id} did not become {status} within 30 s"))
}

async fn refund_events(app: &TestApp, want: usize) -> Vec<RefundIssued> {
    let records = read_topic_until(
        &app.topic(topics::BILLING_INVOICE_EVENTS),
        Duration::from_secs(30),
        Duration::from_secs(2),
        |rs| {
            rs.iter()
                .filter(|r| r.headers["event-type"] == RefundIssued::TYPE)
                .count()
                >= want
        },
    )
    .await;
    records
        .iter()
        .filter(|r| r.headers["event-type"] == RefundIssued::TYPE)
        .map(|r| RefundIssued::decode(r.payload.as_slice()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_return_shipped_in_two_parts_is_credited_on_both_invoices_fees_kept_and_commission_back()
{
    let app = app().await;
    setup(&app, "amazon-de", "tax_inclusive", "per_document").await;
    let (status, body) = put(
        &app,
        "/v1/fee-schedules/amazon-de/2026-01-01",
        &json!({"currency": "EUR", "default_commission_percent": "15",
               "per_order_fee": {"amount": "0", "currency": "EUR"},
               "per_unit_fulfillment_fee": {"amount": "0", "currency": "EUR"},
               "payment_percent": "0", "payment_fixed_fee": {"amount": "0", "currency": "EUR"},
               "refund_admin_percent": "20", "refund_admin_max_fee": {"amount": "5", "currency": "EUR"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["refund_admin_percent"], "20");
    fixtures::seed_product(
        &app,
        &[
            fixtures::SeedVariant::sku("TEE-1"),
            fixtures::SeedVariant::sku("MUG-1"),
        ],
    )
    .await;
    let order = place(
        &app,
        &Order {
            channel: "amazon-de",
            lines: &[("TEE-1", 2, "19.90"), ("MUG-1", 1, "10.00")],
            ..Default::default()
        },
    )
    .await;
    // Two locations, two shipments, two invoices: a TEE on each.
    ship(&app, &order, &[(1, "TEE-1", 1)]).await;
    ship(&app, &order, &[(1, "TEE-1", 1), (2, "MUG-1", 1)]).await;
    let invoices = wait_documents(&app, &order, 2).await;
    let accrued_before = balance(&trial_balance(&app).await, "2300");

    let r = Return {
        id: Uuid::now_v7(),
        number: "RMA-000001",
        order_id: &order,
        channel: "amazon-de",
        lines: &[(1, "TEE-1", 2, "19.90"), (2, "MUG-1", 1, "10.00")],
        // 10 % of 49.80; the customer's label.
        restocking_fee: "4.98",
        return_label_fee: "4.95",
        returnless: false,
        resolution: "refund",
        authorized_by: "policy:auto",
    };
    // The inspection arrives first (another topic): kept, nothing refunded.
    // Both TEEs came back (one scrap); the MUG never did.
    let inspection = inspected(&r, &[(1, "TEE-1", 1, 0, 1)]);
    fixtures::publish_applied(&app, topics::WAREHOUSE_RETURN_EVENTS, &order, &inspection).await;
    let (code, _) = app
        .get_json(&format!("/v1/refunds/{}", r.id), &finance())
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "no authorisation yet");
    assert_eq!(documents_of(&app, &order).await.len(), 2);

    fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &order, &authorized(&r)).await;
    let refund = wait_refund(&app, r.id, "refunded").await;

    // 39.80 back; restocking for the 39.80 of 49.80 that came back (3.98)
    // and the label kept: 30.87 to the buyer.
    assert_eq!(money(&refund["credited"]), d("39.80"));
    assert_eq!(money(&refund["fees_kept"]), d("8.93"));
    assert_eq!(money(&refund["refund"]), d("30.87"));
    // 15 % of 39.80 = 5.97, less the channel's 20 % (1.19): 4.78.
    assert_eq!(money(&refund["commission_refunded"]), d("4.78"));
    assert_eq!(refund["lines"][0]["received_quantity"], 2);
    assert_eq!(money(&refund["lines"][0]["credited"]), d("39.80"));
    assert_eq!(refund["lines"][1]["received_quantity"], 0);
    assert_eq!(refund["credit_notes"].as_array().unwrap().len(), 2);

    let docs = documents_of(&app, &order).await;
    assert_eq!(docs.len(), 4, "one credit note per invoice");
    for (note, invoice) in docs[2..].iter().zip(&invoices) {
        assert_eq!(note["kind"], "credit_note");
        assert_eq!(note["corrects"]["id"], invoice["id"]);
        assert_eq!(money(&note["gross_total"]), d("19.90"));
        assert!(note["reason"].as_str().unwrap().contains("RMA-000001"));
    }
    let tb = trial_balance(&app).await;
    assert_eq!(balance(&tb, "4200"), d("-8.93"), "the fees kept are income");
    assert_eq!(balance(&tb, "2300") - accrued_before, d("4.78"));
    assert_eq!(unbalanced_entries(&app).await, 0);

    // Redelivered (new event ids, same return): nothing changes.
    fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &order, &authorized(&r)).await;
    fixtures::publish_applied(&app, topics::WAREHOUSE_RETURN_EVENTS, &order, &inspection).await;
    assert_eq!(documents_of(&app, &order).await.len(), 4);
    let events = refund_events(&app, 1).await;
    assert_eq!(events.len(), 1, "RefundIssued once");
    let e = &events[0];
    assert_eq!(e.return_number, "RMA-000001");
    assert_eq!(e.refund.as_ref().unwrap().amount, "30.87");
    assert_eq!(e.lines.len(), 1, "only lines that came back");
    assert_eq!((e.lines[0].line_no, e.lines[0].quantity), (1, 2));
    assert_eq!(e.approved_by, "system:billing.refunds");
}

#[tokio::test]
async fn a_refund_above_the_limit_waits_for_a_finance_person_other_than_who_authorised_it() {
    let app = app().await;
    setup(&app, "web", "tax_inclusive", "per_document").await;
    fixtures::seed_product(&app, &[fixtures::SeedVariant::sku("COAT-1")]).await;
    // Bad limits change nothing.
    for (path, body, field) in [
        (
            "/v1/refund-approval-limits/EUR",
            json!({"amount": "-1"}),
            "amount",
        ),
        (
            "/v1/refund-approval-limits/XXQ",
            json!({"amount": "10"}),
            "currency",
        ),
    ] {
        let res = app
            .client
            .put(app.url(path))
            .bearer_auth(finance())
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), [field], "{p}");
    }
    assert_eq!(get(&app, "/v1/refund-approval-limits").await, json!([]));
    let (status, limit) = put(
        &app,
        "/v1/refund-approval-limits/EUR",
        &json!({"amount": "100"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{limit}");

    let order = place(
        &app,
        &Order {
            lines: &[("COAT-1", 1, "249.00")],
            ..Default::default()
        },
    )
    .await;
    ship(&app, &order, &[(1, "COAT-1", 1)]).await;
    wait_documents(&app, &order, 1).await;
    let r = Return {
        id: Uuid::now_v7(),
        number: "RMA-000002",
        order_id: &order,
        channel: "web",
        lines: &[(1, "COAT-1", 1, "249.00")],
        restocking_fee: "0",
        return_label_fee: "0",
        returnless: false,
        resolution: "refund",
        authorized_by: "user:alice",
    };
    fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &order, &authorized(&r)).await;
    fixtures::publish_applied(
        &app,
        topics::WAREHOUSE_RETURN_EVENTS,
        &order,
        &inspected(&r, &[(1, "COAT-1", 1, 0, 0)]),
    )
    .await;
    let held = wait_refund(&app, r.id, "awaiting_approval").await;
    assert_eq!(money(&held["refund"]), d("249.00"));
    assert!(
        held["held_reason"]
            .as_str()
            .unwrap()
            .contains("approval limit")
    );
    let queue = get(&app, "/v1/refunds?status=awaiting_approval").await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(
        documents_of(&app, &order).await.len(),
        1,
        "nothing credited yet"
    );

    let decide = async |who: &str, action: &str, body: Value| {
        app.client
            .post(app.url(&format!("/v1/refunds/{}/{action}", r.id)))
            .bearer_auth(token_for(who, &[Role::Finance]))
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    // The person who authorised the return may not approve its refund.
    let res = decide("alice", "approve", json!({})).await;
    problem(res, StatusCode::FORBIDDEN).await;
    let res = decide("bob", "reject", json!({"reason": " "})).await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["reason"]);
    assert_eq!(documents_of(&app, &order).await.len(), 1);

    let res = decide("bob", "approve", json!({"note": "coat checked"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["status"], "refunded");
    assert_eq!(done["decided_by"], "user:bob");
    assert_eq!(done["decision_note"], "coat checked");
    let docs = documents_of(&app, &order).await;
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1]["issued_by"], "user:bob");
    let events = refund_events(&app, 1).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].approved_by, "user:bob");
    // Decided once.
    let res = decide("carol", "approve", json!({})).await;
    problem(res, StatusCode::CONFLICT).await;
    assert_eq!(unbalanced_entries(&app).await, 0);
}

#[tokio::test]
async fn a_step_that_fails_is_queued_for_finance_and_an_exchange_is_never_refunded() {
    let app = app().await;
    setup(&app, "web", "tax_inclusive", "per_document").await;
    fixtures::seed_product(&app, &[fixtures::SeedVariant::sku("TEE-1")]).await;
    // Placed but never shipped: nothing is invoiced to credit.
    let order = place(
        &app,
        &Order {
            lines: &[("TEE-1", 2, "19.90")],
            ..Default::default()
        },
    )
    .await;
    let r = Return {
        id: Uuid::now_v7(),
        number: "RMA-000003",
        order_id: &order,
        channel: "web",
        lines: &[(1, "TEE-1", 1, "19.90")],
        restocking_fee: "0",
        return_label_fee: "0",
        returnless: true,
        resolution: "refund",
        authorized_by: "policy:auto",
    };
    fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &order, &authorized(&r)).await;
    let failed = wait_refund(&app, r.id, "failed").await;
    assert!(
        failed["held_reason"]
            .as_str()
            .unwrap()
            .contains("order line 1: 1 returned unit(s) are on no invoice"),
        "{failed}"
    );
    let queue = get(&app, "/v1/refunds?status=failed").await;
    assert_eq!(queue[0]["return_id"], r.id.to_string());
    // Retried before its cause is fixed: failed again, still queued.
    let (status, again) = post(&app, &format!("/v1/refunds/{}/retry", r.id), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["status"], "failed");
    // The goods ship and are invoiced; the retry refunds the returnless unit.
    ship(&app, &order, &[(1, "TEE-1", 2)]).await;
    wait_documents(&app, &order, 1).await;
    let (status, done) = post(&app, &format!("/v1/refunds/{}/retry", r.id), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "refunded");
    assert_eq!(money(&done["refund"]), d("19.90"));
    let (status, _) = post(&app, &format!("/v1/refunds/{}/retry", r.id), &json!({})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a refunded return is not retried"
    );

    // An exchange: recorded, nothing credited.
    let x = Return {
        id: Uuid::now_v7(),
        number: "RMA-000004",
        resolution: "exchange",
        ..r
    };
    fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &order, &authorized(&x)).await;
    fixtures::publish_applied(
        &app,
        topics::WAREHOUSE_RETURN_EVENTS,
        &order,
        &inspected(&x, &[(1, "TEE-1", 1, 0, 0)]),
    )
    .await;
    let exchanged = wait_refund(&app, x.id, "exchanged").await;
    assert!(exchanged.get("refund").is_none());
    assert_eq!(documents_of(&app, &order).await.len(), 2);
    // Ops read refunds; channel tokens don't.
    let (code, _) = app.get_json("/v1/refunds", &ops()).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = app
        .get_json("/v1/refunds", &platform::testing::channel_token("web"))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}
