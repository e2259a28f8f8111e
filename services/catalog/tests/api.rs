//! The catalog through its HTTP API, against real PostgreSQL and Kafka.

mod common;

use common::*;
use platform::Role;
use platform::testing::{channel_token, token};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn create_get_list_update_archive() {
    let app = app().await;
    let created = create_ok(&app, &product_body("TEE-RED-M")).await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["version"], 1);
    assert_eq!(created["status"], "active");
    let variant = &created["variants"][0];
    assert_eq!(variant["sku"], "TEE-RED-M");
    assert_eq!(variant["barcode"], "04006381333931");
    assert_eq!(
        variant["cost_price"],
        json!({"amount": "7.50", "currency": "EUR"})
    );
    assert_eq!(variant["listings"].as_array().unwrap().len(), 2);

    // Get: same body, ETag = version.
    let res = as_ops(&app, Method::GET, &format!("/v1/products/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let fetched: Value = res.json().await.unwrap();
    assert_eq!(fetched, created);
    let res = as_ops(&app, Method::GET, &format!("/v1/products/{id}"))
        .header("If-None-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "unchanged: 304");

    // Two more products, then page through with a cursor.
    for sku in ["TEE-BLUE-M", "MUG-1"] {
        let mut body = product_body(sku);
        body["variants"][0]["barcode"] = Value::Null;
        if sku == "MUG-1" {
            body["status"] = json!("draft");
        }
        create_ok(&app, &body).await;
    }
    let (_, page1) = get_json(&app, "/v1/products?limit=2", &ops()).await;
    assert_eq!(page1["items"].as_array().unwrap().len(), 2);
    let cursor = page1["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (_, page2) = get_json(
        &app,
        &format!("/v1/products?limit=2&cursor={cursor}"),
        &ops(),
    )
    .await;
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    assert!(page2.get("next_cursor").is_none());
    assert_eq!(page1["items"][0]["id"], id.as_str(), "creation order");

    // Filters: status, SKU prefix (case-insensitive), barcode, channel.
    let skus = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["variants"][0]["sku"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, drafts) = get_json(&app, "/v1/products?status=draft", &ops()).await;
    assert_eq!(skus(&drafts), ["MUG-1"]);
    let (_, tees) = get_json(&app, "/v1/products?sku_prefix=tee-", &ops()).await;
    assert_eq!(skus(&tees), ["TEE-RED-M", "TEE-BLUE-M"]);
    let (_, by_barcode) = get_json(&app, "/v1/products?barcode=4006381333931", &ops()).await;
    assert_eq!(skus(&by_barcode), ["TEE-RED-M"]);
    let (_, on_web) = get_json(&app, "/v1/products?channel=web-eu", &ops()).await;
    assert_eq!(on_web["items"].as_array().unwrap().len(), 3);
    let (_, on_ebay) = get_json(&app, "/v1/products?channel=ebay", &ops()).await;
    assert!(on_ebay["items"].as_array().unwrap().is_empty());
    let res = as_ops(&app, Method::GET, "/v1/products?barcode=123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["barcode"]
    );

    // Update with a stale ETag: 412 and nothing changes.
    let mut update = json!({
        "title": "Merino T-shirt (2026)",
        "description": "Softer",
        "status": "active",
        "variants": [{"sku": "TEE-RED-M", "barcode": "4006381333931", "unit_of_measure": "each", "weight_grams": 175}]
    });
    let res = as_ops(&app, Method::PUT, &format!("/v1/products/{id}"))
        .header("If-Match", "\"7\"")
        .json(&update)
        .send()
        .await
        .unwrap();
    let body = problem(res, StatusCode::PRECONDITION_FAILED).await;
    assert!(body["detail"].as_str().unwrap().contains("\"1\""));
    let (_, unchanged) = get_json(&app, &format!("/v1/products/{id}"), &ops()).await;
    assert_eq!(unchanged, created);
    let outbox_before = count(&app, "outbox").await;

    // Without If-Match: 428.
    let res = as_ops(&app, Method::PUT, &format!("/v1/products/{id}"))
        .json(&update)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_REQUIRED).await;

    // Current ETag: applied, version 2, new variant added.
    update["variants"]
        .as_array_mut()
        .unwrap()
        .push(json!({"sku": "TEE-RED-L", "unit_of_measure": "each"}));
    let res = as_ops(&app, Method::PUT, &format!("/v1/products/{id}"))
        .header("If-Match", "\"1\"")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["title"], "Merino T-shirt (2026)");
    assert_eq!(updated["variants"][0]["weight_grams"], 175);
    assert_eq!(
        updated["variants"][0]["listings"].as_array().unwrap().len(),
        2,
        "listings kept"
    );
    assert_eq!(updated["variants"][1]["sku"], "TEE-RED-L");
    assert_eq!(count(&app, "outbox").await, outbox_before + 1);

    // Removing a variant is refused.
    let res = as_ops(&app, Method::PUT, &format!("/v1/products/{id}"))
        .header("If-Match", "\"2\"")
        .json(&json!({"title": "x", "status": "active", "variants": [{"sku": "TEE-RED-M"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["variants"]
    );

    // Archive: status archived, version 3; then read-only.
    let res = as_ops(&app, Method::POST, &format!("/v1/products/{id}/archive"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let archived: Value = res.json().await.unwrap();
    assert_eq!(archived["status"], "archived");
    assert_eq!(archived["version"], 3);
    let res = as_ops(&app, Method::PUT, &format!("/v1/products/{id}"))
        .header("If-Match", "\"3\"")
        .json(&update)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::CONFLICT).await;
    // Its SKU stays taken.
    let res = create(&app, &product_body("TEE-RED-M")).await;
    problem(res, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn idempotency_key_creates_once() {
    let app = app().await;
    let body = product_body("IDEM-1");
    let send = |body: Value| {
        let app = &app;
        async move {
            as_ops(app, Method::POST, "/v1/products")
                .header("Idempotency-Key", "order-sync-42")
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = send(body.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(first.headers()["idempotent-replayed"], "false");
    let first: Value = first.json().await.unwrap();
    let second = send(body.clone()).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(count(&app, "products").await, 1);
    assert_eq!(count(&app, "outbox").await, 1, "one ProductUpserted");

    // Same key, different body: refused, nothing written.
    let mut other = body.clone();
    other["title"] = json!("Something else");
    let res = send(other).await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["type"], "urn:crossdock:problem:idempotency-key-reused");
    assert_eq!(count(&app, "products").await, 1);

    // Ten concurrent retries with a fresh key still create one product.
    let mut body = product_body("IDEM-2");
    body["variants"][0]["barcode"] = Value::Null;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url("/v1/products");
            let body = body.clone();
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(ops())
                    .header("Idempotency-Key", "burst")
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for task in tasks {
        let status = task.await.unwrap();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::CONFLICT,
            "{status}"
        );
    }
    assert_eq!(count(&app, "products").await, 2);
}

#[tokio::test]
async fn bad_input_is_named_and_writes_nothing() {
    let app = app().await;
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"title": "T", "variants": [{"sku": "A", "barcode": "4006381333932"}]}),
            StatusCode::BAD_REQUEST,
            "variants[0].barcode",
        ),
        (
            json!({"title": "T", "variants": [{"sku": "A", "listings": [{"channel_id": "web", "price": {"amount": "-1.00", "currency": "EUR"}}]}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "variants[0].listings[0].price.amount",
        ),
        (
            json!({"title": "T", "variants": [{"sku": "A", "cost_price": {"amount": "1.00", "currency": "XYZ"}}]}),
            StatusCode::BAD_REQUEST,
            "variants[0].cost_price.currency",
        ),
        (
            json!({"title": "T", "variants": [{"title": "no sku"}]}),
            StatusCode::BAD_REQUEST,
            "variants[0].sku",
        ),
        (
            json!({"title": "", "variants": [{"sku": "A"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
        ),
        (
            json!({"title": "T", "variants": [{"sku": "A"}, {"sku": "a"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "variants[1].sku",
        ),
        (
            json!({"title": "T", "variants": [{"sku": "A", "dimensions": {"length_mm": 0, "width_mm": 1, "height_mm": 1}}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "variants[0].dimensions.length_mm",
        ),
        (
            json!({"title": 5, "variants": []}),
            StatusCode::BAD_REQUEST,
            "title",
        ),
    ];
    for (body, status, field) in cases {
        let res = create(&app, &body).await;
        let p = problem(res, status).await;
        assert!(
            fields(&p).contains(&field.to_string()),
            "{field} not in {p}"
        );
        assert!(p["detail"].as_str().unwrap().contains(field), "{p}");
    }

    // Malformed JSON.
    let res = as_ops(&app, Method::POST, "/v1/products")
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(p["type"], "urn:crossdock:problem:malformed-body");

    // Oversized body (the test limit is 64 KiB).
    let mut huge = product_body("HUGE-1");
    huge["description"] = json!("x".repeat(70 * 1024));
    let res = create(&app, &huge).await;
    problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;

    // Not JSON at all.
    let res = as_ops(&app, Method::POST, "/v1/products")
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    assert_eq!(count(&app, "products").await, 0);
    assert_eq!(count(&app, "variants").await, 0);
    assert_eq!(count(&app, "outbox").await, 0);
}

#[tokio::test]
async fn authentication_and_roles_are_enforced() {
    let app = app().await;
    let body = product_body("AUTH-1");

    let res = app
        .client
        .post(app.url("/v1/products"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNAUTHORIZED).await;
    assert!(p["detail"].as_str().unwrap().contains("Bearer"));
    let res = app
        .client
        .get(app.url("/v1/products"))
        .bearer_auth("garbage")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;
    let forged = platform::auth::mint_hs256(
        "a-different-secret-that-is-long-enough-000",
        "crossdock",
        "crossdock",
        platform::auth::TokenRequest {
            subject: "x",
            roles: &[Role::Admin],
            channel: None,
            ttl: std::time::Duration::from_secs(60),
        },
    )
    .unwrap();
    let res = app
        .client
        .post(app.url("/v1/products"))
        .bearer_auth(forged)
        .json(&body)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;

    // Wrong role: warehouse and channel tokens can read but not write.
    for bearer in [token(&[Role::Warehouse]), channel_token("amazon-de")] {
        let res = app
            .client
            .post(app.url("/v1/products"))
            .bearer_auth(&bearer)
            .json(&body)
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::FORBIDDEN).await;
    }
    assert_eq!(count(&app, "products").await, 0);
    let created = create_ok(&app, &body).await;
    let (status, _) = get_json(
        &app,
        &format!("/v1/products/{}", created["id"].as_str().unwrap()),
        &token(&[Role::Warehouse]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // A channel token sees only its own channel's listing.
    let (status, seen) = get_json(&app, "/v1/skus/auth-1", &channel_token("amazon-de")).await;
    assert_eq!(status, StatusCode::OK);
    let listings = seen["variant"]["listings"].as_array().unwrap();
    assert_eq!(listings.len(), 1);
    assert_eq!(listings[0]["channel_id"], "amazon-de");
}

#[tokio::test]
async fn channel_views_are_redacted_and_name_only_the_own_channel() {
    let app = app().await;
    let created = create_ok(&app, &product_body("REDACT-1")).await;
    let id = created["id"].as_str().unwrap();
    // Staff see the cost price.
    let (_, staff_view) = get_json(&app, &format!("/v1/products/{id}"), &ops()).await;
    assert_eq!(staff_view["variants"][0]["cost_price"]["amount"], "7.50");

    let amazon = channel_token("amazon-de");
    let views = [
        get_json(&app, &format!("/v1/products/{id}"), &amazon)
            .await
            .1["variants"][0]
            .clone(),
        get_json(&app, "/v1/skus/REDACT-1", &amazon).await.1["variant"].clone(),
        get_json(&app, "/v1/barcodes/4006381333931", &amazon)
            .await
            .1["variant"]
            .clone(),
        get_json(&app, "/v1/products", &amazon).await.1["items"][0]["variants"][0].clone(),
    ];
    for view in views {
        assert_eq!(view["sku"], "REDACT-1", "{view}");
        assert!(
            view.get("cost_price").is_none(),
            "cost leaked to a channel: {view}"
        );
        let channels: Vec<&str> = view["listings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["channel_id"].as_str().unwrap())
            .collect();
        assert_eq!(channels, ["amazon-de"], "{view}");
    }

    // Which products a competitor lists is not a channel's to ask.
    let res = app
        .client
        .get(app.url("/v1/products?channel=web-eu"))
        .bearer_auth(&amazon)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;
    let (status, own) = get_json(&app, "/v1/products?channel=amazon-de", &amazon).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    // A channel that lists nothing sees no products at all.
    let (status, none) = get_json(&app, "/v1/products", &channel_token("ebay-de")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(none["items"].as_array().unwrap().is_empty(), "{none}");
}

#[tokio::test]
async fn lookups_and_audited_listing_prices() {
    let app = app().await;
    let created = create_ok(&app, &product_body("LOOK-1")).await;
    let id = created["id"].as_str().unwrap();

    let (status, by_sku) = get_json(&app, "/v1/skus/look-1", &ops()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_sku["product_id"], id);
    assert_eq!(by_sku["variant"]["sku"], "LOOK-1");
    // The same item scanned as GTIN-14 finds the EAN-13 variant.
    let (status, by_barcode) = get_json(&app, "/v1/barcodes/04006381333931", &ops()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_barcode, by_sku);
    let (status, _) = get_json(&app, "/v1/skus/NOPE", &ops()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = as_ops(&app, Method::GET, "/v1/barcodes/4006381333932")
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["barcode"]
    );

    // Change the web price: audited with old and new, version bumped.
    let path = format!("/v1/products/{id}/variants/LOOK-1/listings/web-eu");
    let res = as_ops(&app, Method::PUT, &path)
        .json(&json!({"price": {"amount": "27.90", "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    // Same price again: no change, no audit, same version.
    let res = as_ops(&app, Method::PUT, &path)
        .json(&json!({"price": {"amount": "27.9", "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["etag"], "\"2\"");
    // A new channel listing.
    let res = as_ops(
        &app,
        Method::PUT,
        &format!("/v1/products/{id}/variants/LOOK-1/listings/ebay"),
    )
    .json(&json!({"price": {"amount": "30", "currency": "EUR"}, "active": false}))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let listing: Value = res.json().await.unwrap();
    assert_eq!(listing["active"], false);

    let (_, history) = get_json(&app, &format!("/v1/products/{id}/price-history"), &ops()).await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        4,
        "two initial prices, one change, one new listing: {history}"
    );
    assert_eq!(items[0]["channel_id"], "ebay");
    assert!(items[0].get("old_price").is_none());
    assert_eq!(items[1]["channel_id"], "web-eu");
    assert_eq!(
        items[1]["old_price"],
        json!({"amount": "29.90", "currency": "EUR"})
    );
    assert_eq!(
        items[1]["new_price"],
        json!({"amount": "27.90", "currency": "EUR"})
    );
    assert_eq!(items[1]["changed_by"], "user:test-user");

    // Bad listing input names the field; an unknown variant is 404; a stale If-Match is 412.
    let res = as_ops(&app, Method::PUT, &path)
        .json(&json!({"price": {"amount": "-3", "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["price.amount"]
    );
    let res = as_ops(
        &app,
        Method::PUT,
        &format!("/v1/products/{id}/variants/NOPE/listings/web-eu"),
    )
    .json(&json!({"price": {"amount": "3", "currency": "EUR"}}))
    .send()
    .await
    .unwrap();
    problem(res, StatusCode::NOT_FOUND).await;
    let res = as_ops(&app, Method::PUT, &path)
        .header("If-Match", "\"1\"")
        .json(&json!({"price": {"amount": "3", "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_FAILED).await;
    let (_, history) = get_json(&app, &format!("/v1/products/{id}/price-history"), &ops()).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn operational_endpoints() {
    let app = app().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    create_ok(&app, &product_body("METRIC-1")).await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("crossdock_http_requests_duration_seconds_bucket"),
        "latency histogram"
    );
    assert!(metrics.contains("endpoint=\"/v1/products\""), "by route");
    assert!(metrics.contains("crossdock_outbox_pending"));
    let spec: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"]["/v1/products"]["post"].is_object());
    let docs = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.text().await.unwrap().contains("swagger"),
        "offline Swagger UI"
    );
    // Its JavaScript is served by the binary itself, not a CDN.
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), StatusCode::OK);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
    let res = app.client.get(app.url("/nowhere")).send().await.unwrap();
    problem(res, StatusCode::NOT_FOUND).await;
    let res = as_ops(&app, Method::DELETE, "/v1/products")
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(p["type"], "urn:crossdock:problem:method-not-allowed");
    assert!(res_has_request_id(&app).await);
}

async fn res_has_request_id(app: &platform::testing::TestApp) -> bool {
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    res.headers().contains_key("x-request-id")
}

/// The shared event ledger counts what the outbox holds since an instant,
/// per event type, and is for ops and admin only.
#[tokio::test]
async fn event_ledger_counts_produced_events_since_an_instant() {
    let app = app().await;
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    let path = format!(
        "/v1/ops/event-ledger?since={}",
        since.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    );
    let events_of = |ledger: &Value| -> i64 {
        ledger["produced"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["events"].as_i64().unwrap())
            .sum()
    };
    let (status, before) = get_json(&app, &path, &ops()).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["service"], "catalog");
    for sku in ["LEDGER-1", "LEDGER-2"] {
        let mut body = product_body(sku);
        body["variants"][0]["barcode"] = Value::Null;
        create_ok(&app, &body).await;
    }
    let (_, after) = get_json(&app, &path, &ops()).await;
    assert_eq!(
        events_of(&after) - events_of(&before),
        2,
        "one ProductUpserted per product: {after}"
    );
    let future = format!(
        "/v1/ops/event-ledger?since={}",
        (chrono::Utc::now() + chrono::Duration::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let (_, empty) = get_json(&app, &future, &ops()).await;
    assert_eq!(
        events_of(&empty),
        0,
        "nothing is created after now: {empty}"
    );

    let (status, body) = get_json(&app, &path, &token(&[Role::Support])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = get_json(&app, &path, &channel_token("web-eu")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = get_json(&app, "/v1/ops/event-ledger?since=yesterday", &ops()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), vec!["since"], "{body}");
}
