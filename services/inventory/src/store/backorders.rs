//! Backordered orders: waiting for stock in fill order (channel priority,
//! then oldest), each reserved in full once the stock is there.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Integer, Jsonb, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::inventory::ReservationStatus;
use domain::contracts::orders::BackorderPolicy;
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use super::reservations::{ORDER_COLUMNS, OrderRow, lines_of, set_status, stored_lines};
use super::stock;
use crate::domain::allocation::{self, Allocation, Line, Pick};

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
        &stock::candidates(&rows, &row.ship_from),
        &lines,
        BackorderPolicy::Backorder,
    ) {
        Allocation::Full(picks) => {
            stock::reserve(conn, order_id, "order", &picks, actor).await?;
            set_status(conn, order_id, ReservationStatus::Reserved, &[]).await?;
            Ok(Some(picks))
        }
        _ => Ok(None),
    }
}
