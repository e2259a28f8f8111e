//! Bank statements pay what they name: a camt.053 credit moves a
//! settlement's payout from in transit to the bank, a CSV line pays a B2B
//! invoice within the tolerance; the rest is queued. Margin per order,
//! channel, SKU and day follows every posting, as JSON and CSV, with the
//! orders sold at a loss.

mod common;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A camt.053.001.08 statement with booked credit entries (amount,
/// remittance text, the bank's reference), as a bank writes it.
fn camt053(entries: &[(&str, &str, &str)]) -> Vec<u8> {
    let today = Utc::now().date_naive();
    let mut ntry = String::new();
    for (amount, remittance, bank_ref) in entries {
        ntry.push_str(&format!(
            r#"
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{today}</Dt></BookgDt>
        <ValDt><Dt>{today}</Dt></ValDt>
        <AcctSvcrRef>{bank_ref}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <Amt Ccy="EUR">{amount}</Amt>
            <RltdPties><Dbtr><Pty><Nm>Amazon Payments Europe S.C.A.</Nm></Pty></Dbtr></RltdPties>
            <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>STMT-{today}-1</MsgId>
      <CreDtTm>{today}T06:00:00+01:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>STMT-{today}-1</Id>
      <ElctrncSeqNb>1</ElctrncSeqNb>
      <CreDtTm>{today}T06:00:00+01:00</CreDtTm>
      <Acct>
        <Id><IBAN>DE89370400440532013000</IBAN></Id>
        <Ccy>EUR</Ccy>
      </Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="EUR">1000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>{today}</Dt></Dt>
      </Bal>{ntry}
    </Stmt>
  </BkToCstmrStmt>
</Document>
"#
    )
    .into_bytes()
}

#[tokio::test]
async fn payouts_and_customer_payments_are_matched_and_margin_follows() {
    let app = app().await;
    setup(&app, "amazon-de", "tax_inclusive", "per_document").await;
    setup(&app, "b2b", "tax_exclusive", "per_document").await;
    put(
        &app,
        "/v1/fee-schedules/amazon-de/2026-01-01",
        &json!({
        "currency": "EUR", "default_commission_percent": "15",
        "per_order_fee": {"amount": "0", "currency": "EUR"},
        "per_unit_fulfillment_fee": {"amount": "0", "currency": "EUR"},
        "payment_percent": "0", "payment_fixed_fee": {"amount": "0", "currency": "EUR"}}),
    )
    .await;
    receive(&app, &[("TEE-1", 10, 0, "8.00")]).await;
    let order = place(
        &app,
        &Order {
            channel: "amazon-de",
            external_id: "302-2222222-2222222",
            lines: &[("TEE-1", 2, "19.90")],
            ..Default::default()
        },
    )
    .await;
    ship(&app, &order, &[(1, "TEE-1", 2)]).await;
    wait_documents(&app, &order, 1).await;
    let report = amazon_report(
        "55555",
        &[
            (
                "Order",
                "302-2222222-2222222",
                "TEE-1",
                "ItemPrice",
                "Principal",
                "33,45",
                "2",
            ),
            (
                "Order",
                "302-2222222-2222222",
                "TEE-1",
                "ItemPrice",
                "Tax",
                "6,35",
                "2",
            ),
            (
                "Order",
                "302-2222222-2222222",
                "TEE-1",
                "ItemFees",
                "Commission",
                "-6,12",
                "2",
            ),
        ],
    );
    let (status, s) = upload(
        &app,
        "/v1/settlements?channel=amazon-de&format=amazon_v2",
        "text/tab-separated-values",
        report,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");

    // A business customer's invoice, paid by transfer with its number.
    let b2b = place(
        &app,
        &Order {
            channel: "b2b",
            lines: &[("TEE-1", 1, "100.00")],
            ..Default::default()
        },
    )
    .await;
    ship(&app, &b2b, &[(1, "TEE-1", 1)]).await;
    let invoice = wait_documents(&app, &b2b, 1).await.remove(0);
    let number = invoice["number"].as_str().unwrap().to_string();
    assert_eq!(invoice["gross_total"]["amount"], "119.00");

    // A bad statement is refused whole.
    let broken = String::from_utf8(camt053(&[("33.68", "AMAZON 55555", "B-1")]))
        .unwrap()
        .replace(
            "<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>",
            "<CdtDbtInd>CREDIT</CdtDbtInd>\n        <Sts>",
        );
    let (status, problem) = upload(
        &app,
        "/v1/bank-statements?format=camt053",
        "application/xml",
        broken.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "Ntry/CdtDbtInd");
    assert_eq!(
        problem["errors"][0]["line"], 24,
        "the CdtDbtInd of the first entry"
    );

    let statement = camt053(&[
        ("33.68", "AMAZON EU SARL 55555 PAYOUT", "B-1"),
        ("50.00", "unknown transfer", "B-2"),
    ]);
    let (status, imported) = upload(
        &app,
        "/v1/bank-statements?format=camt053",
        "application/xml",
        statement.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
    assert_eq!(
        (imported["lines"].as_i64(), imported["matched"].as_i64()),
        (Some(2), Some(1))
    );
    let (status, again) = upload(
        &app,
        "/v1/bank-statements?format=camt053",
        "application/xml",
        statement,
    )
    .await;
    assert_eq!((status, again), (StatusCode::OK, imported));

    let csv = format!(
        "statement_id,account,booking_date,amount,currency,bank_reference,reference,counterparty\n\
         CSV-1,DE89370400440532013000,{},118.97,EUR,B-3,Invoice {number} thank you,Analytical Engines SARL\n",
        Utc::now().date_naive()
    );
    let (status, paid) = upload(
        &app,
        "/v1/bank-statements?format=csv",
        "text/csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    assert_eq!(
        paid["matched"], 1,
        "3 cents short, within the 5 cent tolerance"
    );

    let queued = get(&app, "/v1/bank-lines").await;
    assert_eq!(queued.as_array().unwrap().len(), 1);
    assert_eq!(queued[0]["bank_reference"], "B-2");
    let tb = trial_balance(&app).await;
    assert_eq!(
        balance(&tb, "1250"),
        Decimal::ZERO,
        "the payout reached the bank"
    );
    assert_eq!(
        balance(&tb, "1200"),
        d("152.65"),
        "33.68 + 118.97; the unknown 50.00 waits"
    );
    assert_eq!(balance(&tb, "6900"), d("0.03"));
    assert_eq!(tb["total_debit"], tb["total_credit"]);

    // Margin of the marketplace order: 39.80 gross is 33.45 net of 19 % VAT;
    // cost 2 × 8.00; commission 6.12 as settled.
    let today = Utc::now().date_naive();
    let orders = get(
        &app,
        &format!("/v1/margin?group_by=order&from={today}&to={today}&channel=amazon-de"),
    )
    .await;
    let m = &orders["items"][0];
    assert_eq!(m["key"], order.as_str());
    assert_eq!(
        [
            &m["revenue"]["amount"],
            &m["cogs"]["amount"],
            &m["channel_fees"]["amount"],
            &m["margin"]["amount"]
        ],
        ["33.45", "16.00", "6.12", "11.33"]
    );
    let channels = get(
        &app,
        &format!("/v1/margin?group_by=channel&from={today}&to={today}"),
    )
    .await;
    let by_channel: Vec<(String, String)> = channels["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["margin"]["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        by_channel,
        [
            ("amazon-de".to_string(), "11.33".to_string()),
            ("b2b".to_string(), "92.00".to_string())
        ]
    );
    let skus = get(
        &app,
        &format!("/v1/margin?group_by=sku&from={today}&to={today}"),
    )
    .await;
    assert_eq!(skus["items"][0]["margin"]["amount"], "103.33");
    let losses = get(
        &app,
        &format!("/v1/margin?group_by=order&from={today}&to={today}&loss_only=true"),
    )
    .await;
    assert_eq!(losses["items"], json!([]), "nothing sold at a loss");
    let res = app
        .client
        .get(app.url(&format!(
            "/v1/margin/export?group_by=channel&from={today}&to={today}"
        )))
        .bearer_auth(ops())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(
        text.starts_with("key,channel_id,day,currency,revenue"),
        "{text}"
    );
    assert!(
        text.contains("\r\namazon-de,amazon-de,,EUR,33.45,0.00,16.00,6.12,0.00,0.00,11.33\r\n"),
        "{text}"
    );
    let (status, problem) = app
        .get_json(
            &format!("/v1/margin?group_by=channel&from={today}&to=2000-01-01"),
            &ops(),
        )
        .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("to"))
    );
}
