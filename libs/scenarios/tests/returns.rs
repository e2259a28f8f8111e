//! One return across five services over Kafka: a marketplace order shipped
//! and invoiced → the customer's email becomes a ticket linked to the order
//! and triaged "return request" → the RMA is authorised by the channel's
//! policy → billing and orders restart → the warehouse scans both units in
//! and grades one resellable, one scrap (billing restarts again as it
//! arrives) → inventory restocks one at the return location and writes the
//! other off → billing credits the invoice, keeps the restocking fee and the
//! label, gives the channel's commission back → orders marks the line
//! returned and the channel's signed webhook carries the refund → the
//! ticket is resolved. Every effect exactly once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use domain::events::proto::billing::v1 as billing;
use domain::events::topics;
use platform::Role;
use platform::testing::fixtures::serve_http;
use platform::testing::{
    channel_token, decode_all, eventually, read_topic_until, scalar, token, token_for,
};
use reqwest::{Method, StatusCode};
use scenarios::{Stack, call, fulfillments, ops, pack_and_ship, release, scan, wait_for};
use serde_json::{Value, json};

const WH: &str = "WH-RET";
const SKU: &str = "RET-TEE";
const CHANNEL: &str = "amazon-ret";
const EXTERNAL: &str = "302-5555555-5555555";
const SECRET: &str = "whsec-returns-0123456789";

fn finance() -> String {
    token(&[Role::Finance])
}

fn agent() -> String {
    token_for("sam", &[Role::Support])
}

async fn ok(
    app: &platform::testing::TestApp,
    method: Method,
    path: &str,
    bearer: &str,
    body: Value,
) -> Value {
    let (status, answer) = call(app, method.clone(), path, bearer, Some(&body)).await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

fn eur(a: &str) -> Value {
    json!({"amount": a, "currency": "EUR"})
}

/// A webhook receiver on 127.0.0.1: (signature, body) of every delivery.
type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let (base, _server) = serve_http(move |cfg: &mut web::ServiceConfig| {
        let kept = kept.clone();
        cfg.route(
            "/hooks",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let kept = kept.clone();
                async move {
                    let signature = req
                        .headers()
                        .get(orders::domain::webhook::SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    kept.lock().unwrap().push((signature, body.to_vec()));
                    HttpResponse::NoContent().finish()
                }
            }),
        );
    });
    (format!("{base}/hooks"), seen)
}

async fn count(app: &platform::testing::TestApp, sql: &str) -> i64 {
    scalar(&app.runtime().db, sql).await
}

