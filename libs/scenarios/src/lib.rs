//! A Crossdock stack for scenario tests: catalog, inventory, orders, warehouse,
//! procurement, billing and support, each
//! with its own database, sharing one topic prefix so they talk over Kafka as
//! they do in production. Only tests use this crate.

use std::time::Duration;

use platform::Role;
use platform::testing::{TestApp, token, unique_topic_prefix};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct Stack {
    pub catalog: TestApp,
    pub inventory: TestApp,
    pub orders: TestApp,
    pub warehouse: TestApp,
    pub procurement: TestApp,
    pub billing: TestApp,
    pub support: TestApp,
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
            support: TestApp::spawn_with(&support::service(), shared).await,
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
        let (status, body) = call(app, Method::GET, path, bearer, None).await;
        (status == StatusCode::OK && check(&body)).then_some(body)
    })
    .await;
    match found {
        Some(body) => body,
        None => {
            let (status, body) = call(app, Method::GET, path, bearer, None).await;
            panic!("GET {path} never satisfied the check; last answer {status}: {body}")
        }
    }
}

// The warehouse floor, as scenario tests walk an order through it.

/// A warehouse worker's token.
pub fn warehouse_staff() -> String {
    platform::testing::token(&[platform::Role::Warehouse])
}

/// The order's fulfillments once there are `n`.
pub async fn fulfillments(stack: &Stack, order_id: &str, n: usize) -> Vec<Value> {
    let page = wait_for(
        &stack.warehouse,
        &format!("/v1/fulfillments?order_id={order_id}"),
        &ops(),
        |p| p["items"].as_array().is_some_and(|i| i.len() == n),
    )
    .await;
    page["items"].as_array().unwrap().clone()
}

/// POSTs `body` with `bearer`; the status and JSON body.
pub async fn post(app: &TestApp, path: &str, bearer: &str, body: Value) -> (StatusCode, Value) {
    call(app, Method::POST, path, bearer, Some(&body)).await
}

/// Releases a single-order wave for a fulfillment; returns its tasks.
pub async fn release(stack: &Stack, fulfillment_id: &str) -> Vec<Value> {
    let (status, wave) = post(
        &stack.warehouse,
        &format!("/v1/fulfillments/{fulfillment_id}/pick"),
        &ops(),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{wave}");
    wave["pick_lists"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["tasks"].as_array().unwrap().clone())
        .collect()
}

/// Scans a task's bin and item, `quantity` units.
pub async fn scan(stack: &Stack, task: &Value, item: &str, quantity: i64) {
    let (status, body) = post(
        &stack.warehouse,
        &format!("/v1/pick-tasks/{}/scans", task["id"].as_str().unwrap()),
        &warehouse_staff(),
        json!({"bin": task["bin_code"], "item": item, "quantity": quantity}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Packs everything picked into one package, checks it if due, ships it.
pub async fn pack_and_ship(
    stack: &Stack,
    fulfillment_id: &str,
    items: &[(String, i64)],
    tracking: &str,
) {
    let staff = warehouse_staff();
    let (status, package) = post(
        &stack.warehouse,
        &format!("/v1/fulfillments/{fulfillment_id}/packages"),
        &staff,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{package}");
    let id = package["id"].as_str().unwrap();
    for (item, quantity) in items {
        let (status, body) = post(
            &stack.warehouse,
            &format!("/v1/packages/{id}/items"),
            &staff,
            json!({"item": item, "quantity": quantity}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, closed) = post(
        &stack.warehouse,
        &format!("/v1/packages/{id}/close"),
        &staff,
        json!({"weight_grams": 800, "length_mm": 250, "width_mm": 180, "height_mm": 90}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    if closed["qc_status"] == "pending" {
        let (status, body) = post(
            &stack.warehouse,
            &format!("/v1/packages/{id}/quality-check"),
            &staff,
            json!({"result": "passed"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = post(
        &stack.warehouse,
        &format!("/v1/packages/{id}/ship"),
        &staff,
        json!({"tracking_number": tracking}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
