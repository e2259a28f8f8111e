//! Kafka: an idempotent producer, topic creation, and a consumer runner that
//! applies each record through the idempotent inbox and stores the offset only
//! after the database transaction committed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use domain::events::{Envelope, headers};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::watch;
use tracing::Instrument;

use crate::backoff::Backoff;
use crate::config::KafkaSettings;
use crate::db::{Conn, DbPool};
use crate::metrics::Metrics;

fn base_config(settings: &KafkaSettings) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &settings.brokers);
    for (key, value) in &settings.properties {
        config.set(librdkafka_key(key), value);
    }
    config
}

/// librdkafka property names use dots, which environment variable names can't
/// carry: `CATALOG__KAFKA__PROPERTIES__SASL_MECHANISMS` arrives as
/// `sasl_mechanisms` and means `sasl.mechanisms` (no librdkafka property has an
/// underscore in its name).
fn librdkafka_key(key: &str) -> String {
    key.to_ascii_lowercase().replace('_', ".")
}

/// The full topic name with the configured prefix.
pub fn topic_name(settings: &KafkaSettings, logical: &str) -> String {
    format!("{}{}", settings.topic_prefix, logical)
}

/// The dead-letter topic of a consumed topic.
pub fn dlq_name(topic: &str) -> String {
    format!("{topic}.dlq")
}

/// Publishes records with `enable.idempotence=true` and `acks=all`, awaiting the
/// broker's acknowledgement of each.
#[derive(Clone)]
pub struct Producer {
    inner: FutureProducer,
    metrics: Metrics,
}

impl Producer {
    pub fn new(
        settings: &KafkaSettings,
        client_id: &str,
        metrics: Metrics,
    ) -> anyhow::Result<Self> {
        let inner: FutureProducer = base_config(settings)
            .set("client.id", client_id)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // The relay hands over whole batches at once; waiting for more
            // records would only add latency to every hop.
            .set("linger.ms", "1")
            .set("compression.type", "zstd")
            .set("message.timeout.ms", "30000")
            .create()?;
        Ok(Self { inner, metrics })
    }

    /// Sends one record and waits until the broker acknowledged it.
    pub async fn send(
        &self,
        topic: &str,
        key: &str,
        payload: &[u8],
        record_headers: &[(String, String)],
    ) -> anyhow::Result<()> {
        let mut owned = OwnedHeaders::new_with_capacity(record_headers.len());
        for (name, value) in record_headers {
            owned = owned.insert(Header {
                key: name,
                value: Some(value.as_bytes()),
            });
        }
        let record = FutureRecord::to(topic)
            .key(key)
            .payload(payload)
            .headers(owned);
        self.inner
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(err, _)| anyhow::anyhow!("publish to {topic} failed: {err}"))?;
        self.metrics
            .events_published
            .with_label_values(&[topic])
            .inc();
        Ok(())
    }

    /// Readiness: the cluster answers a metadata request.
    pub async fn check(&self) -> Result<(), String> {
        use rdkafka::producer::Producer as _;
        let producer = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(None, Duration::from_secs(2))
                .map(|_| ())
                .map_err(|e| format!("unreachable: {e}"))
        })
        .await
        .map_err(|e| e.to_string())?
    }

    pub fn flush(&self, timeout: Duration) {
        use rdkafka::producer::Producer as _;
        let _ = self.inner.flush(timeout);
    }
}

/// Creates `topics` (full names) if they don't exist yet.
pub async fn create_topics(settings: &KafkaSettings, topics: &[String]) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = base_config(settings).create()?;
    let new_topics: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            NewTopic::new(
                t,
                settings.topic_partitions,
                TopicReplication::Fixed(settings.topic_replication),
            )
        })
        .collect();
    let results = admin
        .create_topics(
            &new_topics,
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(15))),
        )
        .await?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => anyhow::bail!("creating topic {topic} failed: {code}"),
        }
    }
    Ok(())
}

/// One consumed record, decoded enough for a handler.
#[derive(Debug, Clone)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub payload: Vec<u8>,
    pub envelope: Envelope,
}

impl Record {
    /// Decodes the payload as protobuf message `E`.
    pub fn decode<E: prost::Message + Default>(&self) -> anyhow::Result<E> {
        Ok(E::decode(self.payload.as_slice())?)
    }
}

/// A handler applies one record inside the consumer's database transaction.
pub type HandlerFn = Arc<
    dyn for<'a> Fn(&'a mut Conn, &'a Record) -> BoxFuture<'a, anyhow::Result<()>> + Send + Sync,
>;

