//! An invoice per shipment: the shipped units at the order's prices, their
//! share of the discount, shipping on the first, tax by destination, the
//! next number of the series, one balanced journal entry with the cost of
//! goods; UBL 2.1 documents valid against the official schemas; credit
//! notes that never take back more than was billed; nothing edited.

mod common;

use chrono::{Datelike, Utc};
use common::*;
use domain::events::topics;
use platform::testing::{fixtures, problem, publish};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn amount(v: &Value) -> String {
    v["amount"].as_str().unwrap().to_string()
}

fn lines_of(doc: &Value) -> Vec<(String, i64, String)> {
    doc["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["description"].as_str().unwrap().to_string(),
                l["quantity"].as_i64().unwrap(),
                amount(&l["net"]),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_shipment_is_invoiced_once_with_its_share_and_the_next_number() {
    let app = app().await;
    setup(&app, "web", "tax_exclusive", "per_document").await;
    fixtures::seed_product(
        &app,
        &[
            fixtures::SeedVariant::sku("TEE-1"),
            fixtures::SeedVariant::sku("MUG-1"),
        ],
    )
    .await;
    put(
        &app,
        "/v1/product-tax-categories/MUG-1",
        &json!({"tax_category": "reduced"}),
    )
    .await;
    let order = place(
        &app,
        &Order {
            lines: &[("TEE-1", 2, "19.90"), ("MUG-1", 3, "10.00")],
            shipping: "4.90",
            discount: "6.88",
            ..Default::default()
        },
    )
    .await;
    // Line values 39.80 and 30.00: the discount splits 3.92 + 2.96.
    let first = ship(&app, &order, &[(1, "TEE-1", 2), (2, "MUG-1", 1)]).await;
    let docs = wait_documents(&app, &order, 1).await;
    let inv = &docs[0];
    let year = Utc::now().year();
    assert_eq!(inv["number"], format!("EU1-{year}-000001"));
    assert_eq!(inv["fulfillment_id"], first.as_str());
    assert_eq!(
        lines_of(inv),
        [
            ("Test product".to_string(), 2, "35.88".to_string()),
            ("Test product".to_string(), 1, "9.01".to_string()),
            ("Shipping".to_string(), 1, "4.90".to_string()),
        ],
        "39.80 - 3.92; 10.00 - 0.99 (a third of 2.96, rounded); shipping once"
    );
    // 19 %: (35.88 + 4.90) × 0.19 = 7.7482 → 7.75; 7 %: 9.01 × 0.07 = 0.6307 → 0.63.
    assert_eq!(
        (
            amount(&inv["net_total"]),
            amount(&inv["tax_total"]),
            amount(&inv["gross_total"])
        ),
        ("49.79".into(), "8.38".into(), "58.17".into())
    );
    assert_eq!(inv["buyer"]["name"], "Ada Lovelace");
    assert_eq!(inv["seller"]["vat_id"], "DE136695976");

    let second = ship(&app, &order, &[(2, "MUG-1", 2)]).await;
    let docs = wait_documents(&app, &order, 2).await;
    let inv2 = &docs[1];
    assert_eq!(inv2["number"], format!("EU1-{year}-000002"));
    assert_eq!(
        lines_of(inv2),
        [("Test product".to_string(), 2, "18.03".to_string())],
        "the last units take the rest of the discount: 20.00 - (2.96 - 0.99); no shipping again"
    );

    // The same shipment told again (a new event id: a producer's retry
    // after a lost ack) bills nothing more.
    let again = shipped(&order, &second, &[(2, "MUG-1", 2)], Utc::now());
    let id = publish(
        &app.runtime().producer,
        &app.topic(topics::WAREHOUSE_FULFILLMENT_EVENTS),
        &order,
        &again,
    )
    .await;
    assert!(app.wait_inbox(id).await);
    assert_eq!(documents_of(&app, &order).await.len(), 2);

    // One balanced entry per shipment; receivables, revenue and tax add up.
    let entries = get(&app, &format!("/v1/journal-entries?order_id={order}")).await;
    assert_eq!(entries["items"].as_array().unwrap().len(), 2);
    assert_eq!(unbalanced_entries(&app).await, 0);
    let tb = trial_balance(&app).await;
    assert_eq!(tb["total_debit"], tb["total_credit"]);
    let receivable = tb["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == "1100")
        .map(|a| amount(&a["balance"]))
        .unwrap();
    let gross: rust_decimal::Decimal = docs
        .iter()
        .map(|d| {
            amount(&d["gross_total"])
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(receivable.parse::<rust_decimal::Decimal>().unwrap(), gross);
}

#[tokio::test]
async fn documents_are_valid_ubl_and_credit_notes_never_exceed_the_invoice() {
    let app = app().await;
    setup(&app, "web", "tax_inclusive", "per_document").await;
    let order = place(
        &app,
        &Order {
            lines: &[("TEE-1", 3, "9.99")],
            shipping: "4.90",
            ..Default::default()
        },
    )
    .await;
    ship(&app, &order, &[(1, "TEE-1", 3)]).await;
    let inv = wait_documents(&app, &order, 1).await.remove(0);
    assert_eq!(
        amount(&inv["gross_total"]),
        "34.87",
        "what the buyer paid, exactly"
    );
    let id = inv["id"].as_str().unwrap();

    // Refusals change nothing.
    let res = app
        .client
        .patch(app.url(&format!("/v1/invoices/{id}")))
        .bearer_auth(finance())
        .json(&json!({"lines": []}))
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::CONFLICT).await;
    assert!(
        p["detail"].as_str().unwrap().contains("never edited"),
        "{p}"
    );
    let (status, body) = post(
        &app,
        &format!("/v1/invoices/{id}/credit-notes"),
        &json!({"reason": "damaged", "lines": [{"line_no": 1, "quantity": 4}]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "lines[0]");
    assert_eq!(documents_of(&app, &order).await.len(), 1);

    // One unit back, then the rest: together exactly the invoice.
    let (status, one) = post(
        &app,
        &format!("/v1/invoices/{id}/credit-notes"),
        &json!({"reason": "one arrived damaged", "lines": [{"line_no": 1, "quantity": 1}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{one}");
    let year = Utc::now().year();
    assert_eq!(one["number"], format!("EU1-CN-{year}-000001"));
    assert_eq!(one["corrects"]["number"], inv["number"]);
    let (status, rest) = post(
        &app,
        &format!("/v1/invoices/{id}/credit-notes"),
        &json!({"reason": "order returned"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rest}");
    let credited: rust_decimal::Decimal = [&one, &rest]
        .iter()
        .map(|d| {
            amount(&d["gross_total"])
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(credited.to_string(), "34.87");
    let tax: rust_decimal::Decimal = [&one, &rest]
        .iter()
        .map(|d| {
            amount(&d["tax_total"])
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(tax.to_string(), amount(&inv["tax_total"]));
    let (status, body) = post(
        &app,
        &format!("/v1/invoices/{id}/credit-notes"),
        &json!({"reason": "again"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing is left: {body}");
    let receivable = trial_balance(&app).await["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == "1100")
        .map(|a| amount(&a["balance"]))
        .unwrap();
    assert_eq!(
        receivable.parse::<rust_decimal::Decimal>().unwrap(),
        rust_decimal::Decimal::ZERO
    );

    // Every document is valid UBL 2.1 against OASIS's schemas.
    let invoice_xml = ubl(&app, id).await;
    validate_ubl("Invoice", std::slice::from_ref(&invoice_xml)).unwrap();
    let notes = vec![
        ubl(&app, one["id"].as_str().unwrap()).await,
        ubl(&app, rest["id"].as_str().unwrap()).await,
    ];
    validate_ubl("CreditNote", &notes).unwrap();
    let text = String::from_utf8(invoice_xml.clone()).unwrap();
    assert!(text.contains("<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>"));
    assert!(text.contains(&format!(
        "<cbc:ID>{}</cbc:ID>",
        inv["number"].as_str().unwrap()
    )));
    assert!(
        text.contains(r#"<cbc:PayableAmount currencyID="EUR">34.87</cbc:PayableAmount>"#),
        "{text}"
    );
    // And the check can fail: elements out of the schema's order are refused.
    let broken = text.replacen(
        "<cbc:IssueDate>",
        "<cbc:Note>misplaced</cbc:Note><cbc:IssueDate>",
        1,
    );
    let report = validate_ubl("Invoice", &[broken.into_bytes()]).unwrap_err();
    assert!(report.contains("Note"), "{report}");
}

#[tokio::test]
async fn a_foreign_business_is_reverse_charged() {
    let app = app().await;
    setup(&app, "web", "tax_exclusive", "per_line").await;
    let order = place(
        &app,
        &Order {
            lines: &[("TEE-1", 1, "100.00")],
            country: "FR",
            vat_id: "FR40303265045",
            ..Default::default()
        },
    )
    .await;
    ship(&app, &order, &[(1, "TEE-1", 1)]).await;
    let inv = wait_documents(&app, &order, 1).await.remove(0);
    assert_eq!(amount(&inv["tax_total"]), "0.00");
    assert_eq!(inv["tax_subtotals"][0]["tax_category"], "AE");
    assert_eq!(inv["buyer"]["vat_id"], "FR40303265045");
    let xml = ubl(&app, inv["id"].as_str().unwrap()).await;
    assert!(String::from_utf8_lossy(&xml).contains("VATEX-EU-AE"));
    validate_ubl("Invoice", &[xml]).unwrap();

    // A French consumer pays French VAT.
    let consumer = place(
        &app,
        &Order {
            lines: &[("TEE-1", 1, "100.00")],
            country: "FR",
            ..Default::default()
        },
    )
    .await;
    ship(&app, &consumer, &[(1, "TEE-1", 1)]).await;
    let inv = wait_documents(&app, &consumer, 1).await.remove(0);
    assert_eq!(amount(&inv["tax_total"]), "20.00");
}

#[tokio::test]
async fn a_shipment_waits_for_what_its_invoice_needs_then_is_invoiced() {
    let app = app().await;
    // No billing settings for the channel yet, and the order not yet known.
    let order_id = uuid::Uuid::now_v7().to_string();
    let fulfillment = ship(&app, &order_id, &[(1, "TEE-1", 1)]).await;
    let pending = get(&app, "/v1/pending-shipments").await;
    assert_eq!(pending[0]["fulfillment_id"], fulfillment.as_str());
    assert!(
        pending[0]["reason"].as_str().unwrap().contains("placement"),
        "{pending}"
    );

    fixtures::publish_applied(
        &app,
        topics::ORDERS_ORDER_EVENTS,
        &order_id,
        &placed(
            &order_id,
            &Order {
                lines: &[("TEE-1", 1, "19.90")],
                ..Default::default()
            },
        ),
    )
    .await;
    let reason = platform::testing::eventually_some(std::time::Duration::from_secs(30), || async {
        let pending = get(&app, "/v1/pending-shipments").await;
        pending[0]["reason"]
            .as_str()
            .filter(|r| r.contains("billing settings"))
            .map(str::to_string)
    })
    .await;
    assert!(reason.is_some(), "waits for the channel's settings next");
    assert!(documents_of(&app, &order_id).await.is_empty());

    setup(&app, "web", "tax_exclusive", "per_document").await;
    let docs = wait_documents(&app, &order_id, 1).await;
    assert_eq!(amount(&docs[0]["gross_total"]), "23.68");
    assert_eq!(get(&app, "/v1/pending-shipments").await, json!([]));
}
