//! Test support: an isolated database per test, a service started in-process
//! against the real PostgreSQL and Kafka of the local stack, tokens, a Kafka
//! reader and a TCP proxy that can cut a dependency off.
//!
//! The stack's addresses come from `CROSSDOCK_TEST_DATABASE_URL` and
//! `CROSSDOCK_TEST_KAFKA_BROKERS` (defaults: the ports `scripts/stack.sh` uses).

pub mod fixtures;
mod kafka;
pub mod statements;

pub use kafka::{
    ReadRecord, decode_all, delete_topics_with_prefix, publish, publish_with, read_topic,
    read_topic_until,
};

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::auth::{Role, TokenRequest};
use crate::config::*;
use crate::{Running, ServiceDefinition};

/// HS256 secret used by tests and the local stack (never in production).
pub const TEST_SECRET: &str = "crossdock-local-development-secret-0123456789";

pub fn admin_database_url() -> String {
    std::env::var("CROSSDOCK_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:55432/postgres".into())
}

pub fn kafka_brokers() -> String {
    std::env::var("CROSSDOCK_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:59092".into())
}

/// `host:port` of the test PostgreSQL (what a [`TcpProxy`] stands in front of).
pub fn database_host_port() -> String {
    let admin = admin_database_url();
    let after_at = admin
        .rsplit_once('@')
        .map(|(_, rest)| rest)
        .unwrap_or(&admin);
    after_at.split('/').next().unwrap_or_default().to_string()
}

/// The first value of a `SELECT … AS n` query returning one BIGINT.
pub async fn scalar(pool: &crate::db::DbPool, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = pool.get().await.expect("test connection");
    diesel::sql_query(sql)
        .get_result::<N>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("database url has a path");
    format!("{base}/{name}")
}

/// A fresh database for one test, dropped when the value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create(prefix: &str) -> Self {
        let name = format!("test_{prefix}_{}", uuid::Uuid::new_v4().simple());
        let admin = admin_database_url();
        let mut conn = AsyncPgConnection::establish(&admin)
            .await
            .expect("connect to the test PostgreSQL (is the stack up? make test starts it)");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let url = with_database(&admin, &name);
        Self { name, url }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop on a thread of its own: Drop can't await, and the test's runtime
        // may already be shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut conn) = AsyncPgConnection::establish(&admin_database_url()).await {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                }
            });
        })
        .join();
    }
}

/// Settings for a service under test: its own database, a unique topic prefix
/// (so tests running in parallel never read each other's events), port 0.
pub fn test_settings(database_url: &str, topic_prefix: &str) -> Settings {
    Settings {
        http: HttpSettings {
            host: "127.0.0.1".into(),
            port: 0,
            max_body_bytes: 64 * 1024,
            workers: 2,
            shutdown_timeout_secs: 5,
        },
        database: DatabaseSettings {
            url: database_url.into(),
            max_connections: 8,
            acquire_timeout_secs: 2,
            run_migrations: true,
        },
        kafka: KafkaSettings {
            brokers: kafka_brokers(),
            topic_prefix: topic_prefix.into(),
            create_topics: true,
            topic_partitions: 3,
            topic_replication: 1,
            consumer_group: None,
            max_attempts: 3,
            retry_backoff_ms: 20,
            consumer_tasks: 3,
            max_batch: 50,
            properties: HashMap::new(),
        },
        outbox: OutboxSettings {
            relay_enabled: true,
            batch_size: 100,
            poll_interval_ms: 50,
        },
        // Tests' webhook receivers listen on 127.0.0.1.
        outbound: crate::config::OutboundSettings {
            allow_loopback: true,
        },
        auth: AuthSettings {
            hs256_secret: Some(TEST_SECRET.into()),
            rs256_public_key_pem: None,
            jwks_json: None,
            issuer: "crossdock".into(),
            audience: "crossdock".into(),
        },
        telemetry: TelemetrySettings {
            log_format: "text".into(),
            log_level: "warn".into(),
            otlp_endpoint: None,
            otlp_protocol: "grpc".into(),
        },
    }
}

