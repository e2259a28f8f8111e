//! Order intake against a real PostgreSQL and Kafka: validation that names the
//! field and writes nothing, idempotency on (channel, external id) including
//! concurrent duplicates, channel isolation, and the channel registry.

mod common;

use common::*;
use domain::events::proto::orders::v1 as pb;
use platform::Role;
use platform::testing::{channel_token, decode_all, fields, problem, token};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ready() -> platform::testing::TestApp {
    let app = app().await;
    let mut web = channel_body("web", "backorder");
    web["ship_from"] = json!(["WH-PRIMARY", "WH-OVERFLOW"]);
    web["priority"] = json!(10);
    channel(&app, "web-eu", web).await;
    channel(&app, "amazon-de", channel_body("marketplace", "reject")).await;
    list_sku(&app, "TEE-RED-M", &["web-eu", "amazon-de"]).await;
    list_sku(&app, "MUG-1", &["amazon-de"]).await;
    app
}

#[tokio::test]
async fn an_order_is_normalized_kept_raw_and_placed_with_inventory() {
    let app = ready().await;
    let mut body = order_body("WEB-1001", &[("TEE-RED-M", 2)]);
    body["marketplace_extra"] = json!({"gift_wrap": true});
    body["customer"]["vat_id"] = json!("FR40303265045");
    let order = place(&app, "web-eu", &body).await;
    assert_eq!(order["customer"]["vat_id"], "FR40303265045");
    assert_eq!(order["status"], "received");
    assert_eq!(order["channel_id"], "web-eu");
    assert_eq!(order["subtotal"]["amount"], "39.80");
    assert_eq!(order["total"]["amount"], "44.70");
    assert_eq!(order["billing_address"], order["shipping_address"]);
    let id = order["id"].as_str().unwrap();
    let (_, stored) = get(&app, &format!("/v1/orders/{id}"), &ops()).await;
    assert_eq!(stored, order, "the 201 body is the stored order");

    // The raw payload is kept verbatim, unknown fields included.
    let raw = platform::testing::scalar(
        &app.runtime().db,
        &format!("SELECT count(*) AS n FROM orders WHERE id = '{id}' AND raw_payload -> 'marketplace_extra' ->> 'gift_wrap' = 'true'"),
    )
    .await;
    assert_eq!(raw, 1);

    let records = order_events(&app, 1).await;
    let placed: Vec<pb::OrderPlaced> = decode_all(&records);
    assert_eq!(placed.len(), 1);
    let p = &placed[0];
    assert_eq!(
        (
            p.order_id.as_str(),
            p.backorder_policy.as_str(),
            p.channel_priority
        ),
        (id, "backorder", 10)
    );
    assert_eq!(p.ship_from, ["WH-PRIMARY", "WH-OVERFLOW"]);
    assert_eq!(
        (p.lines[0].sku.as_str(), p.lines[0].quantity),
        ("TEE-RED-M", 2)
    );
    // What billing invoices from travels with it.
    let customer = p.customer.as_ref().expect("customer");
    assert_eq!(
        (customer.name.as_str(), customer.vat_id.as_str()),
        ("Ada Lovelace", "FR40303265045")
    );
    let billing = p.billing_address.as_ref().expect("billing address");
    assert_eq!(
        (billing.city.as_str(), billing.country.as_str()),
        ("Berlin", "DE")
    );
    assert_eq!(p.ship_to_country, "DE");
    let amount = |m: &Option<domain::events::proto::common::v1::Money>| {
        m.as_ref().map(|m| m.amount.clone()).unwrap_or_default()
    };
    assert_eq!(
        [
            amount(&p.subtotal),
            amount(&p.shipping_total),
            amount(&p.tax_total),
            amount(&p.discount_total),
            amount(&p.total)
        ],
        ["39.8", "4.9", "0", "0", "44.7"]
    );

    let (_, history) = get(&app, &format!("/v1/orders/{id}/history"), &ops()).await;
    assert_eq!(history[0]["to"], "received");
    assert_eq!(history[0]["actor"], "channel:web-eu");
}

