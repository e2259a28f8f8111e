//! A consumer batch places its plain orders set-based
//! (`placement::place_many`: a few statements for the whole run). That
//! must have exactly the effect of placing the same orders one by one
//! (`reservations::place`): same outcomes, stock, reservation lines,
//! movements and statuses. Two identical worlds, one per way, compared.

mod common;

use common::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::contracts::orders::BackorderPolicy;
use inventory::domain::allocation::Line;
use inventory::domain::placement::Outcome;
use inventory::store::placement::{self, PlaceOrder};
use platform::testing::TestApp;
use uuid::Uuid;

async fn world() -> TestApp {
    let app = app().await;
    location(&app, "WH-A", "warehouse", 10).await;
    location(&app, "WH-B", "overflow", 20).await;
    seed_skus(&app, &["S-1", "S-2", "S-3"]).await;
    adjust(&app, "S-1", "WH-A", 5).await;
    adjust(&app, "S-1", "WH-B", 3).await;
    adjust(&app, "S-2", "WH-A", 2).await;
    adjust(&app, "S-3", "WH-B", 4).await;
    app
}

fn order(
    n: u128,
    policy: BackorderPolicy,
    ship_from: &[&str],
    lines: &[(&str, i64)],
) -> PlaceOrder {
    PlaceOrder {
        order_id: Uuid::from_u128(n),
        channel_id: "web-eu".into(),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, q))| Line {
                line_no: i as i32 + 1,
                sku: sku.to_string(),
                quantity: *q,
            })
            .collect(),
        policy,
        ship_from: ship_from.iter().map(|s| s.to_string()).collect(),
        channel_priority: 100,
        placed_at: chrono::DateTime::from_timestamp(1_790_000_000 + n as i64, 0).unwrap(),
        hold_id: None,
    }
}

/// Orders that exercise every branch: a whole order from one location, a
/// split, partial, backordered, rejected, ship-from limits, an order whose
/// SKU has no stock, and later orders finding what earlier ones left.
fn first_run() -> Vec<PlaceOrder> {
    use BackorderPolicy::*;
    vec![
        order(1, Reject, &[], &[("S-1", 4)]),
        order(2, Reject, &[], &[("S-1", 3), ("S-2", 1)]),
        order(3, Partial, &[], &[("S-2", 2), ("S-3", 1)]),
        order(4, Backorder, &[], &[("S-1", 5)]),
        order(5, Reject, &["WH-A"], &[("S-3", 2)]),
        order(6, Reject, &[], &[("S-1", 1), ("S-3", 3)]),
        order(7, Partial, &[], &[("S-9", 1), ("S-3", 1)]),
    ]
}

/// A second run: an order seen before (a redelivered placement) among new ones.
fn second_run() -> Vec<PlaceOrder> {
    use BackorderPolicy::*;
    vec![
        order(2, Reject, &[], &[("S-1", 3), ("S-2", 1)]),
        order(8, Partial, &[], &[("S-1", 2)]),
        order(4, Backorder, &[], &[("S-1", 5)]),
    ]
}

/// Everything placement writes, as comparable JSON text (no ids or times).
async fn state(app: &TestApp) -> String {
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let mut conn = app.runtime().db.get().await.unwrap();
    let sql = "SELECT json_build_object( \
        'stock', (SELECT json_agg(json_build_array(s.sku, l.code, s.on_hand, s.reserved) ORDER BY s.sku, l.code) \
                  FROM stock s JOIN locations l ON l.id = s.location_id), \
        'lines', (SELECT json_agg(json_build_array(r.owner_id, r.line_no, r.sku, l.code, r.quantity) \
                  ORDER BY r.owner_id, r.line_no, l.code) FROM reservation_lines r JOIN locations l ON l.id = r.location_id), \
        'movements', (SELECT json_agg(json_build_array(m.sku, l.code, m.kind, m.on_hand_before, m.on_hand_after, \
                      m.reserved_before, m.reserved_after, m.reference) ORDER BY m.id) \
                      FROM movements m JOIN locations l ON l.id = m.location_id WHERE m.kind = 'reserve'), \
        'orders', (SELECT json_agg(json_build_array(order_id, status, shortfalls, backorder_policy, ship_from, lines) \
                   ORDER BY order_id) FROM order_reservations), \
        'marks', (SELECT json_agg(DISTINCT sku) FROM availability_marks))::text AS v";
    diesel::sql_query(sql)
        .get_result::<V>(&mut conn)
        .await
        .unwrap()
        .v
}

/// Outcomes with location ids cleared (each world makes its own ids; codes stay).
fn comparable(outcomes: Vec<(Uuid, Outcome)>) -> Vec<(Uuid, Outcome)> {
    let clear = |picks: Vec<inventory::domain::allocation::Pick>| {
        picks
            .into_iter()
            .map(|mut p| {
                p.location_id = Uuid::nil();
                p
            })
            .collect()
    };
    outcomes
        .into_iter()
        .map(|(id, o)| {
            let o = match o {
                Outcome::Reserved { picks, shorts } => Outcome::Reserved {
                    picks: clear(picks),
                    shorts,
                },
                Outcome::AlreadyReserved(picks) => Outcome::AlreadyReserved(clear(picks)),
                other => other,
            };
            (id, o)
        })
        .collect()
}

async fn set_based(app: &TestApp, orders: Vec<PlaceOrder>) -> Vec<(Uuid, Outcome)> {
    let mut conn = app.runtime().db.get().await.unwrap();
    conn.transaction::<_, diesel::result::Error, _>(async move |tx| {
        placement::place_many(tx, &orders, "test").await
    })
    .await
    .map(comparable)
    .unwrap()
}

async fn one_by_one(app: &TestApp, orders: Vec<PlaceOrder>) -> Vec<(Uuid, Outcome)> {
    let mut out = Vec::new();
    for o in orders {
        let mut conn = app.runtime().db.get().await.unwrap();
        let outcome = conn
            .transaction::<_, diesel::result::Error, _>(async |tx| {
                placement::place(tx, &o, "test").await
            })
            .await
            .unwrap();
        out.push((o.order_id, outcome));
    }
    comparable(out)
}

#[tokio::test]
async fn a_batch_placed_set_based_equals_the_same_orders_placed_one_by_one() {
    let (batched, single) = (world().await, world().await);

    let a = set_based(&batched, first_run()).await;
    let b = one_by_one(&single, first_run()).await;
    assert_eq!(a, b, "same outcomes, in order");
    assert!(
        a.iter()
            .any(|(_, o)| matches!(o, Outcome::Reserved { shorts, .. } if !shorts.is_empty())),
        "a partial reservation is among them: {a:?}"
    );
    assert!(a.iter().any(|(_, o)| matches!(
        o,
        Outcome::Failed {
            backordered: true,
            ..
        }
    )));
    assert!(a.iter().any(|(_, o)| matches!(
        o,
        Outcome::Failed {
            backordered: false,
            ..
        }
    )));
    assert_eq!(state(&batched).await, state(&single).await);

    let a = set_based(&batched, second_run()).await;
    let b = one_by_one(&single, second_run()).await;
    assert_eq!(a, b, "a redelivered order answers as before");
    assert!(matches!(a[0].1, Outcome::AlreadyReserved(_)), "{:?}", a[0]);
    assert_eq!(state(&batched).await, state(&single).await);
    assert_reconciles(&batched).await;
}
