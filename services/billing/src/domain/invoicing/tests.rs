use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn eur() -> Currency {
    "EUR".parse().unwrap()
}

fn rules() -> Vec<RateRule> {
    [
        ("DE", "standard", "19"),
        ("DE", "reduced", "7"),
        ("FR", "standard", "20"),
    ]
    .into_iter()
    .map(|(c, k, r)| RateRule {
        country: c.into(),
        tax_category: k.into(),
        rate: d(r),
    })
    .collect()
}

fn line(line_no: i32, sku: &str, quantity: i64, price: &str, discount: &str) -> OrderLine {
    OrderLine {
        line_no,
        sku: sku.into(),
        quantity,
        unit_price: d(price),
        discount: d(discount),
        invoiced_quantity: 0,
        invoiced_discount: Decimal::ZERO,
    }
}

fn consumer(country: &str) -> Buyer {
    Buyer {
        country: country.into(),
        vat_id: None,
    }
}

fn category(sku: &str) -> String {
    if sku.starts_with("BOOK") {
        "reduced"
    } else {
        "standard"
    }
    .into()
}

fn input<'a>(
    buyer: &'a Buyer,
    rules: &'a [RateRule],
    lines: &'a [OrderLine],
    shipped: &'a [(i32, i64)],
    prices: Prices,
) -> InvoiceInput<'a> {
    InvoiceInput {
        currency: eur(),
        prices,
        rounding: Rounding::PerDocument,
        seller_country: "DE",
        buyer,
        rules,
        lines,
        shipped,
        shipping: Some(d("4.90")),
    }
}

#[test]
fn a_shipment_bills_its_units_less_their_discount_plus_shipping_taxed_per_category() {
    let rules = rules();
    let buyer = consumer("DE");
    let lines = [
        line(1, "TEE-1", 2, "19.90", "2.00"),
        line(2, "BOOK-1", 1, "10.00", "1.00"),
    ];
    let doc = invoice(
        &input(&buyer, &rules, &lines, &[(1, 2), (2, 1)], Prices::Exclusive),
        category,
    )
    .unwrap();
    let nets: Vec<Decimal> = doc.lines.iter().map(|l| l.net).collect();
    assert_eq!(nets, [d("37.80"), d("9.00"), d("4.90")]);
    // 19 %: (37.80 + 4.90) × 0.19 = 8.113 → 8.11; 7 %: 9.00 × 0.07 = 0.63.
    assert_eq!(
        (doc.net, doc.tax, doc.gross),
        (d("51.70"), d("8.74"), d("60.44"))
    );
    let by_rate: Vec<(Decimal, Decimal, Decimal)> = doc
        .subtotals
        .iter()
        .map(|s| (s.rate, s.taxable, s.tax))
        .collect();
    assert_eq!(
        by_rate,
        [
            (d("7"), d("9.00"), d("0.63")),
            (d("19"), d("42.70"), d("8.11"))
        ]
    );
}

#[test]
fn partial_shipments_take_the_discount_in_shares_and_the_last_takes_the_rest() {
    let mut l = line(1, "TEE-1", 3, "10.00", "1.00");
    let mut shares = Vec::new();
    for _ in 0..3 {
        let s = discount_share(&l, 1, eur());
        shares.push(s);
        l.invoiced_quantity += 1;
        l.invoiced_discount += s;
    }
    assert_eq!(shares, [d("0.33"), d("0.33"), d("0.34")]);
}

#[test]
fn with_inclusive_prices_line_nets_add_up_to_each_taxable_amount() {
    let rules = rules();
    let buyer = consumer("DE");
    let lines = [
        line(1, "TEE-1", 1, "9.99", "0"),
        line(2, "TEE-2", 1, "9.99", "0"),
        line(3, "TEE-3", 1, "9.99", "0"),
    ];
    let mut i = input(
        &buyer,
        &rules,
        &lines,
        &[(1, 1), (2, 1), (3, 1)],
        Prices::Inclusive,
    );
    i.shipping = None;
    let doc = invoice(&i, category).unwrap();
    assert_eq!(doc.gross, d("29.97"), "what the buyer paid, exactly");
    // 29.97 × 19 / 119 = 4.7851 → 4.79; taxable 25.18 split 8.39 + 8.39 + 8.40.
    assert_eq!(doc.tax, d("4.79"));
    assert_eq!(doc.net, d("25.18"));
    let sum: Decimal = doc.lines.iter().map(|l| l.net).sum();
    assert_eq!(sum, doc.net);
    assert!(
        doc.lines
            .iter()
            .all(|l| l.net == d("8.39") || l.net == d("8.40"))
    );
}

