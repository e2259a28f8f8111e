//! Storefront holds: stock reserved for a cart for a while, then released,
//! expired, or converted into the order that follows.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::orders::BackorderPolicy;
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use super::stock;
use crate::domain::allocation::{self, Allocation, Line, Short};

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
pub async fn create(
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
        &stock::candidates(&rows, ship_from),
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

pub async fn get(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<HoldRow>> {
    diesel::sql_query(format!("SELECT {HOLD_COLUMNS} FROM holds WHERE id = $1"))
        .bind::<SqlUuid, _>(id)
        .cached()
        .get_result(conn)
        .await
        .optional()
}

/// Ends an active hold (`released` by a caller or `expired`), releasing its
/// stock. Returns false when the hold was not active.
pub async fn end(
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
pub async fn expired(conn: &mut Conn, limit: i64) -> diesel::QueryResult<Vec<Uuid>> {
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

/// Releases an active hold of the order's channel inside the order's
/// transaction, so the order's allocation can take the held units at once.
pub(super) async fn convert(
    conn: &mut Conn,
    hold_id: Uuid,
    channel_id: &str,
    order_id: Uuid,
    lines: &[Line],
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
    if hold.is_none_or(|h| h.channel_id != channel_id) {
        // Expired, released or another channel's: the order allocates normally.
        return Ok(());
    };
    let mut skus = stock::reserved_skus(conn, hold_id).await?;
    skus.extend(lines.iter().map(|l| l.sku.clone()));
    stock::lock(conn, &skus).await?;
    stock::release(conn, hold_id, "hold", actor).await?;
    diesel::sql_query(
        "UPDATE holds SET status = 'converted', order_id = $2, updated_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(hold_id)
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
