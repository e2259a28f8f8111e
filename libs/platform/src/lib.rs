//! The runtime every Crossdock service shares, written once: configuration,
//! telemetry, the HTTP server, problem+json errors, authentication, the database
//! pool and migrations, Kafka, the transactional outbox and the idempotent inbox.
//!
//! A service describes itself with a [`ServiceDefinition`] and calls [`main`].

pub mod audit;
pub mod auth;
pub mod backoff;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod inbox;
pub mod kafka;
pub mod ledger;
pub mod metrics;
pub mod openapi;
pub mod outbound;
pub mod outbox;
pub mod tasks;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::{App, HttpMessage, HttpServer, web};
use clap::{Parser, Subcommand};
use diesel_migrations::EmbeddedMigrations;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use auth::{Access, Authorized, Caller, Principal, Role};
pub use error::ApiError;

/// What a service is: everything the runtime needs to run it.
#[derive(Clone)]
pub struct ServiceDefinition {
    /// Service name: env var prefix, consumer group, `source` header, metrics label.
    pub name: &'static str,
    /// Folder with `default.toml` and `<env>.toml` (usually `<crate>/config`).
    pub config_dir: &'static str,
    /// The service's embedded migrations (`|| MIGRATIONS`).
    pub migrations: fn() -> EmbeddedMigrations,
    pub openapi: fn() -> utoipa::openapi::OpenApi,
    /// Registers the service's `/v1/...` routes.
    pub routes: fn(&mut web::ServiceConfig),
    /// Logical names of the topics the service publishes.
    pub topics: &'static [&'static str],
    /// What the service consumes.
    pub subscriptions: fn(&Runtime) -> Vec<kafka::Subscription>,
    /// The service's own background work (sweepers, dispatchers), started with
    /// the server and stopped with it.
    pub tasks: fn(&Runtime) -> Vec<tasks::Task>,
}

/// Shared state handed to every handler as `web::Data<Runtime>`.
#[derive(Clone)]
pub struct Runtime {
    pub name: &'static str,
    pub settings: Arc<config::Settings>,
    pub db: db::DbPool,
    pub producer: kafka::Producer,
    pub metrics: metrics::Metrics,
    pub outbox: outbox::Outbox,
    /// Named wake-ups for background tasks (`waker("forecasts")`), one set
    /// per running service: a handler wakes this service's task, never
    /// another's in the same process (as in tests).
    pub wakers: Arc<tasks::Wakers>,
}

impl Runtime {
    /// The wake-up of the background task that listens under `name`.
    pub fn waker(&self, name: &'static str) -> Arc<tokio::sync::Notify> {
        self.wakers.get(name)
    }

    /// A pooled connection, or 503 when the database is unavailable.
    pub async fn conn(&self) -> Result<db::PooledConn, ApiError> {
        Ok(self.db.get().await?)
    }
}

/// Readiness state beyond the dependency checks.
pub struct Readiness {
    pub migrations: Vec<String>,
    stopping: AtomicBool,
}

impl Readiness {
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}

/// A started service: its bound address and what to stop.
pub struct Running {
    pub addr: SocketAddr,
    pub runtime: Runtime,
    server: actix_web::dev::ServerHandle,
    server_task: JoinHandle<std::io::Result<()>>,
    background: Vec<JoinHandle<()>>,
    shutdown: watch::Sender<bool>,
    readiness: web::Data<Readiness>,
}

