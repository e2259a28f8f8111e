//! Billing at scale: `cargo bench -p billing --bench billing [-- LINES ORDERS]`
//! (default a 100,000-line settlement and 1,000,000 orders of margin; needs
//! the local stack: `scripts/stack.sh up`).
//!
//! 1. Settlement import: LINES / 4 orders are seeded with their fee
//!    accruals; an Amazon V2 report of LINES components (principal, tax,
//!    commission and fulfillment fee per order) is parsed and imported in
//!    one transaction, as `POST /v1/settlements` does: lines matched,
//!    fees trued up, one entry posted. Lines per second.
//! 2. Margin: ORDERS orders' rollups over a year, three channels and 2,000
//!    SKUs are seeded with SQL; each query `GET /v1/margin` answers is timed
//!    (p50 and max of 20 runs).

use std::time::{Duration, Instant};

use billing::domain::{payouts, settlement};
use billing::store::{margin, settlements};
use chrono::{Duration as Days, Utc};
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::contracts::billing::{MarginGroup, SettlementFormat};
use platform::testing::TestApp;

const HEADER: [&str; 24] = [
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
    "transaction-type",
    "order-id",
    "merchant-order-id",
    "adjustment-id",
    "shipment-id",
    "marketplace-name",
    "amount-type",
    "amount-description",
    "amount",
    "fulfillment-id",
    "posted-date",
    "posted-date-time",
    "order-item-code",
    "merchant-order-item-id",
    "merchant-adjustment-item-id",
    "sku",
    "quantity-purchased",
    "promotion-id",
];

fn report(orders: usize) -> Vec<u8> {
    let mut rows = vec![HEADER.join("\t")];
    let per_order = ["33,45", "6,35", "-6,12", "-2,70"];
    let total: i64 = orders as i64 * (3345 + 635 - 612 - 270);
    let total = format!("{},{:02}", total / 100, total % 100);
    let mut summary = vec![""; 24];
    summary[0] = "90000000001";
    summary[1] = "16.11.2026 00:00:00 UTC";
    summary[2] = "30.11.2026 00:00:00 UTC";
    summary[3] = "02.12.2026 00:00:00 UTC";
    summary[4] = &total;
    summary[5] = "EUR";
    rows.push(summary.join("\t"));
    for o in 0..orders {
        let order = format!("302-{o:07}-0000000");
        let sku = format!("BENCH-{:04}", o % 2000);
        for (i, (kind, desc)) in [
            ("ItemPrice", "Principal"),
            ("ItemPrice", "Tax"),
            ("ItemFees", "Commission"),
            ("ItemFees", "FBAPerUnitFulfillmentFee"),
        ]
        .iter()
        .enumerate()
        {
            let mut r = vec![""; 24];
            r[0] = "90000000001";
            r[6] = "Order";
            r[7] = &order;
            r[11] = "Amazon.de";
            r[12] = kind;
            r[13] = desc;
            r[14] = per_order[i];
            r[15] = "AFN";
            r[16] = "28.11.2026";
            r[21] = &sku;
            r[22] = if i == 0 { "1" } else { "" };
            rows.push(r.join("\t"));
        }
    }
    (rows.join("\n") + "\n").into_bytes()
}

async fn exec(conn: &mut platform::db::Conn, sql: &str) {
    diesel::sql_query(sql).execute(conn).await.expect(sql);
}