/// Mints a token for the test secret.
pub fn token(roles: &[Role]) -> String {
    token_for("test-user", roles)
}

/// A staff token for a named person (four-eyes rules tell people apart).
pub fn token_for(subject: &str, roles: &[Role]) -> String {
    crate::auth::mint_hs256(
        TEST_SECRET,
        "crossdock",
        "crossdock",
        TokenRequest {
            subject,
            roles,
            channel: None,
            ttl: Duration::from_secs(3600),
        },
    )
    .expect("mint token")
}

/// Mints a channel token for the test secret.
pub fn channel_token(channel: &str) -> String {
    crate::auth::mint_hs256(
        TEST_SECRET,
        "crossdock",
        "crossdock",
        TokenRequest {
            subject: "test-connector",
            roles: &[],
            channel: Some(channel.parse().expect("channel id")),
            ttl: Duration::from_secs(3600),
        },
    )
    .expect("mint token")
}

/// A service running in-process against the real stack.
pub struct TestApp {
    pub def: ServiceDefinition,
    pub base_url: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub topic_prefix: String,
    pub running: Option<Running>,
    pub db: TestDatabase,
    /// Metrics of the runs before a restart, so counts span restarts.
    earlier_runs: Vec<crate::metrics::Metrics>,
}

/// The client tests call services with. Its idle connections expire before
/// the servers' keep-alive (actix: 5 s) does, so a request after a pause (an
/// XSD check, a restart) never goes out on a connection the server is closing
/// at that moment (hyper's IncompleteMessage, a false failure).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("an HTTP client")
}

impl TestApp {
    pub async fn spawn(def: &ServiceDefinition) -> Self {
        Self::spawn_with(def, |_| {}).await
    }

    /// Starts the service after `adjust` changed its settings.
    pub async fn spawn_with(def: &ServiceDefinition, adjust: impl FnOnce(&mut Settings)) -> Self {
        crate::telemetry::init_for_tests();
        let db = TestDatabase::create(def.name).await;
        let mut settings = test_settings(&db.url, &unique_topic_prefix());
        adjust(&mut settings);
        // Services of one scenario share a prefix (set by `adjust`).
        let topic_prefix = settings.kafka.topic_prefix.clone();
        let running = crate::start(def, settings.clone())
            .await
            .expect("service starts");
        Self {
            def: def.clone(),
            base_url: format!("http://{}", running.addr),
            client: http_client(),
            settings,
            topic_prefix,
            running: Some(running),
            db,
            earlier_runs: Vec::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The full name of a logical topic for this app.
    pub fn topic(&self, logical: &str) -> String {
        format!("{}{}", self.topic_prefix, logical)
    }

    pub fn runtime(&self) -> &crate::Runtime {
        &self.running.as_ref().expect("running").runtime
    }

    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            self.earlier_runs.push(running.runtime.metrics.clone());
            running.stop().await;
        }
    }

    fn all_runs(&self) -> impl Iterator<Item = &crate::metrics::Metrics> {
        let current = self.running.as_ref().map(|r| &r.runtime.metrics);
        self.earlier_runs.iter().chain(current)
    }

    /// Records of the logical `topic` this service's consumers have taken
    /// (applied, found duplicate, or dead-lettered), over all its runs. A
    /// record redelivered after a restart counts again.
    pub fn consumed(&self, topic: &str) -> u64 {
        let topic = self.topic(topic);
        self.all_runs()
            .flat_map(|m| {
                ["applied", "duplicate", "dead_lettered"].map(|outcome| {
                    m.events_consumed
                        .with_label_values(&[&topic, outcome])
                        .get()
                })
            })
            .sum()
    }

    /// Waits (up to 30 s) until the consumers have taken `at_least` records of
    /// `topic`: what a test waits for before asserting that a record changed
    /// nothing, instead of sleeping and hoping the consumer kept up.
    pub async fn wait_consumed(&self, topic: &str, at_least: u64) -> bool {
        eventually(Duration::from_secs(30), || async {
            self.consumed(topic) >= at_least
        })
        .await
    }

