//! Exchanges in the returns saga: support's ReturnAuthorized with resolution
//! exchange places a replacement order through intake (the returned SKUs at
//! no charge, the same customer and address), at once or only when the
//! warehouse's ReturnInspected says the return is in, by policy; once per
//! return; one that cannot be placed is noted for a person.

mod common;

use common::*;
use domain::events::proto::orders::v1 as pb;
use domain::events::proto::support::v1 as support;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::topics;
use platform::testing::{decode_all, fixtures, scalar};
use serde_json::Value;

fn authorized(
    order: &Value,
    number: &str,
    lines: &[(i32, &str, i64)],
    when: &str,
) -> support::ReturnAuthorized {
    support::ReturnAuthorized {
        return_id: uuid::Uuid::now_v7().to_string(),
        number: number.into(),
        order_id: order["id"].as_str().unwrap().into(),
        channel_id: order["channel_id"].as_str().unwrap().into(),
        external_order_id: order["external_order_id"].as_str().unwrap().into(),
        lines: lines
            .iter()
            .map(|(n, sku, q)| support::ReturnLine {
                line_no: *n,
                sku: sku.to_string(),
                quantity: *q,
                unit_price: None,
            })
            .collect(),
        reason: "size_or_fit".into(),
        resolution: "exchange".into(),
        exchange_reservation: when.into(),
        return_location: "WH-PRIMARY".into(),
        authorized_by: "system:return-policy".into(),
        ..Default::default()
    }
}

async fn replacements(app: &platform::testing::TestApp) -> i64 {
    scalar(
        &app.runtime().db,
        "SELECT count(*) AS n FROM exchanges WHERE replacement_order_id IS NOT NULL",
    )
    .await
}

#[tokio::test]
async fn an_exchange_places_its_replacement_at_once_or_after_inspection_and_once() {
    let app = app().await;
    channel(&app, "amazon-de", channel_body("marketplace", "reject")).await;
    list_sku(&app, "TEE-RED-M", &["amazon-de"]).await;
    list_sku(&app, "MUG-1", &["amazon-de"]).await;
    let order = place(
        &app,
        "amazon-de",
        &order_body("AMZ-X1", &[("TEE-RED-M", 2), ("MUG-1", 1)]),
    )
    .await;
    let order_id = order["id"].as_str().unwrap().to_string();

    // Reserved at once: the replacement is placed on authorisation.
    let now = authorized(&order, "RMA-000011", &[(1, "TEE-RED-M", 1)], "immediately");
    for _ in 0..2 {
        fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &order_id, &now).await;
    }
    assert_eq!(replacements(&app).await, 1, "placed once");
    let (_, page) = get(&app, "/v1/orders?channel=amazon-de", &ops()).await;
    let replacement = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["external_order_id"] == "AMZ-X1-RMA-000011")
        .cloned()
        .expect("the replacement order");
    assert_eq!(replacement["customer"], order["customer"]);
    assert_eq!(replacement["shipping_address"], order["shipping_address"]);
    assert_eq!(replacement["lines"][0]["sku"], "TEE-RED-M");
    assert_eq!(replacement["lines"][0]["quantity"], 1);
    assert_eq!(replacement["total"]["amount"], "0.00", "at no charge");
    let noted = history(&app, &order_id).await;
    assert!(
        noted.last().unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("replacement order AMZ-X1-RMA-000011"),
        "{noted:?}"
    );

    // Only after inspection: nothing until the warehouse has the return.
    let later = authorized(&order, "RMA-000012", &[(2, "MUG-1", 1)], "after_inspection");
    fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &order_id, &later).await;
    assert_eq!(replacements(&app).await, 1);
    let inspected = warehouse::ReturnInspected {
        return_id: later.return_id.clone(),
        number: later.number.clone(),
        order_id: order_id.clone(),
        channel_id: "amazon-de".into(),
        location_code: "WH-PRIMARY".into(),
        lines: vec![warehouse::InspectedLine {
            line_no: 2,
            sku: "MUG-1".into(),
            resellable: 1,
            ..Default::default()
        }],
        ..Default::default()
    };
    for _ in 0..2 {
        fixtures::publish_applied(&app, topics::WAREHOUSE_RETURN_EVENTS, &order_id, &inspected)
            .await;
    }
    assert_eq!(replacements(&app).await, 2);

    // Each replacement's OrderPlaced names the return it replaces.
    let records = order_events(&app, 3).await;
    let placed = decode_all::<pb::OrderPlaced>(&records);
    let mut replaced: Vec<&str> = placed
        .iter()
        .filter(|p| !p.replaces_return_id.is_empty())
        .map(|p| p.replaces_return_id.as_str())
        .collect();
    replaced.sort();
    let mut want = vec![now.return_id.as_str(), later.return_id.as_str()];
    want.sort();
    assert_eq!(replaced, want);

    // A SKU no longer listed: kept with why, noted on the order for a person.
    let gone = authorized(&order, "RMA-000013", &[(1, "LAMP-9", 1)], "immediately");
    fixtures::publish_applied(&app, topics::SUPPORT_RETURN_EVENTS, &order_id, &gone).await;
    assert_eq!(replacements(&app).await, 2);
    assert_eq!(
        scalar(
            &app.runtime().db,
            "SELECT count(*) AS n FROM exchanges WHERE failure LIKE '%LAMP-9%'"
        )
        .await,
        1
    );
    let history = history(&app, &order_id).await;
    assert!(
        history.last().unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("could not be placed, a person must act"),
    );
}
