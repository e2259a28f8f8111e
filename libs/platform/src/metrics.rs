//! Prometheus metrics beyond the HTTP ones actix-web-prom records: outbox backlog,
//! events published and consumed, dead-lettered records and consumer lag.

use prometheus::{IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub outbox_pending: IntGauge,
    pub outbox_oldest_age_seconds: IntGauge,
    pub events_published: IntCounterVec,
    pub events_consumed: IntCounterVec,
    pub events_dead_lettered: IntCounterVec,
    pub consumer_lag: IntGaugeVec,
    pub consumer_retries: IntCounterVec,
    pub background_steps: IntCounterVec,
}

impl Metrics {
    pub fn new(service: &str) -> anyhow::Result<Self> {
        let registry = Registry::new_custom(
            None,
            Some([("service".to_string(), service.to_string())].into()),
        )?;
        let outbox_pending =
            IntGauge::new("crossdock_outbox_pending", "Outbox rows not yet published")?;
        let outbox_oldest_age_seconds = IntGauge::new(
            "crossdock_outbox_oldest_age_seconds",
            "Age of the oldest unpublished outbox row",
        )?;
        let events_published = IntCounterVec::new(
            Opts::new(
                "crossdock_events_published_total",
                "Events published to Kafka",
            ),
            &["topic"],
        )?;
        let events_consumed = IntCounterVec::new(
            Opts::new(
                "crossdock_events_consumed_total",
                "Events consumed, by outcome (applied, duplicate, dead_lettered)",
            ),
            &["topic", "outcome"],
        )?;
        let events_dead_lettered = IntCounterVec::new(
            Opts::new(
                "crossdock_events_dead_lettered_total",
                "Records sent to a dead-letter topic",
            ),
            &["topic"],
        )?;
        let consumer_lag = IntGaugeVec::new(
            Opts::new(
                "crossdock_consumer_lag",
                "Records behind the partition's high watermark",
            ),
            &["topic", "partition"],
        )?;
        let consumer_retries = IntCounterVec::new(
            Opts::new(
                "crossdock_consumer_retries_total",
                "Batches neither applied nor dead-lettered (database or Kafka unavailable), held and retried",
            ),
            &["consumer"],
        )?;
        let background_steps = IntCounterVec::new(
            Opts::new(
                "crossdock_background_steps_total",
                "Steps of a background task, by outcome (ok, failed)",
            ),
            &["task", "outcome"],
        )?;
        registry.register(Box::new(outbox_pending.clone()))?;
        registry.register(Box::new(outbox_oldest_age_seconds.clone()))?;
        registry.register(Box::new(events_published.clone()))?;
        registry.register(Box::new(events_consumed.clone()))?;
        registry.register(Box::new(events_dead_lettered.clone()))?;
        registry.register(Box::new(consumer_lag.clone()))?;
        registry.register(Box::new(consumer_retries.clone()))?;
        registry.register(Box::new(background_steps.clone()))?;
        Ok(Self {
            registry,
            outbox_pending,
            outbox_oldest_age_seconds,
            events_published,
            events_consumed,
            events_dead_lettered,
            consumer_lag,
            consumer_retries,
            background_steps,
        })
    }
}
