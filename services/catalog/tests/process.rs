//! The real `catalog` binary: configuration from the environment, the `migrate`
//! subcommand, a clear error for a missing key, readiness, and a clean exit on SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use platform::testing::{TEST_SECRET, TestDatabase, eventually, kafka_brokers};

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

#[tokio::test]
async fn migrates_serves_and_exits_cleanly_on_sigterm() {
    let db = TestDatabase::create("catalog_bin").await;
    let port = free_port();
    let prefix = format!("t{}.", uuid::Uuid::new_v4().simple());

    let status = command(&db.url, port, &prefix)
        .arg("migrate")
        .status()
        .unwrap();
    assert!(status.success(), "migrate subcommand");

    let started = Instant::now();
    let mut child = command(&db.url, port, &prefix)
        .env("CATALOG__DATABASE__RUN_MIGRATIONS", "false")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/readyz");
    let ready = eventually(Duration::from_secs(30), || {
        let (client, url) = (client.clone(), url.clone());
        async move {
            client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        }
    })
    .await;
    assert!(ready, "the binary becomes ready");
    eprintln!(
        "catalog ready {} ms after spawn",
        started.elapsed().as_millis()
    );

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
        client.get(&url).send().await.is_err(),
        "no longer listening"
    );
    platform::testing::delete_topics_with_prefix(&prefix);
}
