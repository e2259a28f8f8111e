//! Status changes and the history they write. A status change and its
//! history row and channel update are written together ([`transition`]); so
//! are an event that leaves the status as it was and its update ([`note`]).

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Bool, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::orders::{
    HoldReason, OrderStatus, PaymentStatus, ShipmentView, StatusChangeView,
};
use platform::ApiError;
use platform::db::CachedExt;
use platform::db::Conn;
use uuid::Uuid;

use super::orders::corrupt;
use crate::domain::lifecycle;

/// The parts of an order its lifecycle needs.
#[derive(Debug, Clone)]
pub struct Head {
    pub id: Uuid,
    pub channel_id: String,
    pub external_order_id: String,
    pub status: OrderStatus,
    pub hold_reason: Option<HoldReason>,
    pub payment_status: PaymentStatus,
    pub placed_at: DateTime<Utc>,
}

#[derive(diesel::QueryableByName)]
struct HeadRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Text)]
    external_order_id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    hold_reason: Option<String>,
    #[diesel(sql_type = Text)]
    payment_status: String,
    #[diesel(sql_type = Timestamptz)]
    placed_at: DateTime<Utc>,
}

impl HeadRow {
    fn head(self) -> Result<Head, ApiError> {
        Ok(Head {
            status: OrderStatus::parse(&self.status)
                .ok_or_else(|| corrupt("status", &self.status))?,
            hold_reason: self.hold_reason.as_deref().and_then(HoldReason::parse),
            payment_status: PaymentStatus::parse(&self.payment_status)
                .ok_or_else(|| corrupt("payment status", &self.payment_status))?,
            id: self.id,
            channel_id: self.channel_id,
            external_order_id: self.external_order_id,
            placed_at: self.placed_at,
        })
    }
}

/// Reads and locks an order's head for a state change.
pub async fn lock(conn: &mut Conn, id: Uuid) -> Result<Option<Head>, ApiError> {
    let row: Option<HeadRow> = diesel::sql_query(
        "SELECT id, channel_id, external_order_id, status, hold_reason, payment_status, placed_at \
         FROM orders WHERE id = $1 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    row.map(HeadRow::head).transpose()
}

/// Moves an order to `to` if the lifecycle allows it (else 409), with its
/// history row and channel update. `hold` is required when `to` is on_hold.
pub async fn transition(
    conn: &mut Conn,
    head: &mut Head,
    to: OrderStatus,
    hold: Option<(HoldReason, &str)>,
    reason: Option<&str>,
    actor: &str,
) -> Result<(), ApiError> {
    transition_with(conn, head, to, hold, reason, actor, None).await
}

/// [`transition`], with the shipment the channel update announces.
pub async fn transition_with(
    conn: &mut Conn,
    head: &mut Head,
    to: OrderStatus,
    hold: Option<(HoldReason, &str)>,
    reason: Option<&str>,
    actor: &str,
    shipment: Option<&ShipmentView>,
) -> Result<(), ApiError> {
    lifecycle::check(head.status, to).map_err(ApiError::Conflict)?;
    let text = match (hold, reason) {
        (Some((r, d)), _) => Some(format!("{}: {d}", r.as_str())),
        (None, r) => r.map(str::to_string),
    };
    diesel::sql_query(
        "WITH u AS ( \
           UPDATE orders SET status = $2, hold_reason = $3, hold_detail = $4, \
             hold_since = CASE WHEN $3 IS NULL THEN NULL ELSE now() END, \
             confirmed_at = CASE WHEN $2 = 'confirmed' THEN now() ELSE confirmed_at END, \
             cancelled_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE cancelled_at END, \
             version = version + 1, updated_at = now() WHERE id = $1 RETURNING id), \
         h AS ( \
           INSERT INTO order_status_history (order_id, from_status, to_status, reason, actor) \
           SELECT id, $5, $2, $6, $7 FROM u) \
         INSERT INTO channel_update_queue (channel_id, order_id, external_order_id, status, hold_reason, \
           detail, shipment) \
         SELECT $8, id, $9, $2, $3, $6, $10 FROM u",
    )
    .bind::<SqlUuid, _>(head.id)
    .bind::<Text, _>(to.as_str())
    .bind::<Nullable<Text>, _>(hold.map(|h| h.0.as_str()))
    .bind::<Nullable<Text>, _>(hold.map(|h| h.1))
    .bind::<Text, _>(head.status.as_str())
    .bind::<Nullable<Text>, _>(text)
    .bind::<Text, _>(actor)
    .bind::<Text, _>(&head.channel_id)
    .bind::<Text, _>(&head.external_order_id)
    .bind::<Nullable<Jsonb>, _>(shipment.map(shipment_json))
    .cached()
    .execute(conn)
    .await?;
    head.status = to;
    head.hold_reason = hold.map(|h| h.0);
    Ok(())
}

fn shipment_json(shipment: &ShipmentView) -> serde_json::Value {
    serde_json::to_value(shipment).expect("serializes")
}

/// Records something that happened to the order without changing its status
/// (a further partial shipment, a shipment of a held order, a re-allocation)
/// as a history row from and to the current status. With `tell_channel`, the
/// channel gets it as an update too (with the shipment, if any).
pub async fn note(
    conn: &mut Conn,
    head: &Head,
    reason: &str,
    actor: &str,
    tell_channel: bool,
    shipment: Option<&ShipmentView>,
) -> Result<(), ApiError> {
    diesel::sql_query(
        "WITH h AS ( \
           INSERT INTO order_status_history (order_id, from_status, to_status, reason, actor) \
           VALUES ($1, $2, $2, $3, $4) RETURNING order_id) \
         INSERT INTO channel_update_queue (channel_id, order_id, external_order_id, status, hold_reason, \
           detail, shipment) \
         SELECT $5, order_id, $6, $2, $7, $3, $8 FROM h WHERE $9",
    )
    .bind::<SqlUuid, _>(head.id)
    .bind::<Text, _>(head.status.as_str())
    .bind::<Text, _>(reason)
    .bind::<Text, _>(actor)
    .bind::<Text, _>(&head.channel_id)
    .bind::<Text, _>(&head.external_order_id)
    .bind::<Nullable<Text>, _>(head.hold_reason.map(|h| h.as_str()))
    .bind::<Nullable<Jsonb>, _>(shipment.map(shipment_json))
    .bind::<Bool, _>(tell_channel)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_payment_status(
    conn: &mut Conn,
    id: Uuid,
    status: PaymentStatus,
) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE orders SET payment_status = $2, version = version + 1, updated_at = now() WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(status.as_str())
        .cached().execute(conn)
        .await?;
    Ok(())
}

pub async fn history(conn: &mut Conn, id: Uuid) -> Result<Vec<StatusChangeView>, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Text>)]
        from_status: Option<String>,
        #[diesel(sql_type = Text)]
        to_status: String,
        #[diesel(sql_type = Nullable<Text>)]
        reason: Option<String>,
        #[diesel(sql_type = Text)]
        actor: String,
        #[diesel(sql_type = Timestamptz)]
        at: DateTime<Utc>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT from_status, to_status, reason, actor, at FROM order_status_history \
         WHERE order_id = $1 ORDER BY id",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .load(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(StatusChangeView {
                from: r.from_status.as_deref().and_then(OrderStatus::parse),
                to: OrderStatus::parse(&r.to_status)
                    .ok_or_else(|| corrupt("status", &r.to_status))?,
                reason: r.reason,
                actor: r.actor,
                at: r.at,
            })
        })
        .collect()
}
