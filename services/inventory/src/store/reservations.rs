//! Reservations of orders and storefront holds: placing, releasing, filling
//! backorders and expiring holds. Allocation itself is `domain::allocation`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::inventory::{ReservationView, ReservedLineView, ShortfallView};
use domain::contracts::orders::BackorderPolicy;
use platform::db::CachedExt;
use platform::db::Conn;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::stock::{self, StockRow};
use crate::domain::allocation::{self, Allocation, Candidate, Line, Pick, Short};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredLine {
    line_no: i32,
    sku: String,
    quantity: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredShort {
    line_no: i32,
    sku: String,
    requested: i64,
    missing: i64,
}

/// An order to reserve, as OrderPlaced describes it.
#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub order_id: Uuid,
    pub channel_id: String,
    pub lines: Vec<Line>,
    pub policy: BackorderPolicy,
    pub ship_from: Vec<String>,
    pub channel_priority: i32,
    pub placed_at: DateTime<Utc>,
    pub hold_id: Option<Uuid>,
}

/// What a placement (or a backorder fill) came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Reserved now; `shorts` is non-empty only under the partial policy.
    Reserved {
        picks: Vec<Pick>,
        shorts: Vec<Short>,
    },
    /// Nothing reserved: `backordered` waits for stock, otherwise rejected.
    Failed {
        shorts: Vec<Short>,
        backordered: bool,
    },
    /// The order was already reserved (a retry): these are its lines.
    AlreadyReserved(Vec<Pick>),
    /// The order was cancelled before this arrived.
    Ignored,
}

/// The stock-holding candidates for a channel, from locked stock rows.
pub fn candidates(rows: &[StockRow], ship_from: &[String]) -> Vec<Candidate> {
    let mut by_location: HashMap<Uuid, Candidate> = HashMap::new();
    for r in rows {
        if !r.active || (!ship_from.is_empty() && !ship_from.contains(&r.code)) {
            continue;
        }
        by_location
            .entry(r.location_id)
            .or_insert_with(|| Candidate {
                location_id: r.location_id,
                code: r.code.clone(),
                priority: r.priority,
                available: HashMap::new(),
            })
            .available
            .insert(r.sku.clone(), r.on_hand - r.reserved);
    }
    let mut out: Vec<Candidate> = by_location.into_values().collect();
    allocation::sort_candidates(&mut out);
    out
}

fn picks_of(lines: Vec<stock::ReservedLine>) -> Vec<Pick> {
    lines
        .into_iter()
        .map(|l| Pick {
            line_no: l.line_no,
            sku: l.sku,
            location_id: l.location_id,
            location_code: l.code,
            quantity: l.quantity,
        })
        .collect()
}

/// Lines as `order_reservations.lines` stores them.
fn lines_json(lines: &[Line]) -> serde_json::Value {
    let stored: Vec<StoredLine> = lines
        .iter()
        .map(|l| StoredLine {
            line_no: l.line_no,
            sku: l.sku.clone(),
            quantity: l.quantity,
        })
        .collect();
    serde_json::to_value(stored).expect("serializes")
}

/// Shortfalls as `order_reservations.shortfalls` stores them.
fn shortfalls_json(shorts: &[Short]) -> serde_json::Value {
    let stored: Vec<StoredShort> = shorts
        .iter()
        .map(|s| StoredShort {
            line_no: s.line_no,
            sku: s.sku.clone(),
            requested: s.requested,
            missing: s.missing,
        })
        .collect();
    serde_json::to_value(stored).expect("serializes")
}

async fn set_status(
    conn: &mut Conn,
    order_id: Uuid,
    status: &str,
    shorts: &[Short],
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE order_reservations SET status = $2, shortfalls = $3, updated_at = now() \
         WHERE order_id = $1",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(status)
    .bind::<Jsonb, _>(shortfalls_json(shorts))
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct OrderRow {
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Array<Text>)]
    ship_from: Vec<String>,
    #[diesel(sql_type = Jsonb)]
    lines: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    shortfalls: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

