//! The ledger: every business event posts one balanced entry, exactly once
//! (replays, with the same event id or a new one, change nothing); stock is
//! valued at moving average landed cost and shipments post their cost of
//! goods; the trial balance stays at zero through a concurrent burst;
//! closed periods refuse manual entries and move events to the next open
//! month; every refusal names its field and changes nothing.

mod common;

use std::time::Duration;

use chrono::{Datelike, Months, NaiveDate, Utc};
use common::*;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Envelope, topics};
use platform::testing::{eventually, publish_with, scalar};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn balance(tb: &Value, account: &str) -> String {
    tb["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == account)
        .map(|a| {
            let amount = a["balance"]["amount"].as_str().unwrap();
            match a["balance_side"].as_str().unwrap() {
                "credit" if amount != "0.00" => format!("-{amount}"),
                _ => amount.to_string(),
            }
        })
        .unwrap_or_else(|| "0.00".into())
}

#[tokio::test]
async fn a_concurrent_burst_keeps_the_trial_balance_at_zero_and_replays_change_nothing() {
    let app = app().await;
    setup(&app, "web", "tax_exclusive", "per_document").await;
    // 100 units at 8.00 and then 100 at 9.00: the average is 8.50.
    receive(&app, &[("TEE-1", 100, 0, "8.00")]).await;
    let producer = app.runtime().producer.clone();
    let mut orders = Vec::new();
    for _ in 0..40 {
        orders.push(
            place(
                &app,
                &Order {
                    lines: &[("TEE-1", 2, "19.90")],
                    ..Default::default()
                },
            )
            .await,
        );
    }
    // Receipts and shipments at once, on different topics and consumers.
    let mut sent: Vec<(String, String, Vec<u8>, Envelope)> = Vec::new();
    let receipt = warehouse::GoodsReceived {
        receipt_id: "R-2".into(),
        purchase_order_id: "PO-2".into(),
        purchase_order_number: "PO-2".into(),
        supplier_code: "ACME".into(),
        lines: vec![warehouse::ReceivedLine {
            line_no: 1,
            sku: "TEE-1".into(),
            good: 100,
            damaged: 4,
            unit_landed_cost: Some(eur("9.00")),
            ..Default::default()
        }],
        received_at: Some(domain::events::timestamp(Utc::now())),
        ..Default::default()
    };
    let envelope = Envelope::new::<warehouse::GoodsReceived>("test");
    let receiving = app.topic(topics::WAREHOUSE_RECEIVING_EVENTS);
    let shipping = app.topic(topics::WAREHOUSE_FULFILLMENT_EVENTS);
    for (i, order) in orders.iter().enumerate() {
        if i == 10 {
            publish_with(&producer, &receiving, "PO-2", &receipt, &envelope).await;
            sent.push((
                receiving.clone(),
                "PO-2".into(),
                prost::Message::encode_to_vec(&receipt),
                envelope.clone(),
            ));
        }
        let event = shipped(order, &format!("F-{i}"), &[(1, "TEE-1", 2)], Utc::now());
        let env = Envelope::new::<warehouse::FulfillmentShipped>("test");
        publish_with(&producer, &shipping, order, &event, &env).await;
        sent.push((
            shipping.clone(),
            order.clone(),
            prost::Message::encode_to_vec(&event),
            env,
        ));
    }
    let db = app.runtime().db.clone();
    assert!(
        eventually(Duration::from_secs(60), || async {
            scalar(&db, "SELECT count(*) AS n FROM journal_entries WHERE source IN ('shipment', 'goods_received')").await == 42
        })
        .await,
        "40 shipments and 2 receipts posted"
    );
    assert_eq!(unbalanced_entries(&app).await, 0);
    let tb = trial_balance(&app).await;
    assert_eq!(tb["total_debit"], tb["total_credit"]);
    // Inventory: 800 + 900 received, 80 units shipped at whatever the
    // average was when each left; what is left is valued as stock says.
    let stock_value = scalar(
        &db,
        "SELECT (value * 100)::bigint AS n FROM stock_values WHERE sku = 'TEE-1'",
    )
    .await;
    let inventory: rust_decimal::Decimal = balance(&tb, "1300").parse().unwrap();
    assert_eq!(
        inventory * rust_decimal::Decimal::ONE_HUNDRED,
        rust_decimal::Decimal::from(stock_value)
    );
    let cogs: rust_decimal::Decimal = balance(&tb, "5000").parse().unwrap();
    assert_eq!(
        cogs + inventory,
        "1700.00".parse::<rust_decimal::Decimal>().unwrap(),
        "received value is in stock or sold"
    );
    assert_eq!(
        balance(&tb, "6900"),
        "36.00",
        "4 damaged units written off at 9.00"
    );
    assert_eq!(
        balance(&tb, "2100"),
        "-1736.00",
        "goods received not invoiced: everything received"
    );

    // Replays: the same records again (the inbox drops them), then the same
    // events under new ids (a producer's retry): nothing is posted twice.
    let before = scalar(&db, "SELECT count(*) AS n FROM journal_lines").await;
    for (topic, key, payload, env) in &sent {
        let headers: Vec<(String, String)> = env
            .to_headers()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        producer.send(topic, key, payload, &headers).await.unwrap();
    }
    for (topic, key, payload, env) in &sent {
        let fresh = Envelope {
            event_id: domain::ids::EventId::new(),
            ..env.clone()
        };
        let headers: Vec<(String, String)> = fresh
            .to_headers()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        producer.send(topic, key, payload, &headers).await.unwrap();
    }
    assert!(
        app.wait_consumed(topics::WAREHOUSE_FULFILLMENT_EVENTS, 120)
            .await
    );
    assert!(
        app.wait_consumed(topics::WAREHOUSE_RECEIVING_EVENTS, 4)
            .await
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) AS n FROM journal_lines").await,
        before
    );
    assert_eq!(trial_balance(&app).await, tb);
}

