//! A purchase order's life, free of I/O: who may approve it (four eyes above
//! the threshold), which transitions each status allows, what an amendment
//! may change, what a receipt does to it, and each line's landed unit cost.

use domain::contracts::procurement::PurchaseOrderStatus as Status;
use domain::{Money, Rounding};
use rust_decimal::Decimal;

use super::landed_cost::{self, Basis, LineBasis};

/// Who is deciding, as the rules need to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decider<'a> {
    pub actor: &'a str,
    /// Holds the approver role (the second person of the four-eyes rule).
    pub approver: bool,
}

/// Why a decision is refused; each maps to a problem+json naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the order is {0}: {1}")]
    WrongStatus(&'static str, &'static str),
    #[error(
        "the order's total {total} is above the approval threshold {threshold}: it needs a second person with the approver role"
    )]
    NeedsApprover { total: String, threshold: String },
    #[error(
        "the order's total {total} is above the approval threshold {threshold}: its creator cannot approve it; another approver must"
    )]
    OwnOrder { total: String, threshold: String },
    #[error(
        "there is no approval threshold for {0}: a second person with the approver role must approve"
    )]
    NoThreshold(String),
}

/// Whether `decider` may approve an order of `total` created by
/// `created_by`, under the threshold for its currency (None: every order of
/// that currency needs a second approver).
pub fn may_approve(
    status: Status,
    total: Money,
    threshold: Option<Money>,
    created_by: &str,
    decider: &Decider<'_>,
) -> Result<(), Refusal> {
    if status != Status::Draft {
        return Err(Refusal::WrongStatus(
            status.as_str(),
            "only a draft is approved",
        ));
    }
    let above = match threshold {
        Some(t) => total.amount > t.amount,
        None => true,
    };
    if !above {
        return Ok(());
    }
    let describe = |m: Money| format!("{} {}", m.amount.normalize(), m.currency);
    let threshold_text = threshold.map(describe);
    if !decider.approver {
        return Err(match threshold_text {
            Some(threshold) => Refusal::NeedsApprover {
                total: describe(total),
                threshold,
            },
            None => Refusal::NoThreshold(total.currency.to_string()),
        });
    }
    if decider.actor == created_by {
        return Err(Refusal::OwnOrder {
            total: describe(total),
            threshold: threshold_text.unwrap_or_else(|| "(none)".into()),
        });
    }
    Ok(())
}

/// Whether a draft of `total` is approved by rule when it is created.
pub fn auto_approves(enabled: bool, total: Money, threshold: Option<Money>) -> bool {
    enabled && threshold.is_some_and(|t| total.amount <= t.amount)
}

/// Sending to the supplier: only an approved order.
pub fn may_send(status: Status) -> Result<(), Refusal> {
    match status {
        Status::Approved => Ok(()),
        s => Err(Refusal::WrongStatus(
            s.as_str(),
            "only an approved order is sent",
        )),
    }
}

/// Cancelling the open remainder: the status after it, or the refusal.
/// An order with receipts closes (what came stays); one without is cancelled.
pub fn after_cancel(status: Status) -> Result<Status, Refusal> {
    match status {
        Status::Draft | Status::Approved | Status::Sent => Ok(Status::Cancelled),
        Status::PartiallyReceived => Ok(Status::Closed),
        s => Err(Refusal::WrongStatus(
            s.as_str(),
            "nothing is left open to cancel",
        )),
    }
}

/// Closing: an order with receipts, its remainder (if any) given up.
pub fn may_close(status: Status) -> Result<(), Refusal> {
    match status {
        Status::PartiallyReceived | Status::Received => Ok(()),
        s => Err(Refusal::WrongStatus(
            s.as_str(),
            "only an order with receipts is closed (cancel one without)",
        )),
    }
}

/// Whether goods may be received against an order in `status`.
pub fn receivable(status: Status) -> bool {
    matches!(
        status,
        Status::Approved | Status::Sent | Status::PartiallyReceived
    )
}

/// A line's quantities, as amendments and receipts see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineQuantities {
    pub quantity: i64,
    pub received_good: i64,
    pub received_damaged: i64,
    pub cancelled: i64,
}

