//! Reservations of orders and storefront holds: placing, releasing, filling
//! backorders and expiring holds. Allocation itself is `domain::allocation`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
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

async fn set_status(
    conn: &mut Conn,
    order_id: Uuid,
    status: &str,
    shorts: &[Short],
) -> diesel::QueryResult<()> {
    let shorts: Vec<StoredShort> = shorts
        .iter()
        .map(|s| StoredShort {
            line_no: s.line_no,
            sku: s.sku.clone(),
            requested: s.requested,
            missing: s.missing,
        })
        .collect();
    diesel::sql_query(
        "UPDATE order_reservations SET status = $2, shortfalls = $3, updated_at = now() \
         WHERE order_id = $1",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(status)
    .bind::<Jsonb, _>(serde_json::to_value(shorts).expect("serializes"))
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
    let lines: Vec<StoredLine> = order
        .lines
        .iter()
        .map(|l| StoredLine {
            line_no: l.line_no,
            sku: l.sku.clone(),
            quantity: l.quantity,
        })
        .collect();
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
    .bind::<Jsonb, _>(serde_json::to_value(&lines).expect("serializes"))
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
