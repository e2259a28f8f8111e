//! Settlement files shaped as Seller Central writes them (amazon.co.uk and
//! amazon.de), and every way one can be wrong.

use super::*;

/// The V2 flat file's columns, in Seller Central's order.
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

/// A row from (column, value) pairs; every other column empty.
fn row(values: &[(&str, &str)]) -> String {
    HEADER
        .iter()
        .map(|c| values.iter().find(|(k, _)| k == c).map_or("", |(_, v)| *v))
        .collect::<Vec<_>>()
        .join("\t")
}

fn component(
    order: &str,
    sku: &str,
    kind: &str,
    description: &str,
    amount: &str,
    qty: &str,
) -> String {
    row(&[
        ("settlement-id", "18906543210"),
        ("transaction-type", "Order"),
        ("order-id", order),
        ("shipment-id", "FBA12345"),
        ("marketplace-name", "amazon.co.uk"),
        ("amount-type", kind),
        ("amount-description", description),
        ("amount", amount),
        ("fulfillment-id", "AFN"),
        ("posted-date", "2026-03-02"),
        ("posted-date-time", "2026-03-02T14:23:00+00:00"),
        ("order-item-code", "61234567890123"),
        ("sku", sku),
        ("quantity-purchased", qty),
    ])
}

fn uk_file() -> String {
    [
        HEADER.join("\t"),
        row(&[
            ("settlement-id", "18906543210"),
            ("settlement-start-date", "2026-03-01T00:00:00+00:00"),
            ("settlement-end-date", "2026-03-15T00:00:00+00:00"),
            ("deposit-date", "2026-03-17"),
            ("total-amount", "42.03"),
            ("currency", "GBP"),
        ]),
        component(
            "206-1234567-8901234",
            "TEE-RED-M",
            "ItemPrice",
            "Principal",
            "29.99",
            "1",
        ),
        component(
            "206-1234567-8901234",
            "TEE-RED-M",
            "ItemPrice",
            "Tax",
            "6.00",
            "",
        ),
        component(
            "206-1234567-8901234",
            "TEE-RED-M",
            "ItemFees",
            "Commission",
            "-4.50",
            "",
        ),
        component(
            "206-1234567-8901234",
            "TEE-RED-M",
            "ItemFees",
            "FBAPerUnitFulfillmentFee",
            "-2.92",
            "",
        ),
        component(
            "206-1234567-8901234",
            "MUG-1",
            "ItemPrice",
            "Principal",
            "19.96",
            "2",
        ),
        component(
            "206-1234567-8901234",
            "MUG-1",
            "ItemFees",
            "Commission",
            "-3.00",
            "",
        ),
        component(
            "206-1234567-8901234",
            "MUG-1",
            "Promotion",
            "Principal",
            "-1.50",
            "",
        ),
        // The same component twice (Amazon splits some), added up.
        component(
            "206-1234567-8901234",
            "MUG-1",
            "ItemFees",
            "Commission",
            "0.00",
            "",
        ),
        row(&[
            ("settlement-id", "18906543210"),
            ("transaction-type", "other-transaction"),
            ("amount-type", "other-transaction"),
            ("amount-description", "Storage Fee"),
            ("amount", "-2.00"),
            ("posted-date", "2026-03-10"),
        ]),
    ]
    .join("\r\n")
        + "\r\n"
}

#[test]
fn a_settlement_report_reads_as_seller_central_writes_it() {
    let s = parse(uk_file().as_bytes()).unwrap();
    assert_eq!(s.id, "18906543210");
    assert_eq!(s.currency.code(), "GBP");
    assert_eq!(s.total, "42.03".parse().unwrap());
    assert_eq!(
        s.deposit_date,
        NaiveDate::from_ymd_opt(2026, 3, 17).unwrap()
    );
    assert_eq!(s.end.to_rfc3339(), "2026-03-15T00:00:00+00:00");
    assert_eq!(s.components.len(), 9);
    let fee = &s.components[2];
    assert_eq!(
        (
            fee.line,
            fee.amount_type.as_str(),
            fee.amount_description.as_str()
        ),
        (5, "ItemFees", "Commission")
    );
    assert_eq!(fee.amount, "-4.50".parse().unwrap());
    assert_eq!(fee.posted_date, NaiveDate::from_ymd_opt(2026, 3, 2));

    let lines = consolidate(&s.components);
    assert_eq!(lines.len(), 8, "the split commission is one line");
    let mug = lines
        .iter()
        .find(|l| l.sku == "MUG-1" && l.amount_type == "ItemPrice")
        .unwrap();
    assert_eq!((mug.amount, mug.quantity), ("19.96".parse().unwrap(), 2));
    let total: Decimal = lines.iter().map(|l| l.amount).sum();
    assert_eq!(total, s.total);
}