/// Debits less credits of an account.
fn balance(tb: &Value, account: &str) -> rust_decimal::Decimal {
    tb["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == account)
        .map(|a| {
            let side = |k: &str| {
                a[k]["amount"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            };
            side("debit") - side("credit")
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_emailed_return_is_refunded_restocked_and_resolved_once_across_restarts() {
    let mut stack = Stack::start().await;
    let ops = ops();
    let (hook, seen) = receiver();

    // Billing: the seller, the channel taxed inclusive, its fees (Amazon
    // keeps 20 % of the commission on refunds, at most 5.00), the limit
    // above which a refund waits for a second person.
    let b = &stack.billing;
    ok(
        b,
        Method::PUT,
        "/v1/legal-entities/EU1",
        &finance(),
        json!({
        "name": "Crossdock Demo GmbH", "country": "DE", "vat_id": "DE136695976",
        "street": "Friedrichstraße 1", "city": "Berlin", "postal_code": "10117"}),
    )
    .await;
    ok(
        b,
        Method::PUT,
        &format!("/v1/channel-billing/{CHANNEL}"),
        &finance(),
        json!({"legal_entity": "EU1", "prices": "tax_inclusive", "rounding": "per_document"}),
    )
    .await;
    ok(
        b,
        Method::PUT,
        "/v1/tax-rules/DE/standard",
        &finance(),
        json!({"rate": "19"}),
    )
    .await;
    ok(
        b,
        Method::PUT,
        &format!("/v1/fee-schedules/{CHANNEL}/2026-01-01"),
        &finance(),
        json!({
        "currency": "EUR", "default_commission_percent": "15",
        "per_order_fee": eur("0"), "per_unit_fulfillment_fee": eur("0"),
        "payment_percent": "0", "payment_fixed_fee": eur("0"),
        "refund_admin_percent": "20", "refund_admin_max_fee": eur("5.00")}),
    )
    .await;
    ok(
        b,
        Method::PUT,
        "/v1/refund-approval-limits/EUR",
        &finance(),
        json!({"amount": "500"}),
    )
    .await;

    // The product, stock at the warehouse that also takes returns, the channel.
    ok(
        &stack.catalog,
        Method::POST,
        "/v1/products",
        &ops,
        json!({
        "title": "Returns tee", "status": "active",
        "variants": [{"sku": SKU, "weight_grams": 200, "cost_price": eur("4.00"),
                      "listings": [{"channel_id": CHANNEL, "price": eur("29.75")}]}]}),
    )
    .await;
    ok(
        &stack.inventory,
        Method::PUT,
        &format!("/v1/locations/{WH}"),
        &ops,
        json!({"name": "Returns DC", "kind": "warehouse", "priority": 10}),
    )
    .await;
    for (app, table) in [
        (&stack.warehouse, "skus"),
        (&stack.orders, "catalog_skus"),
        (&stack.inventory, "skus"),
    ] {
        assert!(
            eventually(Duration::from_secs(30), || async {
                count(
                    app,
                    &format!("SELECT count(*) AS n FROM {table} WHERE sku = '{SKU}'"),
                )
                .await
                    == 1
            })
            .await,
            "{table} has {SKU}"
        );
    }
    ok(
        &stack.inventory,
        Method::POST,
        "/v1/adjustments",
        &ops,
        json!({"sku": SKU, "location": WH, "reason": "receipt", "quantity_delta": 5}),
    )
    .await;
    ok(&stack.warehouse, Method::PUT, &format!("/v1/locations/{WH}/bins/R-01"), &ops,
        json!({"zone": "R", "aisle": "01", "shelf": "01", "level": "1", "walk_sequence": 1, "skus": [SKU]})).await;
    ok(
        &stack.orders,
        Method::PUT,
        &format!("/v1/channels/{CHANNEL}"),
        &ops,
        json!({"kind": "marketplace", "name": "Amazon returns", "currency": "EUR",
               "backorder_policy": "reject", "webhook_url": hook, "webhook_secret": SECRET}),
    )
    .await;
    // Support: the channel's return policy (30 days from shipment, 10 %
    // restocking and a 4.95 label on a change of mind, auto-approved to 200).
    ok(
        &stack.support,
        Method::PUT,
        &format!("/v1/return-policies/{CHANNEL}"),
        &token(&[Role::Admin]),
        json!({
        "window_days": 30, "window_from": "shipment",
        "restocking_fee_percent": "10", "return_shipping_paid_by": "customer",
        "return_label_fee": eur("4.95"), "auto_approve_up_to": eur("200"),
        "return_location": WH, "exchange_reservation": "after_inspection"}),
    )
    .await;

    // The marketplace's order: 2 × 29.75, tax included; picked, packed, shipped.
    let (status, order) = call(&stack.orders, Method::POST, "/v1/orders", &channel_token(CHANNEL), Some(&json!({
        "external_order_id": EXTERNAL,
        "customer": {"email": "grace@example.com", "name": "Grace Hopper"},
        "shipping_address": {"name": "Grace Hopper", "line1": "Hauptstr. 5", "city": "Hamburg", "postal_code": "20095", "country": "DE"},
        "lines": [{"sku": SKU, "quantity": 2, "unit_price": eur("29.75")}],
        "shipping_total": eur("0"), "tax_total": eur("0"), "discount_total": eur("0"),
        "total": eur("59.50"), "payment_status": "paid",
        "placed_at": Utc::now().to_rfc3339()}))).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let order_id = order["id"].as_str().unwrap().to_string();
    wait_for(
        &stack.orders,
        &format!("/v1/orders/{order_id}"),
        &ops,
        |o| o["status"] == "confirmed",
    )
    .await;
    let f = fulfillments(&stack, &order_id, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tasks = release(&stack, &f).await;
    scan(&stack, &tasks[0], SKU, 2).await;
    pack_and_ship(&stack, &f, &[(SKU.to_string(), 2)], "00340434161094042557").await;
    wait_for(
        &stack.billing,
        &format!("/v1/invoices?order_id={order_id}"),
        &finance(),
        |p| p["items"].as_array().is_some_and(|i| i.len() == 1),
    )
    .await;
    let accrued = balance(
        &ok(
            &stack.billing,
            Method::GET,
            "/v1/trial-balance?currency=EUR",
            &finance(),
            json!(null),
        )
        .await,
        "2300",
    );
    assert_eq!(accrued, "-8.93".parse().unwrap(), "15 % of 59.50 accrued");
    // Support knows the order and its parcel.
    assert!(
        eventually(Duration::from_secs(30), || async {
            count(
                &stack.support,
                &format!(
                    "SELECT count(*) AS n FROM parcels p JOIN orders o ON o.order_id = p.order_id \
                 WHERE o.external_order_id = '{EXTERNAL}'"
                ),
            )
            .await
                == 1
        })
        .await,
        "support has the shipped order"
    );

    // The customer writes in: a ticket linked to the order, triaged.
    let raw = format!(
        "From: Grace Hopper <grace@example.com>\r\nTo: support@shop.example\r\nSubject: Return\r\n\
         Date: Fri, 04 Dec 2026 09:00:00 +0000\r\nMessage-ID: <ret-1@mail.example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello, I would like to return both shirts from order {EXTERNAL}, they do not fit me.\r\n"
    );
    let res = stack
        .support
        .client
        .post(stack.support.url("/v1/inbound-email"))
        .bearer_auth(agent())
        .header("content-type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let ticket_id = created["ticket_id"].as_str().unwrap().to_string();
    let (_, t) = call(
        &stack.support,
        Method::GET,
        &format!("/v1/tickets/{ticket_id}"),
        &agent(),
        None,
    )
    .await;
    assert_eq!(
        t["order_id"],
        order_id.as_str(),
        "linked to the right order: {t}"
    );
    assert_eq!(t["triage"]["intent"], "return_request", "{}", t["triage"]);

    // The RMA from the ticket, authorised by the channel's policy.
    let rma = ok(
        &stack.support,
        Method::POST,
        "/v1/returns",
        &agent(),
        json!({
        "ticket_id": ticket_id, "lines": [{"line_no": 1, "quantity": 2}],
        "reason": "size_or_fit", "resolution": "refund"}),
    )
    .await;
    assert_eq!(rma["status"], "authorized", "{rma}");
    let rma_id = rma["id"].as_str().unwrap().to_string();
    let number = rma["number"].as_str().unwrap().to_string();
    assert_eq!(
        rma["terms"]["refund"],
        eur("48.6"),
        "59.50 less 5.95 and 4.95"
    );

    // Two services restart while the return travels.
    stack.billing.restart().await;
    stack.orders.restart().await;

    // The warehouse scans both units in and grades them.
    let staff = token(&[Role::Warehouse]);
    let expected = wait_for(
        &stack.warehouse,
        &format!("/v1/returns?number={number}"),
        &staff,
        |l| l.as_array().is_some_and(|l| l.len() == 1),
    )
    .await;
    let wid = rma_id.clone();
    assert_eq!(expected[0]["location_code"], WH);
    for _ in 0..2 {
        ok(
            &stack.warehouse,
            Method::POST,
            &format!("/v1/returns/{wid}/scans"),
            &staff,
            json!({"item": SKU}),
        )
        .await;
    }
    ok(
        &stack.warehouse,
        Method::POST,
        &format!("/v1/returns/{wid}/inspection"),
        &staff,
        json!({
        "grades": [{"line_no": 1, "grade": "resellable", "quantity": 1},
                   {"line_no": 1, "grade": "scrap", "quantity": 1}]}),
    )
    .await;
    // Billing goes down as the inspection arrives, and comes back.
    stack.billing.restart().await;

    // Support: refunded, its steps in order, the ticket resolved.
    let done = wait_for(
        &stack.support,
        &format!("/v1/returns/{rma_id}"),
        &agent(),
        |r| r["status"] == "refunded",
    )
    .await;
    let steps: Vec<&str> = done["steps"]
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
            "received",
            "inspected",
            "refunded"
        ]
    );
    let t = wait_for(
        &stack.support,
        &format!("/v1/tickets/{ticket_id}"),
        &agent(),
        |t| t["status"] == "resolved",
    )
    .await;
    let refunded_notes = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["body"]
                .as_str()
                .unwrap_or_default()
                .contains("refunded for 2 unit(s)")
        })
        .count();
    assert_eq!(refunded_notes, 1);

    // Inventory: one back on hand at the return location, one written off.
    let moves = wait_for(
        &stack.inventory,
        &format!("/v1/movements?sku={SKU}&limit=1000"),
        &ops,
        |p| {
            p["items"].as_array().is_some_and(|i| {
                i.iter()
                    .filter(|m| m["reference"] == number.as_str())
                    .count()
                    == 3
            })
        },
    )
    .await;
    let mut of_return: Vec<(String, String, i64)> = moves["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["reference"] == number.as_str())
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_string(),
                m["location"].as_str().unwrap_or_default().to_string(),
                m["on_hand_after"].as_i64().unwrap() - m["on_hand_before"].as_i64().unwrap(),
            )
        })
        .collect();
    of_return.sort();
    assert_eq!(
        of_return,
        [
            ("damage".to_string(), format!("{WH}-Q"), -1),
            ("return".to_string(), WH.to_string(), 1),
            ("return".to_string(), format!("{WH}-Q"), 1),
        ]
    );
    let (_, stock) = call(
        &stack.inventory,
        Method::GET,
        &format!("/v1/stock/{SKU}"),
        &ops,
        None,
    )
    .await;
    let on_hand = |loc: &str| {
        stock["locations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["location"] == loc)
            .map(|l| l["on_hand"].as_i64().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(
        (on_hand(WH), on_hand(&format!("{WH}-Q"))),
        (4, 0),
        "5 - 2 shipped + 1 back: {stock}"
    );

    // Billing: one credit note for the whole line, fees kept, commission back.
    let refund = wait_for(
        &stack.billing,
        &format!("/v1/refunds/{rma_id}"),
        &finance(),
        |r| r["status"] == "refunded",
    )
    .await;
    let money = |v: &Value| v["amount"].as_str().unwrap().to_string();
    assert_eq!(
        (
            money(&refund["credited"]),
            money(&refund["fees_kept"]),
            money(&refund["refund"]),
            money(&refund["commission_refunded"])
        ),
        (
            "59.50".into(),
            "10.90".into(),
            "48.60".into(),
            "7.14".into()
        ),
        "restocking 5.95 and label 4.95 kept; 8.93 commission less 1.79 kept by the channel"
    );
    let docs = ok(
        &stack.billing,
        Method::GET,
        &format!("/v1/invoices?order_id={order_id}"),
        &finance(),
        json!(null),
    )
    .await;
    let kinds: Vec<&str> = docs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["credit_note", "invoice"], "one credit note");
    assert_eq!(money(&docs["items"][0]["gross_total"]), "59.50");
    let tb = ok(
        &stack.billing,
        Method::GET,
        "/v1/trial-balance?currency=EUR",
        &finance(),
        json!(null),
    )
    .await;
    assert_eq!(balance(&tb, "4200"), "-10.90".parse().unwrap());
    assert_eq!(balance(&tb, "2300"), "-1.79".parse().unwrap());
    assert_eq!(
        balance(&tb, "1100"),
        "10.90".parse().unwrap(),
        "the channel still owes the fees kept"
    );
    assert_eq!(
        count(
            &stack.billing,
            "SELECT count(*) AS n FROM journal_entries WHERE source = 'refund'"
        )
        .await,
        1
    );

    // Orders: the line returned and refunded; the channel told once, signed.
    let o = wait_for(
        &stack.orders,
        &format!("/v1/orders/{order_id}"),
        &ops,
        |o| o["lines"][0]["returned_quantity"] == 2,
    )
    .await;
    assert_eq!(o["lines"][0]["refunded"], eur("59.50"));
    assert_eq!(o["refunds"][0]["refund"], eur("48.60"));
    assert!(
        eventually(Duration::from_secs(30), || async {
            seen.lock().unwrap().iter().any(|(_, b)| {
                serde_json::from_slice::<Value>(b).unwrap()["update"]["refund"]["return_number"]
                    == number.as_str()
            })
        })
        .await,
        "the channel's webhook carries the refund"
    );
    let hooks = seen.lock().unwrap().clone();
    let refunds: Vec<Value> = hooks
        .iter()
        .map(|(sig, body)| {
            assert!(orders::domain::webhook::verify(SECRET, sig, body), "signed");
            serde_json::from_slice::<Value>(body).unwrap()
        })
        .filter(|p| p["update"]["refund"].is_object())
        .collect();
    assert_eq!(refunds.len(), 1, "told once");
    assert_eq!(refunds[0]["update"]["refund"]["refund"], eur("48.60"));

    // Exactly once, everywhere.
    let records = read_topic_until(
        &stack.billing.topic(topics::BILLING_INVOICE_EVENTS),
        Duration::from_secs(20),
        Duration::from_secs(1),
        |r| !decode_all::<billing::RefundIssued>(r).is_empty(),
    )
    .await;
    assert_eq!(decode_all::<billing::RefundIssued>(&records).len(), 1);
    assert_eq!(
        count(&stack.orders, "SELECT count(*) AS n FROM order_refunds").await,
        1
    );
    assert_eq!(
        count(
            &stack.support,
            "SELECT count(*) AS n FROM return_steps WHERE step = 'refunded'"
        )
        .await,
        1
    );
}