impl LineQuantities {
    pub fn received(&self) -> i64 {
        self.received_good + self.received_damaged
    }

    /// Still expected from the supplier.
    pub fn open(&self) -> i64 {
        (self.quantity - self.received() - self.cancelled).max(0)
    }
}

/// A new quantity for a line: any positive one on a draft; once approved
/// only down (a larger order is a new order, approved on its own), and
/// never below what was received.
pub fn check_amendment(
    status: Status,
    line: LineQuantities,
    new_quantity: i64,
) -> Result<(), String> {
    if new_quantity < 1 {
        return Err("must be at least 1".into());
    }
    match status {
        Status::Draft => Ok(()),
        Status::Approved | Status::Sent | Status::PartiallyReceived => {
            if new_quantity > line.quantity {
                Err(format!(
                    "an approved order's quantities only go down (now {}); order more on a new purchase order",
                    line.quantity
                ))
            } else if new_quantity < line.received() + line.cancelled {
                Err(format!(
                    "{} are already received or cancelled",
                    line.received() + line.cancelled
                ))
            } else {
                Ok(())
            }
        }
        s => Err(format!("a {} order is not amended", s.as_str())),
    }
}

/// The status after a receipt: every line in (good or damaged, or
/// cancelled) → received, or closed at once when nothing came damaged;
/// otherwise partially received.
pub fn after_receipt(lines: &[LineQuantities]) -> Status {
    if lines.iter().all(|l| l.open() == 0) {
        if lines.iter().any(|l| l.received_damaged > 0) {
            // Damaged units are settled with the supplier before the buyer closes it.
            Status::Received
        } else {
            Status::Closed
        }
    } else {
        Status::PartiallyReceived
    }
}

/// A charge on the order, to spread over its lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charge {
    pub amount: Money,
    pub basis: Basis,
}

/// Each line's landed unit cost: its unit cost plus its share of every
/// charge divided by its quantity, to four decimals. `lines` are
/// (quantity, weight in grams per unit, unit cost).
pub fn landed_unit_costs(lines: &[(i64, i64, Money)], charges: &[Charge]) -> Vec<Money> {
    let bases: Vec<LineBasis> = lines
        .iter()
        .map(|(q, w, cost)| LineBasis {
            quantity: *q,
            weight_grams: w * q,
            value: cost.amount * Decimal::from(*q),
        })
        .collect();
    let mut extra = vec![Decimal::ZERO; lines.len()];
    for c in charges {
        if let Some(shares) = landed_cost::allocate(c.amount, c.basis, &bases) {
            for (e, s) in extra.iter_mut().zip(shares) {
                *e += s.amount;
            }
        }
    }
    lines
        .iter()
        .zip(extra)
        .map(|((q, _, cost), e)| {
            let per_unit = if *q > 0 {
                e / Decimal::from(*q)
            } else {
                Decimal::ZERO
            };
            let amount = (cost.amount + per_unit)
                .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            Money::new(amount.normalize(), cost.currency).unwrap_or(*cost)
        })
        .collect()
}

