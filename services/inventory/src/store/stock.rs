//! Stock rows: locking, levels, reserving and releasing. Every change to
//! `on_hand` or `reserved` writes a movement (`movements`) in the same
//! statement sequence, so the log reconciles.

use std::collections::BTreeSet;

use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::inventory::{SkuStockView, StockLevel};
use platform::db::CachedExt;
use platform::db::Conn;
use uuid::Uuid;

use crate::domain::allocation::Candidate;
use crate::domain::allocation::Pick;
use crate::domain::placement::LocatedStock;

pub use super::movements::{Movement, movements, record_movement};

/// One stock row, locked by the transaction that read it.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct StockRow {
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = SqlUuid)]
    pub location_id: Uuid,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Integer)]
    pub priority: i32,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = BigInt)]
    pub on_hand: i64,
    #[diesel(sql_type = BigInt)]
    pub reserved: i64,
}

impl StockRow {
    pub fn level(&self) -> LocatedStock {
        LocatedStock {
            sku: self.sku.clone(),
            location_id: self.location_id,
            code: self.code.clone(),
            priority: self.priority,
            active: self.active,
            on_hand: self.on_hand,
            reserved: self.reserved,
        }
    }
}

/// The locations that may serve a channel, from locked rows
/// ([`placement::candidates`](crate::domain::placement::candidates)).
pub fn candidates(rows: &[StockRow], ship_from: &[String]) -> Vec<Candidate> {
    let levels: Vec<LocatedStock> = rows.iter().map(StockRow::level).collect();
    crate::domain::placement::candidates(&levels, ship_from)
}

