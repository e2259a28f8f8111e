//! The order lifecycle as an explicit state machine. Every move is checked here
//! and written to the status history with who or what made it.
//!
//! ```text
//! received ──► reserved ──► confirmed
//!    │  │         │  ▲          │
//!    │  └► backordered ─┘        │
//!    ▼        │                  │
//! on_hold ◄───┴──────────────────┤   (exceptions: payment, stock, address, fraud)
//!    │                           │
//!    └──────────► cancelled ◄────┘   (any state before shipment)
//! ```

use domain::contracts::orders::OrderStatus::{self, *};

/// Whether the lifecycle allows `from` → `to`.
pub fn can_move(from: OrderStatus, to: OrderStatus) -> bool {
    matches!(
        (from, to),
        (Received, Reserved | Backordered | OnHold | Cancelled)
            | (Backordered, Reserved | OnHold | Cancelled | Received)
            | (Reserved, Confirmed | OnHold | Cancelled)
            | (Confirmed, OnHold | Cancelled)
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
    fn every_state_but_cancelled_can_cancel() {
        for s in OrderStatus::ALL {
            assert_eq!(cancellable(s), s != Cancelled, "{s:?}");
        }
    }
}
