//! What the warehouse reports back. A shipment consumes the order's
//! reservation and on hand; a short pick writes the missing units off and
//! re-allocates them elsewhere, or leaves them waiting for stock (backorder
//! policy) or cuts them (partial, reject).
//!
//! Lock order as everywhere (`store` module docs): the order's reservation row
//! (short picks, the filler) → a waiting reallocation → stock rows, sorted.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Integer, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::inventory::{AwaitingStockView, ReservedLineView};
use domain::contracts::orders::BackorderPolicy;
use platform::db::CachedExt;
use platform::db::Conn;
use uuid::Uuid;

use super::stock::candidates;
use super::stock::{self, TakeOut, TakenOut};
use crate::domain::allocation::{self, Allocation, Line, Pick, Short};
use crate::domain::fulfillment::{ShipSplit, ship_split, short_pick_write_off};
use domain::contracts::inventory::ReservationStatus;

/// Records a fulfillment's shipped lines and returns those not recorded
/// before: a fulfillment ships once, whatever event id carries it.
pub async fn record_shipment(
    conn: &mut Conn,
    fulfillment_id: &str,
    order_id: Uuid,
    location_id: Uuid,
    lines: &[Line],
    shipped_at: DateTime<Utc>,
) -> diesel::QueryResult<Vec<Line>> {
    #[derive(diesel::QueryableByName)]
    struct New {
        #[diesel(sql_type = Integer)]
        line_no: i32,
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = BigInt)]
        quantity: i64,
    }
    let rows: Vec<New> = diesel::sql_query(
        "INSERT INTO fulfillment_shipments (fulfillment_id, line_no, order_id, sku, location_id, \
         quantity, shipped_at) \
         SELECT $1, l, $2, s, $3, q, $4 FROM unnest($5::int[], $6::text[], $7::bigint[]) AS t(l, s, q) \
         ORDER BY l ON CONFLICT (fulfillment_id, line_no) DO NOTHING RETURNING line_no, sku, quantity",
    )
    .bind::<Text, _>(fulfillment_id)
    .bind::<SqlUuid, _>(order_id)
    .bind::<SqlUuid, _>(location_id)
    .bind::<Timestamptz, _>(shipped_at)
    .bind::<Array<Integer>, _>(lines.iter().map(|l| l.line_no).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(lines.iter().map(|l| l.sku.clone()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(lines.iter().map(|l| l.quantity).collect::<Vec<_>>())
    .cached()
    .load(conn)
    .await?;
    let mut out: Vec<Line> = rows
        .into_iter()
        .map(|r| Line {
            line_no: r.line_no,
            sku: r.sku,
            quantity: r.quantity,
        })
        .collect();
    out.sort_by_key(|l| l.line_no);
    Ok(out)
}

/// What one shipped line did to its stock row.
#[derive(Debug, Clone, Copy)]
pub struct ShippedLine {
    pub split: ShipSplit,
    /// None when nothing could be taken (no reservation and nothing available).
    pub taken: Option<TakenOut>,
}

/// Consumes a shipped line: off the order line's reservation at the location,
/// and off the stock row's reserved and on hand; units no longer reserved come
/// off on hand only (see [`ship_split`]). The stock row must be locked.
pub async fn ship_line(
    conn: &mut Conn,
    order_id: Uuid,
    line: &Line,
    location_id: Uuid,
    note: &str,
    actor: &str,
) -> diesel::QueryResult<ShippedLine> {
    let for_line = stock::reserved_for_line(conn, order_id, line.line_no, location_id).await?;
    let (on_hand, reserved) = stock::levels(conn, &line.sku, location_id)
        .await?
        .unwrap_or((0, 0));
    let split = ship_split(line.quantity, for_line, on_hand, reserved);
    stock::unreserve_line(conn, order_id, line.line_no, location_id, split.reserved).await?;
    let taken = if split.reserved + split.unreserved > 0 {
        Some(
            stock::take_out(
                conn,
                TakeOut {
                    sku: &line.sku,
                    location_id,
                    kind: "ship",
                    reserved: split.reserved,
                    unreserved: split.unreserved,
                    reference: format!("order:{order_id}"),
                    actor,
                    note,
                },
            )
            .await?,
        )
    } else {
        None
    };
    Ok(ShippedLine { split, taken })
}

/// A short pick as the warehouse reported it.
pub struct ShortPick<'a> {
    pub order_id: Uuid,
    pub line_no: i32,
    pub sku: &'a str,
    pub location_id: Uuid,
    pub location_code: &'a str,
    pub missing: i64,
    pub fulfillment_id: &'a str,
    pub note: &'a str,
}

/// The answer to a short pick (published as StockReallocated).
#[derive(Debug, Clone)]
pub struct Reallocated {
    pub order_id: Uuid,
    pub channel_id: String,
    pub fulfillment_id: String,
    pub from_location_code: String,
    /// New reservations elsewhere.
    pub picks: Vec<Pick>,
    /// What is still missing (`requested` = units written off).
    pub short: Option<Short>,
    /// reallocated | backordered | cut
    pub outcome: &'static str,
}

/// What a short pick came to.
#[derive(Debug, Clone)]
pub enum ShortPickOutcome {
    /// Written off (`movement`, clamped to what was reserved) and re-allocated.
    Applied {
        reallocated: Reallocated,
        written_off: i64,
        movement: TakenOut,
    },
    /// Inventory has no reservation row for the order.
    UnknownOrder,
    /// The order is not reserved (released by a cancellation, or never was).
    NotReserved(String),
    /// The line has nothing (left) reserved at the location.
    NothingReserved,
}

#[derive(diesel::QueryableByName)]
struct OrderTerms {
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    backorder_policy: String,
    #[diesel(sql_type = Array<Text>)]
    ship_from: Vec<String>,
    #[diesel(sql_type = Integer)]
    channel_priority: i32,
    #[diesel(sql_type = Timestamptz)]
    placed_at: DateTime<Utc>,
}

/// Writes off a short pick at its location and re-allocates the missing units
/// for the order line at the other eligible locations (the order's stored
/// `ship_from`), taking what exists. What is still missing waits for stock
/// under the order's backorder policy, else it is cut.
pub async fn short_pick(
    conn: &mut Conn,
    sp: &ShortPick<'_>,
    actor: &str,
) -> diesel::QueryResult<ShortPickOutcome> {
    // The order row first (the lock order); a cancellation waits for us.
    let order: Option<OrderTerms> = diesel::sql_query(
        "SELECT channel_id, status, backorder_policy, ship_from, channel_priority, placed_at \
         FROM order_reservations WHERE order_id = $1 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(sp.order_id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let Some(order) = order else {
        return Ok(ShortPickOutcome::UnknownOrder);
    };
    if order.status != ReservationStatus::Reserved.as_str() {
        return Ok(ShortPickOutcome::NotReserved(order.status));
    }
    let skus = BTreeSet::from([sp.sku.to_string()]);
    stock::lock(conn, &skus).await?;
    let for_line = stock::reserved_for_line(conn, sp.order_id, sp.line_no, sp.location_id).await?;
    let written_off = short_pick_write_off(sp.missing, for_line);
    if written_off == 0 {
        return Ok(ShortPickOutcome::NothingReserved);
    }
    stock::unreserve_line(conn, sp.order_id, sp.line_no, sp.location_id, written_off).await?;
    let movement = stock::take_out(
        conn,
        TakeOut {
            sku: sp.sku,
            location_id: sp.location_id,
            kind: "short_pick",
            reserved: written_off,
            unreserved: 0,
            reference: format!("order:{}", sp.order_id),
            actor,
            note: sp.note,
        },
    )
    .await?;

    // Re-allocate at the other locations (the short one is suspect).
    let rows = stock::lock(conn, &skus).await?;
    let mut eligible = candidates(&rows, &order.ship_from);
    eligible.retain(|c| c.location_id != sp.location_id);
    let line = Line {
        line_no: sp.line_no,
        sku: sp.sku.to_string(),
        quantity: written_off,
    };
    let picks = match allocation::allocate(
        &eligible,
        std::slice::from_ref(&line),
        BackorderPolicy::Partial,
    ) {
        Allocation::Full(picks) | Allocation::Partial { picks, .. } => picks,
        Allocation::None(_) => Vec::new(),
    };
    stock::reserve(conn, sp.order_id, "order", &picks, actor).await?;
    stock::mark_dirty(conn, &skus).await?;
    let missing = written_off - picks.iter().map(|p| p.quantity).sum::<i64>();
    let short = (missing > 0).then(|| Short {
        line_no: sp.line_no,
        sku: sp.sku.to_string(),
        requested: written_off,
        missing,
    });
    let outcome = match &short {
        None => "reallocated",
        Some(short) if order.backorder_policy == BackorderPolicy::Backorder.as_str() => {
            diesel::sql_query(
                "INSERT INTO reallocation_backorders (order_id, channel_id, line_no, sku, quantity, \
                 fulfillment_id, from_location_id, write_off_movement, channel_priority, placed_at, \
                 ship_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind::<SqlUuid, _>(sp.order_id)
            .bind::<Text, _>(&order.channel_id)
            .bind::<Integer, _>(sp.line_no)
            .bind::<Text, _>(sp.sku)
            .bind::<BigInt, _>(short.missing)
            .bind::<Text, _>(sp.fulfillment_id)
            .bind::<SqlUuid, _>(sp.location_id)
            .bind::<BigInt, _>(movement.movement_id)
            .bind::<Integer, _>(order.channel_priority)
            .bind::<Timestamptz, _>(order.placed_at)
            .bind::<Array<Text>, _>(&order.ship_from)
            .cached()
            .execute(conn)
            .await?;
            "backordered"
        }
        Some(short) => {
            // Cut: it joins the order's shortfalls, as a partial placement's do.
            diesel::sql_query(
                "UPDATE order_reservations SET shortfalls = shortfalls || $2, updated_at = now() \
                 WHERE order_id = $1",
            )
            .bind::<SqlUuid, _>(sp.order_id)
            .bind::<Jsonb, _>(serde_json::json!([{
                "line_no": short.line_no,
                "sku": short.sku,
                "requested": short.requested,
                "missing": short.missing,
            }]))
            .cached()
            .execute(conn)
            .await?;
            "cut"
        }
    };
    Ok(ShortPickOutcome::Applied {
        reallocated: Reallocated {
            order_id: sp.order_id,
            channel_id: order.channel_id,
            fulfillment_id: sp.fulfillment_id.to_string(),
            from_location_code: sp.location_code.to_string(),
            picks,
            short,
            outcome,
        },
        written_off,
        movement,
    })
}

/// Short-picked units waiting for stock.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Waiting {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Integer)]
    pub line_no: i32,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
    #[diesel(sql_type = Text)]
    pub fulfillment_id: String,
    #[diesel(sql_type = SqlUuid)]
    pub from_location_id: Uuid,
    #[diesel(sql_type = Text)]
    pub from_code: String,
    #[diesel(sql_type = BigInt)]
    pub write_off_movement: i64,
    #[diesel(sql_type = Integer)]
    pub channel_priority: i32,
    #[diesel(sql_type = Timestamptz)]
    pub placed_at: DateTime<Utc>,
    #[diesel(sql_type = Array<Text>)]
    pub ship_from: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

const WAITING_COLUMNS: &str = "w.id, w.order_id, w.channel_id, w.line_no, w.sku, w.quantity, \
    w.fulfillment_id, w.from_location_id, l.code AS from_code, w.write_off_movement, \
    w.channel_priority, w.placed_at, w.ship_from, w.created_at";

/// Waiting reallocations in fill order: channel priority, then oldest placed.
pub async fn waiting(conn: &mut Conn, limit: i64) -> diesel::QueryResult<Vec<Waiting>> {
    diesel::sql_query(format!(
        "SELECT {WAITING_COLUMNS} FROM reallocation_backorders w \
         JOIN locations l ON l.id = w.from_location_id \
         ORDER BY w.channel_priority, w.placed_at, w.order_id, w.id LIMIT $1"
    ))
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await
}

/// Tries to reserve one waiting reallocation in full (as whole backorders
/// fill). `None`: still waiting, or another transaction is on it. The short
/// location takes part only if stock arrived there after the write-off.
pub async fn fill_waiting(
    conn: &mut Conn,
    waiting: &Waiting,
    actor: &str,
) -> diesel::QueryResult<Option<Vec<Pick>>> {
    #[derive(diesel::QueryableByName)]
    struct Status {
        #[diesel(sql_type = Text)]
        status: String,
    }
    let order: Option<Status> = diesel::sql_query(
        "SELECT status FROM order_reservations WHERE order_id = $1 FOR UPDATE SKIP LOCKED",
    )
    .bind::<SqlUuid, _>(waiting.order_id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let Some(order) = order else { return Ok(None) };
    if order.status != ReservationStatus::Reserved.as_str() {
        // Released meanwhile: nothing to wait for any more.
        delete_waiting(conn, waiting.id).await?;
        return Ok(None);
    }
    let row: Option<Waiting> = diesel::sql_query(format!(
        "SELECT {WAITING_COLUMNS} FROM reallocation_backorders w \
         JOIN locations l ON l.id = w.from_location_id WHERE w.id = $1 FOR UPDATE OF w SKIP LOCKED"
    ))
    .bind::<BigInt, _>(waiting.id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let Some(w) = row else { return Ok(None) };
    let rows = stock::lock(conn, &BTreeSet::from([w.sku.clone()])).await?;
    let mut eligible = candidates(&rows, &w.ship_from);
    if !stock_arrived_since(conn, &w).await? {
        eligible.retain(|c| c.location_id != w.from_location_id);
    }
    let line = Line {
        line_no: w.line_no,
        sku: w.sku.clone(),
        quantity: w.quantity,
    };
    match allocation::allocate(&eligible, &[line], BackorderPolicy::Backorder) {
        Allocation::Full(picks) => {
            stock::reserve(conn, w.order_id, "order", &picks, actor).await?;
            delete_waiting(conn, w.id).await?;
            Ok(Some(picks))
        }
        _ => Ok(None),
    }
}

/// Whether on hand rose at the short location after the write-off.
async fn stock_arrived_since(conn: &mut Conn, w: &Waiting) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Arrived {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        arrived: bool,
    }
    let row: Arrived = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM movements WHERE sku = $1 AND location_id = $2 AND id > $3 \
         AND on_hand_after > on_hand_before) AS arrived",
    )
    .bind::<Text, _>(&w.sku)
    .bind::<SqlUuid, _>(w.from_location_id)
    .bind::<BigInt, _>(w.write_off_movement)
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.arrived)
}

