//! Channel fees estimated at shipment and trued up from the channel's
//! settlement: Amazon's V2 report and Shopify Payments' payout export, each
//! line matched to its order, the rest held for finance (matched by hand or
//! written off); a settlement imported once; a bad file refused whole,
//! named by line and column.

mod common;

use common::*;
use platform::testing::scalar;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

async fn fee_schedule(app: &platform::testing::TestApp, channel: &str, body: serde_json::Value) {
    let (status, view) = put(
        app,
        &format!("/v1/fee-schedules/{channel}/2026-01-01"),
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
}

fn eur_json(a: &str) -> serde_json::Value {
    json!({"amount": a, "currency": "EUR"})
}

#[tokio::test]
async fn amazon_fees_are_accrued_at_shipment_and_trued_up_from_the_settlement() {
    let app = app().await;
    setup(&app, "amazon-de", "tax_inclusive", "per_document").await;
    fee_schedule(
        &app,
        "amazon-de",
        json!({"currency": "EUR", "default_commission_percent": "15",
               "per_order_fee": eur_json("0"), "per_unit_fulfillment_fee": eur_json("2.70"),
               "payment_percent": "0", "payment_fixed_fee": eur_json("0")}),
    )
    .await;
    let order = place(
        &app,
        &Order {
            channel: "amazon-de",
            external_id: "302-1111111-1111111",
            lines: &[("TEE-1", 2, "19.90")],
            ..Default::default()
        },
    )
    .await;
    ship(&app, &order, &[(1, "TEE-1", 2)]).await;
    wait_documents(&app, &order, 1).await;
    // 15 % of 39.80 = 5.97, 2 × 2.70 = 5.40: accrued against the order.
    let tb = trial_balance(&app).await;
    assert_eq!(balance(&tb, "2300"), d("-11.37"));
    assert_eq!(balance(&tb, "6100"), d("11.37"));

    let report = amazon_report(
        "11223344556",
        &[
            (
                "Order",
                "302-1111111-1111111",
                "TEE-1",
                "ItemPrice",
                "Principal",
                "33,45",
                "2",
            ),
            (
                "Order",
                "302-1111111-1111111",
                "TEE-1",
                "ItemPrice",
                "Tax",
                "6,35",
                "2",
            ),
            (
                "Order",
                "302-1111111-1111111",
                "TEE-1",
                "ItemFees",
                "Commission",
                "-6,12",
                "2",
            ),
            (
                "Order",
                "302-1111111-1111111",
                "TEE-1",
                "ItemFees",
                "FBAPerUnitFulfillmentFee",
                "-5,40",
                "2",
            ),
            (
                "Order",
                "302-9999999-9999999",
                "MUG-1",
                "ItemPrice",
                "Principal",
                "10,00",
                "1",
            ),
            (
                "other-transaction",
                "",
                "",
                "other-transaction",
                "Storage Fee",
                "-1,50",
                "",
            ),
        ],
    );
    // A bad file first: nothing of it is applied.
    let broken = String::from_utf8(report.clone())
        .unwrap()
        .replacen("-6,12", "-6,1x2", 1);
    let (status, problem) = upload(
        &app,
        "/v1/settlements?channel=amazon-de&format=amazon_v2",
        "text/tab-separated-values",
        broken.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "amount");
    assert_eq!(problem["errors"][0]["line"], 5);
    assert_eq!(problem["errors"][0]["column"], 15);
    assert_eq!(
        scalar(&app.runtime().db, "SELECT count(*) AS n FROM settlements").await,
        0
    );

    let path = "/v1/settlements?channel=amazon-de&format=amazon_v2";
    let (status, s) = upload(&app, path, "text/tab-separated-values", report.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["total"]["amount"], "36.78");
    assert_eq!(
        (
            s["lines"].as_i64(),
            s["matched"].as_i64(),
            s["exceptions"].as_i64()
        ),
        (Some(6), Some(5), Some(1))
    );
    assert_eq!(
        s["fee_true_up"]["amount"], "0.15",
        "commission 6.12 against 5.97 estimated"
    );

    let tb = trial_balance(&app).await;
    assert_eq!(tb["total_debit"], tb["total_credit"]);
    assert_eq!(
        balance(&tb, "1100"),
        Decimal::ZERO,
        "the order's receivable is settled"
    );
    assert_eq!(balance(&tb, "2300"), Decimal::ZERO, "its accrual trued up");
    assert_eq!(
        balance(&tb, "6100"),
        d("13.02"),
        "actual fees: 6.12 + 5.40 + 1.50 storage"
    );
    assert_eq!(balance(&tb, "1250"), d("36.78"), "the payout is in transit");
    assert_eq!(
        balance(&tb, "2900"),
        d("-10.00"),
        "the unknown order's line in suspense"
    );

    // The same file again: what the first import did, nothing more.
    let entries = scalar(
        &app.runtime().db,
        "SELECT count(*) AS n FROM journal_entries",
    )
    .await;
    let (status, again) = upload(&app, path, "text/tab-separated-values", report.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, s);
    assert_eq!(
        scalar(
            &app.runtime().db,
            "SELECT count(*) AS n FROM journal_entries"
        )
        .await,
        entries
    );
    // Another file under the same settlement id is refused.
    let other = String::from_utf8(report)
        .unwrap()
        .replace("-1,50", "-1,60")
        .replace("36,78", "36,68");
    let (status, _) = upload(&app, path, "text/tab-separated-values", other.into_bytes()).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Finance matches the exception once the order is known.
    let queue = get(&app, "/v1/settlement-exceptions").await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert!(
        queue[0]["reason"]
            .as_str()
            .unwrap()
            .contains("302-9999999-9999999"),
        "{queue}"
    );
    let late = place(
        &app,
        &Order {
            channel: "amazon-de",
            external_id: "302-9999999-9999999",
            lines: &[("MUG-1", 1, "10.00")],
            ..Default::default()
        },
    )
    .await;
    let id = queue[0]["id"].as_str().unwrap();
    let (status, matched) = post(
        &app,
        &format!("/v1/settlement-exceptions/{id}/match"),
        &json!({"order_id": late, "note": "placed late"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{matched}");
    assert_eq!(matched["status"], "matched");
    let (status, _) = post(
        &app,
        &format!("/v1/settlement-exceptions/{id}/write-off"),
        &json!({"note": "twice"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "resolved already");
    let tb = trial_balance(&app).await;
    assert_eq!(balance(&tb, "2900"), Decimal::ZERO);
    assert_eq!(get(&app, "/v1/settlement-exceptions").await, json!([]));
    assert_eq!(unbalanced_entries(&app).await, 0);
}

#[tokio::test]
async fn a_shopify_payout_settles_web_orders_and_trues_up_payment_fees() {
    let app = app().await;
    setup(&app, "web", "tax_exclusive", "per_document").await;
    fee_schedule(
        &app,
        "web",
        json!({"currency": "EUR", "default_commission_percent": "0",
               "per_order_fee": eur_json("0"), "per_unit_fulfillment_fee": eur_json("0"),
               "payment_percent": "1.4", "payment_fixed_fee": eur_json("0.25")}),
    )
    .await;
    let order = place(
        &app,
        &Order {
            external_id: "1001",
            lines: &[("TEE-1", 1, "50.00")],
            ..Default::default()
        },
    )
    .await;
    ship(&app, &order, &[(1, "TEE-1", 1)]).await;
    let inv = wait_documents(&app, &order, 1).await.remove(0);
    assert_eq!(inv["gross_total"]["amount"], "59.50");
    // 59.50 × 1.4 % + 0.25 = 1.083 → 1.08 estimated.
    assert_eq!(balance(&trial_balance(&app).await, "6200"), d("1.08"));

    let file = "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Payout ID,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency\r\n\
        2026-11-28 10:15:02 +0100,charge,#1001,visa,online,paid,2026-12-01,88123456,2026-12-01,59.50,1.12,58.38,,card,59.50,EUR,EUR\r\n\
        2026-11-29 10:15:02 +0100,charge,#4040,visa,online,paid,2026-12-01,88123456,2026-12-01,20.00,0.53,19.47,,card,20.00,EUR,EUR\r\n\
        2026-12-01 06:00:00 +0100,payout,,,,paid,2026-12-01,88123456,2026-12-01,-77.85,0.00,-77.85,,,,,EUR\r\n";
    let (status, s) = upload(
        &app,
        "/v1/settlements?channel=web&format=shopify_payments",
        "text/csv",
        file.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["total"]["amount"], "77.85");
    assert_eq!(s["fee_true_up"]["amount"], "0.04");
    assert_eq!(
        s["exceptions"], 2,
        "order #4040 is unknown: its charge and its fee"
    );
    let tb = trial_balance(&app).await;
    assert_eq!(balance(&tb, "6200"), d("1.12"));
    assert_eq!(balance(&tb, "1100"), Decimal::ZERO);

    // Finance writes the stray payment off (it was a test charge).
    let queue = get(&app, "/v1/settlement-exceptions").await;
    for e in queue.as_array().unwrap() {
        let (status, body) = post(
            &app,
            &format!(
                "/v1/settlement-exceptions/{}/write-off",
                e["id"].as_str().unwrap()
            ),
            &json!({"note": "test charge"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, problem) = post(
        &app,
        &format!(
            "/v1/settlement-exceptions/{}/write-off",
            uuid::Uuid::now_v7()
        ),
        &json!({"note": " "}),
    )
    .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("note"))
    );
    let tb = trial_balance(&app).await;
    assert_eq!(balance(&tb, "2900"), Decimal::ZERO);
    assert_eq!(
        balance(&tb, "6900"),
        d("-19.47"),
        "the stray net written off as income"
    );
    assert_eq!(tb["total_debit"], tb["total_credit"]);
}
