//! The channel updates feed and webhook deliveries.
//!
//! Status changes (and shipments or cuts that leave the status as it was) are
//! queued in the transaction that makes them, with the shipment they announce. The
//! dispatcher (one at a time, an advisory lock) moves them into the feed with
//! their sequence number, so the feed's order is its commit order and a
//! cursor never skips an update, and creates a webhook delivery for channels
//! that have a URL.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{BigInt, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::orders::{ChannelUpdate, HoldReason, OrderStatus, WebhookDeliveryView};
use platform::db::CachedExt;
use platform::db::Conn;
use uuid::Uuid;

/// Advisory lock key of the dispatcher ("feed" in ASCII).
const DISPATCH_LOCK: i64 = 0x66656564;

/// Moves up to `batch` queued updates into the feed. Returns how many moved,
/// or None when another replica is dispatching. Run in a transaction.
pub async fn dispatch(conn: &mut Conn, batch: i64) -> diesel::QueryResult<Option<usize>> {
    if !platform::db::try_xact_lock(conn, DISPATCH_LOCK).await? {
        return Ok(None);
    }
    #[derive(diesel::QueryableByName)]
    struct Moved {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let moved: Moved = diesel::sql_query(
        "WITH taken AS ( \
           DELETE FROM channel_update_queue WHERE id IN \
             (SELECT id FROM channel_update_queue ORDER BY id LIMIT $1) \
           RETURNING id, channel_id, order_id, external_order_id, status, hold_reason, detail, shipment, refund, at), \
         fed AS ( \
           INSERT INTO channel_updates (seq, channel_id, order_id, external_order_id, status, hold_reason, \
             detail, shipment, refund, at) \
           SELECT nextval('channel_update_seq'), channel_id, order_id, external_order_id, status, hold_reason, \
             detail, shipment, refund, at \
           FROM (SELECT * FROM taken ORDER BY id) t \
           RETURNING seq, channel_id), \
         hooks AS ( \
           INSERT INTO webhook_deliveries (channel_id, update_seq, status) \
           SELECT f.channel_id, f.seq, 'pending' FROM fed f JOIN channels c ON c.id = f.channel_id \
           WHERE c.webhook_url IS NOT NULL RETURNING 1) \
         SELECT count(*) AS n FROM fed",
    )
    .bind::<BigInt, _>(batch)
    .cached().get_result(conn)
    .await?;
    Ok(Some(moved.n as usize))
}

#[derive(diesel::QueryableByName)]
struct UpdateRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = SqlUuid)]
    order_id: Uuid,
    #[diesel(sql_type = Text)]
    external_order_id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    hold_reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    detail: Option<String>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    shipment: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    refund: Option<serde_json::Value>,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

impl UpdateRow {
    fn view(self) -> ChannelUpdate {
        ChannelUpdate {
            sequence: self.seq,
            order_id: self.order_id,
            external_order_id: self.external_order_id,
            status: OrderStatus::parse(&self.status).unwrap_or(OrderStatus::Received),
            hold_reason: self.hold_reason.as_deref().and_then(HoldReason::parse),
            detail: self.detail,
            // Written from a ShipmentView by this service: unreadable is a bug,
            // reported, and the update still goes out.
            shipment: self.shipment.and_then(|s| {
                serde_json::from_value(s)
                    .inspect_err(|e| tracing::error!(seq = self.seq, error = %e, "stored shipment is invalid"))
                    .ok()
            }),
            refund: self.refund.and_then(|r| {
                serde_json::from_value(r)
                    .inspect_err(|e| tracing::error!(seq = self.seq, error = %e, "stored refund is invalid"))
                    .ok()
            }),
            at: self.at,
        }
    }
}

const UPDATE_COLUMNS: &str =
    "seq, order_id, external_order_id, status, hold_reason, detail, shipment, refund, at";

