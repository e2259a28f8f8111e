//! Supplier bills, three-way matched: each billed line against its purchase
//! order line's unit cost (the price) and the units received less those
//! billed before (the quantity). Free of I/O.
//!
//! A bill that names an unknown order line, names one twice, or is in
//! another currency is refused (422). One that bills more units than are
//! open, or prices a unit beyond the tolerance, or whose price variance in
//! total exceeds the tolerance's amount, is held for a second finance
//! person. With no tolerance set for the currency only an exact match posts.
//!
//! A charges bill (freight, duty) is spread over the order's received lines
//! by quantity, weight or value; it clears what is left of the estimated
//! charges its receipts were valued with, and the difference goes to the
//! stock value of the units still on hand and to cost of goods for the rest.

use domain::contracts::billing::AllocationBasis;
use domain::{Currency, FieldError};
use rust_decimal::{Decimal, RoundingStrategy};

use super::ledger::{Postings, Tags, accounts};

/// A purchase order line as billing knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub line_no: i32,
    pub sku: String,
    pub unit_cost: Decimal,
    /// Units received, good and damaged.
    pub received: i64,
    /// Units on bills before this one (posted or held).
    pub billed_before: i64,
}

/// One line of the bill as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    pub purchase_order_line: i32,
    pub quantity: i64,
    pub unit_price: Decimal,
}

/// How far a bill may be from its order (zero: exact).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tolerance {
    /// Per unit, percent of the unit cost.
    pub price_percent: Decimal,
    /// The bill's variance in total, either way.
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedLine {
    pub line_no: i32,
    pub purchase_order_line: i32,
    pub sku: String,
    pub quantity: i64,
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
    /// Units × price, to the currency's minor unit.
    pub net: Decimal,
    /// Units × the order's cost, to the minor unit.
    pub expected: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub lines: Vec<MatchedLine>,
    pub net: Decimal,
    pub expected_net: Decimal,
    /// Empty: the bill matched and posts.
    pub hold_reasons: Vec<String>,
}

impl Matched {
    pub fn variance(&self) -> Decimal {
        self.net - self.expected_net
    }
}