/// A money amount to whole minor units, for totals shown to people.
pub fn rounded(m: Money) -> Money {
    m.round(Rounding::HalfAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(s: &str) -> Money {
        Money::parse(s, "EUR").unwrap()
    }

    const BUYER: Decider = Decider {
        actor: "user:bea",
        approver: false,
    };
    const OTHER_APPROVER: Decider = Decider {
        actor: "user:ada",
        approver: true,
    };
    const SELF_APPROVER: Decider = Decider {
        actor: "user:bea",
        approver: true,
    };

    #[test]
    fn four_eyes_above_the_threshold_only() {
        let t = Some(eur("1000"));
        assert_eq!(
            may_approve(Status::Draft, eur("999.99"), t, "user:bea", &BUYER),
            Ok(())
        );
        assert_eq!(
            may_approve(Status::Draft, eur("1000"), t, "user:bea", &BUYER),
            Ok(()),
            "at the threshold"
        );
        assert!(matches!(
            may_approve(Status::Draft, eur("1000.01"), t, "user:bea", &BUYER),
            Err(Refusal::NeedsApprover { .. })
        ));
        assert!(matches!(
            may_approve(Status::Draft, eur("5000"), t, "user:bea", &SELF_APPROVER),
            Err(Refusal::OwnOrder { .. })
        ));
        assert_eq!(
            may_approve(Status::Draft, eur("5000"), t, "user:bea", &OTHER_APPROVER),
            Ok(())
        );
        // No threshold for the currency: always a second person.
        assert!(matches!(
            may_approve(Status::Draft, eur("1"), None, "user:bea", &BUYER),
            Err(Refusal::NoThreshold(_))
        ));
        assert!(matches!(
            may_approve(Status::Approved, eur("1"), t, "user:bea", &OTHER_APPROVER),
            Err(Refusal::WrongStatus(..))
        ));
    }

    #[test]
    fn auto_approval_needs_the_rule_and_a_total_within_the_threshold() {
        assert!(auto_approves(true, eur("10"), Some(eur("10"))));
        assert!(!auto_approves(true, eur("10.01"), Some(eur("10"))));
        assert!(!auto_approves(false, eur("1"), Some(eur("10"))));
        assert!(!auto_approves(true, eur("1"), None));
    }

    #[test]
    fn the_lifecycle_allows_what_it_should() {
        assert_eq!(after_cancel(Status::Sent), Ok(Status::Cancelled));
        assert_eq!(after_cancel(Status::PartiallyReceived), Ok(Status::Closed));
        assert!(after_cancel(Status::Closed).is_err());
        assert!(may_send(Status::Draft).is_err());
        assert!(may_close(Status::Sent).is_err());
        assert!(receivable(Status::Sent));
        assert!(!receivable(Status::Cancelled));
        assert!(!receivable(Status::Draft));
    }

    #[test]
    fn an_approved_order_is_only_amended_down_and_not_below_receipts() {
        let line = LineQuantities {
            quantity: 48,
            received_good: 10,
            received_damaged: 2,
            cancelled: 0,
        };
        assert!(check_amendment(Status::Draft, line, 100).is_ok());
        assert!(check_amendment(Status::Sent, line, 49).is_err());
        assert!(check_amendment(Status::Sent, line, 24).is_ok());
        assert!(check_amendment(Status::PartiallyReceived, line, 11).is_err());
        assert!(check_amendment(Status::Closed, line, 40).is_err());
        assert!(check_amendment(Status::Draft, line, 0).is_err());
    }

    #[test]
    fn a_receipt_moves_the_order_on() {
        let line = |q, good, damaged| LineQuantities {
            quantity: q,
            received_good: good,
            received_damaged: damaged,
            cancelled: 0,
        };
        assert_eq!(
            after_receipt(&[line(10, 4, 0), line(5, 5, 0)]),
            Status::PartiallyReceived
        );
        assert_eq!(
            after_receipt(&[line(10, 10, 0), line(5, 5, 0)]),
            Status::Closed
        );
        assert_eq!(
            after_receipt(&[line(10, 8, 2), line(5, 5, 0)]),
            Status::Received
        );
    }

    #[test]
    fn landed_unit_costs_carry_each_lines_share() {
        // 10 × 2.00 and 30 × 1.00; freight 8.00 by quantity (2 : 6), duty
        // 5.00 by value (20 : 30 → 2 : 3).
        let lines = [(10, 100, eur("2")), (30, 50, eur("1"))];
        let charges = [
            Charge {
                amount: eur("8"),
                basis: Basis::Quantity,
            },
            Charge {
                amount: eur("5"),
                basis: Basis::Value,
            },
        ];
        let costs = landed_unit_costs(&lines, &charges);
        assert_eq!(costs[0], eur("2.4"), "2 + (2 + 2) / 10");
        assert_eq!(costs[1], eur("1.3"), "1 + (6 + 3) / 30");
        // By weight: 1,000 g : 1,500 g.
        let by_weight = landed_unit_costs(
            &lines,
            &[Charge {
                amount: eur("10"),
                basis: Basis::Weight,
            }],
        );
        assert_eq!(by_weight, vec![eur("2.4"), eur("1.2")]);
        assert_eq!(landed_unit_costs(&lines, &[]), vec![eur("2"), eur("1")]);
    }
}
