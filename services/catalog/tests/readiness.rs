//! Readiness follows the database: not ready while it is unreachable.

mod common;

use std::time::Duration;

use common::*;
use platform::testing::{TcpProxy, TestApp, eventually};
use reqwest::StatusCode;

#[tokio::test]
async fn not_ready_while_the_database_is_unreachable() {
    let host_port = platform::testing::database_host_port();
    let target: std::net::SocketAddr = host_port
        .parse()
        .expect("the test database URL uses an IP:port");
    let proxy = TcpProxy::start(target).await;
    let proxy_addr = proxy.addr;
    let app = TestApp::spawn_with(&catalog::service(), |s| {
        s.database.url = s.database.url.replace(&host_port, &proxy_addr.to_string());
    })
    .await;
    let ready = |app: &TestApp| {
        let client = app.client.clone();
        let url = app.url("/readyz");
        async move { client.get(url).send().await.map(|r| r.status()).ok() }
    };
    assert_eq!(ready(&app).await, Some(StatusCode::OK));

    proxy.cut();
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_ne!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["kafka"], "ok");
    // Liveness is unaffected: restarting the pod would not bring the database back.
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Requests get a clear 503, not a hang or a 500.
    let res = create(&app, &product_body("DOWN-1")).await;
    problem(res, StatusCode::SERVICE_UNAVAILABLE).await;

    proxy.restore();
    assert!(
        eventually(Duration::from_secs(15), || async {
            ready(&app).await == Some(StatusCode::OK)
        })
        .await,
        "ready again once the database is back"
    );
}