fn round(amount: Decimal, currency: Currency) -> Decimal {
    amount.round_dp_with_strategy(
        currency.minor_units(),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// Matches `bill` against the order's lines, or names the fields that
/// make it no bill of this order.
pub fn three_way_match(
    order: &[OrderLine],
    bill: &[BillLine],
    currency: Currency,
    tolerance: Tolerance,
) -> Result<Matched, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut lines = Vec::with_capacity(bill.len());
    let mut holds = Vec::new();
    for (i, b) in bill.iter().enumerate() {
        let field = format!("lines[{i}].purchase_order_line");
        if bill[..i]
            .iter()
            .any(|e| e.purchase_order_line == b.purchase_order_line)
        {
            errors.push(FieldError::new(
                field,
                format!(
                    "purchase order line {} is billed twice in this bill",
                    b.purchase_order_line
                ),
            ));
            continue;
        }
        let Some(o) = order.iter().find(|o| o.line_no == b.purchase_order_line) else {
            errors.push(FieldError::new(
                field,
                format!("the purchase order has no line {}", b.purchase_order_line),
            ));
            continue;
        };
        let open = (o.received - o.billed_before).max(0);
        if b.quantity > open {
            holds.push(format!(
                "line {}: {} billed, {} open ({} received, {} billed before)",
                o.line_no, b.quantity, open, o.received, o.billed_before
            ));
        }
        let allowed = o.unit_cost * tolerance.price_percent / Decimal::ONE_HUNDRED;
        if (b.unit_price - o.unit_cost).abs() > allowed {
            holds.push(format!(
                "line {}: unit price {} against {} ordered, beyond {}%",
                o.line_no,
                b.unit_price.normalize(),
                o.unit_cost.normalize(),
                tolerance.price_percent.normalize()
            ));
        }
        let units = Decimal::from(b.quantity);
        lines.push(MatchedLine {
            line_no: i as i32 + 1,
            purchase_order_line: o.line_no,
            sku: o.sku.clone(),
            quantity: b.quantity,
            unit_price: b.unit_price,
            unit_cost: o.unit_cost,
            net: round(units * b.unit_price, currency),
            expected: round(units * o.unit_cost, currency),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let net: Decimal = lines.iter().map(|l| l.net).sum();
    let expected_net: Decimal = lines.iter().map(|l| l.expected).sum();
    let variance = net - expected_net;
    if variance.abs() > tolerance.amount {
        holds.push(format!(
            "price variance {} {} beyond the tolerance of {}",
            variance.normalize(),
            currency.code(),
            tolerance.amount.normalize()
        ));
    }
    Ok(Matched {
        lines,
        net,
        expected_net,
        hold_reasons: holds,
    })
}

/// A bill's entry: goods received not invoiced cleared at the order's cost
/// of the units billed, the price variance expensed, the input tax
/// recoverable, the gross owed to the supplier.
pub fn bill_postings(m: &Matched, tax: Decimal, currency: Currency) -> Postings {
    let tags = Tags {
        channel_id: None,
        order_id: None,
    };
    let mut p = Postings::default();
    for l in &m.lines {
        p.add(
            accounts::GOODS_RECEIVED_NOT_INVOICED,
            &tags,
            Some(&l.sku),
            currency,
            l.expected,
        );
        p.add(
            accounts::PRICE_VARIANCE,
            &tags,
            Some(&l.sku),
            currency,
            l.net - l.expected,
        );
    }
    p.add(accounts::INPUT_VAT, &tags, None, currency, tax);
    p.add(accounts::PAYABLES, &tags, None, currency, -(m.net + tax));
    p
}

/// A received purchase order line, for spreading a charges bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedLine {
    pub line_no: i32,
    pub sku: String,
    pub received: i64,
    pub unit_cost: Decimal,
    pub weight_grams: i64,
    /// The estimated charges of its receipts still in 2100 (landed value
    /// received less cost of the units received less what charges bills
    /// cleared before).
    pub estimate_left: Decimal,
    /// Units of the SKU on hand now (valued), at most those received count.
    pub on_hand: i64,
    /// The SKU's stock value now: a negative difference takes no more.
    pub stock_value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub line_no: i32,
    pub sku: String,
    pub received: i64,
    pub allocated: Decimal,
    pub estimate_cleared: Decimal,
    pub to_inventory: Decimal,
    pub to_cogs: Decimal,
}

/// Spreads `amount` over the received lines by `basis`, to the minor unit
/// (largest remainder; ties to the earlier line), or says why it cannot.
pub fn allocate_charges(
    lines: &[ReceivedLine],
    basis: AllocationBasis,
    amount: Decimal,
    currency: Currency,
) -> Result<Vec<Allocation>, FieldError> {
    let received: Vec<&ReceivedLine> = lines.iter().filter(|l| l.received > 0).collect();
    if received.is_empty() {
        return Err(FieldError::new(
            "purchase_order_number",
            "nothing of the purchase order has been received: charges are spread over receipts",
        ));
    }
    let weights: Vec<Decimal> = received
        .iter()
        .map(|l| {
            let units = Decimal::from(l.received);
            match basis {
                AllocationBasis::Quantity => units,
                AllocationBasis::Weight => units * Decimal::from(l.weight_grams.max(0)),
                AllocationBasis::Value => units * l.unit_cost,
            }
        })
        .collect();
    let total: Decimal = weights.iter().sum();
    if total.is_zero() {
        return Err(FieldError::new(
            "allocation",
            format!("the received lines have no {basis} to spread the charges by"),
        ));
    }
    // Largest remainder in minor units: the shares add up to the amount.
    let unit = Decimal::new(1, currency.minor_units());
    let minor = (amount / unit).round();
    let exact: Vec<Decimal> = weights.iter().map(|w| minor * w / total).collect();
    let mut shares: Vec<Decimal> = exact.iter().map(|e| e.floor()).collect();
    let mut left = minor - shares.iter().sum::<Decimal>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - shares[b])
            .cmp(&(exact[a] - shares[a]))
            .then(a.cmp(&b))
    });
    for i in order {
        if left <= Decimal::ZERO {
            break;
        }
        shares[i] += Decimal::ONE;
        left -= Decimal::ONE;
    }
    // Stock is never valued below zero: what a SKU's value cannot take
    // (over all its lines) is cost of goods.
    let mut value_left: Vec<(&str, Decimal)> = Vec::new();
    Ok(received
        .iter()
        .zip(shares)
        .map(|(l, share)| {
            let allocated = share * unit;
            let cleared = l.estimate_left.max(Decimal::ZERO);
            let difference = allocated - cleared;
            let on_hand = l.on_hand.clamp(0, l.received);
            let mut to_inventory = round(
                difference * Decimal::from(on_hand) / Decimal::from(l.received),
                currency,
            );
            let left = match value_left.iter_mut().find(|(sku, _)| *sku == l.sku) {
                Some((_, left)) => left,
                None => {
                    value_left.push((&l.sku, l.stock_value.max(Decimal::ZERO)));
                    &mut value_left.last_mut().expect("just pushed").1
                }
            };
            if to_inventory < -*left {
                to_inventory = -*left;
            }
            *left += to_inventory;
            Allocation {
                line_no: l.line_no,
                sku: l.sku.clone(),
                received: l.received,
                allocated,
                estimate_cleared: cleared,
                to_inventory,
                to_cogs: difference - to_inventory,
            }
        })
        .collect())
}

