//! Returns against the real stack: the channel's return policy decides each
//! request (restocking fee and label on a customer's choice, returnless
//! below a value, a person above the auto-approval value, never the one who
//! asked), refusals name their rule and change nothing, an authorised
//! return is published once, a marketplace's retry is answered with the
//! first return, a ticket's return notes the ticket, channels see only
//! their own.

mod common;

use std::time::Duration;

use chrono::{Duration as Days, Utc};
use common::*;
use domain::events::proto::support::v1 as pb;
use domain::events::topics;
use platform::Role;
use platform::testing::{
    TestApp, channel_token, decode_all, fields, problem, read_topic_until, token_for,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn eur(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

async fn set_policy(app: &TestApp) {
    let res = app
        .client
        .put(app.url("/v1/return-policies/default"))
        .bearer_auth(admin())
        .json(&json!({
            "window_days": 30, "window_from": "delivery",
            "non_returnable_categories": ["hygiene"],
            "restocking_fee_percent": "10", "return_shipping_paid_by": "customer",
            "return_label_fee": eur("4.95"), "returnless_below": eur("10"),
            "auto_approve_up_to": eur("50"), "return_location": "RET-1",
            "exchange_reservation": "after_inspection"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let res = app
        .client
        .put(app.url("/v1/return-categories/SOAP-1"))
        .bearer_auth(admin())
        .json(&json!({"category": "hygiene"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

/// An order of `lines` (SKU, quantity) at 19.90, shipped `days_ago`.
async fn shipped_order(
    app: &TestApp,
    number: &str,
    lines: &[(&str, i64)],
    days_ago: i64,
) -> PlacedOrder {
    let at = Utc::now() - Days::days(days_ago);
    let order = place(app, "web", number, "ana@example.com", lines, at).await;
    let shipped: Vec<(i32, &str, i64)> = lines
        .iter()
        .enumerate()
        .map(|(i, (s, q))| (i as i32 + 1, *s, *q))
        .collect();
    ship(
        app,
        &order,
        "WH1",
        "DHL",
        &format!("JD{number}"),
        &shipped,
        at,
    )
    .await;
    order
}

async fn request(app: &TestApp, bearer: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/v1/returns"))
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_policy_decides_fees_returnless_approval_and_refusals() {
    let app = app().await;
    set_policy(&app).await;
    let order = shipped_order(&app, "WEB-5001", &[("MUG-1", 2), ("SOAP-1", 1)], 3).await;

    // A customer's choice: 10 % restocking and the label are kept.
    let res = request(
        &app,
        &agent(),
        &json!({"order_id": order.order_id,
        "lines": [{"line_no": 1, "quantity": 1}], "reason": "size_or_fit", "resolution": "refund"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["status"], "authorized");
    assert!(r["number"].as_str().unwrap().starts_with("RMA-"));
    assert_eq!(r["auto_approved"], true);
    assert_eq!(r["terms"]["value"], eur("19.9"));
    assert_eq!(r["terms"]["restocking_fee"], eur("1.99"));
    assert_eq!(r["terms"]["return_label_fee"], eur("4.95"));
    assert_eq!(r["terms"]["refund"], eur("12.96"));
    assert_eq!(r["terms"]["return_location"], "RET-1");
    assert_eq!(r["lines"][0]["sku"], "MUG-1");
    let steps: Vec<&str> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["requested", "authorized"]);

    // Refusals name the rule and the field, and change nothing.
    let cases = [
        (
            json!([{"line_no": 2, "quantity": 1}]),
            "no_longer_needed",
            "lines[0].line_no",
            "non_returnable_category",
        ),
        (
            json!([{"line_no": 1, "quantity": 2}]),
            "size_or_fit",
            "lines[0].quantity",
            "quantity",
        ),
        (
            json!([{"line_no": 9, "quantity": 1}]),
            "size_or_fit",
            "lines[0].line_no",
            "has no line 9",
        ),
    ];
    for (lines, reason, field, rule) in cases {
        let p = problem(
            request(
                &app,
                &agent(),
                &json!({"order_id": order.order_id, "lines": lines,
                "reason": reason, "resolution": "refund"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&p), [field], "{p}");
        assert!(
            p["errors"][0]["message"].as_str().unwrap().contains(rule),
            "{p}"
        );
    }
    // A damaged item of a non-returnable category is still taken back, in full.
    let res = request(
        &app,
        &agent(),
        &json!({"order_id": order.order_id,
        "lines": [{"line_no": 2, "quantity": 1}], "reason": "damaged", "resolution": "refund"}),
    )
    .await;
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["terms"]["refund"], eur("19.9"));
    assert_eq!(r["terms"]["label_paid_by"], "merchant");

    // Outside the window (delivered about 40 days ago).
    let old = shipped_order(&app, "WEB-5002", &[("MUG-1", 1)], 43).await;
    let p = problem(
        request(&app, &agent(), &json!({"order_id": old.order_id,
            "lines": [{"line_no": 1, "quantity": 1}], "reason": "no_longer_needed", "resolution": "refund"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("return_window: "),
        "{p}"
    );

    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM returns").await,
        2,
        "refusals created nothing"
    );

    // Above the auto-approval value a person decides, not the requester.
    let big = shipped_order(&app, "WEB-5003", &[("LAMP-1", 3)], 2).await;
    let requester = token_for("agent-a", &[Role::Support]);
    let res = request(
        &app,
        &requester,
        &json!({"external_order_id": "WEB-5003", "channel_id": "web",
        "lines": [{"line_no": 1, "quantity": 3}], "reason": "damaged", "resolution": "refund"}),
    )
    .await;
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["status"], "pending_approval");
    assert_eq!(r["order_id"], big.order_id.as_str());
    let id = r["id"].as_str().unwrap().to_string();
    let decide = |bearer: String, approve: bool| {
        app.client
            .post(app.url(&format!("/v1/returns/{id}/decision")))
            .bearer_auth(bearer)
            .json(&json!({"approve": approve}))
            .send()
    };
    assert_eq!(
        decide(requester.clone(), true).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let res = decide(token_for("agent-b", &[Role::Support]), true)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["status"], "authorized");
    assert_eq!(r["authorized_by"], "user:agent-b");
    assert_eq!(
        decide(token_for("agent-c", &[Role::Support]), false)
            .await
            .unwrap()
            .status(),
        StatusCode::CONFLICT
    );

    // Cheap items are refunded without coming back.
    let cheap = place_at_price(
        &app,
        "web",
        "WEB-5004",
        "ana@example.com",
        &[("PEN-1", 1)],
        "7.50",
        Utc::now(),
    )
    .await;
    ship(
        &app,
        &cheap,
        "WH1",
        "DHL",
        "JD5004",
        &[(1, "PEN-1", 1)],
        Utc::now(),
    )
    .await;
    let res = request(&app, &agent(), &json!({"order_id": cheap.order_id,
        "lines": [{"line_no": 1, "quantity": 1}], "reason": "no_longer_needed", "resolution": "refund"})).await;
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["terms"]["returnless"], true);
    assert_eq!(r["terms"]["refund"], eur("7.5"));

    // Each authorisation published once, keyed by its order.
    let records = read_topic_until(
        &app.topic(topics::SUPPORT_RETURN_EVENTS),
        Duration::from_secs(20),
        Duration::from_millis(500),
        |r| decode_all::<pb::ReturnAuthorized>(r).len() >= 4,
    )
    .await;
    let authorized = decode_all::<pb::ReturnAuthorized>(&records);
    assert_eq!(authorized.len(), 4);
    // Records of one order keep their order (the key is the order id).
    let of = |id: &str| {
        authorized
            .iter()
            .filter(|a| a.order_id == id)
            .collect::<Vec<_>>()
    };
    let mine = of(&order.order_id);
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].return_location, "RET-1");
    assert_eq!(mine[0].refund.as_ref().unwrap().amount, "12.96");
    assert_eq!(mine[0].expected_condition, "resellable");
    assert_eq!(mine[1].expected_condition, "damaged");
    assert_eq!(of(&big.order_id).len(), 1);
    assert!(of(&cheap.order_id)[0].returnless);
}

#[tokio::test]
async fn marketplace_returns_retries_tickets_and_channel_isolation() {
    let app = app().await;
    set_policy(&app).await;
    let order = shipped_order(&app, "WEB-6001", &[("MUG-1", 3)], 2).await;
    let web = channel_token("web");
    let body = json!({"external_order_id": "WEB-6001", "lines": [{"line_no": 1, "quantity": 1}],
        "reason": "no_longer_needed", "resolution": "refund", "external_return_id": "MKT-RET-1"});
    let res = request(&app, &web, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["requested_by"], "channel:web");
    let res = request(&app, &web, &body).await;
    assert_eq!(res.status(), StatusCode::OK, "the marketplace's retry");
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM returns").await, 1);
    // Retries at the same moment find one another's return, not a conflict.
    let mut racing = body.clone();
    racing["external_return_id"] = json!("MKT-RET-2");
    let answers =
        futures_util::future::join_all((0..4).map(|_| request(&app, &web, &racing))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM returns").await, 2);

    // The warehouse's inspection is a step of its saga (a redelivery adds none).
    let inspected = domain::events::proto::warehouse::v1::ReturnInspected {
        return_id: first["id"].as_str().unwrap().into(),
        number: first["number"].as_str().unwrap().into(),
        order_id: order.order_id.clone(),
        channel_id: "web".into(),
        location_code: "RET-1".into(),
        lines: vec![domain::events::proto::warehouse::v1::InspectedLine {
            line_no: 1,
            sku: "MUG-1".into(),
            resellable: 1,
            refurbish: 0,
            scrap: 0,
        }],
        received_by: "user:dock".into(),
        inspected_by: "user:dock".into(),
        ..Default::default()
    };
    for _ in 0..2 {
        platform::testing::fixtures::publish_applied(
            &app,
            topics::WAREHOUSE_RETURN_EVENTS,
            &order.order_id,
            &inspected,
        )
        .await;
    }
    let (_, r) = app
        .get_json(
            &format!("/v1/returns/{}", first["id"].as_str().unwrap()),
            &web,
        )
        .await;
    assert_eq!(r["status"], "inspected");
    let steps: Vec<&str> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["requested", "authorized", "received", "inspected"]);
    assert!(
        r["steps"][3]["detail"]
            .as_str()
            .unwrap()
            .starts_with("1 resellable")
    );

    // Another channel neither sees it nor returns the web channel's order.
    let amazon = channel_token("amazon-de");
    let (status, _) = app
        .get_json(
            &format!("/v1/returns/{}", first["id"].as_str().unwrap()),
            &amazon,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let p = problem(
        request(
            &app,
            &amazon,
            &json!({"order_id": order.order_id, "lines": [{"line_no": 1, "quantity": 1}],
            "reason": "no_longer_needed", "resolution": "refund"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["order_id"]);
    let (_, list) = app.get_json("/v1/returns", &amazon).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let (_, list) = app
        .get_json(
            &format!("/v1/returns?order_id={}", order.order_id),
            &agent(),
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // From the customer's ticket: the order is the ticket's, the ticket is noted.
    let v = post_email_ok(
        &app,
        &email(
            "ana@example.com",
            "r1@mail.example.com",
            "Return",
            "I would like to return the mug from order WEB-6001, it does not fit my kitchen.",
        ),
        StatusCode::CREATED,
    )
    .await;
    let ticket_id = v["ticket_id"].as_str().unwrap();
    let res = request(
        &app,
        &agent(),
        &json!({"ticket_id": ticket_id, "lines": [{"line_no": 1, "quantity": 1}],
        "reason": "no_longer_needed", "resolution": "refund"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["ticket_id"], ticket_id);
    assert_eq!(r["order_id"], order.order_id.as_str());
    let t = ticket(&app, ticket_id, &agent()).await;
    let note = t["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(note["kind"], "note");
    assert!(
        note["body"]
            .as_str()
            .unwrap()
            .starts_with(r["number"].as_str().unwrap()),
        "{note}"
    );
    // Its inspection is noted on the ticket too.
    let mut on_ticket = inspected.clone();
    on_ticket.return_id = r["id"].as_str().unwrap().into();
    on_ticket.number = r["number"].as_str().unwrap().into();
    platform::testing::fixtures::publish_applied(
        &app,
        topics::WAREHOUSE_RETURN_EVENTS,
        &order.order_id,
        &on_ticket,
    )
    .await;
    let t = ticket(&app, ticket_id, &agent()).await;
    let note = t["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(note["author"], "system:returns");
    assert!(
        note["body"]
            .as_str()
            .unwrap()
            .ends_with("inspected: 1 resellable, 0 to refurbish, 0 scrap."),
        "{note}"
    );
    // Billing holds the refund for approval, then issues it: the saga's
    // last steps, the agents told, the customer's ticket resolved (once).
    use domain::events::proto::billing::v1 as billing;
    let eur_proto = |a: &str| {
        Some(domain::events::proto::common::v1::Money {
            amount: a.into(),
            currency: "EUR".into(),
        })
    };
    let held = billing::RefundHeld {
        return_id: r["id"].as_str().unwrap().into(),
        return_number: r["number"].as_str().unwrap().into(),
        order_id: order.order_id.clone(),
        status: "awaiting_approval".into(),
        reason: "the refund of 12.96 EUR is above the approval limit".into(),
        refund: eur_proto("12.96"),
        held_at: None,
    };
    platform::testing::fixtures::publish_applied(
        &app,
        topics::BILLING_INVOICE_EVENTS,
        &order.order_id,
        &held,
    )
    .await;
    let issued = billing::RefundIssued {
        return_id: r["id"].as_str().unwrap().into(),
        return_number: r["number"].as_str().unwrap().into(),
        order_id: order.order_id.clone(),
        channel_id: "web".into(),
        external_order_id: "WEB-6001".into(),
        lines: vec![billing::RefundedLine {
            line_no: 1,
            sku: "MUG-1".into(),
            quantity: 1,
            credited: eur_proto("19.90"),
        }],
        credit_note_numbers: vec!["EU1-CN-2026-000001".into()],
        credited: eur_proto("19.90"),
        restocking_fee: eur_proto("1.99"),
        return_label_fee: eur_proto("4.95"),
        refund: eur_proto("12.96"),
        commission_refunded: eur_proto("0"),
        approved_by: "user:bob".into(),
        issued_at: None,
    };
    for _ in 0..2 {
        platform::testing::fixtures::publish_applied(
            &app,
            topics::BILLING_INVOICE_EVENTS,
            &order.order_id,
            &issued,
        )
        .await;
    }
    let (_, done) = app
        .get_json(
            &format!("/v1/returns/{}", r["id"].as_str().unwrap()),
            &agent(),
        )
        .await;
    assert_eq!(done["status"], "refunded");
    let last_steps: Vec<(&str, &str)> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .take(2)
        .map(|s| (s["step"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(last_steps, [("refunded", "done"), ("refund", "waiting")]);
    let t = ticket(&app, ticket_id, &agent()).await;
    assert_eq!(t["status"], "resolved", "{t}");
    let notes: Vec<&str> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .filter(|b| b.contains("refunded for 1 unit"))
        .collect();
    assert_eq!(notes.len(), 1, "noted once: {notes:?}");
    assert!(notes[0].contains("12.96 EUR refunded"), "{}", notes[0]);

    // All three units are now taken: another return of the line is refused.
    let p = problem(
        request(
            &app,
            &agent(),
            &json!({"order_id": order.order_id, "lines": [{"line_no": 1, "quantity": 1}],
            "reason": "damaged", "resolution": "refund"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("quantity: "),
        "{p}"
    );

    // Bad input names the field; bad policies too.
    let p = problem(
        request(&app, &agent(), &json!({"lines": [{"line_no": 1, "quantity": 1}], "reason": "damaged", "resolution": "refund"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["order_id"]);
    let res = app
        .client
        .put(app.url("/v1/return-policies/default"))
        .bearer_auth(admin())
        .json(
            &json!({"window_days": 30, "window_from": "delivery", "restocking_fee_percent": "150",
            "return_shipping_paid_by": "customer", "return_label_fee": eur("4.95"),
            "return_location": "ret 1", "exchange_reservation": "immediately"}),
        )
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["restocking_fee_percent", "return_location"]);
    let (_, policies) = app.get_json("/v1/return-policies", &agent()).await;
    assert_eq!(
        policies[0]["policy"]["restocking_fee_percent"], "10",
        "unchanged"
    );
}

#[tokio::test]
async fn an_exchange_ends_when_orders_places_its_replacement() {
    let app = app().await;
    set_policy(&app).await;
    let order = shipped_order(&app, "WEB-7001", &[("MUG-1", 2)], 2).await;
    let v = post_email_ok(
        &app,
        &email(
            "ana@example.com",
            "x1@mail.example.com",
            "Exchange",
            "The mug from order WEB-7001 is the wrong size, could I exchange it for another one?",
        ),
        StatusCode::CREATED,
    )
    .await;
    let ticket_id = v["ticket_id"].as_str().unwrap();
    let res = request(
        &app,
        &agent(),
        &json!({"ticket_id": ticket_id, "lines": [{"line_no": 1, "quantity": 1}],
        "reason": "size_or_fit", "resolution": "exchange"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["status"], "authorized");
    assert_eq!(r["order_id"], order.order_id.as_str());
    // Orders places the replacement: its OrderPlaced names the return.
    let replacement = domain::events::proto::orders::v1::OrderPlaced {
        order_id: uuid::Uuid::now_v7().to_string(),
        channel_id: "web".into(),
        external_order_id: format!("WEB-7001-{}", r["number"].as_str().unwrap()),
        replaces_return_id: r["id"].as_str().unwrap().into(),
        total: Some(domain::events::proto::common::v1::Money {
            amount: "0".into(),
            currency: "EUR".into(),
        }),
        ..Default::default()
    };
    for _ in 0..2 {
        platform::testing::fixtures::publish_applied(
            &app,
            topics::ORDERS_ORDER_EVENTS,
            &replacement.order_id,
            &replacement,
        )
        .await;
    }
    let (_, done) = app
        .get_json(
            &format!("/v1/returns/{}", r["id"].as_str().unwrap()),
            &agent(),
        )
        .await;
    assert_eq!(done["status"], "exchanged");
    let last = done["steps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["step"], "replacement");
    assert!(
        last["detail"]
            .as_str()
            .unwrap()
            .contains(&replacement.external_order_id)
    );
    let replaced = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["step"] == "replacement")
        .count();
    assert_eq!(replaced, 1, "once");
    let t = ticket(&app, ticket_id, &agent()).await;
    assert_eq!(t["status"], "resolved");
    // The parcel arrives after the replacement left: its receipt and grades
    // are steps of the saga (once), the RMA stays exchanged.
    let inspected = domain::events::proto::warehouse::v1::ReturnInspected {
        return_id: r["id"].as_str().unwrap().into(),
        number: r["number"].as_str().unwrap().into(),
        order_id: order.order_id.clone(),
        channel_id: "web".into(),
        location_code: "RET-1".into(),
        lines: vec![domain::events::proto::warehouse::v1::InspectedLine {
            line_no: 1,
            sku: "MUG-1".into(),
            resellable: 1,
            ..Default::default()
        }],
        received_by: "user:dock".into(),
        inspected_by: "user:dock".into(),
        ..Default::default()
    };
    for _ in 0..2 {
        platform::testing::fixtures::publish_applied(
            &app,
            topics::WAREHOUSE_RETURN_EVENTS,
            &order.order_id,
            &inspected,
        )
        .await;
    }
    let (_, after) = app
        .get_json(
            &format!("/v1/returns/{}", r["id"].as_str().unwrap()),
            &agent(),
        )
        .await;
    assert_eq!(after["status"], "exchanged");
    let steps: Vec<&str> = after["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "requested",
            "authorized",
            "replacement",
            "received",
            "inspected"
        ]
    );
}
