//! Shopify Payments' transactions export and the generic CSV, shaped as
//! written, and the ways they can be wrong; Amazon's lines classified.

use super::*;

const SHOPIFY_HEADER: &str = "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Payout ID,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency";

fn shopify_file(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from(SHOPIFY_HEADER);
    for r in rows {
        s.push_str("\r\n");
        s.push_str(r);
    }
    s.push_str("\r\n");
    s.into_bytes()
}

#[test]
fn a_shopify_payout_reads_as_sales_refunds_and_payment_fees() {
    let file = shopify_file(&[
        "2026-11-28 10:15:02 +0100,charge,#1001,visa,online,paid,2026-12-01,88123456,2026-12-01,59.90,1.99,57.91,,card,59.90,EUR,EUR",
        "2026-11-29 18:02:44 +0100,charge,#1002,mastercard,online,paid,2026-12-01,88123456,2026-12-01,\"1,219.00\",35.60,\"1,183.40\",,card,1219.00,EUR,EUR",
        "2026-11-30 09:00:00 +0100,refund,#1001,visa,online,paid,2026-12-01,88123456,2026-12-01,-19.90,0.00,-19.90,,card,-19.90,EUR,EUR",
        "2026-12-01 06:00:00 +0100,payout,,,,paid,2026-12-01,88123456,2026-12-01,-1221.41,0.00,-1221.41,,,,,EUR",
    ]);
    let p = shopify(&file).unwrap();
    assert_eq!(p.id, "88123456");
    assert_eq!(
        p.total,
        "1221.41".parse::<Decimal>().unwrap(),
        "the nets, not the transfer row"
    );
    assert_eq!(
        p.deposit_date,
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    );
    let shape: Vec<(&str, Kind, String)> = p
        .lines
        .iter()
        .map(|l| (l.order_id.as_str(), l.kind.clone(), l.amount.to_string()))
        .collect();
    assert_eq!(
        shape,
        [
            ("#1001", Kind::Sale, "59.90".into()),
            ("#1001", Kind::Fee("payment".into()), "-1.99".into()),
            ("#1002", Kind::Sale, "1219.00".into()),
            ("#1002", Kind::Fee("payment".into()), "-35.60".into()),
            ("#1001", Kind::Refund, "-19.90".into()),
        ]
    );
    assert_eq!(p.lines.iter().map(|l| l.amount).sum::<Decimal>(), p.total);
}

#[test]
fn a_shopify_file_with_problems_names_each_by_line_and_column() {
    let file = shopify_file(&[
        "2026-11-28,charge,#1001,visa,online,paid,2026-12-01,88123456,2026-12-01,59.90,1.99,57.00,,card,59.90,EUR,EUR",
        "2026-11-28,charge,#1003,visa,online,pending,,,,10.00,0.30,9.70,,card,10.00,EUR,EUR",
        "yesterday,charge,#1004,visa,online,paid,2026-12-01,88999999,2026-12-01,ten,0.30,9.70,,card,10.00,EUR,EUR",
    ]);
    let errors = shopify(&file).unwrap_err();
    let at: Vec<(u64, usize, &str)> = errors
        .iter()
        .map(|e| (e.line, e.column, e.field.as_str()))
        .collect();
    assert_eq!(
        at,
        [
            (2, 12, "Net"),
            (3, 8, "Payout ID"),
            (3, 6, "Payout Status"),
            (4, 8, "Payout ID"),
            (4, 1, "Transaction Date"),
            (4, 10, "Amount"),
            (4, 12, "Net"),
        ]
    );
    let missing = shopify(b"Type,Order,Amount\ncharge,#1,1.00\n").unwrap_err();
    assert!(
        missing
            .iter()
            .any(|e| e.field == "Payout ID" && e.line == 1)
    );
}

