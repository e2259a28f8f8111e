//! Kafka: an idempotent producer (`producer`), topic creation, the records
//! and subscriptions handlers see (`record`), a consumer runner that applies
//! each record through the idempotent inbox and stores the offset only after
//! the database transaction committed (`consumer`), and dead letters
//! (`dead_letters`). `record` and `producer` depend on nothing else here, so
//! the inbox (records) and the outbox (producer) sit below the consumer that
//! uses both.

mod consumer;
mod dead_letters;
mod producer;
mod record;

pub use consumer::{ConsumerDeps, is_transient, run_consumer};
pub use dead_letters::replay_dead_letters;
pub use producer::Producer;
pub use record::{
    BatchHandlerFn, BatchHook, HandlerFn, Outcome, Record, Subscription, batch_fn, handler,
    handler_with_outbox,
};

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::types::RDKafkaErrorCode;

use crate::config::KafkaSettings;

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