pub async fn updates(
    conn: &mut Conn,
    channel: &str,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<ChannelUpdate>> {
    let rows: Vec<UpdateRow> = diesel::sql_query(format!(
        "SELECT {UPDATE_COLUMNS} FROM channel_updates WHERE channel_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    ))
    .bind::<Text, _>(channel)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .cached().load(conn)
    .await?;
    Ok(rows.into_iter().map(UpdateRow::view).collect())
}

/// A delivery due now, leased to this sender.
pub struct Due {
    pub id: i64,
    pub attempt: i32,
    pub url: String,
    pub secret: Option<String>,
    pub update: ChannelUpdate,
    pub channel_id: String,
}

/// Leases up to `limit` due deliveries for `lease_secs` (another sender skips
/// them meanwhile; a crashed sender's lease simply runs out).
pub async fn lease_due(
    conn: &mut Conn,
    limit: i64,
    lease_secs: i64,
) -> diesel::QueryResult<Vec<Due>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Integer)]
        attempts: i32,
        #[diesel(sql_type = Text)]
        channel_id: String,
        #[diesel(sql_type = BigInt)]
        update_seq: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => $2) \
         WHERE d.id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() \
                        ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING d.id, d.attempts, d.channel_id, d.update_seq",
    )
    .bind::<BigInt, _>(limit)
    .bind::<diesel::sql_types::Double, _>(lease_secs as f64)
    .cached().load(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let channel = super::channels::get(conn, &r.channel_id).await?;
        let update: Option<UpdateRow> = diesel::sql_query(format!(
            "SELECT {UPDATE_COLUMNS} FROM channel_updates WHERE seq = $1"
        ))
        .bind::<BigInt, _>(r.update_seq)
        .cached()
        .get_result(conn)
        .await
        .optional()?;
        let (Some(channel), Some(update)) = (channel, update) else {
            continue;
        };
        let Some(url) = channel.webhook_url else {
            // The channel dropped its webhook meanwhile: nothing to deliver.
            finish(
                conn,
                r.id,
                r.attempts,
                "failed",
                None,
                Some("the channel has no webhook URL"),
                0,
            )
            .await?;
            continue;
        };
        out.push(Due {
            id: r.id,
            attempt: r.attempts + 1,
            url,
            secret: channel.webhook_secret,
            update: update.view(),
            channel_id: r.channel_id,
        });
    }
    Ok(out)
}

/// The result of one webhook attempt.
pub struct Attempt<'a> {
    pub delivery_id: i64,
    pub attempt: i32,
    /// delivered | pending (retry after `retry_in_secs`) | failed
    pub status: &'a str,
    pub status_code: Option<i32>,
    pub error: Option<&'a str>,
    pub duration_ms: i64,
    pub retry_in_secs: i64,
}

/// Records an attempt in the log and the delivery's new state.
pub async fn record_attempt(conn: &mut Conn, a: &Attempt<'_>) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(a.delivery_id)
    .bind::<Integer, _>(a.attempt)
    .bind::<Nullable<Integer>, _>(a.status_code)
    .bind::<Nullable<Text>, _>(a.error)
    .bind::<BigInt, _>(a.duration_ms)
    .cached()
    .execute(conn)
    .await?;
    finish(
        conn,
        a.delivery_id,
        a.attempt,
        a.status,
        a.status_code,
        a.error,
        a.retry_in_secs,
    )
    .await
}

async fn finish(
    conn: &mut Conn,
    delivery_id: i64,
    attempts: i32,
    status: &str,
    status_code: Option<i32>,
    error: Option<&str>,
    retry_in_secs: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE webhook_deliveries SET status = $2, attempts = $3, last_status_code = $4, last_error = $5, \
         next_attempt_at = now() + make_interval(secs => $6), \
         delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE NULL END WHERE id = $1",
    )
    .bind::<BigInt, _>(delivery_id)
    .bind::<Text, _>(status)
    .bind::<Integer, _>(attempts)
    .bind::<Nullable<Integer>, _>(status_code)
    .bind::<Nullable<Text>, _>(error)
    .bind::<diesel::sql_types::Double, _>(retry_in_secs as f64)
    .cached().execute(conn)
    .await?;
    Ok(())
}

/// The channel's deliveries, newest first.
pub async fn deliveries(
    conn: &mut Conn,
    channel: &str,
    limit: i64,
) -> diesel::QueryResult<Vec<WebhookDeliveryView>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = BigInt)]
        update_seq: i64,
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = Integer)]
        attempts: i32,
        #[diesel(sql_type = Nullable<Integer>)]
        last_status_code: Option<i32>,
        #[diesel(sql_type = Nullable<Text>)]
        last_error: Option<String>,
        #[diesel(sql_type = Timestamptz)]
        next_attempt_at: DateTime<Utc>,
        #[diesel(sql_type = Nullable<Timestamptz>)]
        delivered_at: Option<DateTime<Utc>>,
        #[diesel(sql_type = Timestamptz)]
        created_at: DateTime<Utc>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id, update_seq, status, attempts, last_status_code, last_error, next_attempt_at, \
         delivered_at, created_at FROM webhook_deliveries WHERE channel_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind::<Text, _>(channel)
    .bind::<BigInt, _>(limit)
    .cached().load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WebhookDeliveryView {
            id: r.id,
            sequence: r.update_seq,
            next_attempt_at: (r.status == "pending").then_some(r.next_attempt_at),
            status: r.status,
            attempts: r.attempts,
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            delivered_at: r.delivered_at,
            created_at: r.created_at,
        })
        .collect())
}
