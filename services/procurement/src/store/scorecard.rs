//! A supplier's scorecard, from its orders, receipts and lead-time samples.

use diesel::sql_types::{BigInt, Double, Nullable, Numeric, Text};
use diesel_async::RunQueryDsl;
use domain::contracts::procurement::{LeadTimeFigures, ScorecardView};
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

#[derive(diesel::QueryableByName)]
struct Figures {
    #[diesel(sql_type = BigInt)]
    orders: i64,
    #[diesel(sql_type = BigInt)]
    receipts: i64,
    #[diesel(sql_type = BigInt)]
    on_time: i64,
    #[diesel(sql_type = BigInt)]
    good: i64,
    #[diesel(sql_type = BigInt)]
    damaged: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    completed_good: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    completed_ordered: Option<i64>,
    #[diesel(sql_type = Nullable<Double>)]
    actual_p50: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    actual_p90: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    promised_p50: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    promised_p90: Option<f64>,
    #[diesel(sql_type = Nullable<Numeric>)]
    variance: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    standard: Option<Decimal>,
}

fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

pub async fn scorecard(conn: &mut Conn, supplier: &str) -> diesel::QueryResult<ScorecardView> {
    let f: Figures = diesel::sql_query(
        "SELECT \
           (SELECT count(*) FROM purchase_orders p \
              WHERE p.supplier_code = $1 AND p.approved_at IS NOT NULL) AS orders, \
           (SELECT count(*) FROM receipts r JOIN purchase_orders p ON p.id = r.po_id \
              WHERE p.supplier_code = $1) AS receipts, \
           (SELECT count(*) FILTER (WHERE r.on_time) FROM receipts r \
              JOIN purchase_orders p ON p.id = r.po_id WHERE p.supplier_code = $1) AS on_time, \
           (SELECT coalesce(sum(r.good), 0)::int8 FROM receipts r \
              JOIN purchase_orders p ON p.id = r.po_id WHERE p.supplier_code = $1) AS good, \
           (SELECT coalesce(sum(r.damaged), 0)::int8 FROM receipts r \
              JOIN purchase_orders p ON p.id = r.po_id WHERE p.supplier_code = $1) AS damaged, \
           (SELECT sum(l.received_good)::int8 FROM purchase_order_lines l \
              JOIN purchase_orders p ON p.id = l.po_id \
              WHERE p.supplier_code = $1 AND p.status IN ('received', 'closed')) AS completed_good, \
           (SELECT sum(l.quantity)::int8 FROM purchase_order_lines l \
              JOIN purchase_orders p ON p.id = l.po_id \
              WHERE p.supplier_code = $1 AND p.status IN ('received', 'closed')) AS completed_ordered, \
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY days) FROM lead_time_samples \
              WHERE supplier_code = $1) AS actual_p50, \
           (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY days) FROM lead_time_samples \
              WHERE supplier_code = $1) AS actual_p90, \
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY sp.lead_time_days) \
              FROM lead_time_samples ls JOIN supplier_products sp \
                ON sp.supplier_code = ls.supplier_code AND sp.sku = ls.sku \
              WHERE ls.supplier_code = $1) AS promised_p50, \
           (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY sp.lead_time_days) \
              FROM lead_time_samples ls JOIN supplier_products sp \
                ON sp.supplier_code = ls.supplier_code AND sp.sku = ls.sku \
              WHERE ls.supplier_code = $1) AS promised_p90, \
           (SELECT sum((l.unit_cost - k.standard_cost_amount) * l.received_good) \
              FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
              JOIN skus k ON k.sku = l.sku \
              WHERE p.supplier_code = $1 AND k.standard_cost_currency = p.currency \
                AND l.received_good > 0) AS variance, \
           (SELECT sum(k.standard_cost_amount * l.received_good) \
              FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
              JOIN skus k ON k.sku = l.sku \
              WHERE p.supplier_code = $1 AND k.standard_cost_currency = p.currency \
                AND l.received_good > 0) AS standard",
    )
    .bind::<Text, _>(supplier)
    .cached()
    .get_result(conn)
    .await?;
    let lead_time_days = match (f.actual_p50, f.actual_p90, f.promised_p50, f.promised_p90) {
        (Some(a50), Some(a90), Some(p50), Some(p90)) => Some(LeadTimeFigures {
            actual_p50: a50,
            actual_p90: a90,
            promised_p50: p50,
            promised_p90: p90,
        }),
        _ => None,
    };
    let price_variance_pct = match (f.variance, f.standard) {
        (Some(v), Some(s)) if !s.is_zero() => (v / s * Decimal::from(100)).to_f64(),
        _ => None,
    };
    Ok(ScorecardView {
        supplier_code: supplier.to_string(),
        orders: f.orders,
        receipts: f.receipts,
        on_time_pct: pct(f.on_time, f.receipts),
        fill_rate_pct: match (f.completed_good, f.completed_ordered) {
            (Some(g), Some(o)) => pct(g, o),
            _ => None,
        },
        units_received_good: f.good,
        units_received_damaged: f.damaged,
        lead_time_days,
        price_variance_pct,
    })
}
