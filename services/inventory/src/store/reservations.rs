//! Order reservations as inventory records them: the row per order, its
//! stored lines and shortfalls, cancellation and the read view. Placing is
//! `placement`, backorders `backorders`, storefront holds `holds`.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::inventory::{
    ReservationStatus, ReservationView, ReservedLineView, ShortfallView,
};
use platform::db::{CachedExt, Conn};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::stock;
use crate::domain::allocation::{Line, Pick, Short};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredLine {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredShort {
    pub line_no: i32,
    pub sku: String,
    pub requested: i64,
    pub missing: i64,
}

pub(super) fn picks_of(lines: Vec<stock::ReservedLine>) -> Vec<Pick> {
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
pub(super) fn lines_json(lines: &[Line]) -> serde_json::Value {
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
pub(super) fn shortfalls_json(shorts: &[Short]) -> serde_json::Value {
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

/// Sets an order's reservation status and its recorded shortfalls.
pub(super) async fn set_status(
    conn: &mut Conn,
    order_id: Uuid,
    status: ReservationStatus,
    shorts: &[Short],
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE order_reservations SET status = $2, shortfalls = $3, updated_at = now() \
         WHERE order_id = $1",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(status.as_str())
    .bind::<Jsonb, _>(shortfalls_json(shorts))
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
pub(super) struct OrderRow {
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Array<Text>)]
    pub ship_from: Vec<String>,
    #[diesel(sql_type = Jsonb)]
    pub lines: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    pub shortfalls: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

pub(super) const ORDER_COLUMNS: &str =
    "channel_id, status, ship_from, lines, shortfalls, updated_at";

pub(super) fn lines_of(row: &OrderRow) -> Vec<Line> {
    stored_lines(row.lines.clone())
}

pub(super) fn stored_lines(json: serde_json::Value) -> Vec<Line> {
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
    let released = if row.status == ReservationStatus::Reserved.as_str() {
        let skus = stock::reserved_skus(conn, order_id).await?;
        stock::lock(conn, &skus).await?;
        picks_of(stock::release(conn, order_id, "order", actor).await?)
    } else {
        Vec::new()
    };
    // Short-picked units waiting for stock wait no more.
    super::fulfillment::drop_waiting(conn, order_id).await?;
    set_status(conn, order_id, ReservationStatus::Released, &[]).await?;
    Ok(released)
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
        status: ReservationStatus::parse(&row.status).unwrap_or(ReservationStatus::Rejected),
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
