//! Every write is audited in every service (who, when, before, after), read
//! back through `GET /v1/audit?entity=<type>:<id>`; secrets never enter it.

use reqwest::{Method, StatusCode};
use scenarios::{Stack, call, ops};
use serde_json::{Value, json};

async fn trail(app: &platform::testing::TestApp, entity: &str) -> Vec<Value> {
    let (status, page) = call(
        app,
        Method::GET,
        &format!("/v1/audit?entity={entity}"),
        &ops(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn writes_are_audited_with_before_and_after_in_every_service() {
    let stack = Stack::start().await;
    let ops = ops();

    // The channel registry: webhook URL and secret changes.
    let secret_1 = "whsec-first-0123456789";
    let secret_2 = "whsec-second-0123456789";
    let mut channel = json!({"kind": "marketplace", "name": "Amazon DE", "currency": "EUR",
        "backorder_policy": "reject", "webhook_url": "https://hooks.example.com/a",
        "webhook_secret": secret_1});
    let (status, _) = call(
        &stack.orders,
        Method::PUT,
        "/v1/channels/amazon-de",
        &ops,
        Some(&channel),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    channel["webhook_url"] = json!("https://hooks.example.com/b");
    channel["webhook_secret"] = json!(secret_2);
    let (status, _) = call(
        &stack.orders,
        Method::PUT,
        "/v1/channels/amazon-de",
        &ops,
        Some(&channel),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &stack.orders,
        Method::PUT,
        "/v1/channels/amazon-de",
        &ops,
        Some(&channel),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let entries = trail(&stack.orders, "channel:amazon-de").await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["replaced", "replaced", "created"], "newest first");
    assert!(entries.iter().all(|e| e["actor"] == "user:test-user"));
    let rotation = &entries[1];
    assert_eq!(
        rotation["before"]["webhook_url"],
        "https://hooks.example.com/a"
    );
    assert_eq!(
        rotation["after"]["webhook_url"],
        "https://hooks.example.com/b"
    );
    assert_eq!(rotation["after"]["webhook_secret_changed"], true);
    assert_eq!(
        entries[0]["after"]["webhook_secret_changed"], false,
        "same secret again"
    );
    assert_eq!(entries[2]["before"], Value::Null);
    let text = serde_json::to_string(&entries).unwrap();
    assert!(
        !text.contains(secret_1) && !text.contains(secret_2),
        "no secret in the trail"
    );

    // Catalog: create, then archive.
    let product = json!({"title": "Audited tee", "status": "active",
        "variants": [{"sku": "AUDIT-1", "cost_price": {"amount": "3.00", "currency": "EUR"},
                      "listings": [{"channel_id": "amazon-de", "price": {"amount": "9.90", "currency": "EUR"}}]}]});
    let (status, created) = call(
        &stack.catalog,
        Method::POST,
        "/v1/products",
        &ops,
        Some(&product),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap();
    let (status, _) = call(
        &stack.catalog,
        Method::POST,
        &format!("/v1/products/{id}/archive"),
        &ops,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let entries = trail(&stack.catalog, &format!("product:{id}")).await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["archived", "created"]);
    assert_eq!(entries[0]["before"]["status"], "active");
    assert_eq!(entries[0]["after"]["status"], "archived");

    // Inventory: a location created, then replaced.
    let mut location = json!({"name": "Primary", "kind": "warehouse", "priority": 10});
    call(
        &stack.inventory,
        Method::PUT,
        "/v1/locations/WH-AUDIT",
        &ops,
        Some(&location),
    )
    .await;
    location["priority"] = json!(20);
    call(
        &stack.inventory,
        Method::PUT,
        "/v1/locations/WH-AUDIT",
        &ops,
        Some(&location),
    )
    .await;
    let entries = trail(&stack.inventory, "location:WH-AUDIT").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["before"]["priority"], 10);
    assert_eq!(entries[0]["after"]["priority"], 20);

    // Warehouse: a bin.
    let bin = json!({"zone": "A", "aisle": "01", "shelf": "01", "level": "1", "walk_sequence": 10, "skus": []});
    let (status, body) = call(
        &stack.warehouse,
        Method::PUT,
        "/v1/locations/WH-AUDIT/bins/A-01",
        &ops,
        Some(&bin),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let entries = trail(&stack.warehouse, "bin:WH-AUDIT/A-01").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["action"], "created");
    assert_eq!(entries[0]["after"]["zone"], "A");

    // Procurement: a supplier.
    let supplier = json!({"name": "Acme", "currency": "EUR", "payment_terms_days": 30});
    let admin = platform::testing::token(&[platform::Role::Admin]);
    let (status, body) = call(
        &stack.procurement,
        Method::PUT,
        "/v1/suppliers/ACME-AUDIT",
        &admin,
        Some(&supplier),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let changed = json!({"name": "Acme", "currency": "EUR", "payment_terms_days": 60});
    let (status, body) = call(
        &stack.procurement,
        Method::PUT,
        "/v1/suppliers/ACME-AUDIT",
        &admin,
        Some(&changed),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries = trail(&stack.procurement, "supplier:ACME-AUDIT").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["before"]["payment_terms_days"], 30);
    assert_eq!(entries[0]["after"]["payment_terms_days"], 60);

    // Billing: a legal entity, and a tax rule.
    let entity = |city: &str| {
        json!({"name": "Demo GmbH", "country": "DE", "vat_id": "DE136695976",
               "street": "Friedrichstraße 1", "city": city, "postal_code": "10117"})
    };
    for (city, expected) in [("Berlin", StatusCode::CREATED), ("Hamburg", StatusCode::OK)] {
        let (status, body) = call(
            &stack.billing,
            Method::PUT,
            "/v1/legal-entities/EU-AUDIT",
            &admin,
            Some(&entity(city)),
        )
        .await;
        assert_eq!(status, expected, "{body}");
    }
    let entries = trail(&stack.billing, "legal_entity:EU-AUDIT").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["before"]["city"], "Berlin");
    assert_eq!(entries[0]["after"]["city"], "Hamburg");

    // Support: a ticket opened, then assigned and prioritised.
    let (status, ticket) = call(
        &stack.support,
        Method::POST,
        "/v1/tickets",
        &ops,
        Some(
            &json!({"subject": "Where is my order?", "body": "It has not arrived.",
                     "customer_email": "ana@example.com"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let id = ticket["id"].as_str().unwrap();
    let (status, body) = call(
        &stack.support,
        Method::PATCH,
        &format!("/v1/tickets/{id}"),
        &ops,
        Some(&json!({"assignee": "agent-7", "priority": "high"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries = trail(&stack.support, &format!("ticket:{id}")).await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["updated", "created"]);
    assert_eq!(entries[0]["before"]["priority"], ticket["priority"]);
    assert_eq!(entries[0]["after"]["priority"], "high");
    assert_eq!(entries[0]["after"]["assignee"], "agent-7");

    // The query names its field when malformed.
    let (status, problem) = call(
        &stack.orders,
        Method::GET,
        "/v1/audit?entity=amazon-de",
        &ops,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(platform::testing::fields(&problem), ["entity"]);
}
