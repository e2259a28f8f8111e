//! A Crossdock stack for scenario tests: catalog, inventory, orders, warehouse,
//! procurement and billing, each
//! with its own database, sharing one topic prefix so they talk over Kafka as
//! they do in production. Only tests use this crate.

use std::time::Duration;

use platform::Role;
use platform::testing::{TestApp, token, unique_topic_prefix};
use reqwest::StatusCode;
use serde_json::Value;

pub struct Stack {
    pub catalog: TestApp,
    pub inventory: TestApp,
    pub orders: TestApp,
    pub warehouse: TestApp,
    pub procurement: TestApp,
    pub billing: TestApp,
}

impl Stack {
    pub async fn start() -> Self {
        let prefix = unique_topic_prefix();
        let shared = |s: &mut platform::config::Settings| s.kafka.topic_prefix = prefix.clone();
        Self {
            catalog: TestApp::spawn_with(&catalog::service(), shared).await,
            inventory: TestApp::spawn_with(&inventory::service(), shared).await,
            orders: TestApp::spawn_with(&orders::service(), shared).await,
            warehouse: TestApp::spawn_with(&warehouse::service(), shared).await,
            procurement: TestApp::spawn_with(&procurement::service(), shared).await,
            billing: TestApp::spawn_with(&billing::service(), shared).await,
        }
    }
}

pub fn ops() -> String {
    token(&[Role::Ops])
}

/// Sends `body` (if any) with `bearer`; returns the status and JSON body.
pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(bearer);
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Polls GET `path` until `check` accepts the body; returns it.
pub async fn wait_for(
    app: &TestApp,
    path: &str,
    bearer: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let found = platform::testing::eventually_some(Duration::from_secs(30), || async {
        let (status, body) = call(app, reqwest::Method::GET, path, bearer, None).await;
        (status == StatusCode::OK && check(&body)).then_some(body)
    })
    .await;
    match found {
        Some(body) => body,
        None => {
            let (status, body) = call(app, reqwest::Method::GET, path, bearer, None).await;
            panic!("GET {path} never satisfied the check; last answer {status}: {body}")
        }
    }
}
