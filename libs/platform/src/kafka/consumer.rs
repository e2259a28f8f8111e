//! The consumer runner: batches records into one transaction through the
//! inbox, retries what fails, dead-letters what keeps failing, and stores
//! offsets only after the commit.

use std::time::Duration;

use futures_util::FutureExt;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use rdkafka::statistics::Statistics;
use tokio::sync::watch;
use tracing::Instrument;

use super::dead_letters::dead_letter;
use super::producer::Producer;
use super::record::Delivered;
use super::record::{Outcome, Record, Subscription};
use super::{CloseOnOwnThread, base_config, librdkafka_key, topic_name};
use crate::backoff::Backoff;
use crate::config::KafkaSettings;
use crate::db::DbPool;
use crate::metrics::Metrics;

/// Publishes consumer lag from librdkafka's statistics.
struct LagContext {
    metrics: Metrics,
}

impl ClientContext for LagContext {
    fn stats(&self, statistics: Statistics) {
        for (topic, stats) in &statistics.topics {
            for (partition, p) in &stats.partitions {
                if *partition >= 0 && p.consumer_lag >= 0 {
                    self.metrics
                        .consumer_lag
                        .with_label_values(&[topic.as_str(), &partition.to_string()])
                        .set(p.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for LagContext {}

/// What a consumer applies records with.
#[derive(Clone)]
pub struct ConsumerDeps {
    pub pool: DbPool,
    /// Publishes dead letters.
    pub producer: Producer,
    pub metrics: Metrics,
    /// Woken after each applied record, so its events publish at once.
    pub outbox: crate::outbox::Outbox,
}

/// Runs `subscription` until `shutdown` turns true.
pub async fn run_consumer(
    settings: KafkaSettings,
    group: String,
    subscription: Subscription,
    deps: ConsumerDeps,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let ConsumerDeps {
        pool,
        producer,
        metrics,
        outbox,
    } = deps;
    let mut config = base_config(&settings);
    // librdkafka reads ahead up to 100,000 messages per partition (and 64 MiB)
    // per consumer, and a service runs several: a warehouse catching up 190k
    // old orders reached 408 MiB (154 MiB with these, at the same ~2,100
    // records/s). Batches are at most max_batch records, so a shorter
    // read-ahead costs no throughput. `kafka.properties` overrides either.
    for (key, value) in [
        ("queued.min.messages", "1000"),
        ("queued.max.messages.kbytes", "8192"),
    ] {
        if !settings.properties.keys().any(|k| librdkafka_key(k) == key) {
            config.set(key, value);
        }
    }
    let consumer: StreamConsumer<LagContext> = config
        .set("group.id", &group)
        .set("enable.auto.commit", "true")
        // Offsets are stored by hand after the database commit; auto-commit then
        // commits only what was stored.
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("statistics.interval.ms", "5000")
        .create_with_context(LagContext {
            metrics: metrics.clone(),
        })?;
    // If this task is dropped rather than stopped (a runtime shutting down),
    // the consumer still closes on a thread of its own.
    let consumer = CloseOnOwnThread::new(consumer);
    let topics: Vec<String> = subscription
        .topics
        .iter()
        .map(|t| topic_name(&settings, t))
        .collect();
    let topic_refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    consumer.subscribe(&topic_refs)?;
    tracing::info!(consumer = %subscription.consumer, ?topics, "consumer started");

    let max_batch = if subscription.batched {
        settings.max_batch.max(1)
    } else {
        1
    };
    loop {
        let first = tokio::select! {
            _ = shutdown.changed() => break,
            message = consumer.recv() => message,
        };
        let first = match first {
            Ok(m) => Delivered::from(&m),
            Err(err) => {
                tracing::warn!(error = %err, "kafka receive error");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        // Whatever else is already fetched joins the batch (without waiting), so
        // under load many records share one transaction and one commit.
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match consumer.recv().now_or_never() {
                Some(Ok(m)) => batch.push(Delivered::from(&m)),
                _ => break,
            }
        }
        // Every record is either applied, a duplicate, or dead-lettered before
        // the consumer moves on. If even that fails (Kafka or the database
        // down), hold the partitions and try again: skipping would lose records.
        let outage = Backoff::new(
            Duration::from_millis(settings.retry_backoff_ms.max(100)),
            Duration::from_secs(30),
        );
        let mut tries = 0;
        let outcomes = loop {
            match process_all(&settings, &subscription, &pool, &producer, &batch).await {
                Ok(outcomes) => break Some(outcomes),
                Err(err) => {
                    tracing::error!(error = %err, records = batch.len(), first_offset = batch[0].offset,
                        "records neither applied nor dead-lettered; retrying");
                    metrics
                        .consumer_retries
                        .with_label_values(&[subscription.consumer.as_str()])
                        .inc();
                    tries += 1;
                    tokio::select! {
                        _ = shutdown.changed() => break None,
                        _ = tokio::time::sleep(outage.delay(tries)) => {}
                    }
                }
            }
        };
        let Some(outcomes) = outcomes else {
            // Shutting down: the offsets stay, so the records come again.
            break;
        };
        if outcomes.contains(&Outcome::Applied) {
            // The handlers' events are committed now: publish them at once
            // rather than at the relay's next poll.
            outbox.notify();
        }
        for (record, outcome) in batch.iter().zip(outcomes) {
            let label = match outcome {
                Outcome::Applied => "applied",
                Outcome::Duplicate => "duplicate",
                Outcome::DeadLettered => "dead_lettered",
            };
            metrics
                .events_consumed
                .with_label_values(&[record.topic.as_str(), label])
                .inc();
            if let Err(err) = consumer.store_offset(&record.topic, record.partition, record.offset)
            {
                // The partition moved to another consumer in a rebalance: it will
                // deliver the record again and its inbox will skip it.
                tracing::warn!(error = %err, "offset not stored; the record will be redelivered");
            }
        }
    }
    // Commit what was stored, then close on a side thread with a deadline: an
    // rdkafka consumer close can hang (rust-rdkafka #509, #611).
    let _ = consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync);
    if let Some(closer) = consumer.close() {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !closer.is_finished() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    tracing::info!(consumer = %subscription.consumer, "consumer stopped");
    Ok(())
}

/// Applies a batch in one transaction (each record through the inbox). If any
/// record fails, nothing of the batch is kept and each record is processed on
/// its own, with its own retries and dead-lettering.
async fn process_all(
    settings: &KafkaSettings,
    subscription: &Subscription,
    pool: &DbPool,
    producer: &Producer,
    batch: &[Delivered],
) -> anyhow::Result<Vec<Outcome>> {
    if batch.len() > 1 {
        match apply_batch(subscription, pool, batch).await {
            Ok(Some(outcomes)) => return Ok(outcomes),
            // A record without a valid envelope: the one-by-one path dead-letters it.
            Ok(None) => {}
            Err(err) if is_transient(&err) => return Err(err),
            Err(err) => {
                tracing::debug!(error = %format!("{err:#}"), records = batch.len(),
                    "batch failed; applying its records one by one");
            }
        }
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    for record in batch {
        outcomes.push(process(settings, subscription, pool, producer, record).await?);
    }
    Ok(outcomes)
}

/// The whole batch in one transaction; `None` when a record has no valid envelope.
async fn apply_batch(
    subscription: &Subscription,
    pool: &DbPool,
    batch: &[Delivered],
) -> anyhow::Result<Option<Vec<Outcome>>> {
    use diesel_async::AsyncConnection;
    let mut records = Vec::with_capacity(batch.len());
    let mut spans = Vec::with_capacity(batch.len());
    for delivered in batch {
        let Ok(envelope) = delivered.envelope() else {
            return Ok(None);
        };
        spans.push(delivered.span(&envelope));
        records.push(delivered.record(envelope));
    }
    let mut conn = pool.get().await?;
    let handler = subscription.handler.clone();
    let batch_handler = subscription.batch_handler.clone();
    let before = subscription.before_batch.clone();
    let consumer = subscription.consumer.clone();
    let outcomes = conn
        .transaction::<Vec<Outcome>, anyhow::Error, _>(async move |tx| {
            if let Some(before) = &before {
                before(tx, &records).await?;
            }
            // One inbox statement for the whole batch.
            let fresh = crate::inbox::claim_all(tx, &consumer, &records).await?;
            if let Some(batch_handler) = &batch_handler {
                let new: Vec<Record> = records
                    .iter()
                    .zip(&fresh)
                    .filter(|(_, new)| **new)
                    .map(|(r, _)| r.clone())
                    .collect();
                if !new.is_empty() {
                    let span = tracing::info_span!("consume batch", records = new.len());
                    batch_handler(tx, &new).instrument(span).await?;
                }
            } else {
                for ((record, span), new) in records.iter().zip(&spans).zip(&fresh) {
                    if *new {
                        handler(tx, record).instrument(span.clone()).await?;
                    }
                }
            }
            Ok(fresh
                .into_iter()
                .map(|new| {
                    if new {
                        Outcome::Applied
                    } else {
                        Outcome::Duplicate
                    }
                })
                .collect())
        })
        .await?;
    Ok(Some(outcomes))
}

/// Applies one record with bounded retries; after the last failure, dead-letters it.
async fn process(
    settings: &KafkaSettings,
    subscription: &Subscription,
    pool: &DbPool,
    producer: &Producer,
    delivered: &Delivered,
) -> anyhow::Result<Outcome> {
    let envelope = match delivered.envelope() {
        Ok(e) => e,
        Err(err) => {
            return dead_letter(producer, delivered, &err.to_string(), 0).await;
        }
    };
    let span = delivered.span(&envelope);
    let record = delivered.record(envelope);
    let retry = Backoff::new(
        Duration::from_millis(settings.retry_backoff_ms),
        Duration::from_secs(30),
    );
    let mut last_error = String::new();
    for attempt in 1..=settings.max_attempts {
        match apply(subscription, pool, &record)
            .instrument(span.clone())
            .await
        {
            Ok(applied) => {
                return Ok(if applied {
                    Outcome::Applied
                } else {
                    Outcome::Duplicate
                });
            }
            // The database is unreachable: not this record's fault. Don't spend
            // its attempts; the caller holds the partition and retries.
            Err(err) if is_transient(&err) => return Err(err),
            Err(err) => {
                last_error = format!("{err:#}");
                tracing::warn!(parent: &span, attempt, error = %last_error, "handler failed");
                if attempt < settings.max_attempts {
                    tokio::time::sleep(retry.delay(attempt)).await;
                }
            }
        }
    }
    dead_letter(producer, delivered, &last_error, settings.max_attempts).await
}

/// Infrastructure failures (no connection, connection lost, serialization
/// conflict) as opposed to a record the handler cannot apply.
pub fn is_transient(err: &anyhow::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as Kind, Error as DbError};
    if err.downcast_ref::<crate::db::PoolError>().is_some() {
        return true;
    }
    matches!(
        err.downcast_ref::<DbError>(),
        Some(
            DbError::DatabaseError(
                Kind::UnableToSendCommand | Kind::ClosedConnection | Kind::SerializationFailure,
                _
            ) | DbError::BrokenTransactionManager
        )
    )
}

/// Runs the handler and records the event id in one transaction. Returns false
/// when the inbox already had the event (a redelivery): nothing is applied.
async fn apply(
    subscription: &Subscription,
    pool: &DbPool,
    record: &Record,
) -> anyhow::Result<bool> {
    use diesel_async::AsyncConnection;
    let mut conn = pool.get().await?;
    let handler = subscription.handler.clone();
    let consumer = subscription.consumer.clone();
    conn.transaction::<bool, anyhow::Error, _>(async move |tx| {
        if !crate::inbox::claim(tx, &consumer, record).await? {
            return Ok(false);
        }
        handler(tx, record).await?;
        Ok(true)
    })
    .await
}
