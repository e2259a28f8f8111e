//! What an invoice for a shipment says, free of I/O: the shipped units of
//! each order line at the channel's price, less their share of the order's
//! discount, the order's shipping on its first invoice, each line taxed by
//! the destination's rule (or reverse charged), and line nets that add up to
//! the tax subtotals exactly. Credit notes take back part or all of an
//! invoice without ever taking back more than it billed.

use std::collections::BTreeMap;

use domain::Currency;
use domain::contracts::billing::LineKind;
use rust_decimal::{Decimal, RoundingStrategy};

use super::tax::{self, Buyer, Category, Prices, RateRule, Rounding, TaxError};

/// An order line as billing knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
    pub unit_price: Decimal,
    /// The line's share of the order's discount.
    pub discount: Decimal,
    pub invoiced_quantity: i64,
    pub invoiced_discount: Decimal,
}

/// What a shipment's invoice is made from.
#[derive(Debug, Clone)]
pub struct InvoiceInput<'a> {
    pub currency: Currency,
    pub prices: Prices,
    pub rounding: Rounding,
    pub seller_country: &'a str,
    pub buyer: &'a Buyer,
    pub rules: &'a [RateRule],
    pub lines: &'a [OrderLine],
    /// (order line no, units shipped)
    pub shipped: &'a [(i32, i64)],
    /// The order's shipping charge, when this is its first invoice.
    pub shipping: Option<Decimal>,
}

/// One line of a document, taxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLine {
    pub kind: LineKind,
    pub order_line_no: Option<i32>,
    pub sku: Option<String>,
    pub quantity: i64,
    pub unit_price: Decimal,
    pub discount: Decimal,
    /// Net of tax and discount, in the minor unit; the lines of a category
    /// add up to its taxable amount.
    pub net: Decimal,
    /// The exact tax of the line (what explains the rounding).
    pub tax: Decimal,
    pub category: Category,
    pub rate: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub lines: Vec<DocLine>,
    pub subtotals: Vec<tax::Subtotal>,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error(transparent)]
    Tax(#[from] TaxError),
    #[error("order line {0} is not on the order")]
    UnknownLine(i32),
    #[error("order line {line_no} ships {shipped} more units than are left to invoice ({left})")]
    OverShipped {
        line_no: i32,
        shipped: i64,
        left: i64,
    },
    #[error("the shipment bills nothing")]
    Empty,
}

fn round(v: Decimal, currency: Currency) -> Decimal {
    v.round_dp_with_strategy(
        currency.minor_units(),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// The discount of `quantity` more units of a line: proportional, and the
/// last units take whatever is left, so the invoices of a line add up to its
/// discount exactly.
pub fn discount_share(line: &OrderLine, quantity: i64, currency: Currency) -> Decimal {
    if line.invoiced_quantity + quantity >= line.quantity {
        return line.discount - line.invoiced_discount;
    }
    round(
        line.discount * Decimal::from(quantity) / Decimal::from(line.quantity),
        currency,
    )
}

/// Splits `total` over `weights` in the minor unit, largest remainder first,
/// so the parts add up to `total` exactly (all weights zero: equal parts).
pub fn allocate(total: Decimal, weights: &[Decimal], currency: Currency) -> Vec<Decimal> {
    if weights.is_empty() {
        return Vec::new();
    }
    let total = round(total, currency);
    let unit = Decimal::new(1, currency.minor_units());
    let sum: Decimal = weights.iter().sum();
    let exact: Vec<Decimal> = if sum.is_zero() {
        vec![total / Decimal::from(weights.len()); weights.len()]
    } else {
        weights.iter().map(|w| total * w / sum).collect()
    };
    let mut parts: Vec<Decimal> = exact
        .iter()
        .map(|e| e.round_dp_with_strategy(currency.minor_units(), RoundingStrategy::ToZero))
        .collect();
    let mut left = total - parts.iter().sum::<Decimal>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - parts[b])
            .abs()
            .cmp(&(exact[a] - parts[a]).abs())
            .then(a.cmp(&b))
    });
    let step = if left.is_sign_negative() { -unit } else { unit };
    for &i in order.iter().cycle() {
        if left.is_zero() {
            break;
        }
        parts[i] += step;
        left -= step;
    }
    parts
}

/// The buyer's rate and category for goods of `tax_category`.
fn rate(input: &InvoiceInput<'_>, tax_category: &str) -> Result<(Category, Decimal), TaxError> {
    tax::rate_for(input.rules, input.seller_country, input.buyer, tax_category)
}