const ORDER_COLUMNS: &str = "channel_id, status, ship_from, lines, shortfalls, updated_at";

fn lines_of(row: &OrderRow) -> Vec<Line> {
    stored_lines(row.lines.clone())
}

fn stored_lines(json: serde_json::Value) -> Vec<Line> {
    serde_json::from_value::<Vec<StoredLine>>(json)
        .unwrap_or_default()
        .into_iter()
        .map(|l| Line {
            line_no: l.line_no,
            sku: l.sku,
            quantity: l.quantity,
        })
        .collect()
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
    let result = allocation::allocate(&candidates(&rows, ship_from), lines, policy);
    Ok(match result {
        Allocation::Full(picks) => {
            stock::reserve(conn, order_id, "order", &picks, actor).await?;
            set_status(conn, order_id, "reserved", &[]).await?;
            Outcome::Reserved {
                picks,
                shorts: Vec::new(),
            }
        }
        Allocation::Partial { picks, shorts } => {
            stock::reserve(conn, order_id, "order", &picks, actor).await?;
            set_status(conn, order_id, "reserved", &shorts).await?;
            Outcome::Reserved { picks, shorts }
        }
        Allocation::None(shorts) => {
            let backordered = policy == BackorderPolicy::Backorder;
            let status = if backordered {
                "backordered"
            } else {
                "rejected"
            };
            set_status(conn, order_id, status, &shorts).await?;
            Outcome::Failed {
                shorts,
                backordered,
            }
        }
    })
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
    match seen.status.as_str() {
        "reserved" => {
            let lines = stock::reserved_lines(conn, order.order_id).await?;
            return Ok(Outcome::AlreadyReserved(picks_of(lines)));
        }
        "released" => return Ok(Outcome::Ignored),
        _ => {}
    }
    if let Some(hold_id) = order.hold_id {
        convert_hold(conn, hold_id, order, actor).await?;
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
    let mut rows = if skus.is_empty() {
        Vec::new()
    } else {
        stock::lock(conn, &skus).await?
    };
    let mut writes = Writes::default();
    let mut outcomes = Vec::with_capacity(orders.len());
    for order in orders {
        if !new.contains(&order.order_id) {
            outcomes.push((order.order_id, None));
            continue;
        }
        let own: Vec<StockRow> = rows
            .iter()
            .filter(|r| order.lines.iter().any(|l| l.sku == r.sku))
            .cloned()
            .collect();
        let result = allocation::allocate(
            &candidates(&own, &order.ship_from),
            &order.lines,
            order.policy,
        );
        let outcome = match result {
            Allocation::Full(picks) => {
                writes.reserve(&mut rows, order.order_id, &picks, "reserved", &[]);
                Outcome::Reserved {
                    picks,
                    shorts: Vec::new(),
                }
            }
            Allocation::Partial { picks, shorts } => {
                writes.reserve(&mut rows, order.order_id, &picks, "reserved", &shorts);
                Outcome::Reserved { picks, shorts }
            }
            Allocation::None(shorts) => {
                let backordered = order.policy == BackorderPolicy::Backorder;
                let status = if backordered {
                    "backordered"
                } else {
                    "rejected"
                };
                writes.reserve(&mut rows, order.order_id, &[], status, &shorts);
                Outcome::Failed {
                    shorts,
                    backordered,
                }
            }
        };
        outcomes.push((order.order_id, Some(outcome)));
    }
    writes.apply(conn, actor).await?;

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

/// The writes of many placements, gathered to be applied in one statement.
#[derive(Default)]
struct Writes {
    /// Per stock row: units to add to reserved.
    stock: Vec<(String, Uuid, i64)>,
    /// Movements in application order: sku, location, on hand, reserved before, after, reference.
    movements: Vec<(String, Uuid, i64, i64, i64, String)>,
    /// Reservation lines: owner, line no, sku, location, quantity.
    lines: Vec<(Uuid, i32, String, Uuid, i64)>,
    /// Order statuses: order, status, shortfalls.
    statuses: Vec<(Uuid, String, serde_json::Value)>,
}

impl Writes {
    /// Records one order's reservation (as [`stock::reserve`] and
    /// `set_status` would) and moves the in-memory rows on.
    fn reserve(
        &mut self,
        rows: &mut [StockRow],
        order_id: Uuid,
        picks: &[Pick],
        status: &str,
        shorts: &[Short],
    ) {
        let mut per_row: Vec<(String, Uuid, i64)> = Vec::new();
        for p in picks {
            match per_row
                .iter_mut()
                .find(|(s, l, _)| *s == p.sku && *l == p.location_id)
            {
                Some(r) => r.2 += p.quantity,
                None => per_row.push((p.sku.clone(), p.location_id, p.quantity)),
            }
            match self
                .lines
                .iter_mut()
                .find(|(o, n, _, l, _)| *o == order_id && *n == p.line_no && *l == p.location_id)
            {
                Some(line) => line.4 += p.quantity,
                None => self.lines.push((
                    order_id,
                    p.line_no,
                    p.sku.clone(),
                    p.location_id,
                    p.quantity,
                )),
            }
        }
        per_row.sort();
        for (sku, location_id, quantity) in per_row {
            if let Some(row) = rows
                .iter_mut()
                .find(|r| r.sku == sku && r.location_id == location_id)
            {
                row.reserved += quantity;
                self.movements.push((
                    sku.clone(),
                    location_id,
                    row.on_hand,
                    row.reserved - quantity,
                    row.reserved,
                    format!("order:{order_id}"),
                ));
                self.stock.push((sku, location_id, quantity));
            }
        }
        self.statuses
            .push((order_id, status.to_string(), shortfalls_json(shorts)));
    }

    async fn apply(self, conn: &mut Conn, actor: &str) -> diesel::QueryResult<()> {
        if self.statuses.is_empty() {
            return Ok(());
        }
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
        .bind::<Array<Text>, _>(self.stock.iter().map(|s| s.0.clone()).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(self.stock.iter().map(|s| s.1).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(self.stock.iter().map(|s| s.2).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(self.movements.iter().map(|m| m.0.clone()).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(self.movements.iter().map(|m| m.1).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(self.movements.iter().map(|m| m.2).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(self.movements.iter().map(|m| m.3).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(self.movements.iter().map(|m| m.4).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(self.movements.iter().map(|m| m.5.clone()).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(self.lines.iter().map(|l| l.0).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(self.lines.iter().map(|l| l.1).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(self.lines.iter().map(|l| l.2.clone()).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(self.lines.iter().map(|l| l.3).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(self.lines.iter().map(|l| l.4).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(self.statuses.iter().map(|s| s.0).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(self.statuses.iter().map(|s| s.1.clone()).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(self.statuses.into_iter().map(|s| s.2).collect::<Vec<_>>())
        .bind::<Text, _>(actor)
        .cached()
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Releases an active hold of the order's channel inside the order's
/// transaction, so the order's allocation can take the held units at once.
async fn convert_hold(
    conn: &mut Conn,
    hold_id: Uuid,
    order: &PlaceOrder,
    actor: &str,
) -> diesel::QueryResult<()> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = Text)]
        channel_id: String,
    }
    let hold: Option<Found> = diesel::sql_query(
        "SELECT channel_id FROM holds WHERE id = $1 AND status = 'active' FOR UPDATE",
    )
    .bind::<SqlUuid, _>(hold_id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    if hold.is_none_or(|h| h.channel_id != order.channel_id) {
        // Expired, released or another channel's: the order allocates normally.
        return Ok(());
    };
    let mut skus = stock::reserved_skus(conn, hold_id).await?;
    skus.extend(order.lines.iter().map(|l| l.sku.clone()));
    stock::lock(conn, &skus).await?;
    stock::release(conn, hold_id, "hold", actor).await?;
    diesel::sql_query(
        "UPDATE holds SET status = 'converted', order_id = $2, updated_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(hold_id)
    .bind::<SqlUuid, _>(order.order_id)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Releases a cancelled order's stock. Returns what was released (empty when
/// nothing was reserved). Records the cancellation even for an order not seen
/// yet, so a later OrderPlaced for it reserves nothing.
pub async fn cancel(
    conn: &mut Conn,
    order_id: Uuid,
    channel_id: &str,
    actor: &str,
) -> diesel::QueryResult<Vec<Pick>> {
    diesel::sql_query(
        "INSERT INTO order_reservations (order_id, channel_id, status, backorder_policy, \
         channel_priority, placed_at, lines) VALUES ($1, $2, 'released', 'reject', 0, now(), '[]') \
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(channel_id)
    .cached()
    .execute(conn)
    .await?;
    let row: OrderRow = diesel::sql_query(format!(
        "SELECT {ORDER_COLUMNS} FROM order_reservations WHERE order_id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .get_result(conn)
    .await?;
    let released = if row.status == "reserved" {
        let skus = stock::reserved_skus(conn, order_id).await?;
        stock::lock(conn, &skus).await?;
        picks_of(stock::release(conn, order_id, "order", actor).await?)
    } else {
        Vec::new()
    };
    // Short-picked units waiting for stock wait no more.
    super::fulfillment::drop_waiting(conn, order_id).await?;
    set_status(conn, order_id, "released", &[]).await?;
    Ok(released)
}

/// A backordered order waiting for stock.
#[derive(Debug, Clone)]
pub struct Backordered {
    pub order_id: Uuid,
    pub channel_priority: i32,
    pub placed_at: DateTime<Utc>,
    pub lines: Vec<Line>,
}

/// Backordered orders with their lines, in fill order: channel priority, then
/// oldest placed.
pub async fn backordered(conn: &mut Conn, limit: i64) -> diesel::QueryResult<Vec<Backordered>> {
    #[derive(diesel::QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = SqlUuid)]
        order_id: Uuid,
        #[diesel(sql_type = Integer)]
        channel_priority: i32,
        #[diesel(sql_type = Timestamptz)]
        placed_at: DateTime<Utc>,
        #[diesel(sql_type = Jsonb)]
        lines: serde_json::Value,
    }
    let rows: Vec<Waiting> = diesel::sql_query(
        "SELECT order_id, channel_priority, placed_at, lines FROM order_reservations \
         WHERE status = 'backordered' ORDER BY channel_priority, placed_at, order_id LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Backordered {
            order_id: r.order_id,
            channel_priority: r.channel_priority,
            placed_at: r.placed_at,
            lines: stored_lines(r.lines),
        })
        .collect())
}

/// Tries to reserve one backordered order in full. `None`: still waiting (or
/// another transaction is on it).
pub async fn fill_backorder(
    conn: &mut Conn,
    order_id: Uuid,
    actor: &str,
) -> diesel::QueryResult<Option<Vec<Pick>>> {
    let row: Option<OrderRow> = diesel::sql_query(format!(
        "SELECT {ORDER_COLUMNS} FROM order_reservations \
         WHERE order_id = $1 AND status = 'backordered' FOR UPDATE SKIP LOCKED"
    ))
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let Some(row) = row else { return Ok(None) };
    let lines = lines_of(&row);
    let skus: BTreeSet<String> = lines.iter().map(|l| l.sku.clone()).collect();
    let rows = stock::lock(conn, &skus).await?;
    match allocation::allocate(
        &candidates(&rows, &row.ship_from),
        &lines,
        BackorderPolicy::Backorder,
    ) {
        Allocation::Full(picks) => {
            stock::reserve(conn, order_id, "order", &picks, actor).await?;
            set_status(conn, order_id, "reserved", &[]).await?;
            Ok(Some(picks))
        }
        _ => Ok(None),
    }
}

pub async fn view(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<Option<ReservationView>> {
    let row: Option<OrderRow> = diesel::sql_query(format!(
        "SELECT {ORDER_COLUMNS} FROM order_reservations WHERE order_id = $1"
    ))
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let Some(row) = row else { return Ok(None) };
    let lines = stock::reserved_lines(conn, order_id).await?;
    let shorts: Vec<StoredShort> =
        serde_json::from_value(row.shortfalls.clone()).unwrap_or_default();
    Ok(Some(ReservationView {
        order_id,
        channel_id: row.channel_id,
        status: row.status,
        lines: lines
            .into_iter()
            .map(|l| ReservedLineView {
                line_no: Some(l.line_no),
                sku: l.sku,
                location: l.code,
                quantity: l.quantity,
            })
            .collect(),
        shortfalls: shorts
            .into_iter()
            .map(|s| ShortfallView {
                line_no: s.line_no,
                sku: s.sku,
                requested: s.requested,
                missing: s.missing,
            })
            .collect(),
        shipped: super::fulfillment::shipped(conn, order_id).await?,
        awaiting_stock: super::fulfillment::awaiting_stock(conn, order_id).await?,
        updated_at: row.updated_at,
    }))
}

// ---- storefront holds ----

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct HoldRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub expires_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub order_id: Option<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

const HOLD_COLUMNS: &str = "id, channel_id, status, expires_at, order_id, created_at";

/// Creates a hold and reserves all of `lines` for it, or nothing (the
/// shortfalls are returned).
pub async fn create_hold(
    conn: &mut Conn,
    id: Uuid,
    channel_id: &str,
    ship_from: &[String],
    lines: &[Line],
    ttl_seconds: i64,
    actor: &str,
) -> diesel::QueryResult<Result<HoldRow, Vec<Short>>> {
    let skus: BTreeSet<String> = lines.iter().map(|l| l.sku.clone()).collect();
    let rows = stock::lock(conn, &skus).await?;
    let picks = match allocation::allocate(
        &candidates(&rows, ship_from),
        lines,
        BackorderPolicy::Reject,
    ) {
        Allocation::Full(picks) => picks,
        Allocation::Partial { shorts, .. } | Allocation::None(shorts) => return Ok(Err(shorts)),
    };
    let hold: HoldRow = diesel::sql_query(format!(
        "INSERT INTO holds (id, channel_id, status, expires_at, created_by) \
         VALUES ($1, $2, 'active', now() + make_interval(secs => $3), $4) RETURNING {HOLD_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(channel_id)
    .bind::<diesel::sql_types::Double, _>(ttl_seconds as f64)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await?;
    stock::reserve(conn, id, "hold", &picks, actor).await?;
    Ok(Ok(hold))
}

pub async fn hold(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<HoldRow>> {
    diesel::sql_query(format!("SELECT {HOLD_COLUMNS} FROM holds WHERE id = $1"))
        .bind::<SqlUuid, _>(id)
        .cached()
        .get_result(conn)
        .await
        .optional()
}

/// Ends an active hold (`released` by a caller or `expired`), releasing its
/// stock. Returns false when the hold was not active.
pub async fn end_hold(
    conn: &mut Conn,
    id: Uuid,
    status: &str,
    actor: &str,
) -> diesel::QueryResult<bool> {
    let locked: Option<HoldRow> = diesel::sql_query(format!(
        "SELECT {HOLD_COLUMNS} FROM holds WHERE id = $1 AND status = 'active' FOR UPDATE SKIP LOCKED"
    ))
    .bind::<SqlUuid, _>(id)
    .cached().get_result(conn)
    .await
    .optional()?;
    if locked.is_none() {
        return Ok(false);
    }
    let skus = stock::reserved_skus(conn, id).await?;
    stock::lock(conn, &skus).await?;
    stock::release(conn, id, "hold", actor).await?;
    diesel::sql_query("UPDATE holds SET status = $2, updated_at = now() WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(status)
        .cached()
        .execute(conn)
        .await?;
    Ok(true)
}

/// Holds past their expiry, oldest first.
pub async fn expired_holds(conn: &mut Conn, limit: i64) -> diesel::QueryResult<Vec<Uuid>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let rows: Vec<Id> = diesel::sql_query(
        "SELECT id FROM holds WHERE status = 'active' AND expires_at <= now() \
         ORDER BY expires_at LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
