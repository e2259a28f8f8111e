//! The producer every service publishes with (the outbox relay, dead letters).

use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::base_config;
use crate::config::KafkaSettings;
use crate::metrics::Metrics;

/// Publishes records with `enable.idempotence=true` and `acks=all`, awaiting the
/// broker's acknowledgement of each.
#[derive(Clone)]
pub struct Producer {
    inner: FutureProducer,
    pub(crate) metrics: Metrics,
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