#[test]
fn the_generic_csv_reads_every_kind_and_names_bad_fields() {
    let file = b"settlement_id,deposit_date,currency,order_id,sku,type,fee_kind,description,amount,quantity\n\
        S-77,2026-12-01,EUR,B2B-9,TEE-1,sale,,goods,100.00,2\n\
        S-77,2026-12-01,EUR,B2B-9,TEE-1,fee,Commission,referral,-15.00,\n\
        S-77,2026-12-01,EUR,,,fee,storage,monthly storage,-3.20,\n\
        S-77,2026-12-01,EUR,,,other,,reserve held,-10.00,\n";
    let g = generic(file).unwrap();
    assert_eq!(g.total, "71.80".parse::<Decimal>().unwrap());
    let kinds: Vec<Kind> = g.lines.iter().map(|l| l.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            Kind::Sale,
            Kind::Fee("commission".into()),
            Kind::Fee("storage".into()),
            Kind::Other("reserve_held".into())
        ]
    );
    let bad = b"settlement_id,deposit_date,currency,order_id,sku,type,description,amount\n\
        S-77,2026-13-01,EUR,1,A,sale,x,1.00\n\
        S-78,2026-12-01,XX,1,A,gift,x,1.00\n";
    let at: Vec<(u64, usize, String)> = generic(bad)
        .unwrap_err()
        .into_iter()
        .map(|e| (e.line, e.column, e.field))
        .collect();
    assert_eq!(
        at,
        [
            (2, 2, "deposit_date".to_string()),
            (3, 1, "settlement_id".to_string()),
            (3, 3, "currency".to_string()),
            (3, 6, "type".to_string()),
        ]
    );
}

#[test]
fn amazon_amount_types_map_to_sales_fees_and_refunds() {
    assert_eq!(
        fees::classify("Order", "ItemPrice", "Principal"),
        Kind::Sale
    );
    assert_eq!(fees::classify("Order", "ItemPrice", "Tax"), Kind::Sale);
    assert_eq!(
        fees::classify("Order", "ItemFees", "Commission"),
        Kind::Fee("commission".into())
    );
    assert_eq!(
        fees::classify("Order", "ItemFees", "FBAPerUnitFulfillmentFee"),
        Kind::Fee("fulfillment".into())
    );
    assert_eq!(
        fees::classify("Refund", "ItemPrice", "Principal"),
        Kind::Refund
    );
    assert_eq!(
        fees::classify("Order", "ItemFees", "GiftwrapChargeback"),
        Kind::Fee("giftwrap_chargeback".into())
    );
    assert_eq!(
        fees::classify("other-transaction", "other-transaction", "Storage Fee"),
        Kind::Fee("storage_fee".into())
    );
    assert_eq!(
        fees::classify(
            "other-transaction",
            "other-transaction",
            "Current Reserve Amount"
        ),
        Kind::Other("other_transaction_current_reserve_amount".into())
    );
}

#[test]
fn fees_are_estimated_per_line_per_unit_and_once_per_order() {
    let s = fees::Schedule {
        currency: "EUR".parse().unwrap(),
        default_commission: "15".parse().unwrap(),
        commissions: [("books".to_string(), "8".parse().unwrap())].into(),
        per_order: "0.99".parse().unwrap(),
        per_unit_fulfillment: "2.70".parse().unwrap(),
        payment_percent: "1.4".parse().unwrap(),
        payment_fixed: "0.25".parse().unwrap(),
        refund_admin_percent: rust_decimal::Decimal::ZERO,
        refund_admin_max: None,
    };
    let lines = [
        fees::FeeLine {
            sku: "TEE-1".into(),
            fee_category: "default".into(),
            quantity: 2,
            gross: "47.36".parse().unwrap(),
        },
        fees::FeeLine {
            sku: "BOOK-1".into(),
            fee_category: "books".into(),
            quantity: 1,
            gross: "10.70".parse().unwrap(),
        },
    ];
    let first = fees::estimate(&s, &lines, "5.83".parse().unwrap(), true);
    let got: Vec<(&str, Option<&str>, String)> = first
        .iter()
        .map(|e| (e.kind, e.sku.as_deref(), e.amount.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("commission", Some("TEE-1"), "7.10".into()),
            ("fulfillment", Some("TEE-1"), "5.40".into()),
            ("commission", Some("BOOK-1"), "0.86".into()),
            ("fulfillment", Some("BOOK-1"), "2.70".into()),
            ("commission", None, "0.87".into()),
            // (47.36 + 10.70 + 5.83) × 1.4 % + 0.25 = 1.1445 → 1.14
            ("payment", None, "1.14".into()),
            ("order_fee", None, "0.99".into()),
        ]
    );
    let later = fees::estimate(&s, &lines[..1], Decimal::ZERO, false);
    assert!(later.iter().all(|e| e.kind != "order_fee"));
    assert_eq!(
        later
            .iter()
            .find(|e| e.kind == "payment")
            .unwrap()
            .amount
            .to_string(),
        "0.66",
        "no fixed part after the first shipment"
    );
}
