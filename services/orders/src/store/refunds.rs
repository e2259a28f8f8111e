//! Returns refunded: recorded once per return (billing's RefundIssued), the
//! lines' returned units and refunded gross added, and a history note the
//! channel is told, carrying the refund.

use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Integer, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::orders::RefundView;
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::history::Head;
use super::orders::corrupt;

/// Records a refund once; false when it was recorded before.
pub async fn record(conn: &mut Conn, order_id: Uuid, r: &RefundView) -> Result<bool, ApiError> {
    let inserted: Option<i32> = {
        #[derive(diesel::QueryableByName)]
        struct One {
            #[diesel(sql_type = Integer)]
            one: i32,
        }
        diesel::sql_query(
            "INSERT INTO order_refunds (return_id, order_id, refund, issued_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (return_id) DO NOTHING RETURNING 1 AS one",
        )
        .bind::<SqlUuid, _>(r.return_id)
        .bind::<SqlUuid, _>(order_id)
        .bind::<Jsonb, _>(serde_json::to_value(r).map_err(ApiError::internal)?)
        .bind::<Timestamptz, _>(r.issued_at)
        .cached()
        .get_result::<One>(conn)
        .await
        .optional()?
        .map(|o| o.one)
    };
    if inserted.is_none() {
        return Ok(false);
    }
    let line_nos: Vec<i32> = r.lines.iter().map(|l| l.line_no).collect();
    let quantities: Vec<i64> = r.lines.iter().map(|l| l.quantity).collect();
    let amounts: Vec<Decimal> = r.lines.iter().map(|l| l.refunded.amount).collect();
    diesel::sql_query(
        "UPDATE order_lines o SET returned_quantity = o.returned_quantity + t.q, \
           refunded_amount = o.refunded_amount + t.a \
         FROM unnest($2::int[], $3::bigint[], $4::numeric[]) AS t (line_no, q, a) \
         WHERE o.order_id = $1 AND o.line_no = t.line_no",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Array<Integer>, _>(&line_nos)
    .bind::<Array<BigInt>, _>(&quantities)
    .bind::<Array<Numeric>, _>(&amounts)
    .cached()
    .execute(conn)
    .await?;
    Ok(true)
}

/// A history row from and to the current status, told to the channel with
/// the refund.
pub async fn note(
    conn: &mut Conn,
    head: &Head,
    reason: &str,
    actor: &str,
    refund: &RefundView,
) -> Result<(), ApiError> {
    diesel::sql_query(
        "WITH h AS ( \
           INSERT INTO order_status_history (order_id, from_status, to_status, reason, actor) \
           VALUES ($1, $2, $2, $3, $4) RETURNING order_id) \
         INSERT INTO channel_update_queue (channel_id, order_id, external_order_id, status, hold_reason, \
           detail, refund) \
         SELECT $5, order_id, $6, $2, $7, $3, $8 FROM h",
    )
    .bind::<SqlUuid, _>(head.id)
    .bind::<Text, _>(head.status.as_str())
    .bind::<Text, _>(reason)
    .bind::<Text, _>(actor)
    .bind::<Text, _>(&head.channel_id)
    .bind::<Text, _>(&head.external_order_id)
    .bind::<Nullable<Text>, _>(head.hold_reason.map(|h| h.as_str()))
    .bind::<Jsonb, _>(serde_json::to_value(refund).map_err(ApiError::internal)?)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// An order's refunds, oldest first.
pub async fn list(conn: &mut Conn, order_id: Uuid) -> Result<Vec<RefundView>, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Jsonb)]
        refund: serde_json::Value,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT refund FROM order_refunds WHERE order_id = $1 ORDER BY issued_at, return_id",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .load(conn)
    .await?;
    rows.into_iter()
        .map(|r| serde_json::from_value(r.refund).map_err(|_| corrupt("refund", "json")))
        .collect()
}
