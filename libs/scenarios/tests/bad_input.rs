//! Input PostgreSQL cannot store is refused at the edge of every service:
//! U+0000 in a JSON string, a query parameter or a path segment is a 422
//! naming the field (it was a 500 from the database), and nothing is written.

use reqwest::{Method, StatusCode};
use scenarios::{Stack, call, ops};
use serde_json::{Value, json};

fn fields(problem: &Value) -> Vec<String> {
    platform::testing::fields(problem)
}

#[tokio::test]
async fn nul_is_a_422_naming_the_field_in_every_service() {
    let stack = Stack::start().await;
    // Ops, buyer for procurement's writes, finance for billing's.
    let ops = &platform::testing::token(&[
        platform::Role::Ops,
        platform::Role::Buyer,
        platform::Role::Finance,
    ]);
    let product = json!({
        "title": "Tee\u{0}", "status": "active",
        "variants": [{"sku": "NUL-1", "listings": []}]
    });
    let channel =
        json!({"kind": "web", "name": "Web\u{0}", "currency": "EUR", "backorder_policy": "reject"});
    let location = json!({"name": "Primary\u{0}", "kind": "warehouse", "priority": 10});
    let supplier = json!({"name": "Acme\u{0}", "currency": "EUR", "payment_terms_days": 30});
    let entity = json!({"name": "Demo\u{0} GmbH", "country": "DE", "vat_id": "DE136695976",
                        "street": "Friedrichstraße 1", "city": "Berlin", "postal_code": "10117"});
    let ticket = json!({"subject": "Help\u{0}", "body": "Where is my order?",
                        "customer_email": "ana@example.com"});
    let cases: Vec<(
        &platform::testing::TestApp,
        Method,
        &str,
        Option<&Value>,
        &str,
    )> = vec![
        (
            &stack.catalog,
            Method::POST,
            "/v1/products",
            Some(&product),
            "title",
        ),
        (&stack.catalog, Method::GET, "/v1/skus/NUL%00X", None, "sku"),
        (
            &stack.catalog,
            Method::GET,
            "/v1/products?sku_prefix=%00",
            None,
            "sku_prefix",
        ),
        (
            &stack.orders,
            Method::PUT,
            "/v1/channels/web-eu",
            Some(&channel),
            "name",
        ),
        (
            &stack.orders,
            Method::GET,
            "/v1/orders?status=x%00",
            None,
            "status",
        ),
        (
            &stack.inventory,
            Method::PUT,
            "/v1/locations/WH-NUL",
            Some(&location),
            "name",
        ),
        (
            &stack.inventory,
            Method::GET,
            "/v1/movements?sku=A%00",
            None,
            "sku",
        ),
        (
            &stack.warehouse,
            Method::GET,
            "/v1/exceptions?kind=%00x",
            None,
            "kind",
        ),
        (
            &stack.warehouse,
            Method::GET,
            "/v1/locations/WH%00/bins",
            None,
            "location",
        ),
        (
            &stack.procurement,
            Method::PUT,
            "/v1/suppliers/ACME-NUL",
            Some(&supplier),
            "name",
        ),
        (
            &stack.procurement,
            Method::GET,
            "/v1/suppliers/AC%00/products",
            None,
            "code",
        ),
        (
            &stack.billing,
            Method::PUT,
            "/v1/legal-entities/EU-NUL",
            Some(&entity),
            "name",
        ),
        (
            &stack.billing,
            Method::GET,
            "/v1/channel-billing/web%00",
            None,
            "channel_id",
        ),
        (
            &stack.support,
            Method::POST,
            "/v1/tickets",
            Some(&ticket),
            "subject",
        ),
        (
            &stack.support,
            Method::GET,
            "/v1/tickets?assignee=a%00",
            None,
            "assignee",
        ),
    ];
    for (app, method, path, body, field) in cases {
        let (status, problem) = call(app, method.clone(), path, ops, body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{method} {path}: {problem}");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("U+0000"),
            "{problem}"
        );
    }
    // Nothing was written.
    let (_, products) = call(&stack.catalog, Method::GET, "/v1/products", ops, None).await;
    assert_eq!(products["items"], json!([]));
    let (status, _) = call(&stack.orders, Method::GET, "/v1/channels/web-eu", ops, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &stack.inventory,
        Method::GET,
        "/v1/locations/WH-NUL",
        ops,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &stack.procurement,
        Method::GET,
        "/v1/suppliers/ACME-NUL",
        ops,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &stack.billing,
        Method::GET,
        "/v1/legal-entities/EU-NUL",
        ops,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, tickets) = call(&stack.support, Method::GET, "/v1/tickets", ops, None).await;
    assert_eq!(tickets["items"], json!([]));
}

#[tokio::test]
async fn an_optional_body_that_is_there_must_be_valid() {
    let stack = Stack::start().await;
    let path = "/v1/orders/0190b6f0-0000-7000-8000-000000000000/retry-reservation";
    // A JSON string where an object belongs: refused, not taken for "no body".
    let (status, problem) = call(
        &stack.orders,
        Method::POST,
        path,
        &ops(),
        Some(&json!("\u{ff}")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["type"], "urn:crossdock:problem:malformed-body");
    // No body at all is fine (here: the order does not exist).
    let (status, _) = call(&stack.orders, Method::POST, path, &ops(), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
