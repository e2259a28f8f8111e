//! What a handler sees: one consumed record, and the subscription that
//! routes records to handlers.

use std::collections::HashMap;
use std::sync::Arc;

use domain::events::Envelope;
use futures_util::future::BoxFuture;
use rdkafka::message::{BorrowedMessage, Headers, Message};

use crate::db::Conn;
use crate::outbox::Outbox;

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

impl Subscription {
    /// `consumer` (its name in the inbox) applying `handler` to each record of
    /// the logical `topic`, records batched into shared transactions, with
    /// `kafka.consumer_tasks` consumers.
    pub fn new(consumer: &str, topic: &str, handler: HandlerFn) -> Self {
        Self {
            consumer: consumer.into(),
            topics: vec![topic.into()],
            handler,
            batched: true,
            before_batch: None,
            batch_handler: None,
            consumer_tasks: None,
        }
    }

    /// One consumer task, for a light projection.
    pub fn single_task(mut self) -> Self {
        self.consumer_tasks = Some(1);
        self
    }

    /// Each record in a transaction of its own (see `batched`).
    pub fn unbatched(mut self) -> Self {
        self.batched = false;
        self
    }

    /// Runs `hook` in a batch's transaction before its handlers.
    pub fn before_batch(mut self, hook: BatchHook) -> Self {
        self.before_batch = Some(hook);
        self
    }

    /// Applies a batch's new records in one call (see `batch_handler`).
    pub fn batch_handler(mut self, handler: BatchHandlerFn) -> Self {
        self.batch_handler = Some(handler);
        self
    }
}

/// A [`HandlerFn`] from a closure, e.g. `handler(|conn, record|
/// on_event(conn, record).boxed())`: the bound lets the compiler give the
/// closure the higher-ranked signature a bare `Arc::new` cannot infer.
pub fn handler<F>(f: F) -> HandlerFn
where
    F: for<'a> Fn(&'a mut Conn, &'a Record) -> BoxFuture<'a, anyhow::Result<()>>
        + Send
        + Sync
        + 'static,
{
    Arc::new(f)
}

/// A [`HandlerFn`] for a handler that publishes through the outbox: `f` gets
/// the service's outbox with the connection and the record.
pub fn handler_with_outbox<F>(outbox: &Outbox, f: F) -> HandlerFn
where
    F: for<'a> Fn(&'a Outbox, &'a mut Conn, &'a Record) -> BoxFuture<'a, anyhow::Result<()>>
        + Send
        + Sync
        + 'static,
{
    let outbox = outbox.clone();
    let f = Arc::new(f);
    Arc::new(move |conn, record| {
        let (outbox, f) = (outbox.clone(), f.clone());
        Box::pin(async move { f(&outbox, conn, record).await })
    })
}

/// A [`BatchHook`] or [`BatchHandlerFn`] from a closure (see [`handler`]).
pub fn batch_fn<F>(f: F) -> BatchHook
where
    F: for<'a> Fn(&'a mut Conn, &'a [Record]) -> BoxFuture<'a, anyhow::Result<()>>
        + Send
        + Sync
        + 'static,
{
    Arc::new(f)
}

/// Applies several records inside the consumer's database transaction.
pub type BatchHandlerFn = Arc<
    dyn for<'a> Fn(&'a mut Conn, &'a [Record]) -> BoxFuture<'a, anyhow::Result<()>> + Send + Sync,
>;

/// Prepares a batch inside its transaction, e.g. takes its locks in order.
pub type BatchHook = Arc<
    dyn for<'a> Fn(&'a mut Conn, &'a [Record]) -> BoxFuture<'a, anyhow::Result<()>> + Send + Sync,
>;

/// A consumed record, copied out of librdkafka's buffer.
#[derive(Debug, Clone)]
pub(crate) struct Delivered {
    pub(crate) topic: String,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    /// The record's key as text (keys are aggregate ids); empty when absent.
    pub(crate) key: String,
    pub(crate) payload: Vec<u8>,
    pub(crate) headers: HashMap<String, String>,
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
    pub(crate) fn envelope(&self) -> Result<Envelope, domain::events::EnvelopeError> {
        Envelope::from_headers(|k| self.headers.get(k).map(String::as_str))
    }

    pub(crate) fn record(&self, envelope: Envelope) -> Record {
        Record {
            topic: self.topic.clone(),
            partition: self.partition,
            offset: self.offset,
            key: Some(self.key.clone()).filter(|k| !k.is_empty()),
            payload: self.payload.clone(),
            envelope,
        }
    }

    pub(crate) fn span(&self, envelope: &Envelope) -> tracing::Span {
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
pub(crate) fn record_key(message: &BorrowedMessage<'_>) -> String {
    message
        .key()
        .and_then(|k| std::str::from_utf8(k).ok())
        .unwrap_or_default()
        .to_string()
}

pub(crate) fn header_map(message: &BorrowedMessage<'_>) -> HashMap<String, String> {
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

/// Outcome of handling one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Duplicate,
    DeadLettered,
}