fn p50_max(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    (
        v[v.len() / 2].as_secs_f64() * 1e3,
        v[v.len() - 1].as_secs_f64() * 1e3,
    )
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<usize>().ok());
    let lines = args.next().unwrap_or(100_000);
    let order_count = args.next().unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async move {
        let app = TestApp::spawn(&billing::service()).await;
        let mut conn = app.runtime().db.get().await.expect("connection");

        // 1. Settlement import.
        let orders = lines / 4;
        exec(&mut conn, &format!(
            "INSERT INTO orders (order_id, channel_id, external_order_id, currency, customer, billing_address, \
               ship_to_country, subtotal, shipping_total, tax_total, discount_total, total, placed_at, shipping_invoiced) \
             SELECT gen_random_uuid(), 'amazon-de', '302-' || lpad(i::text, 7, '0') || '-0000000', 'EUR', '{{}}', '{{}}', \
               'DE', 39.80, 0, 0, 0, 39.80, now(), true FROM generate_series(0, {} - 1) i", orders)).await;
        exec(&mut conn,
            "INSERT INTO fee_accruals (order_id, fulfillment_id, channel_id, kind, sku, currency, amount) \
             SELECT order_id, 'F-' || external_order_id, 'amazon-de', k.kind, 'BENCH-0000', 'EUR', k.amount \
             FROM orders CROSS JOIN (VALUES ('commission', 5.97), ('fulfillment', 2.70)) AS k (kind, amount)").await;
        let file = report(orders);
        let bytes = file.len();
        let started = Instant::now();
        let parsed = settlement::parse(&file).expect("the report parses");
        let imported = payouts::from_amazon(&parsed);
        let parse_time = started.elapsed();
        let view = conn
            .transaction::<_, platform::ApiError, _>(async |tx| {
                settlements::import(tx, "amazon-de", SettlementFormat::AmazonV2, &imported, "bench", "bench").await
            })
            .await
            .expect("imports");
        let total_time = started.elapsed();
        println!(
            "settlement import: {} component lines ({:.1} MB), {} consolidated, {} matched, {} exceptions; \
             parse {:.2} s, parse + import {:.2} s = {:.0} lines/s (true-up {})",
            orders * 4,
            bytes as f64 / 1e6,
            view.view.lines,
            view.view.matched,
            view.view.exceptions,
            parse_time.as_secs_f64(),
            total_time.as_secs_f64(),
            (orders * 4) as f64 / total_time.as_secs_f64(),
            view.view.fee_true_up.amount,
        );

        // 2. Margin over ORDERS orders (the rollups start empty: the import
        // above rolled its true-ups into today's).
        let started = Instant::now();
        exec(&mut conn, "TRUNCATE order_margins, channel_margins_daily, sku_margins_daily").await;
        exec(&mut conn, &format!(
            "INSERT INTO order_margins (order_id, currency, channel_id, day, revenue, refunds, cogs, channel_fees, payment_fees, shipping_cost) \
             SELECT gen_random_uuid(), 'EUR', (ARRAY['amazon-de', 'web', 'b2b'])[1 + i % 3], current_date - (i % 365), \
               20 + (i % 50), CASE WHEN i % 40 = 0 THEN 15 ELSE 0 END, 8 + (i % 7), 3, 0.5, 0 \
             FROM generate_series(1, {order_count}) i")).await;
        exec(&mut conn,
            "INSERT INTO channel_margins_daily (day, channel_id, currency, revenue, refunds, cogs, channel_fees, payment_fees, shipping_cost) \
             SELECT day, channel_id, currency, sum(revenue), sum(refunds), sum(cogs), sum(channel_fees), sum(payment_fees), sum(shipping_cost) \
             FROM order_margins GROUP BY day, channel_id, currency").await;
        exec(&mut conn,
            "INSERT INTO sku_margins_daily (day, channel_id, sku, currency, revenue, refunds, cogs, channel_fees, payment_fees, shipping_cost) \
             SELECT current_date - d, c, 'BENCH-' || lpad(s::text, 4, '0'), 'EUR', 40, 0, 16, 6, 1, 0 \
             FROM generate_series(0, 364) d, unnest(ARRAY['amazon-de', 'web', 'b2b']) c, generate_series(0, 1999) s").await;
        exec(&mut conn, "ANALYZE").await;
        println!("margin: seeded {order_count} orders, {} SKU-days in {:.1} s", 365 * 3 * 2000, started.elapsed().as_secs_f64());
        let today = Utc::now().date_naive();
        let cases = [
            ("orders of one channel, last 30 days, a page of 100", MarginGroup::Order, 30, Some("amazon-de"), false),
            ("orders sold at a loss, last 90 days, a page of 100", MarginGroup::Order, 90, None, true),
            ("per channel, a year", MarginGroup::Channel, 364, None, false),
            ("per day, a year", MarginGroup::Day, 364, None, false),
            ("per SKU, last 30 days (2,000 SKUs)", MarginGroup::Sku, 30, None, false),
        ];
        for (what, group, days, channel, loss_only) in cases {
            let mut times = Vec::new();
            let mut rows = 0;
            for _ in 0..20 {
                let t = Instant::now();
                let r = margin::grouped(&mut conn, group, &margin::Filter {
                    from: today - Days::days(days),
                    to: today,
                    channel,
                    loss_only,
                    after: None,
                    limit: 100,
                })
                .await
                .expect("margin");
                times.push(t.elapsed());
                rows = r.len();
            }
            let (p50, max) = p50_max(times);
            println!("margin {what}: {rows} rows, p50 {p50:.1} ms, max {max:.1} ms");
        }
    });
}
