//! The order lifecycle as an explicit state machine. Every move is checked here
//! and written to the status history with who or what made it.
//!
//! ```text
//! received ──► reserved ──► confirmed ──► partially_shipped ──► shipped
//!    │  │         │  ▲          │  │                              ▲
//!    │  └► backordered ─┘        │  └──────────────────────────────┘
//!    ▼        │                  │
//! on_hold ◄───┴──────────────────┤   (exceptions: payment, stock, address, fraud)
//!    │                           │
//!    └──────────► cancelled ◄────┘   (any state before shipment)
//! ```
//!
//! Once anything has shipped, the order can be neither held nor cancelled:
//! returns are a separate flow.

use domain::contracts::orders::OrderStatus::{self, *};
use domain::contracts::orders::{HoldReason, PaymentStatus};

/// Whether the lifecycle allows `from` → `to`.
pub fn can_move(from: OrderStatus, to: OrderStatus) -> bool {
    matches!(
        (from, to),
        (Received, Reserved | Backordered | OnHold | Cancelled)
            | (Backordered, Reserved | OnHold | Cancelled | Received)
            | (Reserved, Confirmed | OnHold | Cancelled)
            | (Confirmed, OnHold | Cancelled | PartiallyShipped | Shipped)
            | (PartiallyShipped, Shipped)
            // Released from a hold: back to received (placed again) or, when
            // stock is still reserved, straight back to reserved.
            | (OnHold, Received | Reserved | Cancelled)
    )
}

/// `Ok` if the move is allowed, else a message for a 409.
pub fn check(from: OrderStatus, to: OrderStatus) -> Result<(), String> {
    if can_move(from, to) {
        Ok(())
    } else {
        Err(format!(
            "an order that is {} cannot become {}",
            from.as_str(),
            to.as_str()
        ))
    }
}

/// States from which a channel or ops may still cancel (nothing has shipped).
pub fn cancellable(status: OrderStatus) -> bool {
    can_move(status, Cancelled)
}

/// What recording a payment status does to an order, beyond storing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentEffect {
    /// A cancelled order takes no payment change.
    Refuse,
    /// The payment failed: the order goes on hold for it.
    Hold,
    /// The payment is secured for an order held because it failed: place it again.
    Resume,
    /// The payment is secured: a reserved order is confirmed.
    ConfirmIfReserved,
    /// Nothing more (pending, or a failure recorded on an order already on hold).
    RecordOnly,
}

/// The payment rule: failed holds, secured (paid or authorized) confirms or
/// resumes, a cancelled order refuses.
pub fn payment_effect(
    status: OrderStatus,
    hold_reason: Option<HoldReason>,
    payment: PaymentStatus,
) -> PaymentEffect {
    match (status, payment) {
        (Cancelled, _) => PaymentEffect::Refuse,
        (OnHold, PaymentStatus::Failed) => PaymentEffect::RecordOnly,
        (_, PaymentStatus::Failed) => PaymentEffect::Hold,
        (OnHold, p) if p.is_secured() && hold_reason == Some(HoldReason::PaymentFailed) => {
            PaymentEffect::Resume
        }
        (_, p) if p.is_secured() => PaymentEffect::ConfirmIfReserved,
        _ => PaymentEffect::RecordOnly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn happy_path_and_exceptions() {
        assert!(can_move(Received, Reserved));
        assert!(can_move(Reserved, Confirmed));
        assert!(can_move(Received, Backordered));
        assert!(can_move(Backordered, Reserved));
        assert!(can_move(Received, OnHold));
        assert!(can_move(OnHold, Received));
        assert!(can_move(Confirmed, Cancelled));
    }

    #[test]
    fn no_skipping_and_no_way_back_from_cancelled() {
        assert!(!can_move(Received, Confirmed), "confirmation needs stock");
        assert!(!can_move(Backordered, Confirmed));
        for to in OrderStatus::ALL {
            assert!(!can_move(Cancelled, to), "cancelled is final ({to:?})");
        }
        assert!(!can_move(Confirmed, Reserved));
        assert!(
            check(Cancelled, Received)
                .unwrap_err()
                .contains("cancelled")
        );
    }

    #[test]
    fn every_state_before_shipment_can_cancel() {
        for s in OrderStatus::ALL {
            assert_eq!(
                cancellable(s),
                !matches!(s, Cancelled | PartiallyShipped | Shipped),
                "{s:?}"
            );
        }
    }

    #[test]
    fn confirmed_orders_ship_in_one_go_or_in_parts() {
        assert!(can_move(Confirmed, Shipped));
        assert!(can_move(Confirmed, PartiallyShipped));
        assert!(can_move(PartiallyShipped, Shipped));
        for from in [Received, Reserved, Backordered, OnHold, Cancelled] {
            assert!(!can_move(from, Shipped), "{from:?} has nothing to ship");
            assert!(!can_move(from, PartiallyShipped), "{from:?}");
        }
    }

    #[test]
    fn shipped_goods_cannot_be_held_undone_or_cancelled() {
        for from in [PartiallyShipped, Shipped] {
            for to in OrderStatus::ALL {
                let allowed = from == PartiallyShipped && to == Shipped;
                assert_eq!(can_move(from, to), allowed, "{from:?} -> {to:?}");
            }
        }
        assert!(
            check(Shipped, Cancelled)
                .unwrap_err()
                .contains("shipped cannot become cancelled")
        );
    }

    #[test]
    fn payment_changes_hold_resume_confirm_or_refuse() {
        use PaymentEffect::*;
        use PaymentStatus::{Authorized, Failed, Paid, Pending};
        let stock = Some(HoldReason::StockConflict);
        let payment = Some(HoldReason::PaymentFailed);
        for (status, reason, pay, effect) in [
            (Cancelled, None, Paid, Refuse),
            (Cancelled, None, Failed, Refuse),
            (Received, None, Failed, Hold),
            (Reserved, None, Failed, Hold),
            (Confirmed, None, Failed, Hold),
            (OnHold, stock, Failed, RecordOnly),
            (OnHold, payment, Paid, Resume),
            (OnHold, payment, Authorized, Resume),
            (OnHold, stock, Paid, ConfirmIfReserved),
            (Reserved, None, Paid, ConfirmIfReserved),
            (Reserved, None, Authorized, ConfirmIfReserved),
            (Reserved, None, Pending, RecordOnly),
            (OnHold, payment, Pending, RecordOnly),
        ] {
            assert_eq!(
                payment_effect(status, reason, pay),
                effect,
                "{status:?} {reason:?} {pay:?}"
            );
        }
    }
}
