//! Support's figures: `cargo bench -p support --bench support [-- EMAILS]`
//! (default 2,000; needs the local stack: `scripts/stack.sh up`).
//!
//! 1. Triage latency: every held-out message of the corpus classified on
//!    its own (as a ticket is), 20 passes; p50, p99 and max per message, and
//!    messages per second on one core.
//! 2. Tickets ingested: 500 orders (with parcels) are projected, then EMAILS
//!    inbound emails are posted through `POST /v1/inbound-email`, 8 in
//!    flight, each quoting an order number or tracking number: parsed,
//!    threaded, linked, triaged, stored with its TicketCreated in the outbox.
//!    Tickets per second and the request p50 / p99.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use platform::Role;
use platform::testing::{TestApp, token};
use support::domain::triage::{self, load_corpus};
use support::store::orders::{self, NewOrder, NewParcel, ShippedLine, StoredLine};
use uuid::Uuid;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn triage_latency() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus =
        load_corpus(&std::fs::read_to_string(root.join("triage/corpus.jsonl")).expect("corpus"))
            .expect("corpus parses");
    let held_out: Vec<String> = corpus
        .into_iter()
        .filter(|e| e.split == "test")
        .map(|e| e.text)
        .collect();
    let started = Instant::now();
    let model = triage::model();
    println!(
        "triage model loaded in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let mut times = Vec::with_capacity(held_out.len() * 20);
    let total = Instant::now();
    for _ in 0..20 {
        for text in &held_out {
            let t = Instant::now();
            std::hint::black_box(model.classify(text));
            times.push(t.elapsed());
        }
    }
    let elapsed = total.elapsed();
    times.sort();
    println!(
        "triage: {} held-out messages x 20, each alone: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs; {:.0} messages/s on one core",
        held_out.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6,
        times.last().unwrap().as_secs_f64() * 1e6,
        times.len() as f64 / elapsed.as_secs_f64()
    );
}

const BODIES: [&str; 4] = [
    "Hello, my parcel still hasn't arrived. Tracking {tracking}, where is it? Thanks",
    "Hi, I want to return order {number}, the size is wrong. How do I send it back?",
    "The lamp from order {number} arrived broken, the glass is shattered. What now?",
    "Please cancel my order {number}, I ordered the wrong colour by mistake.",
];

async fn ingest(emails: usize) {
    let app = TestApp::spawn(&support::service()).await;
    let mut conn = app.runtime().db.get().await.expect("connection");
    let n_orders = 500;
    for i in 0..n_orders {
        let order_id = Uuid::now_v7();
        let number = format!("WEB-{:06}", 100_000 + i);
        orders::placed(
            &mut conn,
            &NewOrder {
                order_id,
                channel_id: "web",
                external_order_id: &number,
                customer_email: Some(format!("customer{i}@example.com")),
                customer_name: Some(format!("Customer {i}")),
                currency: Some("EUR".into()),
                lines: vec![StoredLine {
                    line_no: 1,
                    sku: "LAMP-1".into(),
                    quantity: 1,
                    unit_price: Some("49.90".into()),
                }],
                placed_at: Utc::now(),
            },
        )
        .await
        .expect("order");
        orders::shipped(
            &mut conn,
            &NewParcel {
                fulfillment_id: &order_id.to_string(),
                package_id: "P1",
                order_id,
                channel_id: "web",
                location_code: "WH1",
                carrier: "DHL",
                service: "parcel",
                tracking_number: &format!("JD01460000{:06}", i),
                lines: vec![ShippedLine {
                    line_no: 1,
                    sku: "LAMP-1".into(),
                    quantity: 1,
                }],
                shipped_at: Utc::now(),
            },
        )
        .await
        .expect("parcel");
    }
    drop(conn);
    let bearer = token(&[Role::Support]);
    let raws: Vec<String> = (0..emails)
        .map(|k| {
            let i = k % n_orders;
            let body = BODIES[k % BODIES.len()]
                .replace("{number}", &format!("WEB-{:06}", 100_000 + i))
                .replace("{tracking}", &format!("JD01460000{:06}", i));
            format!(
                "From: Customer {i} <customer{i}@example.com>\r\nTo: support@shop.example\r\n\
                 Subject: My order\r\nMessage-ID: <bench-{k}@mail.example.com>\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            )
        })
        .collect();
    let started = Instant::now();
    let mut times: Vec<Duration> = futures_util::stream::iter(raws)
        .map(|raw| {
            let (client, url, bearer) = (
                app.client.clone(),
                app.url("/v1/inbound-email"),
                bearer.clone(),
            );
            async move {
                let t = Instant::now();
                let res = client
                    .post(url)
                    .bearer_auth(bearer)
                    .header("content-type", "message/rfc822")
                    .body(raw)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(res.status(), reqwest::StatusCode::CREATED);
                t.elapsed()
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let elapsed = started.elapsed();
    times.sort();
    let linked = platform::testing::scalar(
        &app.runtime().db,
        "SELECT count(*) AS n FROM tickets WHERE order_id IS NOT NULL",
    )
    .await;
    println!(
        "inbound email: {emails} emails, 8 in flight: {:.0} tickets/s; request p50 {:.1} ms, p99 {:.1} ms; {linked} linked to their order",
        emails as f64 / elapsed.as_secs_f64(),
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0,
    );
}

fn main() {
    let emails: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    triage_latency();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(ingest(emails));
}