/// Breaks one thing in a valid body.
type Change = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn every_validation_error_names_its_field_and_writes_nothing() {
    let app = ready().await;
    let base = order_body("WEB-2001", &[("TEE-RED-M", 1)]);
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "unknown SKU",
            Box::new(|b| b["lines"][0]["sku"] = json!("NOPE-1")),
            "lines[0].sku",
        ),
        (
            "unlisted on the channel",
            Box::new(|b| b["lines"][0]["sku"] = json!("MUG-1")),
            "lines[0].sku",
        ),
        (
            "quantity zero",
            Box::new(|b| b["lines"][0]["quantity"] = json!(0)),
            "lines[0].quantity",
        ),
        (
            "negative quantity",
            Box::new(|b| b["lines"][0]["quantity"] = json!(-2)),
            "lines[0].quantity",
        ),
        (
            "another currency",
            Box::new(|b| {
                b["lines"][0]["unit_price"] = json!({"amount": "19.90", "currency": "USD"})
            }),
            "lines[0].unit_price",
        ),
        (
            "totals that don't add up",
            Box::new(|b| b["total"]["amount"] = json!("24.79")),
            "total",
        ),
        (
            "missing city",
            Box::new(|b| b["shipping_address"]["city"] = json!("")),
            "shipping_address.city",
        ),
        (
            "missing postal code",
            Box::new(|b| {
                b["shipping_address"]
                    .as_object_mut()
                    .unwrap()
                    .remove("postal_code");
            }),
            "shipping_address.postal_code",
        ),
        ("no lines", Box::new(|b| b["lines"] = json!([])), "lines"),
        (
            "bad email",
            Box::new(|b| b["customer"]["email"] = json!("ada")),
            "customer.email",
        ),
        (
            "NUL in a name",
            Box::new(|b| b["customer"]["name"] = json!("Ada\u{0}Lovelace")),
            "customer.name",
        ),
        (
            "an amount no column holds",
            Box::new(|b| b["shipping_total"]["amount"] = json!("99999999999999999")),
            "shipping_total.amount",
        ),
    ];
    for (case, change, field) in cases {
        let mut body = base.clone();
        change(&mut body);
        let res = post(&app, "/v1/orders", &channel_token("web-eu"), &body).await;
        let status = res.status();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{case}: {status}"
        );
        let p = problem(res, status).await;
        assert_eq!(fields(&p), [field], "{case}: {p}");
    }
    assert_eq!(count(&app, "orders").await, 0, "nothing written");
    assert_eq!(
        count(&app, "outbox WHERE topic LIKE '%order-events%'").await,
        0,
        "nothing published"
    );
}

#[tokio::test]
async fn quantities_past_the_maximum_are_named_not_a_500() {
    let app = ready().await;
    // Two lines of one SKU at 2^62 units each, with a total that matches.
    let mut body = order_body("WEB-2002", &[("TEE-RED-M", 1), ("TEE-RED-M", 1)]);
    let huge = 1_i64 << 62;
    body["lines"][0]["quantity"] = json!(huge);
    body["lines"][1]["quantity"] = json!(huge);
    let total = rust_decimal::Decimal::new(1990, 2)
        * rust_decimal::Decimal::from(huge)
        * rust_decimal::Decimal::TWO
        + rust_decimal::Decimal::new(490, 2);
    body["total"]["amount"] = json!(total.to_string());
    let res = post(&app, "/v1/orders", &channel_token("web-eu"), &body).await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        fields(&p),
        ["total.amount", "lines[0].quantity", "lines[1].quantity"],
        "{p}"
    );
    assert!(
        p["detail"].as_str().unwrap().contains("at most 1000000"),
        "{p}"
    );
    assert_eq!(count(&app, "orders").await, 0, "nothing written");
}

#[tokio::test]
async fn the_same_order_twice_is_one_order_and_another_payload_is_a_conflict() {
    let app = ready().await;
    let body = order_body("AMZ-1", &[("TEE-RED-M", 1)]);
    let first = place(&app, "amazon-de", &body).await;
    let res = post(&app, "/v1/orders", &channel_token("amazon-de"), &body).await;
    assert_eq!(res.status(), StatusCode::OK);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);

    let mut changed = body.clone();
    changed["lines"][0]["quantity"] = json!(2);
    changed["total"]["amount"] = json!("44.70");
    let res = post(&app, "/v1/orders", &channel_token("amazon-de"), &changed).await;
    let p = problem(res, StatusCode::CONFLICT).await;
    assert!(p["detail"].as_str().unwrap().contains("AMZ-1"));

    // The same external id on another channel is another order.
    let other = place(&app, "web-eu", &body).await;
    assert_ne!(other["id"], first["id"]);
    assert_eq!(count(&app, "orders").await, 2);
}

#[tokio::test]
async fn concurrent_duplicate_posts_create_one_order() {
    let app = ready().await;
    let body = order_body("AMZ-RACE", &[("TEE-RED-M", 1)]);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, url, body) = (app.client.clone(), app.url("/v1/orders"), body.clone());
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(channel_token("amazon-de"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap()["id"].clone())
        }));
    }
    let mut created = 0;
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (status, id) = t.await.unwrap();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status}"
        );
        created += usize::from(status == StatusCode::CREATED);
        ids.insert(id.to_string());
    }
    assert_eq!((created, ids.len()), (1, 1), "one 201, the rest replay it");
    assert_eq!(count(&app, "orders").await, 1);
    let placed: Vec<pb::OrderPlaced> = decode_all(&order_events(&app, 1).await);
    assert_eq!(placed.len(), 1, "placed with inventory once");
}

