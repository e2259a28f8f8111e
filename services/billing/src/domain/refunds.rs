//! A return's refund, free of I/O: the units to take back (those received,
//! or those authorised when nothing travels), which invoice lines give them
//! back (an order shipped in two parts has two invoices), the fees kept
//! (the restocking fee pro rata to the units that came back, the label when
//! anything did), the buyer's refund, the channel's commission given back
//! per its fee schedule, and whether a finance person must approve.

use std::collections::BTreeMap;

use domain::Currency;
use rust_decimal::{Decimal, RoundingStrategy};
use uuid::Uuid;

use super::fees::Schedule;

/// One returned order line: as authorised, and as received (all grades).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnedLine {
    pub line_no: i32,
    pub sku: String,
    pub authorized: i64,
    pub unit_price: Decimal,
    pub received: i64,
}

/// An invoice's goods line as a refund sees it: the order line it bills and
/// the units still left to credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creditable {
    pub invoice_line_no: i32,
    pub order_line_no: i32,
    pub left: i64,
}

/// What to credit on one invoice: (invoice line no, units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceCredit {
    pub invoice_id: Uuid,
    pub lines: Vec<(i32, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("nothing of the return was received")]
    NothingReceived,
    #[error(
        "order line {line_no}: {missing} returned unit(s) are on no invoice with units left to \
         credit (not invoiced yet, or credited before)"
    )]
    NotInvoiced { line_no: i32, missing: i64 },
}

/// The units each order line gives back, capped at what was authorised.
pub fn units(lines: &[ReturnedLine]) -> Result<Vec<(i32, i64)>, RefundError> {
    let wanted: Vec<(i32, i64)> = lines
        .iter()
        .map(|l| (l.line_no, l.received.min(l.authorized)))
        .filter(|(_, q)| *q > 0)
        .collect();
    if wanted.is_empty() {
        return Err(RefundError::NothingReceived);
    }
    Ok(wanted)
}

/// Spreads the wanted units of each order line over the invoices that
/// billed it, oldest invoice first; every unit must find one.
pub fn allocate(
    wanted: &[(i32, i64)],
    invoices: &[(Uuid, Vec<Creditable>)],
) -> Result<Vec<InvoiceCredit>, RefundError> {
    let mut out: Vec<InvoiceCredit> = Vec::new();
    for (order_line_no, quantity) in wanted {
        let mut missing = *quantity;
        for (invoice_id, lines) in invoices {
            for l in lines.iter().filter(|l| l.order_line_no == *order_line_no) {
                let taken = out
                    .iter()
                    .filter(|c| c.invoice_id == *invoice_id)
                    .flat_map(|c| &c.lines)
                    .filter(|(n, _)| *n == l.invoice_line_no)
                    .map(|(_, q)| q)
                    .sum::<i64>();
                let q = missing.min(l.left - taken);
                if q <= 0 {
                    continue;
                }
                missing -= q;
                match out.iter_mut().find(|c| c.invoice_id == *invoice_id) {
                    Some(c) => c.lines.push((l.invoice_line_no, q)),
                    None => out.push(InvoiceCredit {
                        invoice_id: *invoice_id,
                        lines: vec![(l.invoice_line_no, q)],
                    }),
                }
            }
        }
        if missing > 0 {
            return Err(RefundError::NotInvoiced {
                line_no: *order_line_no,
                missing,
            });
        }
    }
    Ok(out)
}