async fn delete_waiting(conn: &mut Conn, id: i64) -> diesel::QueryResult<()> {
    diesel::sql_query("DELETE FROM reallocation_backorders WHERE id = $1")
        .bind::<BigInt, _>(id)
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops an order's waiting reallocations (it was cancelled).
pub async fn drop_waiting(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<usize> {
    diesel::sql_query("DELETE FROM reallocation_backorders WHERE order_id = $1")
        .bind::<SqlUuid, _>(order_id)
        .cached()
        .execute(conn)
        .await
}

/// What an order's shipments took, per line and location.
pub async fn shipped(
    conn: &mut Conn,
    order_id: Uuid,
) -> diesel::QueryResult<Vec<ReservedLineView>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        line_no: i32,
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = Text)]
        code: String,
        #[diesel(sql_type = BigInt)]
        quantity: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT s.line_no, s.sku, l.code, sum(s.quantity)::bigint AS quantity \
         FROM fulfillment_shipments s JOIN locations l ON l.id = s.location_id \
         WHERE s.order_id = $1 GROUP BY s.line_no, s.sku, l.code, l.priority \
         ORDER BY s.line_no, l.priority, l.code",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReservedLineView {
            line_no: Some(r.line_no),
            sku: r.sku,
            location: r.code,
            quantity: r.quantity,
        })
        .collect())
}

/// An order's short-picked units waiting for stock.
pub async fn awaiting_stock(
    conn: &mut Conn,
    order_id: Uuid,
) -> diesel::QueryResult<Vec<AwaitingStockView>> {
    let rows: Vec<Waiting> = diesel::sql_query(format!(
        "SELECT {WAITING_COLUMNS} FROM reallocation_backorders w \
         JOIN locations l ON l.id = w.from_location_id WHERE w.order_id = $1 ORDER BY w.line_no, w.id"
    ))
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|w| AwaitingStockView {
            line_no: w.line_no,
            sku: w.sku,
            quantity: w.quantity,
            fulfillment_id: w.fulfillment_id,
            short_at: w.from_code,
            since: w.created_at,
        })
        .collect())
}
