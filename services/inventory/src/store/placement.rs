//! The placement use case: reserving stock for placed orders, one at a time
//! or a consumer batch at once. The decisions are `domain::placement`; this
//! reads the locked rows and writes what they came to.

use std::collections::BTreeSet;

use diesel::sql_types::{Array, BigInt, Integer, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::inventory::ReservationStatus;
use domain::contracts::orders::BackorderPolicy;
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use super::holds;
use super::reservations::{lines_json, picks_of, set_status, shortfalls_json};
use super::stock::{self, StockRow};
use crate::domain::allocation::{self, Line};
use crate::domain::placement::{LocatedStock, Outcome, Placement, PlacementBatch, candidates};

/// An order to reserve, as OrderPlaced describes it.
#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub order_id: Uuid,
    pub channel_id: String,
    pub lines: Vec<Line>,
    pub policy: BackorderPolicy,
    pub ship_from: Vec<String>,
    pub channel_priority: i32,
    pub placed_at: chrono::DateTime<chrono::Utc>,
    pub hold_id: Option<Uuid>,
}

/// Allocates `lines` over the locked stock and applies the result.
async fn allocate_and_apply(
    conn: &mut Conn,
    order_id: Uuid,
    lines: &[Line],
    policy: BackorderPolicy,
    ship_from: &[String],
    actor: &str,
) -> diesel::QueryResult<Outcome> {
    let skus: BTreeSet<String> = lines.iter().map(|l| l.sku.clone()).collect();
    let rows = stock::lock(conn, &skus).await?;
    let allocation = allocation::allocate(&stock::candidates(&rows, ship_from), lines, policy);
    let placement = Placement::of(allocation, policy);
    if !placement.picks.is_empty() {
        stock::reserve(conn, order_id, "order", &placement.picks, actor).await?;
    }
    set_status(conn, order_id, placement.status, &placement.shorts).await?;
    Ok(placement.outcome())
}

/// Reserves stock for a placed order, converting its storefront hold first.
pub async fn place(
    conn: &mut Conn,
    order: &PlaceOrder,
    actor: &str,
) -> diesel::QueryResult<Outcome> {
    // One statement creates the row or, for an order seen before (a retry),
    // takes the policy sent now; either way the row is locked.
    #[derive(diesel::QueryableByName)]
    struct Seen {
        #[diesel(sql_type = Text)]
        status: String,
    }
    let seen: Seen = diesel::sql_query(
        "INSERT INTO order_reservations (order_id, channel_id, status, backorder_policy, ship_from, \
         channel_priority, placed_at, lines) VALUES ($1, $2, 'rejected', $3, $4, $5, $6, $7) \
         ON CONFLICT (order_id) DO UPDATE SET \
           backorder_policy = CASE WHEN order_reservations.status IN ('rejected', 'backordered') \
                              THEN EXCLUDED.backorder_policy ELSE order_reservations.backorder_policy END, \
           ship_from = CASE WHEN order_reservations.status IN ('rejected', 'backordered') \
                       THEN EXCLUDED.ship_from ELSE order_reservations.ship_from END, \
           channel_priority = CASE WHEN order_reservations.status IN ('rejected', 'backordered') \
                              THEN EXCLUDED.channel_priority ELSE order_reservations.channel_priority END \
         RETURNING status",
    )
    .bind::<SqlUuid, _>(order.order_id)
    .bind::<Text, _>(&order.channel_id)
    .bind::<Text, _>(order.policy.as_str())
    .bind::<Array<Text>, _>(&order.ship_from)
    .bind::<Integer, _>(order.channel_priority)
    .bind::<Timestamptz, _>(order.placed_at)
    .bind::<Jsonb, _>(lines_json(&order.lines))
    .cached()
    .get_result(conn)
    .await?;
    match ReservationStatus::parse(&seen.status) {
        Some(ReservationStatus::Reserved) => {
            let lines = stock::reserved_lines(conn, order.order_id).await?;
            return Ok(Outcome::AlreadyReserved(picks_of(lines)));
        }
        Some(ReservationStatus::Released) => return Ok(Outcome::Ignored),
        _ => {}
    }
    if let Some(hold_id) = order.hold_id {
        holds::convert(
            conn,
            hold_id,
            &order.channel_id,
            order.order_id,
            &order.lines,
            actor,
        )
        .await?;
    }
    allocate_and_apply(
        conn,
        order.order_id,
        &order.lines,
        order.policy,
        &order.ship_from,
        actor,
    )
    .await
}

