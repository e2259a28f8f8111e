//! The transactional outbox.
//!
//! A state change and its event row commit in one transaction ([`Outbox::enqueue`]).
//! The relay locks a batch of unpublished rows with `FOR UPDATE SKIP LOCKED` in
//! the transaction it holds, produces them with the idempotent producer, awaits
//! every acknowledgement, then marks them sent. With several replicas, a
//! transaction-scoped advisory lock lets one relay publish at a time, so no row
//! is published twice and one key's events keep their order. A failed publish is
//! retried with backoff; no row is ever dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::CachedExt;
use diesel::sql_types::{Array, BigInt, Bytea, Integer, Jsonb, Nullable, Text, Uuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::events::{Envelope, Event};
use tokio::sync::{Notify, watch};

use crate::config::OutboxSettings;
use crate::db::{Conn, DbPool};
use crate::kafka::Producer;
use crate::metrics::Metrics;

/// Republishing a row Kafka refused: 200 ms, doubling, at most a minute, jittered.
const PUBLISH_RETRY: crate::backoff::Backoff =
    crate::backoff::Backoff::new(Duration::from_millis(200), Duration::from_secs(60));

/// Writes events into the outbox; shared by every handler of a service.
#[derive(Clone)]
pub struct Outbox {
    source: String,
    topic_prefix: String,
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn new(source: &str, topic_prefix: &str) -> Self {
        Self {
            source: source.to_string(),
            topic_prefix: topic_prefix.to_string(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Inserts `event` for `topic` (logical name) keyed by `key`, in the caller's
    /// transaction. The current trace context travels in the headers.
    pub async fn enqueue<E: Event>(
        &self,
        conn: &mut Conn,
        topic: &str,
        key: &str,
        event: &E,
    ) -> diesel::QueryResult<domain::ids::EventId> {
        let mut envelope = Envelope::new::<E>(&self.source);
        let trace = crate::telemetry::current_trace_headers();
        envelope.traceparent = trace.get("traceparent").cloned();
        envelope.tracestate = trace.get("tracestate").cloned().filter(|s| !s.is_empty());
        let headers = serde_json::to_value(
            envelope
                .to_headers()
                .into_iter()
                .map(|(k, v)| [k.to_string(), v])
                .collect::<Vec<_>>(),
        )
        .expect("headers serialize");
        diesel::sql_query(
            "INSERT INTO outbox (event_id, topic, key, event_type, headers, payload) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind::<Uuid, _>(envelope.event_id.as_uuid())
        .bind::<Text, _>(format!("{}{}", self.topic_prefix, topic))
        .bind::<Text, _>(key)
        .bind::<Text, _>(E::TYPE)
        .bind::<Jsonb, _>(headers)
        .bind::<Bytea, _>(event.encode_to_vec())
        .cached()
        .execute(conn)
        .await?;
        Ok(envelope.event_id)
    }

    /// Inserts many events of one type for `topic` in one statement (e.g. a
    /// coalesced batch of availability changes), in the caller's transaction.
    pub async fn enqueue_all<E: Event>(
        &self,
        conn: &mut Conn,
        topic: &str,
        events: &[(String, E)],
    ) -> diesel::QueryResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let trace = crate::telemetry::current_trace_headers();
        let (mut ids, mut keys, mut headers, mut payloads) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (key, event) in events {
            let mut envelope = Envelope::new::<E>(&self.source);
            envelope.traceparent = trace.get("traceparent").cloned();
            envelope.tracestate = trace.get("tracestate").cloned().filter(|s| !s.is_empty());
            ids.push(envelope.event_id.as_uuid());
            keys.push(key.clone());
            headers.push(
                serde_json::to_value(
                    envelope
                        .to_headers()
                        .into_iter()
                        .map(|(k, v)| [k.to_string(), v])
                        .collect::<Vec<_>>(),
                )
                .expect("headers serialize"),
            );
            payloads.push(event.encode_to_vec());
        }
        diesel::sql_query(
            "INSERT INTO outbox (event_id, topic, key, event_type, headers, payload) \
             SELECT e, $1, k, $2, h, p FROM unnest($3::uuid[], $4::text[], $5::jsonb[], $6::bytea[]) AS t(e, k, h, p)",
        )
        .bind::<Text, _>(format!("{}{}", self.topic_prefix, topic))
        .bind::<Text, _>(E::TYPE)
        .bind::<Array<Uuid>, _>(ids)
        .bind::<Array<Text>, _>(keys)
        .bind::<Array<Jsonb>, _>(headers)
        .bind::<Array<Bytea>, _>(payloads)
        .cached()
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Wakes the relay now instead of at its next poll; call after a commit.
    pub fn notify(&self) {
        self.wake.notify_one();
    }
}

#[derive(diesel::QueryableByName)]
struct PendingRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Jsonb)]
    headers: serde_json::Value,
    #[diesel(sql_type = Bytea)]
    payload: Vec<u8>,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// Advisory lock key of the relay ("outbox" in ASCII); each service has its own database.
const RELAY_LOCK: i64 = 0x6f7574626f78;

#[derive(diesel::QueryableByName)]
struct Backlog {
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    oldest_age: Option<i64>,
}

/// Publishes one batch; returns how many rows were published.
pub async fn relay_batch(
    pool: &DbPool,
    producer: &Producer,
    batch_size: i64,
) -> anyhow::Result<usize> {
    let mut conn = pool.get().await?;
    conn.transaction::<usize, anyhow::Error, _>(async |tx| {
        // One relay publishes at a time (the others find the lock taken and wait
        // for their next turn), so events of one key never overtake each other
        // across replicas. The lock ends with the transaction.
        if !crate::db::try_xact_lock(tx, RELAY_LOCK).await? {
            return Ok(0);
        }
        let rows: Vec<PendingRow> = diesel::sql_query(
            "SELECT id, topic, key, headers, payload, attempts FROM outbox \
             WHERE published_at IS NULL AND next_attempt_at <= now() \
             ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind::<BigInt, _>(batch_size)
        .cached().load(tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        // Records are queued in id order before any is awaited, so the
        // idempotent producer keeps one key's events in order.
        let sends = rows.iter().map(|row| {
            let headers: Vec<(String, String)> =
                serde_json::from_value(row.headers.clone()).unwrap_or_default();
            async move {
                producer
                    .send(&row.topic, &row.key, &row.payload, &headers)
                    .await
            }
        });
        let results = futures_util::future::join_all(sends).await;
        let mut sent = Vec::new();
        for (row, result) in rows.iter().zip(results) {
            match result {
                Ok(()) => sent.push(row.id),
                Err(err) => {
                    let backoff_ms = PUBLISH_RETRY
                        .delay(row.attempts.max(0) as u32 + 1)
                        .as_millis() as i64;
                    tracing::warn!(outbox_id = row.id, error = %err, "outbox publish failed; will retry");
                    diesel::sql_query(
                        "UPDATE outbox SET attempts = attempts + 1, last_error = $2, \
                         next_attempt_at = now() + $3 * interval '1 millisecond' WHERE id = $1",
                    )
                    .bind::<BigInt, _>(row.id)
                    .bind::<Text, _>(err.to_string())
                    .bind::<BigInt, _>(backoff_ms)
                    .cached().execute(tx)
                    .await?;
                }
            }
        }
        diesel::sql_query(
            "UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1)",
        )
        .bind::<Array<BigInt>, _>(&sent)
        .cached().execute(tx)
        .await?;
        Ok(sent.len())
    })
    .await
}

async fn record_backlog(pool: &DbPool, metrics: &Metrics) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let backlog: Backlog = diesel::sql_query(
        "SELECT count(*) AS pending, \
         extract(epoch FROM now() - min(created_at))::bigint AS oldest_age \
         FROM outbox WHERE published_at IS NULL",
    )
    .cached()
    .get_result(&mut conn)
    .await?;
    metrics.outbox_pending.set(backlog.pending);
    metrics
        .outbox_oldest_age_seconds
        .set(backlog.oldest_age.unwrap_or(0));
    Ok(())
}

/// Housekeeping of the platform tables, run by the relay every ten minutes:
/// published outbox rows are kept 7 days (audit, replay); Idempotency-Key
/// responses 24 hours (clients retry within minutes); inbox rows 30 days (far
/// beyond Kafka's redelivery window, so dead-letter replays stay idempotent).
pub async fn prune(pool: &DbPool) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    for statement in [
        "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < now() - interval '7 days'",
        "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'",
        "DELETE FROM inbox WHERE received_at < now() - interval '30 days'",
    ] {
        diesel::sql_query(statement)
            .cached()
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}

/// Runs the relay until `shutdown` turns true, then publishes what is left once.
pub async fn run_relay(
    pool: DbPool,
    producer: Producer,
    outbox: Outbox,
    settings: OutboxSettings,
    metrics: Metrics,
    mut shutdown: watch::Receiver<bool>,
) {
    let poll = Duration::from_millis(settings.poll_interval_ms);
    let mut last_prune = Instant::now();
    let mut last_backlog = Instant::now() - Duration::from_secs(1);
    loop {
        match relay_batch(&pool, &producer, settings.batch_size).await {
            // A full batch means more may be waiting: go again at once.
            Ok(n) if n as i64 == settings.batch_size => continue,
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "outbox relay batch failed"),
        }
        // The backlog gauge at most once a second: under load the relay runs
        // hundreds of times a second and the count would cost more than it tells.
        if last_backlog.elapsed() >= Duration::from_secs(1) {
            last_backlog = Instant::now();
            if let Err(err) = record_backlog(&pool, &metrics).await {
                tracing::debug!(error = %err, "outbox backlog query failed");
            }
        }
        if last_prune.elapsed() > Duration::from_secs(600) {
            last_prune = Instant::now();
            if let Err(err) = prune(&pool).await {
                tracing::warn!(error = %err, "outbox prune failed");
            }
        }
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = outbox.wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
    let _ = relay_batch(&pool, &producer, settings.batch_size).await;
    tracing::info!("outbox relay stopped");
}