#[tokio::test]
async fn a_channel_sees_only_its_own_orders() {
    let app = ready().await;
    let order = place(&app, "amazon-de", &order_body("AMZ-7", &[("TEE-RED-M", 1)])).await;
    let id = order["id"].as_str().unwrap();
    let (status, _) = get(
        &app,
        &format!("/v1/orders/{id}"),
        &channel_token("amazon-de"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        format!("/v1/orders/{id}"),
        format!("/v1/orders/{id}/history"),
    ] {
        let (status, _) = get(&app, &path, &channel_token("web-eu")).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{path}: another channel's order is 404, not 403"
        );
    }
    let res = post(
        &app,
        &format!("/v1/orders/{id}/cancel"),
        &channel_token("web-eu"),
        &json!({"reason": "x"}),
    )
    .await;
    problem(res, StatusCode::NOT_FOUND).await;
    let (_, list) = get(&app, "/v1/orders", &channel_token("web-eu")).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    // A channel token may only ever name its own channel.
    let (status, _) = get(
        &app,
        "/v1/orders?channel=amazon-de",
        &channel_token("web-eu"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a channel filter can't widen a channel token"
    );

    // A channel token can't place for another channel; staff must name one.
    let mut body = order_body("WEB-9", &[("TEE-RED-M", 1)]);
    body["channel_id"] = json!("amazon-de");
    problem(
        post(&app, "/v1/orders", &channel_token("web-eu"), &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    body.as_object_mut().unwrap().remove("channel_id");
    let p = problem(
        post(&app, "/v1/orders", &ops(), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["channel_id"]);
    problem(
        post(&app, "/v1/orders", &token(&[Role::Warehouse]), &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let unregistered = post(&app, "/v1/orders", &channel_token("shop-xy"), &body).await;
    assert_eq!(
        fields(&problem(unregistered, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["channel_id"]
    );
}

#[tokio::test]
async fn the_channel_registry_validates_and_keeps_secrets_write_only() {
    let app = app().await;
    let mut body = channel_body("b2b", "reject");
    body["ship_from"] = json!(["WH-PRIMARY"]);
    body["fraud_threshold"] = json!({"amount": "1000", "currency": "EUR"});
    body["webhook_url"] = json!("https://wholesale.example.com/hooks");
    body["webhook_secret"] = json!("0123456789abcdef0123");
    let res = put_channel(&app, "wholesale", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["webhook_secret_set"], true);
    assert!(view.get("webhook_secret").is_none(), "never returned");
    // Replacing without the secret keeps it.
    body.as_object_mut().unwrap().remove("webhook_secret");
    let res = app
        .client
        .put(app.url("/v1/channels/wholesale"))
        .bearer_auth(ops())
        .header("If-Match", "\"1\"")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["webhook_secret_set"],
        true
    );

    let mut bad = channel_body("web", "sometimes");
    let res = put_channel(&app, "web-x", &bad).await;
    assert_eq!(
        fields(&problem(res, StatusCode::BAD_REQUEST).await),
        ["backorder_policy"]
    );
    bad = channel_body("web", "reject");
    bad["safety_buffer_percent"] = json!(120);
    bad["fraud_threshold"] = json!({"amount": "10", "currency": "USD"});
    bad["webhook_url"] = json!("http://example.com/hook");
    // A leading dash is no location code (inventory and the warehouse refuse it too).
    bad["ship_from"] = json!(["wh 1", "-WH"]);
    let p = problem(
        put_channel(&app, "web-x", &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        fields(&p),
        [
            "ship_from[0]",
            "ship_from[1]",
            "safety_buffer_percent",
            "fraud_threshold",
            "webhook_url"
        ]
    );
    let res = app
        .client
        .put(app.url("/v1/channels/web-x"))
        .bearer_auth(token(&[Role::Support]))
        .json(&channel_body("web", "reject"))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;

    let records = platform::testing::read_topic(
        &app.topic(domain::events::topics::ORDERS_CHANNEL_EVENTS),
        2,
        std::time::Duration::from_secs(30),
        std::time::Duration::from_millis(300),
    )
    .await;
    let events: Vec<pb::ChannelUpserted> = decode_all(&records);
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[1].version, events[1].ship_from.as_slice()),
        (2, &["WH-PRIMARY".to_string()][..])
    );
}
