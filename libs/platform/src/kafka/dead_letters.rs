//! Dead letters: records a handler cannot apply go to `<topic>.dlq` with
//! the reason; an operator replays them once the cause is fixed.

use std::collections::HashMap;
use std::time::Duration;

use domain::events::headers;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;

use super::producer::Producer;
use super::record::Outcome;
use super::record::{Delivered, header_map, record_key};
use super::{CloseOnOwnThread, base_config, dlq_name, topic_name};
use crate::config::KafkaSettings;

pub(crate) async fn dead_letter(
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
