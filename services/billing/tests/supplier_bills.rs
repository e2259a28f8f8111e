//! Supplier bills, three-way matched through the API against procurement's
//! purchase order (published to its real topic) and the warehouse's receipt:
//! a bill within tolerance posts (goods received not invoiced cleared at the
//! order's cost, the variance, input VAT, payables); one beyond quantity or
//! price is held until a second finance person approves or rejects it;
//! a bill of another order, supplier, line or currency is refused naming the
//! field, with nothing changed; the same bill twice is entered once, also
//! when both arrive at once. Freight and duty bills are spread over the
//! receipts by weight or value, clear the estimate the units were valued
//! with, and revalue the units still on hand.

mod common;

use chrono::Utc;
use common::*;
use domain::events::proto::catalog::v1 as catalog;
use domain::events::proto::procurement::v1 as procurement;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{timestamp, topics};
use platform::Role;
use platform::testing::{TestApp, channel_token, fixtures, scalar, token, token_for};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A purchase order as procurement publishes it on approval: lines of
/// (SKU, quantity, unit cost, unit landed cost).
async fn approve_order(app: &TestApp, number: &str, lines: &[(&str, i64, &str, &str)]) -> String {
    let id = Uuid::now_v7().to_string();
    let event = procurement::PurchaseOrderApproved {
        state: Some(procurement::PurchaseOrderState {
            purchase_order_id: id.clone(),
            number: number.into(),
            supplier_code: "ACME".into(),
            location_code: "WH-1".into(),
            status: "approved".into(),
            lines: lines
                .iter()
                .enumerate()
                .map(
                    |(i, (sku, quantity, cost, landed))| procurement::PurchaseOrderLine {
                        line_no: i as i32 + 1,
                        sku: sku.to_string(),
                        supplier_sku: format!("S-{sku}"),
                        quantity: *quantity,
                        unit_cost: Some(eur(cost)),
                        unit_landed_cost: Some(eur(landed)),
                        ..Default::default()
                    },
                )
                .collect(),
            expected_on: Utc::now().date_naive().to_string(),
            version: 1,
            changed_at: Some(timestamp(Utc::now())),
        }),
        approved_by: "buyer".into(),
    };
    fixtures::publish_applied(app, topics::PROCUREMENT_PURCHASE_ORDER_EVENTS, &id, &event).await;
    id
}

/// The dock's receipt against the order: (line, SKU, good, damaged, landed).
async fn receive_against(
    app: &TestApp,
    po: &str,
    number: &str,
    lines: &[(i32, &str, i64, i64, &str)],
) {
    let event = warehouse::GoodsReceived {
        receipt_id: Uuid::now_v7().to_string(),
        purchase_order_id: po.into(),
        purchase_order_number: number.into(),
        supplier_code: "ACME".into(),
        location_code: "WH-1".into(),
        lines: lines
            .iter()
            .map(
                |(line_no, sku, good, damaged, landed)| warehouse::ReceivedLine {
                    line_no: *line_no,
                    sku: sku.to_string(),
                    good: *good,
                    damaged: *damaged,
                    unit_landed_cost: Some(eur(landed)),
                    bin_code: String::new(),
                },
            )
            .collect(),
        received_by: "dock".into(),
        received_at: Some(timestamp(Utc::now())),
    };
    fixtures::publish_applied(app, topics::WAREHOUSE_RECEIVING_EVENTS, po, &event).await;
}

fn bill(number: &str, po: &str, lines: &[(i32, i64, &str)], tax: &str, gross: &str) -> Value {
    json!({
        "supplier_code": "ACME", "bill_number": number, "purchase_order_number": po,
        "bill_date": Utc::now().date_naive(),
        "lines": lines.iter().map(|(line, quantity, price)| json!({
            "purchase_order_line": line, "quantity": quantity,
            "unit_price": {"amount": price, "currency": "EUR"}})).collect::<Vec<_>>(),
        "tax_total": {"amount": tax, "currency": "EUR"},
        "gross_total": {"amount": gross, "currency": "EUR"},
    })
}

