#![allow(dead_code)]
//! Helpers shared by the catalog's integration tests.

use platform::Role;
use platform::testing::{TestApp, token};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

pub async fn app() -> TestApp {
    TestApp::spawn(&catalog::service()).await
}

pub fn ops() -> String {
    token(&[Role::Ops])
}

/// A valid create body: one variant with a barcode, a cost and a web listing.
pub fn product_body(sku: &str) -> Value {
    json!({
        "title": "Merino T-shirt",
        "description": "Soft and warm",
        "status": "active",
        "variants": [{
            "sku": sku,
            "title": "Red / M",
            "barcode": "4006381333931",
            "unit_of_measure": "each",
            "weight_grams": 180,
            "dimensions": {"length_mm": 300, "width_mm": 200, "height_mm": 20},
            "cost_price": {"amount": "7.50", "currency": "EUR"},
            "listings": [
                {"channel_id": "web-eu", "price": {"amount": "29.90", "currency": "EUR"}},
                {"channel_id": "amazon-de", "price": {"amount": "31.90", "currency": "EUR"}}
            ]
        }]
    })
}

/// A request to `path` with an ops token.
pub fn as_ops(app: &TestApp, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).bearer_auth(ops())
}

pub async fn create(app: &TestApp, body: &Value) -> Response {
    app.client
        .post(app.url("/v1/products"))
        .bearer_auth(ops())
        .json(body)
        .send()
        .await
        .expect("request")
}

pub async fn create_ok(app: &TestApp, body: &Value) -> Value {
    let res = create(app, body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    res.json().await.expect("json")
}

pub async fn get_json(app: &TestApp, path: &str, bearer: &str) -> (StatusCode, Value) {
    app.get_json(path, bearer).await
}

#[allow(unused_imports)] // not every test binary uses both
pub use platform::testing::{fields, problem};

/// Counts rows of a table in the app's database.
pub async fn count(app: &TestApp, table: &str) -> i64 {
    platform::testing::scalar(
        &app.runtime().db,
        &format!("SELECT count(*) AS n FROM {table}"),
    )
    .await
}