/// A charges bill's entry: the estimate cleared from goods received not
/// invoiced, the difference to inventory and cost of goods, input VAT, the
/// gross owed.
pub fn charges_postings(a: &[Allocation], tax: Decimal, currency: Currency) -> Postings {
    let tags = Tags {
        channel_id: None,
        order_id: None,
    };
    let mut p = Postings::default();
    let mut net = Decimal::ZERO;
    for l in a {
        let sku = Some(l.sku.as_str());
        p.add(
            accounts::GOODS_RECEIVED_NOT_INVOICED,
            &tags,
            sku,
            currency,
            l.estimate_cleared,
        );
        p.add(accounts::INVENTORY, &tags, sku, currency, l.to_inventory);
        p.add(
            accounts::COST_OF_GOODS_SOLD,
            &tags,
            sku,
            currency,
            l.to_cogs,
        );
        net += l.allocated;
    }
    p.add(accounts::INPUT_VAT, &tags, None, currency, tax);
    p.add(accounts::PAYABLES, &tags, None, currency, -(net + tax));
    p
}

#[cfg(test)]
mod tests {
    fn received(
        line_no: i32,
        sku: &str,
        units: i64,
        cost: &str,
        grams: i64,
        left: &str,
        on_hand: i64,
    ) -> ReceivedLine {
        ReceivedLine {
            line_no,
            sku: sku.into(),
            received: units,
            unit_cost: d(cost),
            weight_grams: grams,
            estimate_left: d(left),
            on_hand,
            stock_value: d("1000"),
        }
    }

    #[test]
    fn charges_are_spread_by_quantity_weight_or_value_to_the_cent() {
        let lines = [
            received(1, "TEE", 20, "5.00", 200, "10.00", 20),
            received(2, "CAP", 10, "3.00", 100, "0", 10),
            received(3, "BAG", 0, "9.00", 900, "0", 0),
        ];
        let spread = |basis| {
            allocate_charges(&lines, basis, d("10.00"), eur())
                .unwrap()
                .iter()
                .map(|a| a.allocated)
                .collect::<Vec<_>>()
        };
        // 20 : 10 units; 4000 : 1000 g; 100.00 : 30.00.
        assert_eq!(spread(AllocationBasis::Quantity), [d("6.67"), d("3.33")]);
        assert_eq!(spread(AllocationBasis::Weight), [d("8.00"), d("2.00")]);
        assert_eq!(spread(AllocationBasis::Value), [d("7.69"), d("2.31")]);
    }

    #[test]
    fn a_charges_bill_clears_the_estimate_and_splits_the_difference_by_what_is_on_hand() {
        // 20 tees received with 10.00 of estimated freight; 15 still on hand.
        let lines = [received(1, "TEE", 20, "5.00", 200, "10.00", 15)];
        let a = allocate_charges(&lines, AllocationBasis::Quantity, d("14.00"), eur()).unwrap();
        assert_eq!(
            (a[0].estimate_cleared, a[0].to_inventory, a[0].to_cogs),
            (d("10.00"), d("3.00"), d("1.00"))
        );
        let p = charges_postings(&a, d("2.66"), eur());
        p.check().unwrap();
        // A second bill (duty) finds no estimate left: all of it is difference.
        let lines = [received(1, "TEE", 20, "5.00", 200, "0", 15)];
        let a = allocate_charges(&lines, AllocationBasis::Quantity, d("2.00"), eur()).unwrap();
        assert_eq!((a[0].to_inventory, a[0].to_cogs), (d("1.50"), d("0.50")));
    }

