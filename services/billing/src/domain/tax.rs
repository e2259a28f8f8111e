//! Sales tax on an invoice, free of I/O: the rate of each line from the
//! channel's rules (destination country × tax category), reverse charge for
//! business buyers with a VAT id in another country, prices that include
//! tax or not, and one explicit rounding rule:
//!
//! - `PerDocument` (the EN 16931 rule, BR-CO-17): per tax category and rate,
//!   the tax is the category's taxable amount × rate, rounded once to the
//!   currency's minor unit (half away from zero). Line amounts carry no
//!   rounded tax of their own. This is what the UBL rendering states.
//! - `PerLine`: each line's tax is rounded, and the category's tax is the sum
//!   of the rounded line taxes (what many shop systems print); the sum may
//!   differ from taxable × rate by a few minor units, which is why it is a
//!   per-channel choice, never silent.
//!
//! With tax-inclusive prices the gross is what the buyer paid and is kept
//! exactly; the tax is taken out of it (gross × rate / (100 + rate)) and the
//! net is the rest.

use std::collections::BTreeMap;

use domain::Currency;
use rust_decimal::{Decimal, RoundingStrategy};

/// Whether a channel's prices include tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prices {
    Inclusive,
    Exclusive,
}

/// Where tax is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    PerDocument,
    PerLine,
}

/// The EN 16931 VAT category of a line (UNCL5305 codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// S: standard or reduced rate.
    Standard,
    /// Z: zero rated.
    Zero,
    /// AE: reverse charge, the buyer accounts for the tax.
    ReverseCharge,
}

impl Category {
    pub fn code(&self) -> &'static str {
        match self {
            Category::Standard => "S",
            Category::Zero => "Z",
            Category::ReverseCharge => "AE",
        }
    }
}

/// A rate rule: in `country`, goods of `tax_category` (e.g. "standard",
/// "reduced", "zero") carry `rate` percent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRule {
    pub country: String,
    pub tax_category: String,
    pub rate: Decimal,
}

/// Who buys, as tax sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    /// ISO 3166 alpha-2 of the destination.
    pub country: String,
    /// A business buyer's VAT id, if it gave one.
    pub vat_id: Option<String>,
}

/// Why a line's rate cannot be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxError {
    #[error("no tax rule for category '{tax_category}' in {country}")]
    NoRule {
        country: String,
        tax_category: String,
    },
}

/// The rate and category of goods of `tax_category` sold from
/// `seller_country` to `buyer`: reverse charge (0 %) for a business buyer
/// with a VAT id in another country, else the destination's rule.
pub fn rate_for(
    rules: &[RateRule],
    seller_country: &str,
    buyer: &Buyer,
    tax_category: &str,
) -> Result<(Category, Decimal), TaxError> {
    if buyer
        .vat_id
        .as_deref()
        .is_some_and(|v| !v.trim().is_empty())
        && buyer.country != seller_country
    {
        return Ok((Category::ReverseCharge, Decimal::ZERO));
    }
    let rule = rules
        .iter()
        .find(|r| r.country == buyer.country && r.tax_category == tax_category)
        .ok_or_else(|| TaxError::NoRule {
            country: buyer.country.clone(),
            tax_category: tax_category.to_string(),
        })?;
    let category = if rule.rate.is_zero() {
        Category::Zero
    } else {
        Category::Standard
    };
    Ok((category, rule.rate))
}

/// A line to tax: its amount after discounts (gross with inclusive prices,
/// net with exclusive ones), its category and rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub amount: Decimal,
    pub category: Category,
    pub rate: Decimal,
}

/// A line's figures. With per-document rounding a line's tax is the exact
/// (unrounded) share, kept only to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxedLine {
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