async fn post_as(app: &TestApp, who: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(who)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn audited(app: &TestApp, action: &str) -> i64 {
    scalar(
        &app.runtime().db,
        &format!(
            "SELECT count(*) AS n FROM audit_trail WHERE entity_type = 'supplier_bill' AND action = '{action}'"
        ),
    )
    .await
}

#[tokio::test]
async fn bills_within_tolerance_post_and_the_rest_wait_for_a_second_finance_person() {
    let app = app().await;
    let grace = token_for("grace", &[Role::Finance]);
    // 20 tees at 5.00 (5.50 landed with the estimated freight), 10 caps at 3.00.
    let po = approve_order(
        &app,
        "PO-B1",
        &[("TEE-B", 20, "5.00", "5.50"), ("CAP-B", 10, "3.00", "3.00")],
    )
    .await;
    receive_against(
        &app,
        &po,
        "PO-B1",
        &[
            (1, "TEE-B", 18, 0, "5.50"),
            (1, "TEE-B", 0, 2, "5.50"),
            (2, "CAP-B", 10, 0, "3.00"),
        ],
    )
    .await;
    let (status, tolerance) = put(
        &app,
        "/v1/bill-tolerances/EUR",
        &json!({"price_percent": "2", "amount": "5.00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tolerance}");
    assert_eq!(tolerance["amount"]["amount"], "5.00");

    // 20 tees at 5.05: 1 % over, within 2 %, a variance of 1.00.
    let tees = bill("A-100", "PO-B1", &[(1, 20, "5.05")], "19.19", "120.19");
    let (status, posted) = post(&app, "/v1/supplier-bills", &tees).await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    assert_eq!(posted["status"], "posted");
    assert_eq!(posted["hold_reasons"], json!([]));
    assert_eq!(
        [
            &posted["net"]["amount"],
            &posted["expected_net"]["amount"],
            &posted["price_variance"]["amount"],
            &posted["gross"]["amount"]
        ],
        ["101.00", "100.00", "1.00", "120.19"]
    );
    assert!(posted["entry_id"].is_string());
    let tb = trial_balance(&app).await;
    assert_eq!(
        balance(&tb, "2100"),
        d("-40.00"),
        "tees received at 110.00 landed and 100.00 billed (the freight estimate waits for its \
         bill), caps received at 30.00 and not billed yet"
    );
    assert_eq!(balance(&tb, "5100"), d("1.00"));
    assert_eq!(balance(&tb, "1400"), d("19.19"));
    assert_eq!(balance(&tb, "2000"), d("-120.19"));

    // The same bill again is entered once; other contents under its number are refused.
    let (status, again) = post(&app, "/v1/supplier-bills", &tees).await;
    assert_eq!((status, &again), (StatusCode::OK, &posted));
    let other = bill("A-100", "PO-B1", &[(1, 20, "5.00")], "19.00", "119.00");
    let (status, problem) = post(&app, "/v1/supplier-bills", &other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // More caps than arrived: held, nothing posted.
    let caps = bill("A-101", "PO-B1", &[(2, 12, "3.00")], "0", "36.00");
    let (status, held) = post(&app, "/v1/supplier-bills", &caps).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    assert_eq!(held["status"], "held");
    assert_eq!(
        held["hold_reasons"],
        json!(["line 2: 12 billed, 10 open (10 received, 0 billed before)"])
    );
    assert!(held.get("entry_id").is_none());
    let queue = get(&app, "/v1/supplier-bills?status=held").await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let id = held["id"].as_str().unwrap();

    // Who entered it cannot decide it.
    let (status, problem) = post(
        &app,
        &format!("/v1/supplier-bills/{id}/approve"),
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = post_as(
        &app,
        &grace,
        &format!("/v1/supplier-bills/{id}/reject"),
        &json!({"reason": " "}),
    )
    .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("reason"))
    );
    let (status, rejected) = post_as(
        &app,
        &grace,
        &format!("/v1/supplier-bills/{id}/reject"),
        &json!({"reason": "12 billed, 10 delivered: asked ACME for a corrected bill"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decided_by"], "user:grace");
    assert_eq!(balance(&trial_balance(&app).await, "2000"), d("-120.19"));

    // The corrected bill, at 3.10 a cap (3.3 % over): held for its price,
    // then approved by the second person, variance and all.
    let corrected = bill("A-101-C", "PO-B1", &[(2, 10, "3.10")], "5.89", "36.89");
    let (status, held) = post(&app, "/v1/supplier-bills", &corrected).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    assert_eq!(
        held["hold_reasons"],
        json!(["line 2: unit price 3.1 against 3 ordered, beyond 2%"]),
        "the rejected bill's units are open again"
    );
    let id = held["id"].as_str().unwrap();
    let (status, approved) = post_as(
        &app,
        &grace,
        &format!("/v1/supplier-bills/{id}/approve"),
        &json!({"note": "price rise agreed by phone"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(
        (&approved["status"], &approved["decision_note"]),
        (&json!("posted"), &json!("price rise agreed by phone"))
    );
    let (status, _) = post_as(
        &app,
        &grace,
        &format!("/v1/supplier-bills/{id}/approve"),
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "decided once");
    let tb = trial_balance(&app).await;
    assert_eq!(balance(&tb, "2100"), d("-10.00"), "caps cleared at cost");
    assert_eq!(balance(&tb, "5100"), d("2.00"));
    assert_eq!(balance(&tb, "1400"), d("25.08"));
    assert_eq!(balance(&tb, "2000"), d("-157.08"));
    assert_eq!(tb["total_debit"], tb["total_credit"]);
    assert_eq!(unbalanced_entries(&app).await, 0);
    assert_eq!(
        (
            audited(&app, "entered").await,
            audited(&app, "rejected").await,
            audited(&app, "approved").await
        ),
        (3, 1, 1)
    );

    // Everything billed: one more tee is held.
    let extra = bill("A-102", "PO-B1", &[(1, 1, "5.00")], "0", "5.00");
    let (status, held) = post(&app, "/v1/supplier-bills", &extra).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    assert_eq!(
        held["hold_reasons"],
        json!(["line 1: 1 billed, 0 open (20 received, 20 billed before)"])
    );
}

#[tokio::test]
async fn a_bill_that_is_not_of_the_order_is_refused_naming_the_field_and_changes_nothing() {
    let app = app().await;
    approve_order(&app, "PO-B2", &[("TEE-C", 5, "4.00", "4.00")]).await;
    let cases = [
        (
            bill("E-1", "PO-NOPE", &[(1, 1, "4.00")], "0", "4.00"),
            "purchase_order_number",
        ),
        (
            {
                let mut b = bill("E-2", "PO-B2", &[(1, 1, "4.00")], "0", "4.00");
                b["supplier_code"] = json!("OTHER");
                b
            },
            "supplier_code",
        ),
        (
            bill("E-3", "PO-B2", &[(9, 1, "4.00")], "0", "4.00"),
            "lines[0].purchase_order_line",
        ),
        (
            {
                let mut b = bill("E-4", "PO-B2", &[(1, 1, "4.00")], "0", "4.00");
                b["lines"][0]["unit_price"]["currency"] = json!("USD");
                b
            },
            "lines[0].unit_price",
        ),
        (
            bill("E-5", "PO-B2", &[(1, 1, "4.00")], "0.76", "4.00"),
            "gross_total",
        ),
        (
            bill("E-6", "PO-B2", &[(1, 0, "4.00")], "0", "0"),
            "lines[0].quantity",
        ),
        (
            {
                let mut b = bill("E-7", "PO-B2", &[(1, 1, "4.00")], "0", "4.00");
                b["due_on"] = json!("2000-01-01");
                b
            },
            "due_on",
        ),
    ];
    for (body, field) in &cases {
        let (status, problem) = post(&app, "/v1/supplier-bills", body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], *field, "{problem}");
    }
    let (status, problem) = put(
        &app,
        "/v1/bill-tolerances/EUR",
        &json!({"price_percent": "101", "amount": "1"}),
    )
    .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("price_percent"))
    );
    assert_eq!(get(&app, "/v1/supplier-bills").await, json!([]));
    assert_eq!(get(&app, "/v1/bill-tolerances").await, json!([]));
    assert_eq!(audited(&app, "entered").await, 0);

    // Ops and channels keep out of the payables.
    let body = bill("E-8", "PO-B2", &[(1, 1, "4.00")], "0", "4.00");
    for who in [token(&[Role::Ops]), channel_token("web")] {
        let (status, _) = post_as(&app, &who, "/v1/supplier-bills", &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn racing_bills_bill_each_received_unit_once() {
    let app = app().await;
    let po = approve_order(&app, "PO-B3", &[("TEE-D", 10, "2.00", "2.00")]).await;
    receive_against(&app, &po, "PO-B3", &[(1, "TEE-D", 10, 0, "2.00")]).await;
    // The same bill twice at once: entered once.
    let same = bill("R-1", "PO-B3", &[(1, 6, "2.00")], "0", "12.00");
    let (a, b) = tokio::join!(
        post(&app, "/v1/supplier-bills", &same),
        post(&app, "/v1/supplier-bills", &same)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED]);
    assert_eq!(a.1["id"], b.1["id"]);
    // Two bills for the 4 units left, at once: one posts, the other is held.
    let r2 = bill("R-2", "PO-B3", &[(1, 4, "2.00")], "0", "8.00");
    let r3 = bill("R-3", "PO-B3", &[(1, 4, "2.00")], "0", "8.00");
    let (a, b) = tokio::join!(
        post(&app, "/v1/supplier-bills", &r2),
        post(&app, "/v1/supplier-bills", &r3)
    );
    assert_eq!((a.0, b.0), (StatusCode::CREATED, StatusCode::CREATED));
    let mut outcomes = [a.1["status"].clone(), b.1["status"].clone()];
    outcomes.sort_by_key(|s| s.to_string());
    assert_eq!(outcomes, [json!("held"), json!("posted")]);
    assert_eq!(
        balance(&trial_balance(&app).await, "2000"),
        d("-20.00"),
        "10 units billed once"
    );
}

#[tokio::test]
async fn charges_bills_replace_the_estimate_and_revalue_the_units_on_hand() {
    let app = app().await;
    let product = catalog::ProductUpserted {
        product_id: Uuid::now_v7().to_string(),
        title: "Freight test".into(),
        status: "active".into(),
        version: 1,
        variants: [("TEE-F", 200), ("CAP-F", 100)]
            .into_iter()
            .map(|(sku, grams)| catalog::Variant {
                sku: sku.into(),
                weight_grams: grams,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    fixtures::publish_applied(
        &app,
        topics::CATALOG_PRODUCT_EVENTS,
        &product.product_id.clone(),
        &product,
    )
    .await;
    // Tees at 5.00 with 0.50 a unit of estimated freight; caps without.
    let po = approve_order(
        &app,
        "PO-B4",
        &[("TEE-F", 20, "5.00", "5.50"), ("CAP-F", 10, "3.00", "3.00")],
    )
    .await;
    let charges = |number: &str, amount: &str, basis: &str, tax: &str, gross: &str| {
        let mut b = bill(number, "PO-B4", &[], tax, gross);
        b["supplier_code"] = json!("FASTFREIGHT");
        b["kind"] = json!("charges");
        b["charges"] = json!({"amount": amount, "currency": "EUR"});
        b["allocation"] = json!(basis);
        b
    };
    let (status, problem) = post(
        &app,
        "/v1/supplier-bills",
        &charges("F-0", "1.00", "weight", "0", "1.00"),
    )
    .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!("purchase_order_number")
        ),
        "nothing received to spread over: {problem}"
    );
    // 18 good tees (2 damaged) and 10 caps.
    receive_against(
        &app,
        &po,
        "PO-B4",
        &[(1, "TEE-F", 18, 2, "5.50"), (2, "CAP-F", 10, 0, "3.00")],
    )
    .await;
    for (mut body, field) in [
        (charges("F-X", "1.00", "weight", "0", "1.00"), "lines"),
        (charges("F-Y", "1.00", "weight", "0", "1.00"), "allocation"),
        (charges("F-Z", "1.00", "weight", "0", "2.00"), "gross_total"),
    ] {
        match field {
            "lines" => {
                body["lines"] = json!([{"purchase_order_line": 1, "quantity": 1,
                "unit_price": {"amount": "1", "currency": "EUR"}}])
            }
            "allocation" => body["allocation"] = json!(null),
            _ => {}
        }
        let (status, problem) = post(&app, "/v1/supplier-bills", &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let before = trial_balance(&app).await;
    assert_eq!(balance(&before, "2100"), d("-140.00"));

    // Freight 14.00 by weight: tees 4,000 g of 5,000 take 11.20, caps 2.80.
    // The tees' 10.00 estimate is cleared; of the 1.20 more, the 18 tees
    // on hand of 20 take 1.08 and the 2 written off 0.12.
    let (status, freight) = post(
        &app,
        "/v1/supplier-bills",
        &charges("F-1", "14.00", "weight", "2.66", "16.66"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{freight}");
    assert_eq!(freight["status"], "posted");
    let shares: Vec<_> = freight["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["sku"].as_str().unwrap().to_string(),
                a["allocated"]["amount"].as_str().unwrap().to_string(),
                a["estimate_cleared"]["amount"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                a["to_inventory"]["amount"].as_str().unwrap().to_string(),
                a["to_cost_of_goods"]["amount"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let row = |sku: &str, a: &str, c: &str, i: &str, g: &str| {
        (
            sku.to_string(),
            a.to_string(),
            c.to_string(),
            i.to_string(),
            g.to_string(),
        )
    };
    assert_eq!(
        shares,
        [
            row("TEE-F", "11.20", "10.00", "1.08", "0.12"),
            row("CAP-F", "2.80", "0.00", "2.80", "0.00")
        ]
    );
    let tb = trial_balance(&app).await;
    assert_eq!(balance(&tb, "2100"), d("-130.00"));
    assert_eq!(balance(&tb, "1300") - balance(&before, "1300"), d("3.88"));
    assert_eq!(balance(&tb, "5000") - balance(&before, "5000"), d("0.12"));
    assert_eq!(balance(&tb, "2000"), d("-16.66"));
    let db = &app.runtime().db;
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) AS n FROM stock_values WHERE (sku, value) IN (('TEE-F', 100.08), ('CAP-F', 32.80))"
        )
        .await,
        2,
        "the stock value follows the inventory account"
    );

    // Duty 5.00 by value (100.00 : 30.00) finds no estimate left.
    let (status, duty) = post(
        &app,
        "/v1/supplier-bills",
        &charges("D-1", "5.00", "value", "0", "5.00"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{duty}");
    let allocated: Vec<_> = duty["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["allocated"]["amount"].clone(),
                a["estimate_cleared"]["amount"].clone(),
            )
        })
        .collect();
    assert_eq!(
        allocated,
        [
            (json!("3.85"), json!("0.00")),
            (json!("1.15"), json!("0.00"))
        ]
    );
    let tb = trial_balance(&app).await;
    assert_eq!(balance(&tb, "2100"), d("-130.00"));
    assert_eq!(tb["total_debit"], tb["total_credit"]);
    assert_eq!(unbalanced_entries(&app).await, 0);
    let value: i64 = scalar(
        db,
        "SELECT count(*) AS n FROM stock_values v WHERE v.currency = 'EUR' \
         AND (SELECT sum(value) FROM stock_values) = (SELECT sum(amount) FROM journal_lines WHERE account = '1300')",
    )
    .await;
    assert!(value > 0, "inventory (1300) equals the stock value");
}