/// What a service consumes: a named consumer (the inbox key), its topics and handler.
#[derive(Clone)]
pub struct Subscription {
    /// Stable name recorded in the inbox, e.g. "orders.catalog-projection".
    pub consumer: String,
    /// Logical topic names (the prefix is added at run time).
    pub topics: Vec<String>,
    pub handler: HandlerFn,
    /// Whether several records may share one transaction (up to
    /// `kafka.max_batch`). When handlers lock rows shared across keys (e.g.
    /// stock by SKU), records of one batch would lock in record order and two
    /// consumers' batches could deadlock: give a `before_batch` hook that takes
    /// the batch's locks in one consistent order first, or turn batching off.
    pub batched: bool,
    /// Runs in a batch's transaction before its handlers (see `batched`).
    pub before_batch: Option<BatchHook>,
    /// Applies a batch's new records (duplicates already dropped by the
    /// inbox) in one call, in record order, instead of `handler` per record:
    /// for set-based work that would otherwise cost round trips per record
    /// while the batch holds contended locks. Must have the same effect as
    /// `handler` applied to each record in turn; a batch that fails, and any
    /// record consumed alone, still goes through `handler`.
    pub batch_handler: Option<BatchHandlerFn>,
    /// Consumers for this subscription in one process; `None` takes
    /// `kafka.consumer_tasks`. A light projection needs one.
    pub consumer_tasks: Option<usize>,
}

/// Applies several records inside the consumer's database transaction.
pub type BatchHandlerFn = Arc<
    dyn for<'a> Fn(&'a mut Conn, &'a [Record]) -> BoxFuture<'a, anyhow::Result<()>> + Send + Sync,
>;

/// Prepares a batch inside its transaction, e.g. takes its locks in order.
pub type BatchHook = Arc<
    dyn for<'a> Fn(&'a mut Conn, &'a [Record]) -> BoxFuture<'a, anyhow::Result<()>> + Send + Sync,
>;

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

/// Outcome of handling one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Duplicate,
    DeadLettered,
}

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

/// Owns an rdkafka client and drops it on a thread of its own: closing a
/// consumer can hang in librdkafka (rust-rdkafka #509, #611), and must never
/// block the thread that lets go of it, whether a stopping service or a
/// runtime dropping the task.
pub(crate) struct CloseOnOwnThread<C: Send + 'static>(Option<C>);

impl<C: Send + 'static> CloseOnOwnThread<C> {
    pub(crate) fn new(client: C) -> Self {
        Self(Some(client))
    }

    /// Starts the close now; the handle tells when it finished.
    pub(crate) fn close(mut self) -> Option<std::thread::JoinHandle<()>> {
        let client = self.0.take()?;
        std::thread::Builder::new()
            .name("kafka-close".into())
            .spawn(move || drop(client))
            .ok()
    }
}

impl<C: Send + 'static> std::ops::Deref for CloseOnOwnThread<C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.0.as_ref().expect("present until closed")
    }
}

impl<C: Send + 'static> Drop for CloseOnOwnThread<C> {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            let _ = std::thread::Builder::new()
                .name("kafka-close".into())
                .spawn(move || drop(client));
        }
    }
}

/// A consumed record, copied out of librdkafka's buffer.
#[derive(Debug, Clone)]
struct Delivered {
    topic: String,
    partition: i32,
    offset: i64,
    /// The record's key as text (keys are aggregate ids); empty when absent.
    key: String,
    payload: Vec<u8>,
    headers: HashMap<String, String>,
}

impl From<&BorrowedMessage<'_>> for Delivered {
    fn from(message: &BorrowedMessage<'_>) -> Self {
        Self {
            topic: message.topic().to_string(),
            partition: message.partition(),
            offset: message.offset(),
            key: record_key(message),
            payload: message.payload().unwrap_or_default().to_vec(),
            headers: header_map(message),
        }
    }
}

impl Delivered {
    fn envelope(&self) -> Result<Envelope, domain::events::EnvelopeError> {
        Envelope::from_headers(|k| self.headers.get(k).map(String::as_str))
    }

    fn record(&self, envelope: Envelope) -> Record {
        Record {
            topic: self.topic.clone(),
            partition: self.partition,
            offset: self.offset,
            key: Some(self.key.clone()).filter(|k| !k.is_empty()),
            payload: self.payload.clone(),
            envelope,
        }
    }

    fn span(&self, envelope: &Envelope) -> tracing::Span {
        let span = tracing::info_span!(
            "consume",
            otel.name = format!("{} receive", envelope.event_type),
            event_id = %envelope.event_id,
            event_type = %envelope.event_type,
            topic = %self.topic,
            partition = self.partition,
            offset = self.offset,
        );
        crate::telemetry::set_parent_from_headers(&span, &self.headers);
        span
    }
}

