//! Shipments billing was told of (FulfillmentShipped), invoiced or waiting
//! for what their invoice needs (the order's facts, the channel's billing
//! settings, a tax rule), with the reason.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::billing::PendingShipmentView;
use platform::db::{CachedExt, Conn};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A shipped line as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedLine {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ShipmentRow {
    #[diesel(sql_type = Text)]
    pub fulfillment_id: String,
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Jsonb)]
    pub lines: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    pub shipped_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub invoice_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub pending_reason: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub pending_since: Option<DateTime<Utc>>,
}

impl ShipmentRow {
    pub fn lines(&self) -> anyhow::Result<Vec<ShippedLine>> {
        Ok(serde_json::from_value(self.lines.clone())?)
    }

    pub fn pending_view(&self) -> PendingShipmentView {
        PendingShipmentView {
            fulfillment_id: self.fulfillment_id.clone(),
            order_id: self.order_id,
            channel_id: self.channel_id.clone(),
            reason: self.pending_reason.clone().unwrap_or_default(),
            shipped_at: self.shipped_at,
            since: self.pending_since.unwrap_or(self.shipped_at),
        }
    }
}

const COLUMNS: &str = "fulfillment_id, order_id, channel_id, lines, shipped_at, invoice_id, pending_reason, pending_since";

/// Records a shipment as waiting; false when it was recorded before.
pub async fn insert(
    conn: &mut Conn,
    fulfillment_id: &str,
    order_id: Uuid,
    channel_id: &str,
    lines: &[ShippedLine],
    shipped_at: DateTime<Utc>,
) -> diesel::QueryResult<bool> {
    let n = diesel::sql_query(
        "INSERT INTO shipments (fulfillment_id, order_id, channel_id, lines, shipped_at, pending_reason, pending_since) \
         VALUES ($1, $2, $3, $4, $5, 'not yet invoiced', now()) ON CONFLICT (fulfillment_id) DO NOTHING",
    )
    .bind::<Text, _>(fulfillment_id)
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(channel_id)
    .bind::<Jsonb, _>(serde_json::to_value(lines).expect("serializes"))
    .bind::<Timestamptz, _>(shipped_at)
    .cached()
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Locks a shipment that still waits for its invoice (None when it has one,
/// or another transaction holds it).
pub async fn lock_pending(
    conn: &mut Conn,
    fulfillment_id: &str,
) -> diesel::QueryResult<Option<ShipmentRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM shipments WHERE fulfillment_id = $1 AND invoice_id IS NULL \
         FOR UPDATE SKIP LOCKED"
    ))
    .bind::<Text, _>(fulfillment_id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn invoiced(
    conn: &mut Conn,
    fulfillment_id: &str,
    invoice_id: Uuid,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE shipments SET invoice_id = $2, pending_reason = NULL, pending_since = NULL \
         WHERE fulfillment_id = $1",
    )
    .bind::<Text, _>(fulfillment_id)
    .bind::<SqlUuid, _>(invoice_id)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Records why a shipment still waits (its first waiting time stays).
pub async fn waiting(
    conn: &mut Conn,
    fulfillment_id: &str,
    reason: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE shipments SET pending_reason = $2 WHERE fulfillment_id = $1")
        .bind::<Text, _>(fulfillment_id)
        .bind::<Text, _>(reason)
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

/// Shipments still waiting, oldest first (after `after`, a fulfillment id).
pub async fn pending(
    conn: &mut Conn,
    after: &str,
    limit: i64,
) -> diesel::QueryResult<Vec<ShipmentRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM shipments WHERE invoice_id IS NULL AND fulfillment_id > $1 \
         ORDER BY fulfillment_id LIMIT $2"
    ))
    .bind::<Text, _>(after)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await
}

/// Waiting shipments of one order (its placement arrived: try them now).
pub async fn pending_of(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = Text)]
        fulfillment_id: String,
    }
    let rows: Vec<Id> = diesel::sql_query(
        "SELECT fulfillment_id FROM shipments WHERE order_id = $1 AND invoice_id IS NULL ORDER BY shipped_at",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.fulfillment_id).collect())
}
