//! The real `catalog` binary: configuration from the environment, a clear error
//! for a missing key, readiness that waits for migrations, the `migrate`
//! subcommand, traces exported over OTLP, and a clean exit on SIGTERM.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use platform::Role;
use platform::testing::{TEST_SECRET, TestDatabase, eventually, kafka_brokers, token};

const BIN: &str = env!("CARGO_BIN_EXE_catalog");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn command(db_url: &str, port: u16, topic_prefix: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CROSSDOCK_ENV", "test")
        .env("CATALOG__DATABASE__URL", db_url)
        .env("CATALOG__KAFKA__BROKERS", kafka_brokers())
        .env("CATALOG__KAFKA__TOPIC_PREFIX", topic_prefix)
        .env("CATALOG__AUTH__HS256_SECRET", TEST_SECRET)
        .env("CATALOG__HTTP__PORT", port.to_string())
        .env("CATALOG__TELEMETRY__LOG_LEVEL", "warn");
    cmd
}

#[tokio::test]
async fn missing_key_stops_start_up_with_its_name() {
    let output = Command::new(BIN)
        .env_clear()
        .env("CATALOG__KAFKA__BROKERS", "127.0.0.1:1")
        .env("CATALOG__AUTH__HS256_SECRET", TEST_SECRET)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'database.url'") && stderr.contains("CATALOG__DATABASE__URL"),
        "{stderr}"
    );
}

/// Requests an OTLP collector received: (path, body).
type Posts = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// Records what an OTLP/HTTP exporter posts (the collector's side of the wire).
async fn otlp_receiver() -> (u16, Posts) {
    let received: Posts = Arc::default();
    let store = received.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let store = store.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let store = store.clone();
            async move {
                store
                    .lock()
                    .unwrap()
                    .push((req.path().to_string(), body.to_vec()));
                HttpResponse::Ok()
                    .content_type("application/x-protobuf")
                    .finish()
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (port, received)
}

async fn answers(client: &reqwest::Client, url: String) -> bool {
    client
        .get(url)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

#[tokio::test]
async fn not_ready_until_migrated_exports_traces_and_exits_cleanly_on_sigterm() {
    let db = TestDatabase::create("catalog_bin").await;
    let port = free_port();
    let prefix = format!("t{}.", uuid::Uuid::new_v4().simple());
    let (otlp_port, received) = otlp_receiver().await;

    // Started on an empty database with start-up migrations off: alive, not ready.
    let started = Instant::now();
    let mut child = command(&db.url, port, &prefix)
        .env("CATALOG__DATABASE__RUN_MIGRATIONS", "false")
        .env("CATALOG__TELEMETRY__OTLP_PROTOCOL", "http")
        .env(
            "CATALOG__TELEMETRY__OTLP_ENDPOINT",
            format!("http://127.0.0.1:{otlp_port}/v1/traces"),
        )
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let client = platform::testing::http_client();
    let base = format!("http://127.0.0.1:{port}");
    let alive = eventually(Duration::from_secs(30), || {
        answers(&client, format!("{base}/healthz"))
    })
    .await;
    assert!(alive, "the binary serves /healthz");
    eprintln!(
        "catalog live {} ms after spawn",
        started.elapsed().as_millis()
    );
    let res = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["checks"]["database"]
            .as_str()
            .unwrap()
            .contains("migrations applied"),
        "{body}"
    );

    // The migrate subcommand (what a deployment's migration Job runs) makes it ready.
    let status = command(&db.url, port, &prefix)
        .arg("migrate")
        .status()
        .unwrap();
    assert!(status.success(), "migrate subcommand");
    let ready = eventually(Duration::from_secs(30), || {
        answers(&client, format!("{base}/readyz"))
    })
    .await;
    assert!(ready, "ready once migrations are applied");

    // A traced request, carrying the caller's trace id.
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let res = client
        .get(format!("{base}/v1/skus/NO-SUCH-SKU"))
        .bearer_auth(token(&[Role::Ops]))
        .header("traceparent", format!("00-{trace_id}-b7ad6b7169203331-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "catalog did not stop within 20 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "no longer listening"
    );

    // Spans were flushed to the collector at shutdown, with the caller's trace id.
    let posts = received.lock().unwrap().clone();
    assert!(!posts.is_empty(), "no OTLP export arrived");
    assert!(posts.iter().all(|(path, _)| path == "/v1/traces"));
    let all: Vec<u8> = posts.into_iter().flat_map(|(_, body)| body).collect();
    let contains = |needle: &[u8]| all.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"catalog"), "service.name in the resource");
    assert!(contains(b"GET /v1/skus/{sku}"), "the request's span");
    let trace_bytes: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&trace_id[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    assert!(
        contains(&trace_bytes),
        "the span continues the caller's trace"
    );
    platform::testing::delete_topics_with_prefix(&prefix);
}
