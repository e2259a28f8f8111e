//! Tickets through the HTTP API against the real stack: linked to their
//! order, triaged, with the order's facts and a suggested reply; the status
//! lifecycle, replies published for sending, notes kept internal; refusals
//! that name the field and change nothing; channel isolation.

mod common;

use std::time::Duration;

use chrono::{Duration as Days, Utc};
use common::*;
use domain::events::proto::support::v1 as pb;
use domain::events::topics;
use platform::testing::{channel_token, decode_all, fields, problem, read_topic_until};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_ticket_links_its_order_and_shows_its_facts_and_a_suggested_reply() {
    let app = app().await;
    let order = place(
        &app,
        "web",
        "WEB-1001",
        "ana@example.com",
        &[("MUG-1", 1), ("TEA-2", 1)],
        Utc::now() - Days::days(3),
    )
    .await;
    confirm(&app, &order).await;
    ship(
        &app,
        &order,
        "WH1",
        "DHL",
        "JD014600003828",
        &[(1, "MUG-1", 1), (2, "TEA-2", 1)],
        Utc::now() - Days::days(2),
    )
    .await;

    let res = create_ticket(
        &app,
        &agent(),
        &json!({
            "subject": "Where is my order?",
            "body": "Hi, my order WEB-1001 still hasn't arrived. Where is my parcel? When will it be delivered?",
            "customer_email": "Ana@Example.com",
            "customer_name": "Ana Silva",
            "external_order_id": "WEB-1001",
            "channel_id": "web"
        }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: serde_json::Value = res.json().await.unwrap();
    assert_eq!(t["number"].as_str().unwrap().len(), 8, "{t}");
    assert_eq!(t["status"], "new");
    assert_eq!(t["source"], "api");
    assert_eq!(t["channel_id"], "web");
    assert_eq!(t["customer_email"], "ana@example.com");
    assert_eq!(t["order_id"], order.order_id.as_str());
    assert_eq!(t["linked_by"], "order_number");
    assert_eq!(
        t["triage"]["intent"], "where_is_my_order",
        "{}",
        t["triage"]
    );
    assert_eq!(t["category"], "where_is_my_order");
    assert_eq!(t["triage"]["intents"].as_array().unwrap().len(), 9);
    let facts = &t["order"];
    assert_eq!(facts["status"], "shipped");
    assert_eq!(facts["lines"][0]["shipped"], 1);
    assert_eq!(facts["lines"][0]["unit_price"]["amount"], "19.90");
    assert_eq!(facts["parcels"][0]["tracking_number"], "JD014600003828");
    assert_eq!(facts["return_days_left"], 28);
    let reply = t["suggested_reply"]["body"].as_str().unwrap();
    assert!(reply.contains("Hello Ana,"), "{reply}");
    assert!(
        reply.contains("DHL tracking number JD014600003828"),
        "{reply}"
    );
    assert_eq!(t["messages"][0]["kind"], "customer");
    assert_eq!(
        t["messages"].as_array().unwrap().len(),
        1,
        "no auto-reply unless enabled"
    );

    let records = read_topic_until(
        &app.topic(topics::SUPPORT_TICKET_EVENTS),
        Duration::from_secs(20),
        Duration::from_millis(300),
        |r| !decode_all::<pb::TicketCreated>(r).is_empty(),
    )
    .await;
    let created = decode_all::<pb::TicketCreated>(&records);
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].order_id, order.order_id);
    assert_eq!(created[0].channel_id, "web");
    assert_eq!(
        created[0].triage.as_ref().unwrap().intent,
        "where_is_my_order"
    );

    // The sender's own latest order is found without a number.
    let res = create_ticket(
        &app,
        &agent(),
        &json!({
            "subject": "Question",
            "body": "Can I still change something about my purchase?",
            "customer_email": "ana@example.com"
        }),
    )
    .await;
    let t: serde_json::Value = res.json().await.unwrap();
    assert_eq!(t["linked_by"], "customer_email");
    assert_eq!(t["order_id"], order.order_id.as_str());
    assert_eq!(t["channel_id"], "web", "the order's channel");
}

