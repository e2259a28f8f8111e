//! Channel fees, free of I/O: a channel's fee schedule (effective from a
//! day: commission by product fee category, a per-order fee, a per-unit
//! fulfillment fee, payment processing as a percentage plus a fixed part),
//! the fees a shipment is estimated to cost when it ships, and how a
//! settlement's amount types map to fee kinds.

use std::collections::BTreeMap;

use domain::Currency;
use rust_decimal::{Decimal, RoundingStrategy};

/// A channel's fees from a day on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub currency: Currency,
    /// Percent of the gross of goods whose fee category has no rate of its
    /// own (and of shipping).
    pub default_commission: Decimal,
    /// Percent per product fee category.
    pub commissions: BTreeMap<String, Decimal>,
    /// Per order, charged with its first shipment.
    pub per_order: Decimal,
    /// Per unit shipped.
    pub per_unit_fulfillment: Decimal,
    /// Percent of what the buyer pays.
    pub payment_percent: Decimal,
    /// Per order, with its first shipment.
    pub payment_fixed: Decimal,
    /// Percent of a refunded line's commission the channel keeps.
    pub refund_admin_percent: Decimal,
    /// The most it keeps per refunded line.
    pub refund_admin_max: Option<Decimal>,
}

/// Fee kinds billing estimates; settlements may carry others (an open set).
pub const COMMISSION: &str = "commission";
pub const FULFILLMENT: &str = "fulfillment";
pub const ORDER_FEE: &str = "order_fee";
pub const PAYMENT: &str = "payment";

/// One estimated fee: its kind, the SKU it is for (goods fees), the amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub kind: &'static str,
    pub sku: Option<String>,
    pub amount: Decimal,
}

/// A shipped line as fees see it: SKU, fee category, units, gross paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeLine {
    pub sku: String,
    pub fee_category: String,
    pub quantity: i64,
    pub gross: Decimal,
}

fn cents(v: Decimal, currency: Currency) -> Decimal {
    v.round_dp_with_strategy(
        currency.minor_units(),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// The fees a shipment is estimated to cost (each rounded to the minor
/// unit; zero fees left out): commission per line at its category's rate,
/// fulfillment per unit, and with the order's first shipment the per-order
/// fee and payment processing's fixed part; payment processing's percentage
/// of everything the buyer pays for this shipment.
pub fn estimate(
    s: &Schedule,
    lines: &[FeeLine],
    shipping_gross: Decimal,
    first_shipment: bool,
) -> Vec<Estimate> {
    let c = s.currency;
    let mut out = Vec::new();
    let mut push = |kind, sku: Option<&str>, amount: Decimal| {
        let amount = cents(amount, c);
        if !amount.is_zero() {
            out.push(Estimate {
                kind,
                sku: sku.map(str::to_string),
                amount,
            });
        }
    };
    let hundred = Decimal::ONE_HUNDRED;
    for l in lines {
        let rate = s
            .commissions
            .get(&l.fee_category)
            .copied()
            .unwrap_or(s.default_commission);
        push(COMMISSION, Some(&l.sku), l.gross * rate / hundred);
        push(
            FULFILLMENT,
            Some(&l.sku),
            s.per_unit_fulfillment * Decimal::from(l.quantity),
        );
    }
    push(
        COMMISSION,
        None,
        shipping_gross * s.default_commission / hundred,
    );
    let paid: Decimal = lines.iter().map(|l| l.gross).sum::<Decimal>() + shipping_gross;
    let fixed = if first_shipment {
        s.payment_fixed
    } else {
        Decimal::ZERO
    };
    push(PAYMENT, None, paid * s.payment_percent / hundred + fixed);
    if first_shipment {
        push(ORDER_FEE, None, s.per_order);
    }
    out
}

/// What a settlement line is: money the buyer paid (`sale`), a fee of a
/// kind, a refund, or something else, from its amount type and description
/// (Amazon's vocabulary; other formats map theirs onto it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Principal, tax, shipping the buyer paid: settles the receivable.
    Sale,
    /// A channel or payment fee (negative: charged to the seller).
    Fee(String),
    /// Money given back to the buyer.
    Refund,
    /// Anything else (reserves, adjustments): finance decides.
    Other(String),
}

pub fn classify(transaction_type: &str, amount_type: &str, description: &str) -> Kind {
    let refund = transaction_type.eq_ignore_ascii_case("Refund");
    match (amount_type, description) {
        ("ItemPrice", _) | ("Promotion", _) if refund => Kind::Refund,
        ("ItemPrice", _) => Kind::Sale,
        ("Promotion", _) => Kind::Sale,
        ("ItemFees", "Commission") | ("ItemFees", "RefundCommission") => {
            Kind::Fee(COMMISSION.into())
        }
        ("ItemFees", d) if d.starts_with("FBA") => Kind::Fee(FULFILLMENT.into()),
        ("ItemFees", "ShippingChargeback") => Kind::Fee("shipping_chargeback".into()),
        ("ItemFees", d) => Kind::Fee(fee_kind_of(d)),
        ("ItemWithheldTax", _) => Kind::Other("withheld_tax".into()),
        // Fees of the account itself (storage, subscription): no order.
        ("other-transaction", d) if d.to_ascii_lowercase().ends_with("fee") => {
            Kind::Fee(fee_kind_of(d))
        }
        (t, d) => Kind::Other(fee_kind_of(&format!("{t} {d}"))),
    }
}

/// An open fee kind from a description: lower case, words joined by `_`.
pub fn fee_kind_of(description: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for ch in description.chars() {
        if ch.is_ascii_alphanumeric() {
            if ch.is_ascii_uppercase() && prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
            prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
            prev_lower = false;
        }
    }
    out.trim_end_matches('_').to_string()
}