#[test]
fn a_foreign_business_is_reverse_charged_and_bad_shipments_are_named() {
    let rules = rules();
    let business = Buyer {
        country: "FR".into(),
        vat_id: Some("FR40303265045".into()),
    };
    let lines = [line(1, "TEE-1", 1, "100.00", "0")];
    let doc = invoice(
        &input(&business, &rules, &lines, &[(1, 1)], Prices::Exclusive),
        category,
    )
    .unwrap();
    assert_eq!(doc.tax, Decimal::ZERO);
    assert!(
        doc.lines
            .iter()
            .all(|l| l.category == Category::ReverseCharge)
    );

    let buyer = consumer("DE");
    assert_eq!(
        invoice(
            &input(&buyer, &rules, &lines, &[(1, 2)], Prices::Exclusive),
            category
        ),
        Err(InvoiceError::OverShipped {
            line_no: 1,
            shipped: 2,
            left: 1
        })
    );
    assert_eq!(
        invoice(
            &input(&buyer, &rules, &lines, &[(9, 1)], Prices::Exclusive),
            category
        ),
        Err(InvoiceError::UnknownLine(9))
    );
    let nowhere = consumer("JP");
    assert!(matches!(
        invoice(
            &input(&nowhere, &rules, &lines, &[(1, 1)], Prices::Exclusive),
            category
        ),
        Err(InvoiceError::Tax(TaxError::NoRule { .. }))
    ));
}

fn issued(doc: &Document) -> Vec<IssuedLine> {
    doc.lines
        .iter()
        .enumerate()
        .map(|(i, l)| IssuedLine {
            line_no: i as i32 + 1,
            line: l.clone(),
            credited_quantity: 0,
            credited_net: Decimal::ZERO,
        })
        .collect()
}

#[test]
fn credits_in_parts_add_up_to_the_invoice_and_never_exceed_it() {
    let rules = rules();
    let buyer = consumer("DE");
    let lines = [line(1, "TEE-1", 3, "9.99", "0.10")];
    let mut i = input(&buyer, &rules, &lines, &[(1, 3)], Prices::Inclusive);
    i.shipping = None;
    let doc = invoice(&i, category).unwrap();
    let mut on_invoice = issued(&doc);
    let mut credited_tax = BTreeMap::new();
    let (mut net, mut tax) = (Decimal::ZERO, Decimal::ZERO);
    for _ in 0..3 {
        let (credit_lines, note) = credit(
            &on_invoice,
            &doc.subtotals,
            &credited_tax,
            Some(&[(1, 1)]),
            Prices::Inclusive,
            Rounding::PerDocument,
            eur(),
        )
        .unwrap();
        for c in &credit_lines {
            let l = &mut on_invoice[c.credits_line_no as usize - 1];
            l.credited_quantity += c.line.quantity;
            l.credited_net += c.line.net;
        }
        for s in &note.subtotals {
            *credited_tax.entry((s.category, s.rate)).or_default() += s.tax;
        }
        net += note.net;
        tax += note.tax;
    }
    assert_eq!((net, tax), (doc.net, doc.tax), "three thirds are the whole");
    assert_eq!(
        credit(
            &on_invoice,
            &doc.subtotals,
            &credited_tax,
            None,
            Prices::Inclusive,
            Rounding::PerDocument,
            eur()
        ),
        Err(CreditError::Nothing)
    );
    assert!(matches!(
        credit(
            &issued(&doc),
            &doc.subtotals,
            &BTreeMap::new(),
            Some(&[(1, 4)]),
            Prices::Inclusive,
            Rounding::PerDocument,
            eur()
        ),
        Err(CreditError::TooMuch { left: 3, .. })
    ));
}

#[test]
fn a_part_of_a_tax_inclusive_line_gives_back_what_was_paid_for_it() {
    let rules = rules();
    let buyer = consumer("DE");
    // 2 × 19.90 and 10.00 inclusive: the nets 33.45 and 8.40 (per document).
    let lines = [
        line(1, "TEE-1", 2, "19.90", "0"),
        line(2, "MUG-1", 1, "10.00", "0"),
    ];
    let mut i = input(&buyer, &rules, &lines, &[(1, 2), (2, 1)], Prices::Inclusive);
    i.shipping = None;
    let doc = invoice(&i, category).unwrap();
    assert_eq!(doc.gross, d("49.80"));
    let (_, note) = credit(
        &issued(&doc),
        &doc.subtotals,
        &BTreeMap::new(),
        Some(&[(1, 1)]),
        Prices::Inclusive,
        Rounding::PerDocument,
        eur(),
    )
    .unwrap();
    assert_eq!(note.gross, d("19.90"), "one TEE back is what it cost");
    assert_eq!((note.net, note.tax), (d("16.72"), d("3.18")));
}

#[test]
fn allocation_is_exact_in_the_minor_unit() {
    let parts = allocate(d("10.00"), &[d("1"), d("1"), d("1")], eur());
    assert_eq!(parts, [d("3.34"), d("3.33"), d("3.33")]);
    let parts = allocate(d("-0.05"), &[d("3"), d("1")], eur());
    assert_eq!(parts.iter().sum::<Decimal>(), d("-0.05"));
    assert_eq!(
        allocate(d("1.00"), &[Decimal::ZERO, Decimal::ZERO], eur())
            .iter()
            .sum::<Decimal>(),
        d("1.00")
    );
}

#[test]
fn numbers_run_per_entity_kind_and_year() {
    let s = series("EU1", false, 2026);
    assert_eq!(number(&s, 42), "EU1-2026-000042");
    assert_eq!(number(&series("EU1", true, 2027), 1), "EU1-CN-2027-000001");
}