/// One tax subtotal of the document (EN 16931 BG-23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subtotal {
    pub category: Category,
    pub rate: Decimal,
    pub taxable: Decimal,
    pub tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxed {
    pub lines: Vec<TaxedLine>,
    pub subtotals: Vec<Subtotal>,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

fn round(v: Decimal, currency: Currency) -> Decimal {
    v.round_dp_with_strategy(
        currency.minor_units(),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// Tax of `amount` at `rate` percent: out of a gross, or on a net.
fn tax_of(amount: Decimal, rate: Decimal, prices: Prices) -> Decimal {
    match prices {
        Prices::Exclusive => amount * rate / Decimal::ONE_HUNDRED,
        Prices::Inclusive => amount * rate / (Decimal::ONE_HUNDRED + rate),
    }
}

/// Taxes a document's lines under the channel's price basis and rounding.
/// Line amounts are in the currency's minor unit already.
pub fn compute(lines: &[Line], prices: Prices, rounding: Rounding, currency: Currency) -> Taxed {
    let mut taxed = Vec::with_capacity(lines.len());
    let mut groups: BTreeMap<(Category, Decimal), (Decimal, Decimal)> = BTreeMap::new();
    for l in lines {
        let exact = tax_of(l.amount, l.rate, prices);
        let tax = match rounding {
            Rounding::PerLine => round(exact, currency),
            Rounding::PerDocument => exact,
        };
        let (net, gross) = match prices {
            Prices::Exclusive => (l.amount, l.amount + tax),
            Prices::Inclusive => (l.amount - tax, l.amount),
        };
        let g = groups.entry((l.category, l.rate)).or_default();
        // (the lines' amounts as given, their taxes)
        g.0 += l.amount;
        g.1 += tax;
        taxed.push(TaxedLine { net, tax, gross });
    }
    let subtotals: Vec<Subtotal> = groups
        .into_iter()
        .map(|((category, rate), (amount, line_taxes))| {
            let tax = match rounding {
                Rounding::PerLine => line_taxes,
                Rounding::PerDocument => round(tax_of(amount, rate, prices), currency),
            };
            let taxable = match prices {
                Prices::Exclusive => amount,
                Prices::Inclusive => amount - tax,
            };
            Subtotal {
                category,
                rate,
                taxable,
                tax,
            }
        })
        .collect();
    let net: Decimal = subtotals.iter().map(|s| s.taxable).sum();
    let tax: Decimal = subtotals.iter().map(|s| s.tax).sum();
    Taxed {
        lines: taxed,
        subtotals,
        net,
        tax,
        gross: net + tax,
    }
}

#[cfg(test)]
mod tests {
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
            ("DE", "books", "0"),
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

    fn line(amount: &str, rate: &str) -> Line {
        Line {
            amount: d(amount),
            category: Category::Standard,
            rate: d(rate),
        }
    }

    #[test]
    fn the_destination_decides_the_rate_and_a_foreign_business_pays_it_itself() {
        let consumer = Buyer {
            country: "FR".into(),
            vat_id: None,
        };
        assert_eq!(
            rate_for(&rules(), "DE", &consumer, "standard"),
            Ok((Category::Standard, d("20")))
        );
        let business = Buyer {
            country: "FR".into(),
            vat_id: Some("FR40303265045".into()),
        };
        assert_eq!(
            rate_for(&rules(), "DE", &business, "standard"),
            Ok((Category::ReverseCharge, d("0")))
        );
        let domestic = Buyer {
            country: "DE".into(),
            vat_id: Some("DE136695976".into()),
        };
        assert_eq!(
            rate_for(&rules(), "DE", &domestic, "reduced"),
            Ok((Category::Standard, d("7")))
        );
        let books = Buyer {
            country: "DE".into(),
            vat_id: None,
        };
        assert_eq!(
            rate_for(&rules(), "DE", &books, "books"),
            Ok((Category::Zero, d("0")))
        );
        assert!(matches!(
            rate_for(&rules(), "DE", &consumer, "reduced"),
            Err(TaxError::NoRule { .. })
        ));
    }

    #[test]
    fn per_document_rounds_each_category_once_per_line_sums_rounded_lines() {
        // Three lines of 0.05 net at 19 %: 0.0095 tax each.
        let lines = vec![line("0.05", "19"); 3];
        let doc = compute(&lines, Prices::Exclusive, Rounding::PerDocument, eur());
        assert_eq!(
            (doc.net, doc.tax, doc.gross),
            (d("0.15"), d("0.03"), d("0.18")),
            "0.15 × 19 % = 0.0285 → 0.03"
        );
        let per_line = compute(&lines, Prices::Exclusive, Rounding::PerLine, eur());
        assert_eq!(
            (per_line.net, per_line.tax, per_line.gross),
            (d("0.15"), d("0.03"), d("0.18"))
        );
        // Where the two rules part: eleven lines are 11 × 0.01 = 0.11 per
        // line, but 0.55 × 19 % = 0.1045 → 0.10 per document.
        let eleven = vec![line("0.05", "19"); 11];
        assert_eq!(
            compute(&eleven, Prices::Exclusive, Rounding::PerLine, eur()).tax,
            d("0.11")
        );
        assert_eq!(
            compute(&eleven, Prices::Exclusive, Rounding::PerDocument, eur()).tax,
            d("0.10")
        );
    }

    #[test]
    fn inclusive_prices_keep_what_the_buyer_paid() {
        // 119.00 gross at 19 % is 100.00 + 19.00; 10.00 at 7 % is 9.35 + 0.65.
        let lines = vec![line("119.00", "19"), line("10.00", "7")];
        let doc = compute(&lines, Prices::Inclusive, Rounding::PerDocument, eur());
        assert_eq!(doc.gross, d("129.00"));
        assert_eq!(doc.tax, d("19.65"));
        assert_eq!(doc.net, d("109.35"));
        let rates: Vec<(Decimal, Decimal, Decimal)> = doc
            .subtotals
            .iter()
            .map(|s| (s.rate, s.taxable, s.tax))
            .collect();
        assert_eq!(
            rates,
            vec![
                (d("7"), d("9.35"), d("0.65")),
                (d("19"), d("100.00"), d("19.00"))
            ]
        );
    }

    #[test]
    fn reverse_charge_lines_carry_no_tax_and_their_own_subtotal() {
        let lines = vec![
            line("100.00", "19"),
            Line {
                amount: d("50.00"),
                category: Category::ReverseCharge,
                rate: d("0"),
            },
        ];
        let doc = compute(&lines, Prices::Exclusive, Rounding::PerDocument, eur());
        assert_eq!(doc.tax, d("19.00"));
        assert_eq!(doc.gross, d("169.00"));
        let codes: Vec<&str> = doc.subtotals.iter().map(|s| s.category.code()).collect();
        assert_eq!(codes, ["S", "AE"]);
    }

    #[test]
    fn currencies_without_cents_round_to_whole_units() {
        let jpy: Currency = "JPY".parse().unwrap();
        let doc = compute(
            &[line("999", "10")],
            Prices::Exclusive,
            Rounding::PerDocument,
            jpy,
        );
        assert_eq!(doc.tax, d("100"), "99.9 → 100");
    }
}
