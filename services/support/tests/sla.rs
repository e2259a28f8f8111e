//! SLA timers against the real stack: a policy per channel and priority
//! (the default for the rest) sets a ticket's due times in business hours;
//! waiting on the customer pauses them and the customer's answer resumes
//! them where they stood; a new priority takes its policy's terms; a missed
//! target is escalated once, across a restart; bad policies are refused
//! naming the field. (Business-hour arithmetic across weekends, holidays and
//! DST is unit-tested in `domain::sla`.)

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use domain::events::proto::support::v1 as pb;
use domain::events::topics;
use platform::testing::{decode_all, fields, problem, read_topic_until};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::events::background::SLA_SWEEPER;

async fn put_policy(
    app: &platform::testing::TestApp,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/v1/sla-policies/{path}")))
        .bearer_auth(admin())
        .json(body)
        .send()
        .await
        .unwrap()
}

fn round_the_clock(first: i64, resolution: i64) -> Value {
    json!({
        "first_response_minutes": first, "resolution_minutes": resolution,
        "time_zone": "UTC", "working_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "opens": "00:00", "closes": "24:00"
    })
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn timers_follow_the_policy_pause_for_the_customer_and_escalate_once() {
    let mut app = app().await;
    let res = put_policy(&app, "default/normal", &round_the_clock(60, 480)).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let berlin = json!({
        "first_response_minutes": 120, "resolution_minutes": 960,
        "time_zone": "Europe/Berlin", "working_days": ["mon", "tue", "wed", "thu", "fri"],
        "opens": "09:00", "closes": "17:00", "holidays": ["2026-12-25", "2026-12-26"]
    });
    let res = put_policy(&app, "web/urgent", &berlin).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, policies) = app.get_json("/v1/sla-policies", &agent()).await;
    let policies = policies.as_array().unwrap();
    assert_eq!(policies.len(), 2);
    assert_eq!(policies[1]["channel"], "web");
    assert_eq!(policies[1]["opens"], "09:00");
    assert_eq!(policies[1]["working_days"].as_array().unwrap().len(), 5);

    let res = create_ticket(
        &app,
        &agent(),
        &json!({"subject": "Invoice", "body": "Please send me the invoice again.",
                "customer_email": "bob@example.org", "channel_id": "web", "priority": "normal"}),
    )
    .await;
    let t: Value = res.json().await.unwrap();
    let id = t["id"].as_str().unwrap().to_string();
    let created = at(&t["created_at"]);
    assert_eq!(
        t["sla"]["policy"], "default/normal",
        "the web channel has no normal policy"
    );
    assert_eq!(t["sla"]["paused"], false);
    assert_eq!(
        at(&t["sla"]["first_response_due_at"]),
        created + chrono::Duration::minutes(60)
    );
    assert_eq!(
        at(&t["sla"]["resolution_due_at"]),
        created + chrono::Duration::minutes(480)
    );

    // A reply: the first response is met, and waiting on the customer pauses.
    let res = message(
        &app,
        &id,
        &agent(),
        &json!({"kind": "reply", "body": "Sent again."}),
    )
    .await;
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["status"], "pending_customer");
    assert_eq!(t["sla"]["paused"], true);
    assert!(t["sla"].get("first_response_due_at").is_none());
    assert!(t["sla"].get("resolution_due_at").is_none(), "paused");
    let replied = at(&t["first_response_at"]);
    // The customer answers: the clock resumes with what was left.
    let res = message(
        &app,
        &id,
        &agent(),
        &json!({"kind": "customer", "body": "Not received."}),
    )
    .await;
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["status"], "open");
    let resumed = at(&t["updated_at"]);
    let used = (replied - created).num_seconds();
    let due = at(&t["sla"]["resolution_due_at"]);
    let expected = resumed + chrono::Duration::seconds(480 * 60 - used);
    assert!(
        (due - expected).num_seconds().abs() <= 1,
        "{due} vs {expected}"
    );
    assert!(
        due > created + chrono::Duration::minutes(480),
        "the pause moved it later"
    );

    // A new priority takes the terms of its policy.
    let res = patch(&app, &id, &json!({"priority": "urgent"})).await;
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["sla"]["policy"], "web/urgent");

    // A ticket whose first response is overdue (its due time moved into the
    // past, as time passing would) is escalated once, restart or not.
    let res = create_ticket(
        &app,
        &agent(),
        &json!({"subject": "Help", "body": "Where is my order?", "customer_email": "c@example.org",
                "priority": "normal"}),
    )
    .await;
    let late: Value = res.json().await.unwrap();
    let late_id = late["id"].as_str().unwrap().to_string();
    count(
        &app,
        &format!(
            "WITH u AS (UPDATE tickets SET first_response_due_at = now() - interval '1 minute' \
             WHERE id = '{late_id}' RETURNING 1) SELECT count(*) AS n FROM u"
        ),
    )
    .await;
    app.runtime().waker(SLA_SWEEPER).notify_one();
    let records = read_topic_until(
        &app.topic(topics::SUPPORT_TICKET_EVENTS),
        Duration::from_secs(30),
        Duration::from_millis(200),
        |r| !decode_all::<pb::TicketEscalated>(r).is_empty(),
    )
    .await;
    assert_eq!(decode_all::<pb::TicketEscalated>(&records).len(), 1);
    app.restart().await;
    for _ in 0..2 {
        // Two whole sweeps after the restart (a wake-up runs one at once).
        app.runtime().waker(SLA_SWEEPER).notify_one();
        assert!(app.wait_background_steps(SLA_SWEEPER, 1).await);
    }
    let records = read_topic_until(
        &app.topic(topics::SUPPORT_TICKET_EVENTS),
        Duration::from_secs(5),
        Duration::from_millis(500),
        |_| false,
    )
    .await;
    let escalated = decode_all::<pb::TicketEscalated>(&records);
    assert_eq!(escalated.len(), 1, "once: {escalated:?}");
    assert_eq!(escalated[0].ticket_id, late_id);
    assert_eq!(escalated[0].timer, "first_response");
    assert_eq!(escalated[0].policy, "default/normal");
    let t = ticket(&app, &late_id, &agent()).await;
    assert!(t["sla"]["first_response_breached_at"].is_string());
    let (_, risky) = app
        .get_json("/v1/tickets/at-risk?within_minutes=30", &agent())
        .await;
    let risky = risky.as_array().unwrap();
    assert_eq!(risky.len(), 1, "{risky:?}");
    assert_eq!(risky[0]["ticket"]["id"], late_id.as_str());
    assert_eq!(risky[0]["breached"], true);
    let (_, wide) = app
        .get_json("/v1/tickets/at-risk?within_minutes=10080", &agent())
        .await;
    assert_eq!(wide.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_policies_name_the_field_and_change_nothing() {
    let app = app().await;
    let mut zone = round_the_clock(60, 480);
    zone["time_zone"] = json!("Mars/Olympus");
    let mut hours = round_the_clock(60, 480);
    hours["opens"] = json!("18:00");
    hours["closes"] = json!("17:00");
    let cases = [
        ("default/normal", zone, "time_zone"),
        ("default/normal", hours, "closes"),
        (
            "default/normal",
            round_the_clock(600, 60),
            "resolution_minutes",
        ),
        ("Bad_Channel/normal", round_the_clock(60, 480), "channel"),
        ("default/asap", round_the_clock(60, 480), "priority"),
    ];
    for (path, body, field) in cases {
        let p = problem(
            put_policy(&app, path, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&p), [field], "{path} {body}: {p}");
    }
    let res = app
        .client
        .put(app.url("/v1/sla-policies/default/normal"))
        .bearer_auth(agent())
        .json(&round_the_clock(60, 480))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "policies are an admin's"
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM sla_policies").await,
        0
    );
}
