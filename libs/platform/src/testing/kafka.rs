//! Kafka in tests: publishing events as another service's relay would,
//! reading a topic back, and deleting a test's topics.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};

use super::kafka_brokers;

/// Deletes every topic whose name starts with `prefix` (test clean-up). Runs on
/// a thread of its own, so it works from async tests and from `Drop`.
pub fn delete_topics_with_prefix(prefix: &str) {
    let prefix = prefix.to_string();
    let _ = std::thread::spawn(move || delete_topics_blocking(&prefix)).join();
}

fn delete_topics_blocking(prefix: &str) {
    use rdkafka::admin::{AdminClient, AdminOptions};
    use rdkafka::client::DefaultClientContext;
    let Ok(admin) = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", kafka_brokers())
        .create::<AdminClient<DefaultClientContext>>()
    else {
        return;
    };
    let Ok(metadata) = admin.inner().fetch_metadata(None, Duration::from_secs(5)) else {
        return;
    };
    let names: Vec<String> = metadata
        .topics()
        .iter()
        .map(|t| t.name().to_string())
        .filter(|n| n.starts_with(prefix))
        .collect();
    if names.is_empty() {
        return;
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        let _ = rt.block_on(admin.delete_topics(&refs, &AdminOptions::new()));
    }
}

/// One record read back from Kafka.
#[derive(Debug, Clone)]
pub struct ReadRecord {
    pub key: Option<String>,
    pub payload: Vec<u8>,
    pub headers: HashMap<String, String>,
    pub partition: i32,
    pub offset: i64,
}

/// Reads `topic` from the beginning until `want` records arrived or `timeout`
/// passed; then keeps reading for `settle` to catch unexpected extra records.
pub async fn read_topic(
    topic: &str,
    want: usize,
    timeout: Duration,
    settle: Duration,
) -> Vec<ReadRecord> {
    read_topic_until(topic, timeout, settle, |records| records.len() >= want).await
}

/// Reads `topic` from the beginning until `done` holds for what arrived or
/// `timeout` passed; then keeps reading for `settle`. For a topic carrying
/// several event types, where a count of records says little.
pub async fn read_topic_until(
    topic: &str,
    timeout: Duration,
    settle: Duration,
    done: impl Fn(&[ReadRecord]) -> bool,
) -> Vec<ReadRecord> {
    let consumer: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", kafka_brokers())
        .set("group.id", format!("test-reader-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("test consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut out = Vec::new();
    let started = Instant::now();
    let mut deadline = started + timeout;
    let mut settled = false;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        match tokio::time::timeout(deadline - now, consumer.recv()).await {
            Ok(Ok(m)) => {
                let mut headers = HashMap::new();
                if let Some(hs) = m.headers() {
                    for h in hs.iter() {
                        if let Some(v) = h.value {
                            headers.insert(h.key.to_string(), String::from_utf8_lossy(v).into());
                        }
                    }
                }
                out.push(ReadRecord {
                    key: m.key().map(|k| String::from_utf8_lossy(k).into()),
                    payload: m.payload().unwrap_or_default().to_vec(),
                    headers,
                    partition: m.partition(),
                    offset: m.offset(),
                });
            }
            Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(_) => break,
        }
        if !settled && done(&out) {
            settled = true;
            deadline = Instant::now() + settle;
        }
    }
    // Closed in the background: a librdkafka close can hang, a test must not.
    drop(crate::kafka::CloseOnOwnThread::new(consumer));
    out
}

/// Publishes `event` to `topic` (a full name) with a proper envelope, as
/// another service's relay would. Returns the event id.
pub async fn publish<E: domain::events::Event>(
    producer: &crate::kafka::Producer,
    topic: &str,
    key: &str,
    event: &E,
) -> domain::ids::EventId {
    let envelope = domain::events::Envelope::new::<E>("test");
    publish_with(producer, topic, key, event, &envelope).await;
    envelope.event_id
}

/// Publishes `event` under a given envelope (e.g. the same event id twice, as
/// a redelivery would).
pub async fn publish_with<E: domain::events::Event>(
    producer: &crate::kafka::Producer,
    topic: &str,
    key: &str,
    event: &E,
    envelope: &domain::events::Envelope,
) {
    let headers: Vec<(String, String)> = envelope
        .to_headers()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    producer
        .send(topic, key, &event.encode_to_vec(), &headers)
        .await
        .expect("publish test event");
}

/// Decodes the records of `topic` whose event type is `E`'s.
pub fn decode_all<E: domain::events::Event>(records: &[ReadRecord]) -> Vec<E> {
    records
        .iter()
        .filter(|r| r.headers.get("event-type").map(String::as_str) == Some(E::TYPE))
        .map(|r| E::decode(r.payload.as_slice()).expect("decodes"))
        .collect()
}
