//! Stock levels per SKU × location for planners (StockLevelChanged): on
//! hand, reserved, and the SKU's backordered units, published when any
//! figure moved.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use platform::db::{CachedExt, Conn};

/// Advisory lock key of the stock-level publisher ("levels" in ASCII).
const PUBLISHER_LOCK: i64 = 0x6c6576656c73;

/// A level that moved since it was last published.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct Level {
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub location_code: String,
    #[diesel(sql_type = Integer)]
    pub location_priority: i32,
    #[diesel(sql_type = BigInt)]
    pub on_hand: i64,
    #[diesel(sql_type = BigInt)]
    pub reserved: i64,
    #[diesel(sql_type = BigInt)]
    pub backordered: i64,
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Timestamptz)]
    pub changed_at: DateTime<Utc>,
}

/// Compares every SKU × location's level with the one last published and
/// records the ones that moved; returns them (None when another replica's
/// publisher holds the lock). Must run in a transaction. One statement over
/// stock and the waiting backorders: a few milliseconds per thousand SKUs,
/// and nothing to mark on the hot paths.
pub async fn publish_changed(conn: &mut Conn) -> diesel::QueryResult<Option<Vec<Level>>> {
    if !platform::db::try_xact_lock(conn, PUBLISHER_LOCK).await? {
        return Ok(None);
    }
    diesel::sql_query(
        "WITH waiting AS ( \
           SELECT l->>'sku' AS sku, (l->>'quantity')::int8 AS units \
           FROM order_reservations r CROSS JOIN LATERAL jsonb_array_elements(r.lines) AS l \
           WHERE r.status = 'backordered' \
           UNION ALL \
           SELECT sku, quantity FROM reallocation_backorders \
         ), backordered AS ( \
           SELECT sku, sum(units)::int8 AS units FROM waiting GROUP BY sku \
         ), levels AS ( \
           SELECT s.sku, l.code AS location_code, l.priority AS location_priority, \
                  s.on_hand, s.reserved, coalesce(b.units, 0)::int8 AS backordered \
           FROM stock s JOIN locations l ON l.id = s.location_id \
           LEFT JOIN backordered b ON b.sku = s.sku \
           UNION ALL \
           SELECT k.sku, '', 0, 0::int8, 0::int8, \
                  CASE WHEN EXISTS (SELECT 1 FROM stock s WHERE s.sku = k.sku) THEN 0::int8 \
                       ELSE coalesce(b.units, 0)::int8 END \
           FROM (SELECT sku FROM backordered \
                 UNION SELECT sku FROM stock_levels WHERE location_code = '') AS k \
           LEFT JOIN backordered b ON b.sku = k.sku \
         ) \
         INSERT INTO stock_levels (sku, location_code, location_priority, on_hand, reserved, \
                                   backordered, seq, changed_at) \
         SELECT sku, location_code, location_priority, on_hand, reserved, backordered, \
                nextval('stock_levels_seq'), now() \
         FROM levels ORDER BY sku, location_code \
         ON CONFLICT (sku, location_code) DO UPDATE SET \
           location_priority = EXCLUDED.location_priority, on_hand = EXCLUDED.on_hand, \
           reserved = EXCLUDED.reserved, backordered = EXCLUDED.backordered, \
           seq = EXCLUDED.seq, changed_at = EXCLUDED.changed_at \
         WHERE (stock_levels.location_priority, stock_levels.on_hand, stock_levels.reserved, \
                stock_levels.backordered) IS DISTINCT FROM \
               (EXCLUDED.location_priority, EXCLUDED.on_hand, EXCLUDED.reserved, \
                EXCLUDED.backordered) \
         RETURNING sku, location_code, location_priority, on_hand, reserved, backordered, \
                   seq, changed_at",
    )
    .cached()
    .load(conn)
    .await
    .map(Some)
}