impl Running {
    /// Graceful stop: report not-ready, finish in-flight requests, stop consumers
    /// after their current record, publish what the outbox holds, flush Kafka.
    pub async fn stop(self) {
        self.readiness.stopping.store(true, Ordering::Relaxed);
        self.server.stop(true).await;
        let _ = self.server_task.await;
        let _ = self.shutdown.send(true);
        for task in self.background {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        let producer = self.runtime.producer.clone();
        let _ = tokio::task::spawn_blocking(move || producer.flush(Duration::from_secs(5))).await;
    }

    /// Runs until SIGTERM or Ctrl-C, then stops gracefully.
    pub async fn until_signal(self) {
        wait_for_signal().await;
        tracing::info!("shutdown signal received");
        self.stop().await;
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Starts the service with `settings`: pool, migrations, topics, relay,
/// consumers and the HTTP server. Returns once the server is bound.
pub async fn start(def: &ServiceDefinition, settings: config::Settings) -> anyhow::Result<Running> {
    let settings = Arc::new(settings);
    let metrics = metrics::Metrics::new(def.name)?;
    if settings.database.run_migrations {
        let applied = db::migrate(&settings.database.url, (def.migrations)()).await?;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
    }
    let pool = db::pool(&settings.database)?;
    let producer = kafka::Producer::new(&settings.kafka, def.name, metrics.clone())?;
    let runtime = Runtime {
        name: def.name,
        settings: settings.clone(),
        db: pool.clone(),
        producer: producer.clone(),
        metrics: metrics.clone(),
        outbox: outbox::Outbox::new(def.name, &settings.kafka.topic_prefix),
        wakers: Arc::default(),
    };
    let subscriptions = (def.subscriptions)(&runtime);
    if settings.kafka.create_topics {
        let mut topics: Vec<String> = def
            .topics
            .iter()
            .map(|t| kafka::topic_name(&settings.kafka, t))
            .collect();
        for sub in &subscriptions {
            for t in &sub.topics {
                let name = kafka::topic_name(&settings.kafka, t);
                topics.push(kafka::dlq_name(&name));
                topics.push(name);
            }
        }
        topics.sort();
        topics.dedup();
        kafka::create_topics(&settings.kafka, &topics).await?;
    }

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut background = Vec::new();
    if settings.outbox.relay_enabled {
        background.push(tokio::spawn(outbox::run_relay(
            pool.clone(),
            producer.clone(),
            runtime.outbox.clone(),
            settings.outbox.clone(),
            metrics.clone(),
            shutdown_rx.clone(),
        )));
    }
    let group = consumer_group(def.name, &settings.kafka);
    for task in (def.tasks)(&runtime) {
        background.push(tokio::spawn(task(shutdown_rx.clone())));
    }
    let consumers = subscriptions.into_iter().flat_map(|sub| {
        let tasks = sub.consumer_tasks.unwrap_or(settings.kafka.consumer_tasks);
        std::iter::repeat_n(sub, tasks.max(1))
    });
    for sub in consumers {
        let (settings, group, shutdown) =
            (settings.kafka.clone(), group.clone(), shutdown_rx.clone());
        let deps = kafka::ConsumerDeps {
            pool: pool.clone(),
            producer: producer.clone(),
            metrics: metrics.clone(),
            outbox: runtime.outbox.clone(),
        };
        // A consumer that fails (a broker error at start, say) starts again
        // after a pause; it returns Ok only when shutting down.
        background.push(tokio::spawn(async move {
            loop {
                let run = kafka::run_consumer(
                    settings.clone(),
                    group.clone(),
                    sub.clone(),
                    deps.clone(),
                    shutdown.clone(),
                );
                match run.await {
                    Ok(()) => break,
                    Err(err) => tracing::error!(error = %err, consumer = %sub.consumer, "consumer failed; restarting"),
                }
                if *shutdown.borrow() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }));
    }

    let readiness = web::Data::new(Readiness {
        migrations: db::expected_versions(&(def.migrations)()),
        stopping: AtomicBool::new(false),
    });
    let auth = web::Data::new(auth::Authenticator::from_settings(&settings.auth)?);
    let prometheus = actix_web_prom::PrometheusMetricsBuilder::new("crossdock")
        .registry(metrics.registry.clone())
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
    let openapi = openapi::document((def.openapi)());
    let allowed = web::Data::new(http::AllowedMethods(openapi::allowed_methods(&openapi)));
    let routes = def.routes;
    let data = web::Data::new(runtime.clone());
    let readiness_data = readiness.clone();
    let limit = settings.http.max_body_bytes;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(readiness_data.clone())
            .app_data(auth.clone())
            .app_data(allowed.clone())
            .app_data(web::PayloadConfig::new(limit))
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                ApiError::BadRequest(format!("query string: {err}")).into()
            }))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|err, _| ApiError::BadRequest(format!("path: {err}")).into()),
            )
            .wrap(
                actix_web::middleware::ErrorHandlers::new()
                    .default_handler(http::problem_for_bare_errors),
            )
            .wrap(actix_web::middleware::from_fn(http::refuse_nul_in_url))
            .wrap(actix_web::middleware::from_fn(request_id_header))
            .wrap(prometheus.clone())
            .wrap(tracing_actix_web::TracingLogger::default())
            .route("/healthz", web::get().to(http::healthz))
            .route("/readyz", web::get().to(http::readyz))
            // Resources, so a wrong method is a 405 with Allow, not a 404.
            .service(
                web::resource("/v1/ops/event-ledger").route(web::get().to(ledger::event_ledger)),
            )
            .service(web::resource("/v1/audit").route(web::get().to(audit::trail)))
            .service(
                utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                    .url("/openapi.json", openapi.clone()),
            )
            .service(web::redirect("/docs", "/docs/"))
            .configure(routes)
            .default_service(web::to(http::not_found))
    })
    .disable_signals()
    .shutdown_timeout(settings.http.shutdown_timeout_secs)
    .bind((settings.http.host.as_str(), settings.http.port))?;
    if settings.http.workers > 0 {
        server = server.workers(settings.http.workers);
    }
    let addr = *server
        .addrs()
        .first()
        .ok_or_else(|| anyhow::anyhow!("server bound no address"))?;
    let server = server.run();
    let handle = server.handle();
    let server_task = tokio::spawn(server);
    tracing::info!(%addr, service = def.name, "listening");
    Ok(Running {
        addr,
        runtime,
        server: handle,
        server_task,
        background,
        shutdown: shutdown_tx,
        readiness,
    })
}