#[tokio::test]
async fn statuses_replies_and_notes_follow_the_lifecycle() {
    let app = app().await;
    let res = create_ticket(
        &app,
        &agent(),
        &json!({
            "subject": "Invoice",
            "body": "I was charged twice for my order, please refund the second payment.",
            "customer_email": "bob@example.org"
        }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: serde_json::Value = res.json().await.unwrap();
    let id = t["id"].as_str().unwrap().to_string();
    assert_eq!(t["linked_by"], "none");
    assert!(t.get("channel_id").is_none());

    // An internal note opens it; a reply waits for the customer and is the first response.
    let res = message(
        &app,
        &id,
        &agent(),
        &json!({"kind": "note", "body": "Checked the PSP: two captures."}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: serde_json::Value = res.json().await.unwrap();
    assert_eq!(t["status"], "open");
    assert!(t.get("first_response_at").is_none());
    let res = message(
        &app,
        &id,
        &agent(),
        &json!({"kind": "reply", "body": "We refunded the second payment."}),
    )
    .await;
    let t: serde_json::Value = res.json().await.unwrap();
    assert_eq!(t["status"], "pending_customer");
    assert!(t["first_response_at"].is_string());
    assert_eq!(t["messages"][2]["kind"], "reply");
    let reply_id = t["messages"][2]["message_id"].as_str().unwrap().to_string();
    assert!(reply_id.ends_with("@support.crossdock"));

    // The customer answers: open again. Then resolved, closed, and a
    // closed ticket can't be resolved again (only reopened).
    let res = message(
        &app,
        &id,
        &agent(),
        &json!({"kind": "customer", "body": "Thanks, but I see only one refund."}),
    )
    .await;
    let t: serde_json::Value = res.json().await.unwrap();
    assert_eq!(t["status"], "open");
    let res = patch(
        &app,
        &id,
        &json!({"status": "resolved", "priority": "high", "assignee": "agent-7"}),
    )
    .await;
    let t: serde_json::Value = res.json().await.unwrap();
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["assignee"], "agent-7");
    assert!(t["resolved_at"].is_string());
    let version = t["version"].as_i64().unwrap();
    let res = patch(&app, &id, &json!({"status": "closed", "assignee": null})).await;
    let t: serde_json::Value = res.json().await.unwrap();
    assert_eq!(t["status"], "closed");
    assert!(t.get("assignee").is_none(), "unassigned");
    let p = problem(
        patch(&app, &id, &json!({"status": "resolved"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("closed"), "{p}");
    // A stale version is refused.
    let res = app
        .client
        .patch(app.url(&format!("/v1/tickets/{id}")))
        .bearer_auth(agent())
        .header("If-Match", format!("\"{version}\""))
        .json(&json!({"priority": "low"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let res = patch(&app, &id, &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK, "an empty change is no change");
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["version"],
        version + 1
    );
    let after = ticket(&app, &id, &agent()).await;
    assert_eq!(after["priority"], "high", "refusals changed nothing");

    // The reply went out for sending, threaded on the customer's message.
    let records = read_topic_until(
        &app.topic(topics::SUPPORT_TICKET_EVENTS),
        Duration::from_secs(20),
        Duration::from_millis(300),
        |r| decode_all::<pb::TicketStatusChanged>(r).len() >= 5,
    )
    .await;
    let replies = decode_all::<pb::TicketReplied>(&records);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].to, "bob@example.org");
    assert_eq!(replies[0].message_id, reply_id);
    assert!(
        replies[0].subject.starts_with("Re: [T-"),
        "{}",
        replies[0].subject
    );
    assert!(!replies[0].auto_reply);
    let moves: Vec<(String, String)> = decode_all::<pb::TicketStatusChanged>(&records)
        .into_iter()
        .map(|s| (s.from_status, s.to_status))
        .collect();
    let moves: Vec<(&str, &str)> = moves
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        moves,
        [
            ("new", "open"),
            ("open", "pending_customer"),
            ("pending_customer", "open"),
            ("open", "resolved"),
            ("resolved", "closed")
        ]
    );
}

#[tokio::test]
async fn bad_input_names_the_field_and_creates_nothing() {
    let app = app().await;
    let cases = [
        (
            json!({"subject": "x", "body": "y", "customer_email": "not-an-address"}),
            "customer_email",
        ),
        (
            json!({"subject": " ", "body": "y", "customer_email": "a@b.example"}),
            "subject",
        ),
        (
            json!({"subject": "x", "body": "y", "customer_email": "a@b.example", "external_order_id": "NOPE-1"}),
            "external_order_id",
        ),
        (
            json!({"subject": "x", "body": "y", "customer_email": "a@b.example", "channel_id": "Bad Channel"}),
            "channel_id",
        ),
        (
            json!({"subject": "x", "body": "y", "customer_email": "a@b.example", "priority": "asap"}),
            "priority",
        ),
    ];
    for (body, field) in cases {
        let res = create_ticket(&app, &agent(), &body).await;
        let status = res.status();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{body}: {status}"
        );
        let p = problem(res, status).await;
        assert!(fields(&p).contains(&field.to_string()), "{body}: {p}");
    }
    assert_eq!(count(&app, "SELECT count(*) AS n FROM tickets").await, 0);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 0);

    let res = create_ticket(
        &app,
        &agent(),
        &json!({"subject": "x", "body": "where is my order", "customer_email": "a@b.example"}),
    )
    .await;
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = problem(
        message(
            &app,
            &id,
            &agent(),
            &json!({"kind": "customer", "body": "ok", "status": "resolved"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["status"]);
    let res = message(
        &app,
        &id,
        &agent(),
        &json!({"kind": "reply", "body": "ok", "status": "closed"}),
    )
    .await;
    let code = res.status();
    assert!(code == StatusCode::BAD_REQUEST || code == StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(res, code).await), ["status"]);
    let p = problem(
        message(
            &app,
            &id,
            &agent(),
            &json!({"kind": "note", "body": "x", "attachments": ["0".repeat(64)]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["attachments[0]"]);
    let t = ticket(&app, &id, &agent()).await;
    assert_eq!(
        t["messages"].as_array().unwrap().len(),
        1,
        "nothing was added"
    );
    assert_eq!(t["status"], "new");
}

#[tokio::test]
async fn channels_see_and_touch_only_their_own_tickets() {
    let app = app().await;
    let amazon = channel_token("amazon-de");
    let res = create_ticket(
        &app,
        &amazon,
        &json!({
            "subject": "Buyer message",
            "body": "The item arrived broken, the glass is shattered.",
            "customer_email": "buyer123@marketplace.example"
        }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: serde_json::Value = res.json().await.unwrap();
    let id = t["id"].as_str().unwrap().to_string();
    assert_eq!(t["channel_id"], "amazon-de");
    assert_eq!(t["source"], "channel");
    let res = message(
        &app,
        &id,
        &agent(),
        &json!({"kind": "note", "body": "Internal: check the carrier claim."}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // The channel sees its ticket without the note; another channel sees nothing.
    let own = ticket(&app, &id, &amazon).await;
    assert!(
        own["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["kind"] != "note"),
        "{own}"
    );
    let web = channel_token("web");
    let (status, _) = app.get_json(&format!("/v1/tickets/{id}"), &web).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.get_json("/v1/tickets", &web).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let (status, _) = app.get_json("/v1/tickets?channel=amazon-de", &web).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = app
        .get_json("/v1/tickets?channel=amazon-de", &agent())
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let res = message(
        &app,
        &id,
        &web,
        &json!({"kind": "customer", "body": "hello"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A channel relays the customer only, can't change the ticket, and
    // can't open one for another channel.
    let p = problem(
        message(&app, &id, &amazon, &json!({"kind": "reply", "body": "hi"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["kind"]);
    let res = app
        .client
        .patch(app.url(&format!("/v1/tickets/{id}")))
        .bearer_auth(&amazon)
        .json(&json!({"status": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = create_ticket(
        &app,
        &amazon,
        &json!({"subject": "x", "body": "y", "customer_email": "a@b.example", "channel_id": "web"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Auto-reply settings are an admin's.
    let res = app
        .client
        .put(app.url("/v1/auto-replies/where_is_my_order"))
        .bearer_auth(agent())
        .json(&json!({"enabled": true, "min_confidence": 0.9}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