/// A record's key as text (keys are aggregate ids); empty when absent.
fn record_key(message: &BorrowedMessage<'_>) -> String {
    message
        .key()
        .and_then(|k| std::str::from_utf8(k).ok())
        .unwrap_or_default()
        .to_string()
}

fn header_map(message: &BorrowedMessage<'_>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    if let Some(hs) = message.headers() {
        for h in hs.iter() {
            if let Some(v) = h.value.and_then(|v| std::str::from_utf8(v).ok()) {
                map.insert(h.key.to_string(), v.to_string());
            }
        }
    }
    map
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

async fn dead_letter(
    producer: &Producer,
    delivered: &Delivered,
    error: &str,
    attempts: u32,
) -> anyhow::Result<Outcome> {
    let dlq = dlq_name(&delivered.topic);
    let mut record_headers: Vec<(String, String)> = delivered
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    record_headers.push((
        headers::DLQ_ERROR.into(),
        error.chars().take(2000).collect(),
    ));
    record_headers.push((headers::DLQ_ORIGINAL_TOPIC.into(), delivered.topic.clone()));
    record_headers.push((headers::DLQ_ATTEMPTS.into(), attempts.to_string()));
    producer
        .send(&dlq, &delivered.key, &delivered.payload, &record_headers)
        .await?;
    producer
        .metrics
        .events_dead_lettered
        .with_label_values(&[delivered.topic.as_str()])
        .inc();
    tracing::error!(
        topic = %delivered.topic,
        offset = delivered.offset,
        error,
        "record dead-lettered"
    );
    Ok(Outcome::DeadLettered)
}

/// Replays what `<topic>.dlq` holds back onto the topic it came from, once the
/// cause is fixed. Records keep their event ids, so an event that was in fact
/// applied meanwhile is skipped by the consumers' inboxes. Only records present
/// when the replay starts are replayed (one that fails again lands in the DLQ
/// anew and waits for the next replay). Returns how many were replayed.
pub async fn replay_dead_letters(
    settings: &KafkaSettings,
    group: &str,
    logical_topic: &str,
    producer: &Producer,
) -> anyhow::Result<usize> {
    let dlq = dlq_name(&topic_name(settings, logical_topic));
    let consumer: StreamConsumer = base_config(settings)
        .set("group.id", format!("{group}.dlq-replay"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    // The end of each partition now: the replay stops there.
    let metadata = consumer.fetch_metadata(Some(&dlq), Duration::from_secs(10))?;
    let mut ends = HashMap::new();
    for topic in metadata.topics() {
        for p in topic.partitions() {
            let (_, high) = consumer.fetch_watermarks(&dlq, p.id(), Duration::from_secs(10))?;
            ends.insert(p.id(), high);
        }
    }
    consumer.subscribe(&[&dlq])?;
    let mut done: HashMap<i32, bool> = ends.iter().map(|(p, end)| (*p, *end == 0)).collect();
    let mut replayed = 0;
    while done.values().any(|d| !d) {
        let message = match tokio::time::timeout(Duration::from_secs(10), consumer.recv()).await {
            Ok(m) => m?,
            // Nothing more arrives although watermarks said so (e.g. compacted): stop.
            Err(_) => break,
        };
        let partition = message.partition();
        let end = ends.get(&partition).copied().unwrap_or(0);
        if message.offset() >= end {
            done.insert(partition, true);
            continue;
        }
        let headers = header_map(&message);
        let original = headers
            .get(headers::DLQ_ORIGINAL_TOPIC)
            .cloned()
            .unwrap_or_else(|| topic_name(settings, logical_topic));
        let forwarded: Vec<(String, String)> = headers
            .into_iter()
            .filter(|(k, _)| !k.starts_with("dlq-"))
            .collect();
        let key = record_key(&message);
        producer
            .send(
                &original,
                &key,
                message.payload().unwrap_or_default(),
                &forwarded,
            )
            .await?;
        consumer.commit_message(&message, rdkafka::consumer::CommitMode::Sync)?;
        replayed += 1;
        if message.offset() + 1 >= end {
            done.insert(partition, true);
        }
    }
    // Wait for the close a little, never forever.
    if let Some(closer) = CloseOnOwnThread::new(consumer).close() {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !closer.is_finished() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(replayed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_keys_from_env_vars_become_librdkafka_names() {
        assert_eq!(librdkafka_key("security_protocol"), "security.protocol");
        assert_eq!(librdkafka_key("SASL_MECHANISMS"), "sasl.mechanisms");
        assert_eq!(librdkafka_key("ssl.ca.location"), "ssl.ca.location");
    }
}