fn cents(v: Decimal, currency: Currency) -> Decimal {
    v.round_dp_with_strategy(
        currency.minor_units(),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// The fees a refund keeps and what the buyer gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub restocking_fee: Decimal,
    pub return_label_fee: Decimal,
    pub refund: Decimal,
}

impl Settlement {
    pub fn fees_kept(&self) -> Decimal {
        self.restocking_fee + self.return_label_fee
    }
}

/// The policy's restocking fee for the authorised units, kept in proportion
/// to the value that came back; the label when any unit travelled (a
/// returnless refund has none); never more than is credited.
pub fn settle(
    lines: &[ReturnedLine],
    restocking_fee: Decimal,
    return_label_fee: Decimal,
    credited: Decimal,
    currency: Currency,
) -> Settlement {
    let authorized: Decimal = lines
        .iter()
        .map(|l| l.unit_price * Decimal::from(l.authorized))
        .sum();
    let received: Decimal = lines
        .iter()
        .map(|l| l.unit_price * Decimal::from(l.received.min(l.authorized)))
        .sum();
    let restocking = if authorized.is_zero() {
        Decimal::ZERO
    } else {
        cents(restocking_fee * received / authorized, currency)
    };
    let label = if lines.iter().any(|l| l.received > 0) {
        return_label_fee
    } else {
        Decimal::ZERO
    };
    let restocking = restocking.min(credited).max(Decimal::ZERO);
    let label = label.min(credited - restocking).max(Decimal::ZERO);
    Settlement {
        restocking_fee: restocking,
        return_label_fee: label,
        refund: credited - restocking - label,
    }
}

/// Whether a refund needs a finance approver: above the currency's limit
/// (no limit: never).
pub fn needs_approval(refund: Decimal, limit: Option<Decimal>) -> bool {
    limit.is_some_and(|l| refund > l)
}

/// The commission the channel gives back for refunded goods of a fee
/// category with `gross` credited: the commission it took on that gross,
/// less its refund administration fee (a percent of it, capped per line).
pub fn commission_refund(s: &Schedule, fee_category: &str, gross: Decimal) -> Decimal {
    let rate = s
        .commissions
        .get(fee_category)
        .copied()
        .unwrap_or(s.default_commission);
    let commission = cents(gross * rate / Decimal::ONE_HUNDRED, s.currency);
    let mut kept = cents(
        commission * s.refund_admin_percent / Decimal::ONE_HUNDRED,
        s.currency,
    );
    if let Some(max) = s.refund_admin_max {
        kept = kept.min(max);
    }
    commission - kept
}

/// Each order line's share of the credited gross, split by the nets
/// credited for it so the shares add up to the credit notes' gross.
pub fn line_shares(
    nets: &BTreeMap<i32, Decimal>,
    gross: Decimal,
    currency: Currency,
) -> BTreeMap<i32, Decimal> {
    let weights: Vec<Decimal> = nets.values().copied().collect();
    let parts = super::invoicing::allocate(gross, &weights, currency);
    nets.keys().copied().zip(parts).collect()
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

    fn line(line_no: i32, authorized: i64, price: &str, received: i64) -> ReturnedLine {
        ReturnedLine {
            line_no,
            sku: format!("SKU-{line_no}"),
            authorized,
            unit_price: d(price),
            received,
        }
    }

    #[test]
    fn only_received_units_come_back_and_never_more_than_authorised() {
        let lines = [line(1, 2, "10", 1), line(2, 1, "5", 3), line(3, 1, "5", 0)];
        assert_eq!(units(&lines), Ok(vec![(1, 1), (2, 1)]));
        assert_eq!(
            units(&[line(1, 2, "10", 0)]),
            Err(RefundError::NothingReceived)
        );
    }

    #[test]
    fn an_order_shipped_in_two_parts_is_credited_on_both_invoices_oldest_first() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let invoices = vec![
            (
                a,
                vec![Creditable {
                    invoice_line_no: 1,
                    order_line_no: 1,
                    left: 1,
                }],
            ),
            (
                b,
                vec![
                    Creditable {
                        invoice_line_no: 1,
                        order_line_no: 1,
                        left: 2,
                    },
                    Creditable {
                        invoice_line_no: 2,
                        order_line_no: 2,
                        left: 1,
                    },
                ],
            ),
        ];
        let plan = allocate(&[(1, 2), (2, 1)], &invoices).unwrap();
        assert_eq!(
            plan,
            vec![
                InvoiceCredit {
                    invoice_id: a,
                    lines: vec![(1, 1)]
                },
                InvoiceCredit {
                    invoice_id: b,
                    lines: vec![(1, 1), (2, 1)]
                },
            ]
        );
        assert_eq!(
            allocate(&[(1, 4)], &invoices),
            Err(RefundError::NotInvoiced {
                line_no: 1,
                missing: 1
            })
        );
        assert_eq!(
            allocate(&[(3, 1)], &invoices),
            Err(RefundError::NotInvoiced {
                line_no: 3,
                missing: 1
            })
        );
    }

    #[test]
    fn the_restocking_fee_follows_the_value_received_and_the_label_any_unit() {
        // Two of 49.90 authorised with a 10 % fee (9.98) and a 4.95 label;
        // one came back, credited 49.90.
        let lines = [line(1, 2, "49.90", 1)];
        let s = settle(&lines, d("9.98"), d("4.95"), d("49.90"), eur());
        assert_eq!(s.restocking_fee, d("4.99"));
        assert_eq!(s.return_label_fee, d("4.95"));
        assert_eq!(s.refund, d("39.96"));
        assert_eq!(s.fees_kept(), d("9.94"));
        // Fees never take more than is credited.
        let s = settle(&[line(1, 1, "3", 1)], d("0.30"), d("4.95"), d("3"), eur());
        assert_eq!(
            (s.restocking_fee, s.return_label_fee),
            (d("0.30"), d("2.70"))
        );
        assert_eq!(s.refund, Decimal::ZERO);
    }

    #[test]
    fn a_refund_above_the_limit_waits_and_no_limit_never_does() {
        assert!(needs_approval(d("500.01"), Some(d("500"))));
        assert!(!needs_approval(d("500"), Some(d("500"))));
        assert!(!needs_approval(d("9999"), None));
    }

    #[test]
    fn commission_comes_back_less_the_administration_fee_capped() {
        let s = Schedule {
            currency: eur(),
            default_commission: d("15"),
            commissions: [("books".to_string(), d("8"))].into(),
            per_order: Decimal::ZERO,
            per_unit_fulfillment: Decimal::ZERO,
            payment_percent: Decimal::ZERO,
            payment_fixed: Decimal::ZERO,
            refund_admin_percent: d("20"),
            refund_admin_max: Some(d("5")),
        };
        // 15 % of 59.38 = 8.91; 20 % of it (1.78) kept.
        assert_eq!(commission_refund(&s, "default", d("59.38")), d("7.13"));
        // 8 % of 20 = 1.60; 0.32 kept.
        assert_eq!(commission_refund(&s, "books", d("20")), d("1.28"));
        // 15 % of 400 = 60; 20 % would be 12, capped at 5.
        assert_eq!(commission_refund(&s, "default", d("400")), d("55"));
    }

    #[test]
    fn line_shares_add_up_to_the_credited_gross() {
        let nets: BTreeMap<i32, Decimal> = [(1, d("33.33")), (2, d("16.67"))].into();
        let shares = line_shares(&nets, d("59.50"), eur());
        assert_eq!(shares.values().copied().sum::<Decimal>(), d("59.50"));
        assert_eq!(shares[&1], d("39.66"));
    }
}
