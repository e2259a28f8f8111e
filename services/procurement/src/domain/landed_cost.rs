//! Estimated landed-cost charges (freight, duty, insurance) on a purchase
//! order, allocated to its lines by quantity, weight or value, so each
//! received unit carries its share to billing's stock valuation.
//!
//! Shares are computed exactly in `Decimal` and rounded to the currency's
//! minor unit by the largest-remainder method: the line amounts always add
//! up to the charge, to the cent.

use domain::{Currency, Money, Rounding};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// What a charge is spread by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    Quantity,
    Weight,
    Value,
}

/// A PO line as allocation sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineBasis {
    pub quantity: i64,
    pub weight_grams: i64,
    /// Line value (unit cost × quantity) in the PO's currency.
    pub value: Decimal,
}

/// Splits `charge` over `lines` in proportion to `basis`. Lines with a zero
/// basis get nothing; when every line's basis is zero the charge goes by
/// quantity. None when there is nothing to carry it (no line, or no units).
pub fn allocate(charge: Money, basis: Basis, lines: &[LineBasis]) -> Option<Vec<Money>> {
    // A charge is in whole minor units before it is split (Money allows four
    // decimals; an invoice line does not).
    let charge = charge.round(Rounding::HalfAwayFromZero);
    let weight = |l: &LineBasis, b: Basis| match b {
        Basis::Quantity => Decimal::from(l.quantity.max(0)),
        Basis::Weight => Decimal::from(l.weight_grams.max(0)),
        Basis::Value => l.value.max(Decimal::ZERO),
    };
    let mut basis = basis;
    let mut total: Decimal = lines.iter().map(|l| weight(l, basis)).sum();
    if total.is_zero() {
        basis = Basis::Quantity;
        total = lines.iter().map(|l| weight(l, basis)).sum();
    }
    if total.is_zero() {
        return None;
    }
    let unit = minor_unit(charge.currency);
    let minor_total = (charge.amount / unit).trunc();
    // Exact shares in minor units, their floors, then the cents left over go
    // to the largest remainders (earlier lines first on a tie).
    let exact: Vec<Decimal> = lines
        .iter()
        .map(|l| charge.amount / unit * weight(l, basis) / total)
        .collect();
    let mut cents: Vec<Decimal> = exact.iter().map(|e| e.floor()).collect();
    let left = (minor_total - cents.iter().copied().sum::<Decimal>())
        .to_usize()
        .unwrap_or(0);
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|a, b| {
        (exact[*b] - cents[*b])
            .cmp(&(exact[*a] - cents[*a]))
            .then(a.cmp(b))
    });
    for i in order.into_iter().take(left) {
        cents[i] += Decimal::ONE;
    }
    Some(
        cents
            .into_iter()
            .map(|c| Money {
                amount: c * unit,
                currency: charge.currency,
            })
            .collect(),
    )
}

fn minor_unit(currency: Currency) -> Decimal {
    Decimal::new(1, currency.minor_units())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(s: &str) -> Money {
        Money::parse(s, "EUR").unwrap()
    }

    fn line(quantity: i64, weight_grams: i64, value: &str) -> LineBasis {
        LineBasis {
            quantity,
            weight_grams,
            value: value.parse().unwrap(),
        }
    }

    #[test]
    fn shares_add_up_to_the_charge_to_the_cent() {
        let lines = [line(1, 100, "10"), line(1, 100, "10"), line(1, 100, "10")];
        let shares = allocate(eur("100.00"), Basis::Quantity, &lines).unwrap();
        let amounts: Vec<String> = shares.iter().map(|m| m.amount.to_string()).collect();
        assert_eq!(amounts, ["33.34", "33.33", "33.33"]);
        let sum: Decimal = shares.iter().map(|m| m.amount).sum();
        assert_eq!(sum, "100.00".parse::<Decimal>().unwrap());
        let fine = allocate(eur("10.005"), Basis::Quantity, &lines[..2]).unwrap();
        assert_eq!(
            fine.iter().map(|m| m.amount).sum::<Decimal>(),
            "10.01".parse::<Decimal>().unwrap(),
            "rounded to the cent first"
        );
    }

    #[test]
    fn each_basis_weighs_its_own_measure() {
        let lines = [line(10, 1_000, "50.00"), line(30, 1_000, "150.00")];
        let by = |b| {
            allocate(eur("40.00"), b, &lines)
                .unwrap()
                .iter()
                .map(|m| m.amount.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(by(Basis::Quantity), ["10.00", "30.00"]);
        assert_eq!(by(Basis::Weight), ["20.00", "20.00"]);
        assert_eq!(by(Basis::Value), ["10.00", "30.00"]);
    }

    #[test]
    fn no_measure_falls_back_to_quantity_and_no_units_to_nothing() {
        let weightless = [line(1, 0, "0"), line(3, 0, "0")];
        let shares = allocate(eur("8.00"), Basis::Weight, &weightless).unwrap();
        assert_eq!(shares[1].amount.to_string(), "6.00");
        assert_eq!(
            allocate(eur("8.00"), Basis::Quantity, &[line(0, 0, "0")]),
            None
        );
        assert_eq!(allocate(eur("8.00"), Basis::Value, &[]), None);
    }

    #[test]
    fn currencies_without_cents_allocate_whole_units() {
        let yen = Money::parse("1000", "JPY").unwrap();
        let shares = allocate(yen, Basis::Quantity, &[line(1, 0, "0"), line(2, 0, "0")]).unwrap();
        let amounts: Vec<String> = shares.iter().map(|m| m.amount.to_string()).collect();
        // 333.33 and 666.67: the yen left over goes to the larger remainder.
        assert_eq!(amounts, ["333", "667"]);
    }
}
