//! The consumer runner and idempotent inbox against real Kafka and PostgreSQL:
//! a redelivered event applies once; a record that keeps failing is
//! dead-lettered after bounded retries and the consumer moves on.

use std::sync::Arc;
use std::time::Duration;

use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use domain::events::Envelope;
use domain::events::proto::catalog::v1::ProductUpserted;
use futures_util::future::BoxFuture;
use platform::db::Conn;
use platform::kafka::{self, HandlerFn, Record, Subscription};
use platform::metrics::Metrics;
use platform::testing::{TestDatabase, eventually, read_topic, scalar, test_settings};
use tokio::sync::watch;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("tests/migrations");

fn apply<'a>(conn: &'a mut Conn, record: &'a Record) -> BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(async move {
        if record.payload == b"poison" {
            anyhow::bail!("this record can never be applied");
        }
        let trace = platform::telemetry::current_trace_headers();
        diesel::sql_query("INSERT INTO applied_effects (event_id, traceparent) VALUES ($1, $2)")
            .bind::<SqlUuid, _>(record.envelope.event_id.as_uuid())
            .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(
                trace.get("traceparent"),
            )
            .execute(conn)
            .await?;
        Ok(())
    })
}

#[tokio::test]
async fn redelivered_event_applies_once_and_poison_is_dead_lettered_and_replayable() {
    platform::telemetry::init_for_tests();
    let db = TestDatabase::create("platform").await;
    platform::db::migrate(&db.url, MIGRATIONS).await.unwrap();
    let prefix = format!("t{}.", uuid::Uuid::new_v4().simple());
    let settings = test_settings(&db.url, &prefix);
    let topic = kafka::topic_name(&settings.kafka, "test.events.v1");
    kafka::create_topics(&settings.kafka, &[topic.clone(), kafka::dlq_name(&topic)])
        .await
        .unwrap();
    let metrics = Metrics::new("test").unwrap();
    let producer = kafka::Producer::new(&settings.kafka, "test", metrics.clone()).unwrap();
    let pool = platform::db::pool(&settings.database).unwrap();

    // The same event (same event-id) delivered twice, a poison record, then a fresh event.
    let mut duplicate = Envelope::new::<ProductUpserted>("test");
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    duplicate.traceparent = Some(format!("00-{trace_id}-00f067aa0ba902b7-01"));
    let poison = Envelope::new::<ProductUpserted>("test");
    let fresh = Envelope::new::<ProductUpserted>("test");
    let send = |env: &Envelope, payload: &'static [u8]| {
        let headers: Vec<(String, String)> = env
            .to_headers()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let producer = producer.clone();
        let topic = topic.clone();
        async move {
            producer
                .send(&topic, "same-key", payload, &headers)
                .await
                .unwrap()
        }
    };
    send(&duplicate, b"first").await;
    send(&duplicate, b"first").await;
    send(&poison, b"poison").await;
    send(&fresh, b"second").await;

    let handler: HandlerFn = Arc::new(apply);
    let (stop, stopped) = watch::channel(false);
    let consumer = tokio::spawn(kafka::run_consumer(
        settings.kafka.clone(),
        format!("{prefix}group"),
        Subscription::new("test.projection", "test.events.v1", handler),
        kafka::ConsumerDeps {
            pool: pool.clone(),
            producer: producer.clone(),
            metrics: metrics.clone(),
            outbox: platform::outbox::Outbox::new("test", &prefix),
        },
        stopped,
    ));

    let caught_up = eventually(Duration::from_secs(30), || async {
        scalar(&pool, "SELECT count(*) AS n FROM inbox").await == 2
            && metrics
                .events_consumed
                .with_label_values(&[topic.as_str(), "dead_lettered"])
                .get()
                == 1
    })
    .await;
    assert!(caught_up, "consumer processed all four records");
    // Every record taken, the redelivery included, before counting effects.
    let taken = eventually(Duration::from_secs(30), || async {
        ["applied", "duplicate", "dead_lettered"]
            .iter()
            .map(|o| {
                metrics
                    .events_consumed
                    .with_label_values(&[topic.as_str(), o])
                    .get()
            })
            .sum::<u64>()
            == 4
    })
    .await;
    assert!(taken, "the redelivered record was taken too");
    assert_eq!(
        scalar(&pool, "SELECT count(*) AS n FROM applied_effects").await,
        2
    );
    let dup_id = duplicate.event_id.to_string();
    assert_eq!(
        scalar(
            &pool,
            &format!("SELECT count(*) AS n FROM applied_effects WHERE event_id = '{dup_id}'")
        )
        .await,
        1,
        "the redelivered event applied once"
    );
    assert_eq!(
        metrics
            .events_consumed
            .with_label_values(&[topic.as_str(), "duplicate"])
            .get(),
        1
    );
    assert_eq!(
        metrics
            .events_consumed
            .with_label_values(&[topic.as_str(), "applied"])
            .get(),
        2
    );

    let dead = read_topic(
        &kafka::dlq_name(&topic),
        1,
        Duration::from_secs(20),
        Duration::from_secs(1),
    )
    .await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].payload, b"poison");
    assert_eq!(dead[0].headers["event-id"], poison.event_id.to_string());
    assert!(dead[0].headers["dlq-error"].contains("can never be applied"));
    assert_eq!(
        dead[0].headers["dlq-attempts"],
        settings.kafka.max_attempts.to_string()
    );
    assert_eq!(dead[0].headers["dlq-original-topic"], topic);

    // Replaying the dead letter puts it back on its topic with its event id; it
    // still can't be applied, so it is dead-lettered again (and nothing else is).
    let group = format!("{prefix}group");
    let replay = async || {
        kafka::replay_dead_letters(&settings.kafka, &group, "test.events.v1", &producer)
            .await
            .unwrap()
    };
    let replayed = replay().await;
    assert_eq!(replayed, 1);
    let again = eventually(Duration::from_secs(30), || async {
        metrics
            .events_dead_lettered
            .with_label_values(&[topic.as_str()])
            .get()
            == 2
    })
    .await;
    assert!(again, "the replayed record went through the consumer again");
    assert_eq!(
        scalar(&pool, "SELECT count(*) AS n FROM applied_effects").await,
        2
    );
    let replay_again = replay().await;
    assert_eq!(
        replay_again, 1,
        "only the newest dead letter; the replayed one is done"
    );

    stop.send(true).unwrap();
    consumer.await.unwrap().unwrap();
    platform::testing::delete_topics_with_prefix(&prefix);
}