#[tokio::test]
async fn closed_periods_refuse_manual_entries_and_move_events_to_the_next_open_month() {
    let app = app().await;
    setup(&app, "web", "tax_exclusive", "per_document").await;
    let today = Utc::now().date_naive();
    let last_month = today
        .with_day(1)
        .unwrap()
        .checked_sub_months(Months::new(1))
        .unwrap();
    let period = format!("{:04}-{:02}", last_month.year(), last_month.month());
    let (status, body) = post(&app, &format!("/v1/periods/{period}/close"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "closed");
    let (status, _) = post(&app, &format!("/v1/periods/{period}/close"), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "closed already");
    let next_year = format!("{}-01", today.year() + 1);
    let (status, body) = post(&app, &format!("/v1/periods/{next_year}/close"), &json!({})).await;
    assert_eq!(
        (status, body["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("period"))
    );

    let entry = |day: NaiveDate, lines: Value| json!({"posted_on": day.to_string(), "memo": "opening bank balance", "lines": lines});
    let balanced = json!([
        {"account": "1200", "debit": {"amount": "1000.00", "currency": "EUR"}},
        {"account": "3000", "credit": {"amount": "1000.00", "currency": "EUR"}}
    ]);
    let refusals = [
        (entry(last_month, balanced.clone()), "posted_on"),
        (
            entry(
                today,
                json!([
                    {"account": "1200", "debit": {"amount": "1000.00", "currency": "EUR"}},
                    {"account": "3000", "credit": {"amount": "999.99", "currency": "EUR"}}
                ]),
            ),
            "lines",
        ),
        (
            entry(
                today,
                json!([
                    {"account": "1200", "debit": {"amount": "1000.00", "currency": "EUR"}},
                    {"account": "9999", "credit": {"amount": "1000.00", "currency": "EUR"}}
                ]),
            ),
            "lines[1].account",
        ),
        (
            entry(
                today,
                json!([
                    {"account": "1200", "debit": {"amount": "10.001", "currency": "EUR"}},
                    {"account": "3000", "credit": {"amount": "10.001", "currency": "EUR"}}
                ]),
            ),
            "lines[0].debit",
        ),
    ];
    for (body, field) in refusals {
        let (status, problem) = post(&app, "/v1/journal-entries", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (status, problem) = post(
        &app,
        "/v1/journal-entries",
        &entry(
            today,
            json!([
                {"account": "1200", "debit": {"amount": "1.00", "currency": "XYZ"}},
                {"account": "3000", "credit": {"amount": "1.00", "currency": "XYZ"}}
            ]),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem.to_string().contains("currency"),
        "an unknown currency is named: {problem}"
    );
    let (_, tb) = app
        .get_json("/v1/trial-balance?currency=XYZ", &finance())
        .await;
    assert!(tb.to_string().contains("currency"), "{tb}");
    assert_eq!(
        scalar(
            &app.runtime().db,
            "SELECT count(*) AS n FROM journal_entries"
        )
        .await,
        0,
        "nothing posted"
    );

    let (status, posted) = post(&app, "/v1/journal-entries", &entry(today, balanced)).await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    assert_eq!(posted["source"], "manual");

    // A shipment dated in the closed month counts on the first of this one.
    let order = place(
        &app,
        &Order {
            lines: &[("TEE-1", 1, "19.90")],
            ..Default::default()
        },
    )
    .await;
    let late = shipped(
        &order,
        "F-LATE",
        &[(1, "TEE-1", 1)],
        last_month.and_hms_opt(12, 0, 0).unwrap().and_utc(),
    );
    platform::testing::fixtures::publish_applied(
        &app,
        topics::WAREHOUSE_FULFILLMENT_EVENTS,
        &order,
        &late,
    )
    .await;
    let entries = get(&app, &format!("/v1/journal-entries?order_id={order}")).await;
    let e = &entries["items"][0];
    assert_eq!(e["occurred_on"], last_month.to_string());
    assert_eq!(e["posted_on"], today.with_day(1).unwrap().to_string());
}

/// The database itself refuses lines that leave an entry unbalanced, and
/// lines that would unbalance an entry posted before, whatever code sent
/// them; a balanced entry of many lines goes in.
#[tokio::test]
async fn the_database_refuses_an_unbalanced_entry() {
    use diesel_async::RunQueryDsl;
    let app = app().await;
    let mut conn = app.runtime().db.get().await.unwrap();
    let entry = |id: &str| {
        format!(
            "INSERT INTO journal_entries (id, source, source_id, posted_on, occurred_on, memo, created_by) \
             VALUES ('{id}', 'test', '{id}', current_date, current_date, 'test', 'test')"
        )
    };
    let lines = |id: &str, amounts: &[&str]| {
        let values: Vec<String> = amounts
            .iter()
            .enumerate()
            .map(|(i, a)| format!("('{id}', {}, '6900', 'EUR', {a})", i + 1))
            .collect();
        format!(
            "INSERT INTO journal_lines (entry_id, line_no, account, currency, amount) VALUES {}",
            values.join(", ")
        )
    };
    let balanced = uuid::Uuid::now_v7().to_string();
    diesel::sql_query(entry(&balanced))
        .execute(&mut conn)
        .await
        .unwrap();
    let many: Vec<String> = (0..2000)
        .map(|i| if i % 2 == 0 { "1.25" } else { "-1.25" }.to_string())
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    diesel::sql_query(lines(&balanced, &many))
        .execute(&mut conn)
        .await
        .expect("a balanced entry goes in");
    let off = uuid::Uuid::now_v7().to_string();
    diesel::sql_query(entry(&off))
        .execute(&mut conn)
        .await
        .unwrap();
    let err = diesel::sql_query(lines(&off, &["10.00", "-9.99"]))
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not balance in EUR"), "{err}");
    // A line added later to the balanced entry, even with its own counterpart
    // in another entry, is refused too.
    let err = diesel::sql_query(format!(
        "INSERT INTO journal_lines (entry_id, line_no, account, currency, amount) \
         VALUES ('{balanced}', 9999, '6900', 'EUR', 5), ('{off}', 1, '6900', 'EUR', -5)"
    ))
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("does not balance"), "{err}");
    assert_eq!(
        scalar(
            &app.runtime().db,
            &format!(
                "SELECT count(*) AS n FROM journal_lines WHERE entry_id IN ('{balanced}', '{off}')"
            )
        )
        .await,
        2000,
        "nothing of the refused inserts is there"
    );
}
