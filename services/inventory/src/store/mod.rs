//! Inventory persistence. Every function runs on the connection the caller
//! passes, so the caller decides the transaction.
//!
//! Lock order, everywhere, so concurrent transactions never deadlock:
//! order reservation row → hold row or waiting reallocation → stock rows
//! (sorted by SKU, location).

pub mod availability;
pub mod backorders;
pub mod fulfillment;
pub mod holds;
pub mod levels;
pub mod locations;
pub mod movements;
pub mod placement;
pub mod reservations;
pub mod stock;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use platform::db::CachedExt;
use platform::db::Conn;

/// Records a SKU from a catalog event. Status only moves forward in time: an
/// older event (replayed) never overwrites a newer one.
pub async fn upsert_sku(
    conn: &mut Conn,
    sku: &str,
    product_id: uuid::Uuid,
    status: &str,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO skus (sku, product_id, status, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sku) DO UPDATE SET product_id = EXCLUDED.product_id, status = EXCLUDED.status, \
         updated_at = EXCLUDED.updated_at WHERE skus.updated_at <= EXCLUDED.updated_at",
    )
    .bind::<Text, _>(sku)
    .bind::<SqlUuid, _>(product_id)
    .bind::<Text, _>(status)
    .bind::<Timestamptz, _>(at)
    .cached().execute(conn)
    .await?;
    Ok(())
}

pub async fn sku_known(conn: &mut Conn, sku: &str) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Known {
        #[diesel(sql_type = Bool)]
        known: bool,
    }
    let row: Known =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM skus WHERE sku = $1) AS known")
            .bind::<Text, _>(sku)
            .cached()
            .get_result(conn)
            .await?;
    Ok(row.known)
}

/// The stock-related part of a channel, as inventory keeps it.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ChannelRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub backorder_policy: String,
    #[diesel(sql_type = Array<Text>)]
    pub ship_from: Vec<String>,
    #[diesel(sql_type = Integer)]
    pub priority: i32,
    #[diesel(sql_type = BigInt)]
    pub safety_buffer_units: i64,
    #[diesel(sql_type = Integer)]
    pub safety_buffer_percent: i32,
    #[diesel(sql_type = Bool)]
    pub active: bool,
}

/// Applies a ChannelUpserted unless a newer version is already recorded.
/// Returns whether it changed anything.
pub async fn upsert_channel(
    conn: &mut Conn,
    e: &domain::events::proto::orders::v1::ChannelUpserted,
) -> diesel::QueryResult<bool> {
    let n = diesel::sql_query(
        "INSERT INTO channels (id, kind, backorder_policy, ship_from, priority, safety_buffer_units, \
         safety_buffer_percent, active, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now()) \
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, backorder_policy = EXCLUDED.backorder_policy, \
         ship_from = EXCLUDED.ship_from, priority = EXCLUDED.priority, \
         safety_buffer_units = EXCLUDED.safety_buffer_units, \
         safety_buffer_percent = EXCLUDED.safety_buffer_percent, active = EXCLUDED.active, \
         version = EXCLUDED.version, updated_at = now() WHERE channels.version < EXCLUDED.version",
    )
    .bind::<Text, _>(&e.channel_id)
    .bind::<Text, _>(&e.kind)
    .bind::<Text, _>(&e.backorder_policy)
    .bind::<Array<Text>, _>(&e.ship_from)
    .bind::<Integer, _>(e.priority)
    .bind::<BigInt, _>(e.safety_buffer_units)
    .bind::<Integer, _>(e.safety_buffer_percent)
    .bind::<Bool, _>(e.active)
    .bind::<BigInt, _>(e.version)
    .cached().execute(conn)
    .await?;
    Ok(n == 1)
}

pub async fn channel(conn: &mut Conn, id: &str) -> diesel::QueryResult<Option<ChannelRow>> {
    use diesel::OptionalExtension;
    diesel::sql_query(
        "SELECT id, backorder_policy, ship_from, priority, safety_buffer_units, \
         safety_buffer_percent, active FROM channels WHERE id = $1",
    )
    .bind::<Text, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn active_channels(conn: &mut Conn) -> diesel::QueryResult<Vec<ChannelRow>> {
    diesel::sql_query(
        "SELECT id, backorder_policy, ship_from, priority, safety_buffer_units, \
         safety_buffer_percent, active FROM channels WHERE active ORDER BY id",
    )
    .cached()
    .load(conn)
    .await
}
