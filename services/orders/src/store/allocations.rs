//! Where inventory reserved each line of an order, and the units cut under
//! the partial policy.

use diesel::sql_types::{Array, BigInt, Bool, Integer, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use platform::db::CachedExt;
use platform::db::Conn;
use uuid::Uuid;

/// Records where inventory reserved each line, and the units cut under the
/// partial policy.
pub async fn set_allocations(
    conn: &mut Conn,
    id: Uuid,
    allocations: &[(i32, String, i64)],
    shorts: &[(i32, i64)],
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO order_allocations (order_id, line_no, location_code, quantity) \
         SELECT $1, l, c, sum(q) FROM unnest($2::int[], $3::text[], $4::bigint[]) AS t(l, c, q) \
         GROUP BY l, c ON CONFLICT (order_id, line_no, location_code) DO UPDATE SET quantity = EXCLUDED.quantity",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Array<Integer>, _>(allocations.iter().map(|a| a.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(allocations.iter().map(|a| a.1.clone()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(allocations.iter().map(|a| a.2).collect::<Vec<_>>())
    .cached()
    .execute(conn)
    .await?;
    if shorts.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "UPDATE order_lines o SET short_quantity = t.s \
         FROM unnest($2::int[], $3::bigint[]) AS t(l, s) WHERE o.order_id = $1 AND o.line_no = t.l",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Array<Integer>, _>(shorts.iter().map(|s| s.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(shorts.iter().map(|s| s.1).collect::<Vec<_>>())
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn has_allocations(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Bool)]
        any: bool,
    }
    let row: Row = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM order_allocations WHERE order_id = $1) AS any",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.any)
}

/// Every allocation with its line's SKU: (line no, SKU, location, quantity).
pub async fn allocation_lines(
    conn: &mut Conn,
    id: Uuid,
) -> diesel::QueryResult<Vec<(i32, String, String, i64)>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        line_no: i32,
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = Text)]
        location_code: String,
        #[diesel(sql_type = BigInt)]
        quantity: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT a.line_no, l.sku, a.location_code, a.quantity FROM order_allocations a \
         JOIN order_lines l ON l.order_id = a.order_id AND l.line_no = a.line_no \
         WHERE a.order_id = $1 ORDER BY a.line_no, a.location_code",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.line_no, r.sku, r.location_code, r.quantity))
        .collect())
}
