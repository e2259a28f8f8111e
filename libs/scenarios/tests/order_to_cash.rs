//! Receipt to cash across all six services over Kafka: products received
//! at a landed cost (procurement's order with a freight charge, the dock's
//! receipt) → a marketplace order reserved, picked, packed and shipped →
//! billing's invoice with the right tax and the next number of its series →
//! the channel's fees estimated → the marketplace's settlement file
//! imported: fees trued up, one line left for finance → the payout found in
//! a camt.053 bank statement → margin for the order, the channel and the
//! SKU equal to the figure computed by hand below.

use std::time::Duration;

use chrono::{Datelike, Utc};
use platform::Role;
use platform::testing::{channel_token, eventually, scalar, token, token_for};
use reqwest::{Method, StatusCode};
use scenarios::{Stack, call, fulfillments, ops, pack_and_ship, release, scan, wait_for};
use serde_json::{Value, json};

const WH: &str = "WH-O2C";
const SKU: &str = "O2C-TEE";
const CHANNEL: &str = "amazon-o2c";
const EXTERNAL: &str = "302-7777777-7777777";

fn finance() -> String {
    token(&[Role::Finance])
}

fn buyer() -> String {
    token_for("bea", &[Role::Buyer])
}

async fn ok(
    app: &platform::testing::TestApp,
    method: Method,
    path: &str,
    bearer: &str,
    body: Value,
) -> Value {
    let (status, answer) = call(app, method.clone(), path, bearer, Some(&body)).await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

async fn upload(
    app: &platform::testing::TestApp,
    path: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(finance())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A V2 settlement report as amazon.de writes it (decimal commas,
/// day-first dates): the summary row, then the amount components.
fn settlement_report(id: &str, components: &[(&str, &str, &str, &str, &str)]) -> String {
    const HEADER: [&str; 24] = [
        "settlement-id",
        "settlement-start-date",
        "settlement-end-date",
        "deposit-date",
        "total-amount",
        "currency",
        "transaction-type",
        "order-id",
        "merchant-order-id",
        "adjustment-id",
        "shipment-id",
        "marketplace-name",
        "amount-type",
        "amount-description",
        "amount",
        "fulfillment-id",
        "posted-date",
        "posted-date-time",
        "order-item-code",
        "merchant-order-item-id",
        "merchant-adjustment-item-id",
        "sku",
        "quantity-purchased",
        "promotion-id",
    ];
    let row = |values: &[(&str, &str)]| {
        HEADER
            .iter()
            .map(|c| values.iter().find(|(k, _)| k == c).map_or("", |(_, v)| *v))
            .collect::<Vec<_>>()
            .join("\t")
    };
    let total: rust_decimal::Decimal = components
        .iter()
        .map(|c| {
            c.4.replace(',', ".")
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    let total = total.to_string().replace('.', ",");
    // The settlement covers the run's own day and is paid out that day, so
    // its true-up counts in the same day as the shipment it settles.
    let today = Utc::now().date_naive();
    let start = format!(
        "{} 00:00:00 UTC",
        (today - chrono::Days::new(14)).format("%d.%m.%Y")
    );
    let end = format!("{} 23:59:59 UTC", today.format("%d.%m.%Y"));
    let deposit = format!("{} 00:00:00 UTC", today.format("%d.%m.%Y"));
    let posted = today.format("%d.%m.%Y").to_string();
    let mut lines = vec![HEADER.join("\t")];
    lines.push(row(&[
        ("settlement-id", id),
        ("settlement-start-date", &start),
        ("settlement-end-date", &end),
        ("deposit-date", &deposit),
        ("total-amount", &total),
        ("currency", "EUR"),
    ]));
    for (order, sku, kind, description, amount) in components {
        lines.push(row(&[
            ("settlement-id", id),
            ("transaction-type", "Order"),
            ("order-id", order),
            ("marketplace-name", "Amazon.de"),
            ("amount-type", kind),
            ("amount-description", description),
            ("amount", amount),
            ("fulfillment-id", "MFN"),
            ("posted-date", &posted),
            ("sku", sku),
            (
                "quantity-purchased",
                if *kind == "ItemPrice" { "2" } else { "" },
            ),
        ]));
    }
    lines.join("\n") + "\n"
}

fn camt053(amount: &str, remittance: &str) -> String {
    let today = Utc::now().date_naive();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>O2C-{today}</MsgId><CreDtTm>{today}T06:00:00Z</CreDtTm></GrpHdr>
    <Stmt>
      <Id>O2C-{today}</Id>
      <CreDtTm>{today}T06:00:00Z</CreDtTm>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{today}</Dt></BookgDt>
        <ValDt><Dt>{today}</Dt></ValDt>
        <AcctSvcrRef>2026120200071</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties><Dbtr><Pty><Nm>Amazon Payments Europe S.C.A.</Nm></Pty></Dbtr></RltdPties>
          <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"#
    )
}

fn amount(v: &Value) -> String {
    v["amount"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_marketplace_order_from_receipt_to_cash_has_the_margin_computed_by_hand() {
    let stack = Stack::start().await;
    let ops = ops();
    let b = &stack.billing;

    // Billing: the seller, how the channel is taxed, its fees.
    ok(
        b,
        Method::PUT,
        "/v1/legal-entities/EU1",
        &finance(),
        json!({
        "name": "Crossdock Demo GmbH", "country": "DE", "vat_id": "DE136695976",
        "street": "Friedrichstraße 1", "city": "Berlin", "postal_code": "10117"}),
    )
    .await;
    ok(
        b,
        Method::PUT,
        &format!("/v1/channel-billing/{CHANNEL}"),
        &finance(),
        json!({"legal_entity": "EU1", "prices": "tax_inclusive", "rounding": "per_document"}),
    )
    .await;
    ok(
        b,
        Method::PUT,
        "/v1/tax-rules/DE/standard",
        &finance(),
        json!({"rate": "19"}),
    )
    .await;
    ok(
        b,
        Method::PUT,
        &format!("/v1/fee-schedules/{CHANNEL}/2026-01-01"),
        &finance(),
        json!({
        "currency": "EUR", "default_commission_percent": "15",
        "per_order_fee": {"amount": "0", "currency": "EUR"},
        "per_unit_fulfillment_fee": {"amount": "0", "currency": "EUR"},
        "payment_percent": "0", "payment_fixed_fee": {"amount": "0", "currency": "EUR"}}),
    )
    .await;

    // The product, the location and its bin, the channel.
    ok(&stack.catalog, Method::POST, "/v1/products", &ops, json!({
        "title": "Order-to-cash tee", "status": "active",
        "variants": [{"sku": SKU, "weight_grams": 200, "cost_price": {"amount": "4.00", "currency": "EUR"},
                      "listings": [{"channel_id": CHANNEL, "price": {"amount": "29.75", "currency": "EUR"}}]}]})).await;
    ok(
        &stack.inventory,
        Method::PUT,
        &format!("/v1/locations/{WH}"),
        &ops,
        json!({"name": "O2C DC", "kind": "warehouse", "priority": 10}),
    )
    .await;
    // Every service that checks SKUs has heard of this one.
    for (app, table) in [
        (&stack.warehouse, "skus"),
        (&stack.procurement, "skus"),
        (&stack.orders, "catalog_skus"),
    ] {
        let db = &app.runtime().db;
        assert!(
            eventually(Duration::from_secs(30), || async {
                scalar(
                    db,
                    &format!("SELECT count(*) AS n FROM {table} WHERE sku = '{SKU}'"),
                )
                .await
                    == 1
            })
            .await,
            "{table} has {SKU}"
        );
    }
    ok(&stack.warehouse, Method::PUT, &format!("/v1/locations/{WH}/bins/R-01"), &ops,
       json!({"zone": "R", "aisle": "01", "shelf": "01", "level": "1", "walk_sequence": 1, "skus": [SKU]})).await;
    ok(&stack.orders, Method::PUT, &format!("/v1/channels/{CHANNEL}"), &ops,
       json!({"kind": "marketplace", "name": "Amazon O2C", "currency": "EUR", "backorder_policy": "reject"})).await;

    // Procurement: 20 units at 5.00 with 10.00 freight spread by quantity,
    // a landed cost of 5.50 each; received whole at the dock.
    let p = &stack.procurement;
    ok(
        p,
        Method::PUT,
        "/v1/suppliers/ACME",
        &buyer(),
        json!({"name": "Acme", "currency": "EUR", "payment_terms_days": 30}),
    )
    .await;
    ok(
        p,
        Method::PUT,
        &format!("/v1/suppliers/ACME/products/{SKU}"),
        &buyer(),
        json!({
        "supplier_sku": "AC-O2C", "unit_cost": {"amount": "5.00", "currency": "EUR"},
        "moq": 1, "pack_size": 1, "lead_time_days": 5, "preferred_rank": 1}),
    )
    .await;
    ok(
        p,
        Method::PUT,
        &format!("/v1/reorder-rules/{SKU}/{WH}"),
        &buyer(),
        json!({"kind": "min_max", "min_units": 5, "max_units": 20}),
    )
    .await;
    ok(p, Method::PUT, "/v1/approval-policy", &finance(),
       json!({"thresholds": [{"amount": "10000", "currency": "EUR"}], "auto_approve_below": false})).await;
    let db = &p.runtime().db;
    assert!(
        eventually(Duration::from_secs(30), || async {
            scalar(
                db,
                &format!("SELECT count(*) AS n FROM stock_levels WHERE sku = '{SKU}'"),
            )
            .await
                >= 0
        })
        .await
    );
    let run = ok(
        p,
        Method::POST,
        "/v1/replenishment-runs",
        &buyer(),
        json!({}),
    )
    .await;
    let po = &run["purchase_orders"][0];
    assert_eq!(po["lines"][0]["quantity"], 20, "{run}");
    let id = po["id"].as_str().unwrap().to_string();
    let number = po["number"].as_str().unwrap().to_string();
    ok(p, Method::POST, &format!("/v1/purchase-orders/{id}/charges"), &buyer(),
       json!({"kind": "freight", "amount": {"amount": "10.00", "currency": "EUR"}, "basis": "quantity"})).await;
    ok(
        p,
        Method::POST,
        &format!("/v1/purchase-orders/{id}/approve"),
        &buyer(),
        json!({}),
    )
    .await;
    ok(
        p,
        Method::POST,
        &format!("/v1/purchase-orders/{id}/send"),
        &buyer(),
        json!({}),
    )
    .await;
    let dock = token(&[Role::Warehouse]);
    wait_for(
        &stack.warehouse,
        &format!("/v1/inbound-orders?location={WH}"),
        &dock,
        |l| {
            l.as_array()
                .is_some_and(|l| l.iter().any(|o| o["number"] == number.as_str()))
        },
    )
    .await;
    let receipt = ok(
        &stack.warehouse,
        Method::POST,
        "/v1/receipts",
        &dock,
        json!({"purchase_order": number}),
    )
    .await;
    let receipt_id = receipt["id"].as_str().unwrap();
    ok(
        &stack.warehouse,
        Method::POST,
        &format!("/v1/receipts/{receipt_id}/scans"),
        &dock,
        json!({"item": SKU, "quantity": 20, "bin": "R-01"}),
    )
    .await;
    ok(
        &stack.warehouse,
        Method::POST,
        &format!("/v1/receipts/{receipt_id}/complete"),
        &dock,
        json!({}),
    )
    .await;
    let bdb = &b.runtime().db;
    assert!(
        eventually(Duration::from_secs(30), || async {
            scalar(bdb, &format!("SELECT count(*) AS n FROM stock_values WHERE sku = '{SKU}' AND quantity = 20 AND value = 110")).await == 1
        })
        .await,
        "billing values the 20 units at 110.00"
    );
    wait_for(
        &stack.inventory,
        &format!("/v1/availability?channel={CHANNEL}&sku={SKU}"),
        &ops,
        |a| a["available_to_sell"] == 20,
    )
    .await;

    // The marketplace's order: 2 × 29.75, tax included.
    let (status, order) = call(&stack.orders, Method::POST, "/v1/orders", &channel_token(CHANNEL), Some(&json!({
        "external_order_id": EXTERNAL,
        "customer": {"email": "grace@example.com", "name": "Grace Hopper"},
        "shipping_address": {"name": "Grace Hopper", "line1": "Hauptstr. 5", "city": "Hamburg", "postal_code": "20095", "country": "DE"},
        "lines": [{"sku": SKU, "quantity": 2, "unit_price": {"amount": "29.75", "currency": "EUR"}}],
        "shipping_total": {"amount": "0", "currency": "EUR"},
        // Orders adds tax on top of the lines; this channel's prices include it.
        "tax_total": {"amount": "0", "currency": "EUR"},
        "discount_total": {"amount": "0", "currency": "EUR"},
        "total": {"amount": "59.50", "currency": "EUR"},
        "payment_status": "paid",
        "placed_at": Utc::now().to_rfc3339()}))).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let order_id = order["id"].as_str().unwrap().to_string();
    wait_for(
        &stack.orders,
        &format!("/v1/orders/{order_id}"),
        &ops,
        |o| o["status"] == "confirmed",
    )
    .await;
    let f = fulfillments(&stack, &order_id, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tasks = release(&stack, &f).await;
    scan(&stack, &tasks[0], SKU, 2).await;
    pack_and_ship(&stack, &f, &[(SKU.to_string(), 2)], "00340434161094042557").await;

    // The invoice: 59.50 paid is 50.00 + 9.50 VAT at 19 %; the first number.
    let invoices = wait_for(
        b,
        &format!("/v1/invoices?order_id={order_id}"),
        &finance(),
        |p| p["items"].as_array().is_some_and(|i| i.len() == 1),
    )
    .await;
    let invoice = &invoices["items"][0];
    assert_eq!(
        invoice["number"],
        format!("EU1-{}-000001", Utc::now().year())
    );
    assert_eq!(invoice["external_order_id"], EXTERNAL);
    assert_eq!(
        (
            amount(&invoice["net_total"]),
            amount(&invoice["tax_total"]),
            amount(&invoice["gross_total"])
        ),
        ("50.00".into(), "9.50".into(), "59.50".into())
    );
    // Fees estimated: 15 % of 59.50 = 8.925 → 8.93.
    let (_, tb) = call(
        b,
        Method::GET,
        "/v1/trial-balance?currency=EUR",
        &finance(),
        None,
    )
    .await;
    let accrued = tb["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == "2300")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (amount(&accrued["credit"]), amount(&accrued["debit"])),
        ("8.93".into(), "0.00".into()),
        "{tb}"
    );

    // The settlement: commission 9.10 actual; a line of an order billing
    // never heard of stays for finance.
    let report = settlement_report(
        "66778899",
        &[
            (EXTERNAL, SKU, "ItemPrice", "Principal", "50,00"),
            (EXTERNAL, SKU, "ItemPrice", "Tax", "9,50"),
            (EXTERNAL, SKU, "ItemFees", "Commission", "-9,10"),
            (
                "302-0000000-0000000",
                "OTHER-1",
                "ItemPrice",
                "Principal",
                "5,00",
            ),
        ],
    );
    let (status, s) = upload(
        b,
        &format!("/v1/settlements?channel={CHANNEL}&format=amazon_v2"),
        "text/tab-separated-values",
        report,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(
        (
            amount(&s["total"]),
            amount(&s["fee_true_up"]),
            s["exceptions"].as_i64()
        ),
        ("55.40".into(), "0.17".into(), Some(1))
    );
    let (_, queue) = call(
        b,
        Method::GET,
        "/v1/settlement-exceptions",
        &finance(),
        None,
    )
    .await;
    assert_eq!(queue[0]["order_ref"], "302-0000000-0000000");

    // The payout in the bank statement.
    let (status, statement) = upload(
        b,
        "/v1/bank-statements?format=camt053",
        "application/xml",
        camt053("55.40", "AMAZON EU S.A R.L. 66778899"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{statement}");
    assert_eq!(statement["matched"], 1);

    // Margin by hand: revenue 50.00 (net of VAT) − cost of goods 2 × 5.50
    // (5.00 + 10.00 freight / 20 units) − commission 9.10 = 29.90.
    let today = Utc::now().date_naive();
    let by = |group: &str| {
        format!("/v1/margin?group_by={group}&from={today}&to={today}&channel={CHANNEL}")
    };
    let (_, orders) = call(b, Method::GET, &by("order"), &ops, None).await;
    let m = &orders["items"][0];
    assert_eq!(m["key"], order_id.as_str());
    assert_eq!(
        [
            amount(&m["revenue"]),
            amount(&m["cogs"]),
            amount(&m["channel_fees"]),
            amount(&m["margin"])
        ],
        ["50.00", "11.00", "9.10", "29.90"]
    );
    let (_, channels) = call(b, Method::GET, &by("channel"), &ops, None).await;
    assert_eq!(amount(&channels["items"][0]["margin"]), "29.90");
    let (_, skus) = call(b, Method::GET, &by("sku"), &ops, None).await;
    assert_eq!(skus["items"][0]["key"], SKU);
    assert_eq!(amount(&skus["items"][0]["margin"]), "29.90");

    // And the books balance.
    let (_, tb) = call(
        b,
        Method::GET,
        "/v1/trial-balance?currency=EUR",
        &finance(),
        None,
    )
    .await;
    assert_eq!(tb["total_debit"], tb["total_credit"]);
}