/// Echoes the request id tracing-actix-web assigned as `x-request-id`.
async fn request_id_header(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let request_id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(id) = request_id
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id)
    {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            value,
        );
    }
    Ok(res)
}

#[derive(Parser)]
#[command(about = "A Crossdock service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP, relay the outbox and run consumers (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document and exit.
    Openapi,
    /// Print the environment variables the service reads, one per line (for
    /// checking deployment manifests), and exit.
    ConfigKeys,
    /// Republish the records of a consumed topic's dead-letter topic, once the
    /// cause is fixed (e.g. `replay-dlq catalog.product-events.v1`).
    ReplayDlq {
        /// The consumed topic (logical name, without prefix or `.dlq`).
        topic: String,
    },
}

/// The entry point of every service binary.
pub fn main(def: ServiceDefinition) -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Openapi) => {
            println!("{}", openapi_json(&def));
            return Ok(());
        }
        Some(Command::ConfigKeys) => {
            println!("{}", config::env_vars(def.name).join("\n"));
            return Ok(());
        }
        _ => {}
    }
    let source = config::Source::from_process(def.name, &PathBuf::from(def.config_dir));
    let settings = match config::load(&source) {
        Ok(s) => s,
        Err(err) => {
            eprintln!("{}: {err}", def.name);
            std::process::exit(2);
        }
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let _telemetry = telemetry::init(def.name, &settings.telemetry)?;
            match cli.command {
                Some(Command::ReplayDlq { topic }) => {
                    let metrics = metrics::Metrics::new(def.name)?;
                    let producer = kafka::Producer::new(&settings.kafka, def.name, metrics)?;
                    let group = consumer_group(def.name, &settings.kafka);
                    let n = kafka::replay_dead_letters(&settings.kafka, &group, &topic, &producer)
                        .await?;
                    producer.flush(Duration::from_secs(10));
                    tracing::info!(replayed = n, topic, "dead letters replayed");
                    println!("replayed {n} record(s) from {topic}.dlq");
                    Ok(())
                }
                Some(Command::Migrate) => {
                    let applied = db::migrate(&settings.database.url, (def.migrations)()).await?;
                    tracing::info!(?applied, "migrations applied");
                    Ok(())
                }
                _ => {
                    let started = std::time::Instant::now();
                    let running = start(&def, settings).await?;
                    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "started");
                    running.until_signal().await;
                    Ok(())
                }
            }
        })
}

/// The consumer group: configured, or the topic prefix and the service name
/// (`inventory` in production; deployments or tests that share a cluster under
/// different prefixes never share a group).
pub fn consumer_group(service: &str, kafka: &config::KafkaSettings) -> String {
    kafka
        .consumer_group
        .clone()
        .unwrap_or_else(|| format!("{}{service}", kafka.topic_prefix))
}

/// The service's OpenAPI document as pretty JSON (what `docs/openapi/` holds).
pub fn openapi_json(def: &ServiceDefinition) -> String {
    openapi::document((def.openapi)())
        .to_pretty_json()
        .expect("OpenAPI serializes")
}