    /// Finished steps (ok or failed) of the background task `task`, over all runs.
    pub fn background_steps(&self, task: &str) -> u64 {
        self.all_runs()
            .flat_map(|m| {
                ["ok", "failed"]
                    .map(|outcome| m.background_steps.with_label_values(&[task, outcome]).get())
            })
            .sum()
    }

    /// Waits (up to 30 s) until `task` has finished `more` steps after now: a
    /// step that started before this call may be one of them, so a test that
    /// needs a whole step after a change waits for two.
    pub async fn wait_background_steps(&self, task: &str, more: u64) -> bool {
        let target = self.background_steps(task) + more;
        eventually(Duration::from_secs(30), || async {
            self.background_steps(task) >= target
        })
        .await
    }

    /// Waits (up to 30 s) until the inbox holds `event_id`: its handler ran and
    /// committed (the inbox row is written in the handler's transaction).
    pub async fn wait_inbox(&self, event_id: domain::ids::EventId) -> bool {
        let sql = format!("SELECT count(*) AS n FROM inbox WHERE event_id = '{event_id}'");
        eventually(Duration::from_secs(30), || async {
            scalar(&self.runtime().db, &sql).await > 0
        })
        .await
    }

    /// Starts the stopped service again on the same database and topics (a new
    /// port), as a pod restart would.
    pub async fn restart(&mut self) {
        self.stop().await;
        let running = crate::start(&self.def, self.settings.clone())
            .await
            .expect("service restarts");
        self.base_url = format!("http://{}", running.addr);
        self.running = Some(running);
    }
}

/// A fresh topic prefix, so tests running in parallel never read each other's events.
pub fn unique_topic_prefix() -> String {
    format!("t{}.", uuid::Uuid::new_v4().simple())
}

impl Drop for TestApp {
    /// Deletes the test's topics so a developer's broker doesn't collect them.
    fn drop(&mut self) {
        delete_topics_with_prefix(&self.topic_prefix);
    }
}

/// A TCP proxy in front of a dependency; `cut()` drops every connection and
/// refuses new ones until `restore()`, like a database outage.
pub struct TcpProxy {
    pub addr: std::net::SocketAddr,
    up: Arc<AtomicBool>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
}

impl TcpProxy {
    pub async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(generation);
        let (up2, gen2) = (up.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !AtomicBool::load(&up2, Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut cut = gen2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self {
            addr,
            up,
            generation,
        }
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// Polls `check` until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Asserts a problem+json response with `status` and returns its body.
pub async fn problem(res: reqwest::Response, status: reqwest::StatusCode) -> serde_json::Value {
    assert_eq!(res.status(), status, "status");
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: serde_json::Value = res.json().await.expect("problem body");
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["type"]
            .as_str()
            .unwrap_or_default()
            .starts_with("urn:crossdock:problem:")
    );
    body
}

/// The fields named by a problem's `errors`.
pub fn fields(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Polls `check` until it returns `Some` (which is returned) or `timeout`
/// passes (`None`).
pub async fn eventually_some<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(value) = check().await {
            return Some(value);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Asserts that `docs/openapi/<service>.json` is what the code serves (`make
/// openapi` regenerates it). The path is read at run time from the calling
/// crate's `CARGO_MANIFEST_DIR`: a test binary may be reused from a shared
/// target dir by another checkout, and must check this checkout's file.
pub fn assert_committed_openapi(def: &ServiceDefinition) {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test");
    let path = format!("{manifest_dir}/../../docs/openapi/{}.json", def.name);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed.trim_end() == crate::openapi_json(def).trim_end(),
        "docs/openapi/{}.json is out of date: run `make openapi` and commit it",
        def.name
    );
}

impl TestApp {
    /// GET `path` with `bearer`: the status and the JSON body (null if none).
    pub async fn get_json(
        &self,
        path: &str,
        bearer: &str,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let res = self
            .client
            .get(self.url(path))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("request");
        let status = res.status();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }
}