#[tokio::test]
async fn database_outage_holds_the_record_instead_of_dead_lettering_it() {
    platform::telemetry::init_for_tests();
    let db = TestDatabase::create("platform").await;
    platform::db::migrate(&db.url, MIGRATIONS).await.unwrap();
    let host_port = platform::testing::database_host_port();
    let proxy = platform::testing::TcpProxy::start(host_port.parse().unwrap()).await;
    let prefix = format!("t{}.", uuid::Uuid::new_v4().simple());
    let mut settings = test_settings(
        &db.url.replace(&host_port, &proxy.addr.to_string()),
        &prefix,
    );
    settings.database.acquire_timeout_secs = 1;
    let topic = kafka::topic_name(&settings.kafka, "test.events.v1");
    kafka::create_topics(&settings.kafka, &[topic.clone(), kafka::dlq_name(&topic)])
        .await
        .unwrap();
    let metrics = Metrics::new("test").unwrap();
    let producer = kafka::Producer::new(&settings.kafka, "test", metrics.clone()).unwrap();
    let pool = platform::db::pool(&settings.database).unwrap();
    let direct = platform::db::pool(&test_settings(&db.url, &prefix).database).unwrap();

    let (stop, stopped) = watch::channel(false);
    let consumer = tokio::spawn(kafka::run_consumer(
        settings.kafka.clone(),
        format!("{prefix}group"),
        Subscription::new("test.projection", "test.events.v1", Arc::new(apply)),
        kafka::ConsumerDeps {
            pool: pool.clone(),
            producer: producer.clone(),
            metrics: metrics.clone(),
            outbox: platform::outbox::Outbox::new("test", &prefix),
        },
        stopped,
    ));

    // The database goes away, then an event arrives.
    proxy.cut();
    let event = Envelope::new::<ProductUpserted>("test");
    let headers: Vec<(String, String)> = event
        .to_headers()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    producer
        .send(&topic, "k", b"during outage", &headers)
        .await
        .unwrap();
    // More tries than max_attempts (3): a failure counted against the record
    // would have dead-lettered it by now.
    let retried = eventually(Duration::from_secs(30), || async {
        metrics
            .consumer_retries
            .with_label_values(&["test.projection"])
            .get()
            >= 5
    })
    .await;
    assert!(retried, "the consumer held the record and retried");
    assert_eq!(
        scalar(&direct, "SELECT count(*) AS n FROM applied_effects").await,
        0
    );

    proxy.restore();
    let applied = eventually(Duration::from_secs(30), || async {
        scalar(&direct, "SELECT count(*) AS n FROM applied_effects").await == 1
    })
    .await;
    assert!(applied, "applied once the database is back");
    assert_eq!(
        metrics
            .events_dead_lettered
            .with_label_values(&[topic.as_str()])
            .get(),
        0
    );
    let dead = read_topic(
        &kafka::dlq_name(&topic),
        1,
        Duration::from_secs(3),
        Duration::ZERO,
    )
    .await;
    assert!(dead.is_empty(), "nothing dead-lettered");

    stop.send(true).unwrap();
    consumer.await.unwrap().unwrap();
    platform::testing::delete_topics_with_prefix(&prefix);
}

/// A batch claims its records in one statement: each event id once, the
/// first of two identical records in one batch only, and none already applied.
#[tokio::test]
async fn a_batch_claims_each_event_once_even_when_it_repeats_inside_the_batch() {
    let db = TestDatabase::create("platform").await;
    platform::db::migrate(&db.url, MIGRATIONS).await.unwrap();
    let settings = test_settings(&db.url, "claims.");
    let pool = platform::db::pool(&settings.database).unwrap();
    let record = |envelope: &Envelope| Record {
        topic: "t.events".into(),
        partition: 0,
        offset: 0,
        key: None,
        payload: Vec::new(),
        envelope: envelope.clone(),
    };
    let (a, b, c) = (
        Envelope::new::<ProductUpserted>("test"),
        Envelope::new::<ProductUpserted>("test"),
        Envelope::new::<ProductUpserted>("test"),
    );
    let mut conn = pool.get().await.unwrap();
    let first = platform::inbox::claim_all(&mut conn, "c1", &[record(&a), record(&a), record(&b)])
        .await
        .unwrap();
    assert_eq!(first, vec![true, false, true]);
    let again = platform::inbox::claim_all(&mut conn, "c1", &[record(&b), record(&c)])
        .await
        .unwrap();
    assert_eq!(again, vec![false, true], "b was applied before");
    let other = platform::inbox::claim_all(&mut conn, "c2", &[record(&a)])
        .await
        .unwrap();
    assert_eq!(other, vec![true], "each consumer has its own inbox");
    assert_eq!(scalar(&pool, "SELECT count(*) AS n FROM inbox").await, 4);
}
