//! A service's subscriptions as the runtime wires them: topics (and their
//! dead-letter topics) created at start-up, the consumer running beside the HTTP
//! server, and a graceful stop.

use std::sync::Arc;
use std::time::Duration;

use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use domain::events::Envelope;
use domain::events::proto::catalog::v1::ProductUpserted;
use futures_util::future::BoxFuture;
use platform::ServiceDefinition;
use platform::db::Conn;
use platform::kafka::{Record, Subscription};
use platform::testing::{TestApp, eventually, scalar};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("tests/migrations");

fn record_effect<'a>(conn: &'a mut Conn, record: &'a Record) -> BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(async move {
        diesel::sql_query("INSERT INTO applied_effects (event_id) VALUES ($1)")
            .bind::<SqlUuid, _>(record.envelope.event_id.as_uuid())
            .execute(conn)
            .await?;
        Ok(())
    })
}

fn definition() -> ServiceDefinition {
    ServiceDefinition {
        name: "probe",
        config_dir: "/nonexistent",
        migrations: || MIGRATIONS,
        openapi: || utoipa::openapi::OpenApiBuilder::new().build(),
        routes: |_| {},
        topics: &["probe.out.v1"],
        subscriptions: |_| {
            vec![Subscription::new(
                "probe.in",
                "probe.in.v1",
                Arc::new(record_effect),
            )]
        },
        tasks: |rt| {
            vec![platform::tasks::periodic(
                &rt.metrics,
                "probe-ticker",
                std::time::Duration::from_millis(20),
                None,
                || {
                    Box::pin(async {
                        TICKS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        Ok(())
                    })
                },
            )]
        },
    }
}

/// Counts the probe's background task steps.
static TICKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// Spelled out: diesel's RunQueryDsl::load would otherwise win method resolution.
fn ticks() -> usize {
    std::sync::atomic::AtomicUsize::load(&TICKS, std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test]
async fn subscriptions_run_beside_the_server_and_stop_gracefully() {
    let mut app = TestApp::spawn(&definition()).await;
    let rt = app.runtime().clone();

    // Every topic exists: the published one, the consumed one and its DLQ.
    let topics: Vec<String> = {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let probe: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", platform::testing::kafka_brokers())
            .create()
            .unwrap();
        let metadata = probe.fetch_metadata(None, Duration::from_secs(10)).unwrap();
        metadata
            .topics()
            .iter()
            .map(|t| t.name().to_string())
            .collect()
    };
    for logical in ["probe.out.v1", "probe.in.v1", "probe.in.v1.dlq"] {
        assert!(topics.contains(&app.topic(logical)), "{logical} created");
    }

    let event = Envelope::new::<ProductUpserted>("elsewhere");
    let headers: Vec<(String, String)> = event
        .to_headers()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    rt.producer
        .send(&app.topic("probe.in.v1"), "k", b"x", &headers)
        .await
        .unwrap();
    let applied = eventually(Duration::from_secs(30), || async {
        scalar(&rt.db, "SELECT count(*) AS n FROM applied_effects").await == 1
    })
    .await;
    assert!(applied, "the service's consumer applied the event");

    let health = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert!(health.status().is_success());
    let ticking = eventually(Duration::from_secs(5), || async { ticks() >= 3 }).await;
    assert!(ticking, "the service's background task runs periodically");
    assert!(
        app.background_steps("probe-ticker") >= 3,
        "its steps are counted in crossdock_background_steps_total"
    );
    let stopping = tokio::time::timeout(Duration::from_secs(30), app.stop()).await;
    assert!(
        stopping.is_ok(),
        "server, relay, consumers and tasks stop within 30 s"
    );
    let after_stop = ticks();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        ticks(),
        after_stop,
        "the background task stopped with the service"
    );
}