/// Taxes `drafts` (amount = what the line bills, on the channel's basis)
/// and makes the line nets add up to each subtotal's taxable amount.
fn taxed(
    mut drafts: Vec<DocLine>,
    amounts: &[Decimal],
    prices: Prices,
    rounding: Rounding,
    currency: Currency,
) -> Document {
    let lines: Vec<tax::Line> = drafts
        .iter()
        .zip(amounts)
        .map(|(d, a)| tax::Line {
            amount: *a,
            category: d.category,
            rate: d.rate,
        })
        .collect();
    let computed = tax::compute(&lines, prices, rounding, currency);
    for (d, t) in drafts.iter_mut().zip(&computed.lines) {
        d.tax = t.tax;
    }
    for s in &computed.subtotals {
        let members: Vec<usize> = (0..drafts.len())
            .filter(|&i| drafts[i].category == s.category && drafts[i].rate == s.rate)
            .collect();
        let weights: Vec<Decimal> = members.iter().map(|&i| computed.lines[i].net).collect();
        for (i, net) in members.iter().zip(allocate(s.taxable, &weights, currency)) {
            drafts[*i].net = net;
        }
    }
    Document {
        lines: drafts,
        subtotals: computed.subtotals,
        net: computed.net,
        tax: computed.tax,
        gross: computed.gross,
    }
}

/// The invoice of one shipment. `category_of` names a SKU's tax category.
pub fn invoice(
    input: &InvoiceInput<'_>,
    category_of: impl Fn(&str) -> String,
) -> Result<Document, InvoiceError> {
    let mut drafts = Vec::new();
    let mut amounts = Vec::new();
    let mut shipped: BTreeMap<i32, i64> = BTreeMap::new();
    for (line_no, q) in input.shipped.iter().filter(|(_, q)| *q > 0) {
        *shipped.entry(*line_no).or_default() += q;
    }
    for (line_no, q) in shipped {
        let line = input
            .lines
            .iter()
            .find(|l| l.line_no == line_no)
            .ok_or(InvoiceError::UnknownLine(line_no))?;
        let left = line.quantity - line.invoiced_quantity;
        if q > left {
            return Err(InvoiceError::OverShipped {
                line_no,
                shipped: q,
                left,
            });
        }
        let discount = discount_share(line, q, input.currency);
        let (category, rate) = rate(input, &category_of(&line.sku))?;
        amounts.push(line.unit_price * Decimal::from(q) - discount);
        drafts.push(DocLine {
            kind: LineKind::Goods,
            order_line_no: Some(line_no),
            sku: Some(line.sku.clone()),
            quantity: q,
            unit_price: line.unit_price,
            discount,
            net: Decimal::ZERO,
            tax: Decimal::ZERO,
            category,
            rate,
        });
    }
    if let Some(shipping) = input.shipping.filter(|s| !s.is_zero()) {
        // Shipping is taxed at the destination's standard rate (a simpler
        // rule than "follows the principal supply"; see docs/billing.md).
        let (category, rate) = rate(input, "standard")?;
        amounts.push(shipping);
        drafts.push(DocLine {
            kind: LineKind::Shipping,
            order_line_no: None,
            sku: None,
            quantity: 1,
            unit_price: shipping,
            discount: Decimal::ZERO,
            net: Decimal::ZERO,
            tax: Decimal::ZERO,
            category,
            rate,
        });
    }
    if drafts.is_empty() {
        return Err(InvoiceError::Empty);
    }
    Ok(taxed(
        drafts,
        &amounts,
        input.prices,
        input.rounding,
        input.currency,
    ))
}

/// An invoice line as a credit note sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLine {
    pub line_no: i32,
    pub line: DocLine,
    pub credited_quantity: i64,
    pub credited_net: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    #[error("line {0} is not on the invoice")]
    UnknownLine(i32),
    #[error("line {line_no} has {left} units left to credit, not {asked}")]
    TooMuch { line_no: i32, left: i64, asked: i64 },
    #[error("nothing is left to credit on the invoice")]
    Nothing,
}

/// One credited line: the invoice's line it credits and the figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditLine {
    pub credits_line_no: i32,
    pub line: DocLine,
}

