//! Receipts per second at the dock: `cargo bench -p warehouse --bench
//! receiving [-- ORDERS [DOCKS [LINES]]]` (default 400 orders of 5 lines,
//! 8 dock workers; needs the local stack: `scripts/stack.sh up`). The
//! warehouse runs in-process (release build); the orders are seeded as
//! procurement's events would leave them; each worker takes an order, opens
//! a receipt, scans every line (a fifth into a bin, a unit of every tenth
//! line damaged) and completes it, which publishes GoodsReceived through the
//! outbox. Reports receipts and scans per second and request latencies.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel_async::RunQueryDsl;
use hdrhistogram::Histogram;
use platform::Role;
use platform::testing::{TestApp, scalar, token};
use serde_json::{Value, json};

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .nth(n)
        .unwrap_or(default)
}

async fn post(
    client: &reqwest::Client,
    url: String,
    bearer: &str,
    body: Value,
) -> (Value, Duration) {
    let started = Instant::now();
    let res = client
        .post(url)
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(res.status().is_success(), "{:?}", res.text().await);
    let body = res.json().await.expect("json");
    (body, started.elapsed())
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn main() {
    let (orders, docks, lines) = (arg(0, 400), arg(1, 8), arg(2, 5));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async move {
        let app = Arc::new(TestApp::spawn(&warehouse::service()).await);
        let mut conn = app.runtime().db.get().await.expect("connection");
        for statement in [
            format!("INSERT INTO skus (sku, product_id, title, updated_at) \
                     SELECT 'RB-' || i, gen_random_uuid(), 'bench', now() FROM generate_series(1, {lines}) i"),
            "INSERT INTO bins (id, location_code, code, zone, aisle, shelf, level, walk_sequence) \
             VALUES (gen_random_uuid(), 'WH-BENCH', 'R-01', 'R', '01', '01', '1', 1)".to_string(),
            format!("INSERT INTO inbound_orders (po_id, number, supplier_code, location_code, status, expected_on, version) \
                     SELECT gen_random_uuid(), 'PO-' || lpad(i::text, 6, '0'), 'ACME', 'WH-BENCH', 'sent', current_date + 7, 3 \
                     FROM generate_series(1, {orders}) i"),
            format!("INSERT INTO inbound_lines (po_id, line_no, sku, supplier_sku, quantity, cancelled, unit_landed_cost, currency) \
                     SELECT o.po_id, l, 'RB-' || l, 'AC-' || l, 24, 0, 2.50, 'EUR' \
                     FROM inbound_orders o CROSS JOIN generate_series(1, {lines}) l"),
        ] {
            diesel::sql_query(statement).execute(&mut conn).await.expect("seed");
        }
        drop(conn);
        let next = Arc::new(AtomicUsize::new(1));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..docks {
            let (app, next) = (app.clone(), next.clone());
            workers.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                let bearer = token(&[Role::Warehouse]);
                let mut hist: [Histogram<u64>; 3] = std::array::from_fn(|_| Histogram::new(3).unwrap());
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n > orders {
                        break;
                    }
                    let (receipt, took) = post(&client, app.url("/v1/receipts"), &bearer,
                        json!({"purchase_order": format!("PO-{n:06}")})).await;
                    hist[0].record(took.as_micros() as u64).unwrap();
                    let id = receipt["id"].as_str().unwrap().to_string();
                    for l in 1..=lines {
                        let damaged = (n + l) % 10 == 0;
                        let mut scan = json!({"item": format!("RB-{l}"), "quantity": if damaged { 23 } else { 24 }});
                        if l % 5 == 0 {
                            scan["bin"] = json!("R-01");
                        }
                        let (_, took) = post(&client, app.url(&format!("/v1/receipts/{id}/scans")), &bearer, scan).await;
                        hist[1].record(took.as_micros() as u64).unwrap();
                        if damaged {
                            let (_, took) = post(&client, app.url(&format!("/v1/receipts/{id}/scans")), &bearer,
                                json!({"item": format!("RB-{l}"), "condition": "damaged"})).await;
                            hist[1].record(took.as_micros() as u64).unwrap();
                        }
                    }
                    let (_, took) = post(&client, app.url(&format!("/v1/receipts/{id}/complete")), &bearer, json!({})).await;
                    hist[2].record(took.as_micros() as u64).unwrap();
                }
                hist
            }));
        }
        let mut totals: [Histogram<u64>; 3] = std::array::from_fn(|_| Histogram::new(3).unwrap());
        for w in workers {
            for (t, h) in totals.iter_mut().zip(w.await.expect("worker")) {
                t.add(h).unwrap();
            }
        }
        let secs = started.elapsed().as_secs_f64();
        let db = &app.runtime().db;
        let completed = scalar(db, "SELECT count(*) AS n FROM receipts WHERE status = 'completed'").await;
        assert_eq!(completed as usize, orders, "every receipt completed once");
        let scans = totals[1].len();
        println!("{orders} receipts of {lines} lines by {docks} dock workers in {secs:.1} s: \
                  {:.0} receipts/s, {:.0} scans/s", orders as f64 / secs, scans as f64 / secs);
        for (name, h) in ["open", "scan", "complete"].iter().zip(&totals) {
            println!("{name:>9}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", ms(h, 0.5), ms(h, 0.99), h.max() as f64 / 1000.0);
        }
    });
}
