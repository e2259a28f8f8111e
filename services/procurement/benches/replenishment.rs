//! A replenishment run at catalog scale: `cargo bench -p procurement --bench
//! replenishment [-- SKUS]` (default 10,000 SKUs × 2 locations, needs the
//! local stack: `scripts/stack.sh up`). Seeds a fresh database with SQL
//! (SKUs, two suppliers per SKU, a rule per SKU × location, half of them
//! forecast-driven with a 90-day forecast, stock levels, a few open orders),
//! then times a dry run and a run that drafts the orders, each in its own
//! transaction, as `POST /v1/replenishment-runs` does.

use std::time::Instant;

use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::testing::TestApp;

const SEED: &str = "
INSERT INTO skus (sku, product_id, status, updated_at, weight_grams, standard_cost_amount, standard_cost_currency)
  SELECT 'BENCH-' || lpad(i::text, 6, '0'), gen_random_uuid(), 'active', now(), 250, 2.00, 'EUR'
  FROM generate_series(1, $N) i;
INSERT INTO suppliers (code, name, currency, payment_terms_days, active, updated_by)
  VALUES ('ACME', 'Acme', 'EUR', 30, true, 'bench'), ('BETA', 'Beta', 'EUR', 60, true, 'bench');
INSERT INTO supplier_products (supplier_code, sku, supplier_sku, unit_cost_amount, unit_cost_currency,
    moq, pack_size, lead_time_days, preferred_rank, active, updated_by)
  SELECT s.code, k.sku, s.code || '-' || k.sku, 2.00 + (hashtext(k.sku || s.code) & 63) / 100.0, 'EUR',
    12, 6, CASE s.code WHEN 'ACME' THEN 10 ELSE 5 END, CASE s.code WHEN 'ACME' THEN 1 ELSE 2 END, true, 'bench'
  FROM skus k CROSS JOIN suppliers s;
INSERT INTO reorder_rules (sku, location_code, kind, min_units, max_units, service_level, cover_days, active, updated_by)
  SELECT k.sku, l.code,
    CASE WHEN hashtext(k.sku) & 1 = 0 THEN 'forecast' ELSE 'min_max' END,
    CASE WHEN hashtext(k.sku) & 1 = 0 THEN NULL ELSE 40 END,
    CASE WHEN hashtext(k.sku) & 1 = 0 THEN NULL ELSE 120 END,
    CASE WHEN hashtext(k.sku) & 1 = 0 THEN 0.95 ELSE NULL END,
    CASE WHEN hashtext(k.sku) & 1 = 0 THEN 14 ELSE NULL END,
    true, 'bench'
  FROM skus k CROSS JOIN (VALUES ('WH-1', 10), ('WH-2', 20)) AS l (code, priority);
INSERT INTO stock_levels (sku, location_code, location_priority, on_hand, reserved, backordered, seq)
  SELECT k.sku, l.code, l.priority, (hashtext(k.sku || l.code) & 255), (hashtext(k.sku) & 15),
    CASE WHEN hashtext(k.sku) & 31 = 0 THEN 5 ELSE 0 END, 1
  FROM skus k CROSS JOIN (VALUES ('WH-1', 10), ('WH-2', 20)) AS l (code, priority);
INSERT INTO forecasts (sku, channel_id, computed_at, first_date, history_days, stock_out_days, class,
    adi, cv2, method, reason, level, point, lower_bound, upper_bound, folds, mase, rmsse, bias)
  SELECT k.sku, '', now(), current_date, 730, 0, 'smooth', 1, 0.1, 'seasonal_ets', 'bench', 0.9,
    array_fill(d, ARRAY[90]), array_fill(greatest(d - 3, 0), ARRAY[90]), array_fill(d + 3, ARRAY[90]),
    4, 0.8, 0.7, 0
  FROM (SELECT sku, 1 + (hashtext(sku) & 15)::float8 AS d FROM skus) k;
";

fn main() {
    let skus: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async move {
        let app = TestApp::spawn(&procurement::service()).await;
        let mut conn = app.runtime().db.get().await.expect("connection");
        let started = Instant::now();
        for statement in SEED.replace("$N", &skus.to_string()).split(";\n") {
            if !statement.trim().is_empty() {
                diesel::sql_query(statement)
                    .execute(&mut conn)
                    .await
                    .expect("seed");
            }
        }
        diesel::sql_query("ANALYZE")
            .execute(&mut conn)
            .await
            .expect("analyze");
        println!(
            "seeded {skus} SKUs × 2 locations in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        for dry_run in [true, false, true] {
            let started = Instant::now();
            let run = conn
                .transaction::<_, platform::ApiError, _>(async |tx| {
                    procurement::store::runs::replenish(tx, "bench", dry_run).await
                })
                .await
                .expect("run");
            let lines: usize = run.purchase_orders.iter().map(|p| p.lines.len()).sum();
            println!(
                "{:>8}: {} rules, {} orders, {lines} lines in {:.2} s",
                if dry_run { "dry run" } else { "run" },
                run.rules,
                run.purchase_orders.len(),
                started.elapsed().as_secs_f64()
            );
        }
    });
}