/// Places many orders (none converting a hold, each order once) with a fixed
/// number of statements: the set-based form of [`place`] for a consumer batch
/// that has locked the orders' stock rows. Orders seen before go through
/// [`place`] one by one; new ones are allocated in memory over the locked rows
/// in the given order, exactly as [`place`] would one after another, and all
/// their writes (stock, movements, reservation lines, statuses) are one
/// statement; then the orders seen before, one by one. Returns each order's
/// outcome, in input order.
pub async fn place_many(
    conn: &mut Conn,
    orders: &[PlaceOrder],
    actor: &str,
) -> diesel::QueryResult<Vec<(Uuid, Outcome)>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(diesel::QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = SqlUuid)]
        order_id: Uuid,
    }
    let stored_lines: Vec<serde_json::Value> =
        orders.iter().map(|o| lines_json(&o.lines)).collect();
    let inserted: Vec<Inserted> = diesel::sql_query(
        "INSERT INTO order_reservations (order_id, channel_id, status, backorder_policy, ship_from, \
         channel_priority, placed_at, lines) \
         SELECT o, c, 'rejected', p, ARRAY(SELECT jsonb_array_elements_text(sf)), pr, pa, l \
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::timestamptz[], $7::jsonb[]) \
           AS t(o, c, p, sf, pr, pa, l) \
         ON CONFLICT (order_id) DO NOTHING RETURNING order_id",
    )
    .bind::<Array<SqlUuid>, _>(orders.iter().map(|o| o.order_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(orders.iter().map(|o| o.channel_id.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(orders.iter().map(|o| o.policy.as_str()).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(
        orders
            .iter()
            .map(|o| serde_json::json!(o.ship_from))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Integer>, _>(orders.iter().map(|o| o.channel_priority).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(orders.iter().map(|o| o.placed_at).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(stored_lines)
    .cached()
    .load(conn)
    .await?;
    let new: BTreeSet<Uuid> = inserted.into_iter().map(|i| i.order_id).collect();

    // Allocate the new orders in order over the locked rows, in memory.
    let skus: BTreeSet<String> = orders
        .iter()
        .filter(|o| new.contains(&o.order_id))
        .flat_map(|o| o.lines.iter().map(|l| l.sku.clone()))
        .collect();
    let mut levels: Vec<LocatedStock> = if skus.is_empty() {
        Vec::new()
    } else {
        stock::lock(conn, &skus)
            .await?
            .iter()
            .map(StockRow::level)
            .collect()
    };
    let mut batch = PlacementBatch::default();
    let mut outcomes = Vec::with_capacity(orders.len());
    for order in orders {
        if !new.contains(&order.order_id) {
            outcomes.push((order.order_id, None));
            continue;
        }
        let own: Vec<LocatedStock> = levels
            .iter()
            .filter(|l| order.lines.iter().any(|line| line.sku == l.sku))
            .cloned()
            .collect();
        let allocation = allocation::allocate(
            &candidates(&own, &order.ship_from),
            &order.lines,
            order.policy,
        );
        let placement = Placement::of(allocation, order.policy);
        batch.add(&mut levels, order.order_id, &placement);
        outcomes.push((order.order_id, Some(placement.outcome())));
    }
    apply_batch(conn, batch, actor).await?;

    // Orders seen before (retries, re-placements): the one-by-one path.
    let mut out = Vec::with_capacity(orders.len());
    for (order, (id, outcome)) in orders.iter().zip(outcomes) {
        let outcome = match outcome {
            Some(o) => o,
            None => place(conn, order, actor).await?,
        };
        out.push((id, outcome));
    }
    Ok(out)
}

/// Writes a batch of placements in one statement: stock, movements,
/// availability marks, reservation lines and statuses.
async fn apply_batch(
    conn: &mut Conn,
    batch: PlacementBatch,
    actor: &str,
) -> diesel::QueryResult<()> {
    if batch.statuses.is_empty() {
        return Ok(());
    }
    let PlacementBatch {
        movements,
        lines,
        statuses,
    } = batch;
    // Each movement is one row's change; the stock update sums them per row.
    let m = &movements;
    let l = &lines;
    diesel::sql_query(
        "WITH d AS (SELECT sku, location_id, sum(q)::bigint AS q \
                    FROM unnest($1::text[], $2::uuid[], $3::bigint[]) AS t(sku, location_id, q) GROUP BY 1, 2), \
         changed AS ( \
           UPDATE stock s SET reserved = s.reserved + d.q, updated_at = now() FROM d \
           WHERE s.sku = d.sku AND s.location_id = d.location_id RETURNING s.sku), \
         moved AS ( \
           INSERT INTO movements (sku, location_id, kind, on_hand_before, on_hand_after, \
                                  reserved_before, reserved_after, reference, actor) \
           SELECT sku, loc, 'reserve', oh, oh, rb, ra, ref, $18 \
           FROM unnest($4::text[], $5::uuid[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[]) \
             WITH ORDINALITY AS m(sku, loc, oh, rb, ra, ref, n) ORDER BY n), \
         dirty AS (INSERT INTO availability_marks (sku) SELECT DISTINCT sku FROM d), \
         lines AS ( \
           INSERT INTO reservation_lines (owner_id, owner_kind, line_no, sku, location_id, quantity) \
           SELECT o, 'order', n, sku, loc, q \
           FROM unnest($10::uuid[], $11::int[], $12::text[], $13::uuid[], $14::bigint[]) AS l(o, n, sku, loc, q)) \
         UPDATE order_reservations r SET status = u.status, shortfalls = u.shortfalls, updated_at = now() \
         FROM unnest($15::uuid[], $16::text[], $17::jsonb[]) AS u(order_id, status, shortfalls) \
         WHERE r.order_id = u.order_id",
    )
    .bind::<Array<Text>, _>(m.iter().map(|m| m.sku.clone()).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(m.iter().map(|m| m.location_id).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(m.iter().map(|m| m.reserved_after - m.reserved_before).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(m.iter().map(|m| m.sku.clone()).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(m.iter().map(|m| m.location_id).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(m.iter().map(|m| m.on_hand).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(m.iter().map(|m| m.reserved_before).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(m.iter().map(|m| m.reserved_after).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(m.iter().map(|m| format!("order:{}", m.order_id)).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(l.iter().map(|l| l.order_id).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(l.iter().map(|l| l.line_no).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(l.iter().map(|l| l.sku.clone()).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(l.iter().map(|l| l.location_id).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(l.iter().map(|l| l.quantity).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(statuses.iter().map(|s| s.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(statuses.iter().map(|s| s.1.as_str()).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(statuses.iter().map(|s| shortfalls_json(&s.2)).collect::<Vec<_>>())
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