/// The credit note taking back `asked` (invoice line no, units; all that is
/// left when `None`). `credited_tax` is the tax of each (category, rate)
/// credited before. Nets are shares of the invoiced nets (of what was paid,
/// on tax-inclusive prices), and the tax of a
/// category whose last unit is credited is what is left of the invoice's, so
/// credits never exceed and a full credit cancels the invoice exactly.
pub fn credit(
    issued: &[IssuedLine],
    subtotals: &[tax::Subtotal],
    credited_tax: &BTreeMap<(Category, Decimal), Decimal>,
    asked: Option<&[(i32, i64)]>,
    prices: Prices,
    rounding: Rounding,
    currency: Currency,
) -> Result<(Vec<CreditLine>, Document), CreditError> {
    let wanted: Vec<(i32, i64)> = match asked {
        Some(a) => a.to_vec(),
        None => issued
            .iter()
            .map(|l| (l.line_no, l.line.quantity - l.credited_quantity))
            .filter(|(_, q)| *q > 0)
            .collect(),
    };
    let mut lines = Vec::new();
    let mut after: BTreeMap<i32, i64> = BTreeMap::new();
    for (line_no, q) in &wanted {
        let l = issued
            .iter()
            .find(|l| l.line_no == *line_no)
            .ok_or(CreditError::UnknownLine(*line_no))?;
        let done = after.entry(*line_no).or_insert(l.credited_quantity);
        let left = l.line.quantity - *done;
        if *q > left || *q <= 0 {
            return Err(CreditError::TooMuch {
                line_no: *line_no,
                left,
                asked: *q,
            });
        }
        let before = *done;
        *done += q;
        // Exclusive prices: a share of the line's net. Inclusive prices:
        // the share of what the buyer paid (made net below), taken as the
        // difference of cumulative shares so a line's credits add up to
        // exactly what was paid and no part gives back more than it cost.
        let amount = if prices == Prices::Inclusive {
            let quantity = Decimal::from(l.line.quantity);
            let paid = l.line.unit_price * quantity - l.line.discount;
            let share = |units: i64| round(paid * Decimal::from(units) / quantity, currency);
            share(*done) - share(before)
        } else if *done == l.line.quantity {
            l.line.net - l.credited_net
        } else {
            round(
                l.line.net * Decimal::from(*q) / Decimal::from(l.line.quantity),
                currency,
            )
        };
        lines.push(CreditLine {
            credits_line_no: *line_no,
            line: DocLine {
                quantity: *q,
                discount: Decimal::ZERO,
                net: amount,
                ..l.line.clone()
            },
        });
    }
    if lines.is_empty() {
        return Err(CreditError::Nothing);
    }
    let amounts: Vec<tax::Line> = lines
        .iter()
        .map(|c| tax::Line {
            amount: c.line.net,
            category: c.line.category,
            rate: c.line.rate,
        })
        .collect();
    let mut doc = tax::compute(&amounts, prices, rounding, currency);
    for (c, t) in lines.iter_mut().zip(&doc.lines) {
        c.line.tax = t.tax;
    }
    for s in doc.subtotals.iter_mut() {
        let fully_credited = issued
            .iter()
            .filter(|l| l.line.category == s.category && l.line.rate == s.rate)
            .all(|l| {
                after
                    .get(&l.line_no)
                    .copied()
                    .unwrap_or(l.credited_quantity)
                    == l.line.quantity
            });
        if fully_credited
            && let Some(invoiced) = subtotals
                .iter()
                .find(|i| i.category == s.category && i.rate == s.rate)
        {
            let before = credited_tax
                .get(&(s.category, s.rate))
                .copied()
                .unwrap_or_default();
            let tax = invoiced.tax - before;
            if prices == Prices::Inclusive {
                // The gross stays what was paid; the net is what the tax
                // left of it.
                s.taxable += s.tax - tax;
            }
            s.tax = tax;
        }
    }
    if prices == Prices::Inclusive {
        // Each subtotal's net spread over its lines by what they give back.
        for s in &doc.subtotals {
            let idx: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].line.category == s.category && lines[i].line.rate == s.rate)
                .collect();
            let weights: Vec<Decimal> = idx.iter().map(|&i| lines[i].line.net).collect();
            let nets = allocate(s.taxable, &weights, currency);
            for (&i, net) in idx.iter().zip(nets) {
                lines[i].line.tax = lines[i].line.net - net;
                lines[i].line.net = net;
            }
        }
    }
    let net: Decimal = doc.subtotals.iter().map(|s| s.taxable).sum();
    let tax: Decimal = doc.subtotals.iter().map(|s| s.tax).sum();
    let document = Document {
        lines: lines.iter().map(|c| c.line.clone()).collect(),
        subtotals: doc.subtotals,
        net,
        tax,
        gross: net + tax,
    };
    Ok((lines, document))
}

/// Series and number: invoices and credit notes of a legal entity run in
/// their own series per year (`EU1-2026`, `EU1-CN-2026`), numbered
/// `EU1-2026-000042`.
pub fn series(legal_entity: &str, credit_note: bool, year: i32) -> String {
    if credit_note {
        format!("{legal_entity}-CN-{year}")
    } else {
        format!("{legal_entity}-{year}")
    }
}

pub fn number(series: &str, sequence: i64) -> String {
    format!("{series}-{sequence:06}")
}

/// The order's discount split over its lines by value (largest remainder).
pub fn split_discount(
    discount: Decimal,
    line_values: &[Decimal],
    currency: Currency,
) -> Vec<Decimal> {
    allocate(discount, line_values, currency)
}

#[cfg(test)]
mod tests;
