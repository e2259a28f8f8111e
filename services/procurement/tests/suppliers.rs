//! Suppliers and their products: create, replace, read, list; every refusal
//! is a problem+json naming the field, with nothing changed.

mod common;

use common::*;
use platform::testing::{fields, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn supplier(currency: &str) -> Value {
    json!({"name": "Acme Textiles", "currency": currency, "payment_terms_days": 30})
}

fn terms(cost: &str, currency: &str) -> Value {
    json!({
        "supplier_sku": "AC-100", "unit_cost": {"amount": cost, "currency": currency},
        "moq": 48, "pack_size": 12, "lead_time_days": 14, "preferred_rank": 1
    })
}

async fn put(app: &platform::testing::TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(buyer())
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_supplier_and_its_terms_are_created_replaced_and_listed() {
    let app = app().await;
    seed_skus(&app, &["SUP-A", "SUP-B"]).await;
    let res = put(&app, "/v1/suppliers/ACME", &supplier("EUR")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["version"], 1);
    assert_eq!(created["active"], true);

    let res = put(
        &app,
        "/v1/suppliers/ACME/products/sup-a",
        &terms("2.35", "EUR"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["sku"], "SUP-A");
    assert_eq!(p["unit_cost"], json!({"amount": "2.35", "currency": "EUR"}));
    assert_eq!(p["pack_size"], 12);
    let res = put(
        &app,
        "/v1/suppliers/ACME/products/SUP-B",
        &terms("1", "EUR"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = put(
        &app,
        "/v1/suppliers/ACME/products/SUP-A",
        &terms("2.40", "EUR"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);

    let (status, page) = app
        .get_json("/v1/suppliers/ACME/products?limit=1", &ops())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"][0]["unit_cost"]["amount"], "2.4");
    assert_eq!(page["items"][0]["version"], 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, next) = app
        .get_json(
            &format!("/v1/suppliers/ACME/products?limit=1&cursor={cursor}"),
            &ops(),
        )
        .await;
    assert_eq!(next["items"][0]["sku"], "SUP-B");

    let res = put(
        &app,
        "/v1/suppliers/ACME",
        &json!({"name": "Acme Textiles GmbH", "currency": "EUR", "payment_terms_days": 45}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, list) = app.get_json("/v1/suppliers", &ops()).await;
    assert_eq!(list["items"][0]["name"], "Acme Textiles GmbH");
    assert_eq!(list["items"][0]["version"], 2);
}

#[tokio::test]
async fn every_refusal_names_the_field_and_changes_nothing() {
    let app = app().await;
    seed_skus(&app, &["REF-A"]).await;
    let body = problem(
        put(
            &app,
            "/v1/suppliers/acme",
            &json!({"name": " ", "currency": "EUR", "payment_terms_days": 400}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&body), ["code", "name", "payment_terms_days"]);
    let (status, _) = app.get_json("/v1/suppliers/ACME", &ops()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Terms need the supplier, a SKU the catalog knows, and the supplier's currency.
    problem(
        put(
            &app,
            "/v1/suppliers/NOPE/products/REF-A",
            &terms("1", "EUR"),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        put(&app, "/v1/suppliers/ACME", &supplier("EUR"))
            .await
            .status(),
        201
    );
    problem(
        put(
            &app,
            "/v1/suppliers/ACME/products/UNKNOWN-9",
            &terms("1", "EUR"),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let body = problem(
        put(
            &app,
            "/v1/suppliers/ACME/products/REF-A",
            &terms("1", "USD"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&body), ["unit_cost.currency"]);
    let (status, _) = app
        .get_json("/v1/suppliers/ACME/products/REF-A", &ops())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A supplier's currency cannot change under products priced in the old one.
    assert_eq!(
        put(
            &app,
            "/v1/suppliers/ACME/products/REF-A",
            &terms("1", "EUR")
        )
        .await
        .status(),
        201
    );
    problem(
        put(&app, "/v1/suppliers/ACME", &supplier("USD")).await,
        StatusCode::CONFLICT,
    )
    .await;

    // A stale If-Match is 412.
    let res = app
        .client
        .put(app.url("/v1/suppliers/ACME"))
        .bearer_auth(buyer())
        .header("if-match", "\"7\"")
        .json(&supplier("EUR"))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_FAILED).await;
    let (_, now) = app.get_json("/v1/suppliers/ACME", &ops()).await;
    assert_eq!(now["version"], 1);
    assert_eq!(now["currency"], "EUR");

    // Ops read suppliers but do not manage them.
    let res = app
        .client
        .put(app.url("/v1/suppliers/ACME"))
        .bearer_auth(ops())
        .json(&supplier("EUR"))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;
}