/// Locks every stock row of `skus` in (SKU, location) order and returns them.
/// The sort happens before the lock, so all transactions lock in one order.
pub async fn lock(conn: &mut Conn, skus: &BTreeSet<String>) -> diesel::QueryResult<Vec<StockRow>> {
    let skus: Vec<&String> = skus.iter().collect();
    diesel::sql_query(
        "SELECT s.sku, s.location_id, l.code, l.priority, l.active, s.on_hand, s.reserved \
         FROM stock s JOIN locations l ON l.id = s.location_id \
         WHERE s.sku = ANY($1) ORDER BY s.sku, s.location_id FOR UPDATE OF s",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await
}

/// Reads (without locking) the stock rows of `skus`.
pub async fn read(conn: &mut Conn, skus: &[String]) -> diesel::QueryResult<Vec<StockRow>> {
    diesel::sql_query(
        "SELECT s.sku, s.location_id, l.code, l.priority, l.active, s.on_hand, s.reserved \
         FROM stock s JOIN locations l ON l.id = s.location_id \
         WHERE s.sku = ANY($1) ORDER BY s.sku, l.priority, l.code",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await
}

pub fn sku_view(sku: &str, rows: &[StockRow]) -> SkuStockView {
    let locations: Vec<StockLevel> = rows
        .iter()
        .filter(|r| r.sku == sku)
        .map(|r| StockLevel {
            location: r.code.clone(),
            on_hand: r.on_hand,
            reserved: r.reserved,
            available: r.on_hand - r.reserved,
        })
        .collect();
    SkuStockView {
        sku: sku.to_string(),
        on_hand: locations.iter().map(|l| l.on_hand).sum(),
        reserved: locations.iter().map(|l| l.reserved).sum(),
        available: locations.iter().map(|l| l.available).sum(),
        locations,
    }
}

/// Marks SKUs for the availability publisher (an insert-only log: never waits).
pub async fn mark_dirty(conn: &mut Conn, skus: &BTreeSet<String>) -> diesel::QueryResult<()> {
    if skus.is_empty() {
        return Ok(());
    }
    let skus: Vec<&String> = skus.iter().collect();
    diesel::sql_query("INSERT INTO availability_marks (sku) SELECT unnest($1::text[])")
        .bind::<Array<Text>, _>(skus)
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Levels {
    #[diesel(sql_type = BigInt)]
    on_hand: i64,
    #[diesel(sql_type = BigInt)]
    reserved: i64,
}

/// Locks (creating if needed) the stock row of `sku` at `location_id`.
pub async fn lock_one(
    conn: &mut Conn,
    sku: &str,
    location_id: Uuid,
) -> diesel::QueryResult<(i64, i64)> {
    diesel::sql_query(
        "INSERT INTO stock (sku, location_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(sku)
    .bind::<SqlUuid, _>(location_id)
    .cached()
    .execute(conn)
    .await?;
    let row: Levels = diesel::sql_query(
        "SELECT on_hand, reserved FROM stock WHERE sku = $1 AND location_id = $2 FOR UPDATE",
    )
    .bind::<Text, _>(sku)
    .bind::<SqlUuid, _>(location_id)
    .cached()
    .get_result(conn)
    .await?;
    Ok((row.on_hand, row.reserved))
}

pub async fn set_on_hand(
    conn: &mut Conn,
    sku: &str,
    location_id: Uuid,
    on_hand: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE stock SET on_hand = $3, updated_at = now() WHERE sku = $1 AND location_id = $2",
    )
    .bind::<Text, _>(sku)
    .bind::<SqlUuid, _>(location_id)
    .bind::<BigInt, _>(on_hand)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds `delta` to reserved (negative releases), writing the movement. The
/// rows must be locked by the caller ([`lock`]); the CHECK constraints are the
/// backstop if a caller ever gets that wrong.
async fn change_reserved(
    conn: &mut Conn,
    sku: &str,
    location_id: Uuid,
    delta: i64,
    reference: &str,
    actor: &str,
) -> diesel::QueryResult<()> {
    let row: Levels = diesel::sql_query(
        "UPDATE stock SET reserved = reserved + $3, updated_at = now() \
         WHERE sku = $1 AND location_id = $2 RETURNING on_hand, reserved",
    )
    .bind::<Text, _>(sku)
    .bind::<SqlUuid, _>(location_id)
    .bind::<BigInt, _>(delta)
    .cached()
    .get_result(conn)
    .await?;
    record_movement(
        conn,
        Movement {
            sku,
            location_id,
            kind: if delta > 0 { "reserve" } else { "release" },
            on_hand: (row.on_hand, row.on_hand),
            reserved: (row.reserved - delta, row.reserved),
            reference: Some(reference.to_string()),
            actor,
            note: None,
        },
    )
    .await?;
    Ok(())
}

/// Reserves `picks` for an order or a hold in one statement: the stock rows
/// (locked by the caller, [`lock`]), one movement per stock row, the
/// reservation lines, and the dirty marks for availability.
pub async fn reserve(
    conn: &mut Conn,
    owner_id: Uuid,
    owner_kind: &str,
    picks: &[Pick],
    actor: &str,
) -> diesel::QueryResult<()> {
    if picks.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "WITH p AS (SELECT * FROM unnest($1::int[], $2::text[], $3::uuid[], $4::bigint[]) \
                    AS t(line_no, sku, location_id, quantity)), \
         per_row AS (SELECT sku, location_id, sum(quantity)::bigint AS quantity FROM p GROUP BY 1, 2), \
         changed AS ( \
           UPDATE stock s SET reserved = s.reserved + r.quantity, updated_at = now() FROM per_row r \
           WHERE s.sku = r.sku AND s.location_id = r.location_id \
           RETURNING s.sku, s.location_id, s.on_hand, s.reserved, r.quantity), \
         moved AS ( \
           INSERT INTO movements (sku, location_id, kind, on_hand_before, on_hand_after, \
                                  reserved_before, reserved_after, reference, actor) \
           SELECT sku, location_id, 'reserve', on_hand, on_hand, reserved - quantity, reserved, $5, $6 \
           FROM changed ORDER BY sku, location_id), \
         dirty AS ( \
           INSERT INTO availability_marks (sku) SELECT DISTINCT sku FROM p) \
         INSERT INTO reservation_lines (owner_id, owner_kind, line_no, sku, location_id, quantity) \
         SELECT $7, $8, line_no, sku, location_id, quantity FROM p \
         ON CONFLICT (owner_id, line_no, location_id) DO UPDATE \
         SET quantity = reservation_lines.quantity + EXCLUDED.quantity",
    )
    .bind::<Array<Integer>, _>(picks.iter().map(|p| p.line_no).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(picks.iter().map(|p| p.sku.clone()).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(picks.iter().map(|p| p.location_id).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(picks.iter().map(|p| p.quantity).collect::<Vec<_>>())
    .bind::<Text, _>(format!("{owner_kind}:{owner_id}"))
    .bind::<Text, _>(actor)
    .bind::<SqlUuid, _>(owner_id)
    .bind::<Text, _>(owner_kind)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// The levels of a stock row the caller has locked ([`lock`]); None when the
/// SKU has no row at the location.
pub async fn levels(
    conn: &mut Conn,
    sku: &str,
    location_id: Uuid,
) -> diesel::QueryResult<Option<(i64, i64)>> {
    let row: Option<Levels> = diesel::sql_query(
        "SELECT on_hand, reserved FROM stock WHERE sku = $1 AND location_id = $2",
    )
    .bind::<Text, _>(sku)
    .bind::<SqlUuid, _>(location_id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| (r.on_hand, r.reserved)))
}

/// Units leaving a stock row for good (shipped, or missing from the bin).
pub struct TakeOut<'a> {
    pub sku: &'a str,
    pub location_id: Uuid,
    /// ship | short_pick
    pub kind: &'a str,
    /// Units that were reserved: off reserved and on hand.
    pub reserved: i64,
    /// Units that were not: off on hand only.
    pub unreserved: i64,
    pub reference: String,
    pub actor: &'a str,
    pub note: &'a str,
}

/// The movement a [`take_out`] wrote.
#[derive(Debug, Clone, Copy)]
pub struct TakenOut {
    pub movement_id: i64,
    pub on_hand: (i64, i64),
}

/// Takes units out of a row the caller has locked ([`lock`]), writing the
/// movement; the CHECK constraints stop a caller that got the split wrong.
pub async fn take_out(conn: &mut Conn, t: TakeOut<'_>) -> diesel::QueryResult<TakenOut> {
    let row: Levels = diesel::sql_query(
        "UPDATE stock SET on_hand = on_hand - $3 - $4, reserved = reserved - $3, updated_at = now() \
         WHERE sku = $1 AND location_id = $2 RETURNING on_hand, reserved",
    )
    .bind::<Text, _>(t.sku)
    .bind::<SqlUuid, _>(t.location_id)
    .bind::<BigInt, _>(t.reserved)
    .bind::<BigInt, _>(t.unreserved)
    .cached()
    .get_result(conn)
    .await?;
    let on_hand = (row.on_hand + t.reserved + t.unreserved, row.on_hand);
    let movement_id = record_movement(
        conn,
        Movement {
            sku: t.sku,
            location_id: t.location_id,
            kind: t.kind,
            on_hand,
            reserved: (row.reserved + t.reserved, row.reserved),
            reference: Some(t.reference),
            actor: t.actor,
            note: Some(t.note),
        },
    )
    .await?;
    Ok(TakenOut {
        movement_id,
        on_hand,
    })
}

/// Units an order line has reserved at a location.
pub async fn reserved_for_line(
    conn: &mut Conn,
    order_id: Uuid,
    line_no: i32,
    location_id: Uuid,
) -> diesel::QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        quantity: i64,
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT quantity FROM reservation_lines \
         WHERE owner_id = $1 AND owner_kind = 'order' AND line_no = $2 AND location_id = $3",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Integer, _>(line_no)
    .bind::<SqlUuid, _>(location_id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| r.quantity).unwrap_or(0))
}

/// Takes `quantity` units off an order line's reservation at a location
/// (deleting the line at zero). The stock row is the caller's to change.
pub async fn unreserve_line(
    conn: &mut Conn,
    order_id: Uuid,
    line_no: i32,
    location_id: Uuid,
    quantity: i64,
) -> diesel::QueryResult<()> {
    if quantity <= 0 {
        return Ok(());
    }
    diesel::sql_query(
        "WITH gone AS ( \
           DELETE FROM reservation_lines WHERE owner_id = $1 AND owner_kind = 'order' \
           AND line_no = $2 AND location_id = $3 AND quantity <= $4) \
         UPDATE reservation_lines SET quantity = quantity - $4 WHERE owner_id = $1 \
         AND owner_kind = 'order' AND line_no = $2 AND location_id = $3 AND quantity > $4",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Integer, _>(line_no)
    .bind::<SqlUuid, _>(location_id)
    .bind::<BigInt, _>(quantity)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// A reserved line of an order or hold.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ReservedLine {
    #[diesel(sql_type = Integer)]
    pub line_no: i32,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = SqlUuid)]
    pub location_id: Uuid,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
}

pub async fn reserved_lines(
    conn: &mut Conn,
    owner_id: Uuid,
) -> diesel::QueryResult<Vec<ReservedLine>> {
    diesel::sql_query(
        "SELECT r.line_no, r.sku, r.location_id, l.code, r.quantity \
         FROM reservation_lines r JOIN locations l ON l.id = r.location_id \
         WHERE r.owner_id = $1 ORDER BY r.line_no, l.priority, l.code",
    )
    .bind::<SqlUuid, _>(owner_id)
    .cached()
    .load(conn)
    .await
}

/// Releases everything `owner_id` has reserved; returns what was released.
/// The caller must already hold the stock locks of these SKUs ([`lock`]).
pub async fn release(
    conn: &mut Conn,
    owner_id: Uuid,
    owner_kind: &str,
    actor: &str,
) -> diesel::QueryResult<Vec<ReservedLine>> {
    let lines = reserved_lines(conn, owner_id).await?;
    let reference = format!("{owner_kind}:{owner_id}");
    for l in &lines {
        change_reserved(conn, &l.sku, l.location_id, -l.quantity, &reference, actor).await?;
    }
    diesel::sql_query("DELETE FROM reservation_lines WHERE owner_id = $1")
        .bind::<SqlUuid, _>(owner_id)
        .cached()
        .execute(conn)
        .await?;
    let skus: BTreeSet<String> = lines.iter().map(|l| l.sku.clone()).collect();
    mark_dirty(conn, &skus).await?;
    Ok(lines)
}

/// SKUs that any of `owners` (orders, holds) has reserved.
pub async fn reserved_skus_of(
    conn: &mut Conn,
    owners: &[Uuid],
) -> diesel::QueryResult<BTreeSet<String>> {
    if owners.is_empty() {
        return Ok(BTreeSet::new());
    }
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        sku: String,
    }
    let rows: Vec<Row> =
        diesel::sql_query("SELECT DISTINCT sku FROM reservation_lines WHERE owner_id = ANY($1)")
            .bind::<Array<SqlUuid>, _>(owners)
            .cached()
            .load(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.sku).collect())
}

/// SKUs an owner has reserved (to lock them before releasing).
pub async fn reserved_skus(
    conn: &mut Conn,
    owner_id: Uuid,
) -> diesel::QueryResult<BTreeSet<String>> {
    Ok(reserved_lines(conn, owner_id)
        .await?
        .into_iter()
        .map(|l| l.sku)
        .collect())
}