    #[test]
    fn charges_need_a_receipt_and_something_to_spread_by() {
        let none = [received(1, "TEE", 0, "5.00", 200, "0", 0)];
        let e = allocate_charges(&none, AllocationBasis::Quantity, d("1"), eur()).unwrap_err();
        assert_eq!(e.field, "purchase_order_number");
        let weightless = [received(1, "TEE", 5, "5.00", 0, "0", 5)];
        let e = allocate_charges(&weightless, AllocationBasis::Weight, d("1"), eur()).unwrap_err();
        assert_eq!(e.field, "allocation");
    }

    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn order() -> Vec<OrderLine> {
        vec![
            OrderLine {
                line_no: 1,
                sku: "TEE".into(),
                unit_cost: d("5.00"),
                received: 20,
                billed_before: 0,
            },
            OrderLine {
                line_no: 2,
                sku: "CAP".into(),
                unit_cost: d("3.333"),
                received: 10,
                billed_before: 4,
            },
        ]
    }

    fn line(po: i32, quantity: i64, price: &str) -> BillLine {
        BillLine {
            purchase_order_line: po,
            quantity,
            unit_price: d(price),
        }
    }

    fn eur() -> Currency {
        "EUR".parse().unwrap()
    }

    #[test]
    fn an_exact_bill_matches_without_a_tolerance() {
        let m = three_way_match(
            &order(),
            &[line(1, 20, "5.00"), line(2, 6, "3.333")],
            eur(),
            Tolerance::default(),
        )
        .unwrap();
        assert!(m.hold_reasons.is_empty(), "{:?}", m.hold_reasons);
        // 6 × 3.333 = 19.998 → 20.00, per line.
        assert_eq!((m.net, m.expected_net), (d("120.00"), d("120.00")));
        let p = bill_postings(&m, d("22.80"), eur());
        p.check().unwrap();
        let payables: Decimal =
            p.0.iter()
                .filter(|l| l.account == accounts::PAYABLES)
                .map(|l| l.amount)
                .sum();
        assert_eq!(payables, d("-142.80"));
    }

    #[test]
    fn more_units_than_are_open_hold_the_bill() {
        let m = three_way_match(
            &order(),
            &[line(2, 7, "3.333")],
            eur(),
            Tolerance::default(),
        )
        .unwrap();
        assert_eq!(
            m.hold_reasons,
            ["line 2: 7 billed, 6 open (10 received, 4 billed before)"]
        );
    }

    #[test]
    fn a_price_within_tolerance_posts_its_variance_and_one_beyond_holds() {
        let tolerance = Tolerance {
            price_percent: d("2"),
            amount: d("5.00"),
        };
        let within = three_way_match(&order(), &[line(1, 20, "5.10")], eur(), tolerance).unwrap();
        assert!(within.hold_reasons.is_empty(), "{:?}", within.hold_reasons);
        assert_eq!(within.variance(), d("2.00"));
        let p = bill_postings(&within, Decimal::ZERO, eur());
        p.check().unwrap();
        let variance: Vec<_> =
            p.0.iter()
                .filter(|l| l.account == accounts::PRICE_VARIANCE)
                .map(|l| (l.sku.as_deref(), l.amount))
                .collect();
        assert_eq!(variance, [(Some("TEE"), d("2.00"))]);

        let beyond = three_way_match(&order(), &[line(1, 20, "5.11")], eur(), tolerance).unwrap();
        assert_eq!(
            beyond.hold_reasons,
            ["line 1: unit price 5.11 against 5 ordered, beyond 2%"]
        );
        // Cheaper is a variance too: the total cap holds either way.
        let total = three_way_match(
            &order(),
            &[line(1, 20, "4.90"), line(2, 6, "3.27")],
            eur(),
            tolerance,
        )
        .unwrap();
        assert_eq!(total.variance(), d("-2.38"));
        assert!(total.hold_reasons.is_empty());
        let capped = Tolerance {
            amount: d("2.00"),
            ..tolerance
        };
        let held = three_way_match(
            &order(),
            &[line(1, 20, "4.90"), line(2, 6, "3.27")],
            eur(),
            capped,
        )
        .unwrap();
        assert_eq!(
            held.hold_reasons,
            ["price variance -2.38 EUR beyond the tolerance of 2"]
        );
    }

    #[test]
    fn unknown_and_repeated_lines_are_refused_naming_the_field() {
        let errors = three_way_match(
            &order(),
            &[line(1, 1, "5"), line(9, 1, "5"), line(1, 1, "5")],
            eur(),
            Tolerance::default(),
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "lines[1].purchase_order_line",
                "lines[2].purchase_order_line"
            ]
        );
    }
}