#[test]
fn a_german_report_with_decimal_commas_and_day_first_dates_reads_too() {
    let file = [
        HEADER.join("\t"),
        row(&[
            ("settlement-id", "1234"),
            ("settlement-start-date", "01.03.2026 00:00:00 UTC"),
            ("settlement-end-date", "15.03.2026 00:00:00 UTC"),
            ("deposit-date", "17.03.2026"),
            ("total-amount", "1.210,40"),
            ("currency", "EUR"),
        ]),
        row(&[
            ("settlement-id", "1234"),
            ("transaction-type", "Order"),
            ("order-id", "302-1111111-2222222"),
            ("marketplace-name", "Amazon.de"),
            ("amount-type", "ItemPrice"),
            ("amount-description", "Principal"),
            ("amount", "1.250,00"),
            ("posted-date", "02.03.2026"),
            ("sku", "SOFA-1"),
            ("quantity-purchased", "1"),
        ]),
        row(&[
            ("settlement-id", "1234"),
            ("transaction-type", "Order"),
            ("order-id", "302-1111111-2222222"),
            ("amount-type", "ItemFees"),
            ("amount-description", "Commission"),
            ("amount", "-39,60"),
            ("posted-date", "02.03.2026"),
            ("sku", "SOFA-1"),
        ]),
    ]
    .join("\n");
    let s = parse(file.as_bytes()).unwrap();
    assert_eq!(s.total, "1210.40".parse().unwrap());
    assert_eq!(s.start.to_rfc3339(), "2026-03-01T00:00:00+00:00");
    assert_eq!(s.components[0].amount, "1250.00".parse().unwrap());
    assert_eq!(
        s.components[1].posted_date,
        NaiveDate::from_ymd_opt(2026, 3, 2)
    );
}

#[test]
fn every_bad_field_is_named_by_line_and_column() {
    let mut file = uk_file();
    file = file.replace("\t-4.50\t", "\tfour\t");
    file = file.replace("2026-03-10", "2026-13-10");
    let errors = parse(file.as_bytes()).unwrap_err();
    let places: Vec<(u64, usize, &str)> = errors
        .iter()
        .map(|e| (e.line, e.column, e.field.as_str()))
        .collect();
    assert_eq!(
        places,
        vec![(5, 15, "amount"), (11, 17, "posted-date")],
        "{errors:?}"
    );
}

#[test]
fn components_must_add_up_to_the_total_and_belong_to_the_settlement() {
    let file = uk_file().replace("\t42.03\t", "\t42.04\t");
    let errors = parse(file.as_bytes()).unwrap_err();
    assert_eq!(
        (errors[0].line, errors[0].column, errors[0].field.as_str()),
        (2, 5, "total-amount")
    );
    assert!(errors[0].message.contains("42.03"), "{}", errors[0].message);

    let mut lines: Vec<String> = uk_file().lines().map(str::to_string).collect();
    lines[4] = lines[4].replacen("18906543210", "999", 1);
    let errors = parse(lines.join("\n").as_bytes()).unwrap_err();
    assert_eq!(
        (errors[0].line, errors[0].field.as_str()),
        (5, "settlement-id")
    );
}

#[test]
fn a_file_that_is_not_a_settlement_report_says_so() {
    let errors = parse(b"sku,channel,date,quantity\nA,web,2026-01-01,1\n").unwrap_err();
    assert!(errors.iter().all(|e| e.line == 1));
    assert!(errors.iter().any(|e| e.field == "total-amount"));
    let errors = parse(b"").unwrap_err();
    assert_eq!(errors[0].field, "file");
    let errors = parse(HEADER.join("\t").as_bytes()).unwrap_err();
    assert!(errors[0].message.contains("no summary row"));
    // A component first, with no summary: refused on its line.
    let file = [
        HEADER.join("\t"),
        component("1", "A", "ItemPrice", "Principal", "1.00", "1"),
    ]
    .join("\n");
    let errors = parse(file.as_bytes()).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.line == 2 && e.message.contains("summary")),
        "{errors:?}"
    );
}
