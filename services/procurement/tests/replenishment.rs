//! Reorder rules and replenishment runs: positions from inventory's levels
//! and open orders, the preferred supplier's terms, one draft order per
//! supplier and location, every line explained; concurrent runs order once.

mod common;

use common::*;
use platform::testing::{fields, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn terms(cost: &str, moq: i64, pack: i64, lead: i64, rank: i64) -> Value {
    json!({"unit_cost": {"amount": cost, "currency": "EUR"}, "moq": moq, "pack_size": pack,
           "lead_time_days": lead, "preferred_rank": rank})
}

fn line<'a>(po: &'a Value, sku: &str) -> &'a Value {
    po["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == sku)
        .unwrap_or_else(|| panic!("no {sku} in {po}"))
}

#[tokio::test]
async fn a_run_drafts_one_order_per_supplier_and_location_with_every_line_explained() {
    let app = app().await;
    seed_skus(&app, &["RUN-A", "RUN-B", "RUN-C", "RUN-OK"]).await;
    supplier(
        &app,
        "ACME",
        &["RUN-A", "RUN-B", "RUN-C"],
        terms("2.50", 12, 12, 10, 2),
    )
    .await;
    supplier(&app, "BETA", &["RUN-C"], terms("3.10", 1, 5, 4, 1)).await;
    for (sku, on_hand, reserved) in [
        ("RUN-A", 5, 2),
        ("RUN-B", 0, 0),
        ("RUN-C", 1, 0),
        ("RUN-OK", 90, 0),
    ] {
        level(&app, sku, "WH-1", on_hand, reserved, 0, 10).await;
        put_ok(
            &app,
            &format!("/v1/reorder-rules/{sku}/WH-1"),
            &json!({"kind": "min_max", "min_units": 10, "max_units": 50}),
        )
        .await;
    }

    // A dry run proposes and creates nothing.
    let (status, dry) = run(&app, true).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["purchase_orders"].as_array().unwrap().len(), 2, "{dry}");
    let (_, list) = app.get_json("/v1/purchase-orders", &buyer()).await;
    assert_eq!(list["items"], json!([]));

    let (status, created) = run(&app, false).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["rules"], 4);
    let orders = created["purchase_orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2);
    let acme = orders
        .iter()
        .find(|o| o["supplier_code"] == "ACME")
        .unwrap();
    let beta = orders
        .iter()
        .find(|o| o["supplier_code"] == "BETA")
        .unwrap();
    assert_eq!(acme["location_code"], "WH-1");
    assert_eq!(acme["status"], "draft");
    assert!(acme["number"].as_str().unwrap().starts_with("PO-"));
    assert_eq!(acme["lines"].as_array().unwrap().len(), 2);
    // RUN-A: position 5 − 2 = 3, up to 50: 47 needed, 48 in packs of 12.
    let a = line(acme, "RUN-A");
    assert_eq!(a["quantity"], 48);
    assert_eq!(a["explanation"]["position"], 3);
    assert_eq!(a["explanation"]["reorder_point"], 10);
    assert_eq!(a["explanation"]["needed"], 47);
    assert_eq!(a["line_total"], json!({"amount": "120", "currency": "EUR"}));
    assert!(a["explanation"]["supplier_reason"].as_str().unwrap().starts_with("ACME: the only active supplier; 2.5 EUR a unit, MOQ 12, packs of 12, lead time 10 days as promised"), "{a}");
    assert_eq!(
        line(acme, "RUN-B")["quantity"],
        60,
        "50 needed, packs of 12"
    );
    // RUN-C: BETA ranks first though dearer; 49 needed, packs of 5.
    let c = line(beta, "RUN-C");
    assert_eq!(c["quantity"], 50);
    assert!(
        c["explanation"]["supplier_reason"]
            .as_str()
            .unwrap()
            .starts_with("BETA: first of 2 active suppliers by preferred rank (rank 1)")
    );
    assert_eq!(acme["total"], json!({"amount": "270", "currency": "EUR"}));

    // The order as stored reads the same.
    let (status, stored) = app
        .get_json(
            &format!("/v1/purchase-orders/{}", acme["id"].as_str().unwrap()),
            &buyer(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&stored, acme);

    // What is on order counts: the next run orders nothing more.
    let (_, again) = run(&app, false).await;
    assert_eq!(again["purchase_orders"], json!([]), "{again}");
}

#[tokio::test]
async fn backorders_count_where_they_fill_and_needs_without_a_supplier_are_listed() {
    let app = app().await;
    seed_skus(&app, &["BO-A", "BO-NOSUP"]).await;
    supplier(&app, "ACME", &["BO-A"], terms("1", 1, 1, 3, 1)).await;
    // Backorders are the SKU's; they are charged to WH-1, the location
    // inventory allocates from first.
    level(&app, "BO-A", "WH-2", 30, 0, 7, 20).await;
    level(&app, "BO-A", "WH-1", 4, 4, 7, 10).await;
    for loc in ["WH-1", "WH-2"] {
        put_ok(
            &app,
            &format!("/v1/reorder-rules/BO-A/{loc}"),
            &json!({"kind": "min_max", "min_units": 5, "max_units": 20}),
        )
        .await;
    }
    put_ok(
        &app,
        "/v1/reorder-rules/BO-NOSUP/WH-1",
        &json!({"kind": "min_max", "min_units": 5, "max_units": 20}),
    )
    .await;
    let (_, run) = run(&app, false).await;
    let orders = run["purchase_orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{run}");
    assert_eq!(orders[0]["location_code"], "WH-1");
    let a = line(&orders[0], "BO-A");
    assert_eq!(a["explanation"]["backordered"], 7);
    assert_eq!(a["explanation"]["position"], -7);
    assert_eq!(a["quantity"], 27);
    assert_eq!(run["unsourced"], json!(["BO-NOSUP at WH-1"]));
}

#[tokio::test]
async fn concurrent_runs_order_each_need_once() {
    let app = app().await;
    let skus: Vec<String> = (0..20).map(|i| format!("CON-{i:02}")).collect();
    let refs: Vec<&str> = skus.iter().map(String::as_str).collect();
    seed_skus(&app, &refs).await;
    supplier(&app, "ACME", &refs, terms("1", 1, 1, 3, 1)).await;
    for sku in &refs {
        level(&app, sku, "WH-1", 0, 0, 0, 10).await;
        put_ok(
            &app,
            &format!("/v1/reorder-rules/{sku}/WH-1"),
            &json!({"kind": "min_max", "min_units": 1, "max_units": 10}),
        )
        .await;
    }
    let runs = futures_util::future::join_all((0..4).map(|_| run(&app, false))).await;
    let mut ordered = std::collections::HashMap::new();
    for (status, run) in &runs {
        assert_eq!(*status, StatusCode::CREATED, "{run}");
        for po in run["purchase_orders"].as_array().unwrap() {
            for l in po["lines"].as_array().unwrap() {
                *ordered
                    .entry(l["sku"].as_str().unwrap().to_string())
                    .or_insert(0) += l["quantity"].as_i64().unwrap();
            }
        }
    }
    assert_eq!(ordered.len(), 20);
    assert!(ordered.values().all(|q| *q == 10), "{ordered:?}");
}

#[tokio::test]
async fn a_forecast_rule_orders_lead_time_demand_plus_cover() {
    let app = app().await;
    seed_skus(&app, &["FR-A"]).await;
    import_ok(&app, &history_csv("FR-A", "web", 84, |_, _| 10)).await;
    forecast_when(&app, "/v1/forecasts/FR-A", |_| true).await;
    supplier(&app, "ACME", &["FR-A"], terms("1", 1, 10, 7, 1)).await;
    level(&app, "FR-A", "WH-1", 20, 0, 0, 10).await;
    put_ok(
        &app,
        "/v1/reorder-rules/FR-A/WH-1",
        &json!({"kind": "forecast", "service_level": 0.95, "cover_days": 14}),
    )
    .await;
    let (_, run) = run(&app, true).await;
    let orders = run["purchase_orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{run}");
    let e = &orders[0]["lines"][0]["explanation"];
    assert_eq!(e["rule"], "forecast");
    // 10 a day over 7 days' lead time; constant demand needs no safety stock.
    assert!(
        (e["lead_time_demand"].as_f64().unwrap() - 70.0).abs() < 1.0,
        "{e}"
    );
    assert!(e["safety_stock"].as_f64().unwrap() < 5.0, "{e}");
    assert_eq!(e["lead_time_days"], 7.0);
    let qty = orders[0]["lines"][0]["quantity"].as_i64().unwrap();
    assert_eq!(qty % 10, 0, "whole packs");
    // Up to 70 + 140 from a position of 20.
    assert!((190..=200).contains(&qty), "{qty}");
}

#[tokio::test]
async fn a_bad_rule_names_its_field_and_changes_nothing() {
    let app = app().await;
    seed_skus(&app, &["RULE-A"]).await;
    let put = |body: Value| {
        let app = &app;
        async move {
            app.client
                .put(app.url("/v1/reorder-rules/RULE-A/WH-1"))
                .bearer_auth(buyer())
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let body = problem(
        put(json!({"kind": "min_max", "min_units": 10})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&body), ["max_units"]);
    let body = problem(
        put(json!({"kind": "min_max", "min_units": 10, "max_units": 5})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&body), ["max_units"]);
    let body = problem(
        put(json!({"kind": "forecast", "min_units": 1, "service_level": 1.5})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&body), ["service_level", "min_units"]);
    let (status, _) = app
        .get_json("/v1/reorder-rules/RULE-A/WH-1", &buyer())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = app
        .client
        .put(app.url("/v1/reorder-rules/NOT-IN-CATALOG/WH-1"))
        .bearer_auth(buyer())
        .json(&json!({"kind": "min_max", "min_units": 1, "max_units": 5}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::NOT_FOUND).await;
    let (_, list) = app.get_json("/v1/reorder-rules?sku=RULE-A", &buyer()).await;
    assert_eq!(list, json!([]));
}
