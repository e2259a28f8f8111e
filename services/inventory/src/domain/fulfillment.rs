//! How the warehouse's reports change stock, free of I/O.

/// How a shipped quantity comes out of one stock row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShipSplit {
    /// Units that were reserved for the order line there: off reserved and on hand.
    pub reserved: i64,
    /// Units no longer reserved for it (the reservation was released, e.g. a
    /// cancellation raced the shipment): off on hand only, from what is available.
    pub unreserved: i64,
    /// Units the stock record can't account for (on hand would drop below
    /// what others have reserved, or below zero): left for a cycle count.
    pub unaccounted: i64,
}

/// Splits `quantity` shipped units over a stock row holding `on_hand` and
/// `reserved`, of which `reserved_for_line` belong to the shipped line. The
/// result never leaves on hand below reserved, nor either below zero.
pub fn ship_split(quantity: i64, reserved_for_line: i64, on_hand: i64, reserved: i64) -> ShipSplit {
    let quantity = quantity.max(0);
    let from_reservation = quantity.min(reserved_for_line.max(0)).min(reserved.max(0));
    let available = (on_hand - reserved).max(0);
    let unreserved = (quantity - from_reservation).min(available);
    ShipSplit {
        reserved: from_reservation,
        unreserved,
        unaccounted: quantity - from_reservation - unreserved,
    }
}

/// Units a short pick writes off: what was reported missing, but never more
/// than the line still has reserved at the location (a repeated report must
/// not write the same units off twice).
pub fn short_pick_write_off(missing: i64, reserved_for_line: i64) -> i64 {
    missing.clamp(0, reserved_for_line.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserved_shipment_takes_reserved_and_on_hand_alike() {
        assert_eq!(
            ship_split(3, 5, 10, 6),
            ShipSplit {
                reserved: 3,
                unreserved: 0,
                unaccounted: 0
            }
        );
    }

    #[test]
    fn a_released_reservation_takes_on_hand_only_and_never_below_reserved() {
        // Released: nothing reserved for the line; 10 on hand, 8 reserved for others.
        assert_eq!(
            ship_split(3, 0, 10, 8),
            ShipSplit {
                reserved: 0,
                unreserved: 2,
                unaccounted: 1
            }
        );
        // Partly reserved: the rest comes from available.
        assert_eq!(
            ship_split(4, 1, 5, 1),
            ShipSplit {
                reserved: 1,
                unreserved: 3,
                unaccounted: 0
            }
        );
        // No stock row at all (zeros): nothing to take.
        assert_eq!(
            ship_split(2, 0, 0, 0),
            ShipSplit {
                reserved: 0,
                unreserved: 0,
                unaccounted: 2
            }
        );
    }

    #[test]
    fn short_picks_are_clamped_to_what_is_reserved() {
        assert_eq!(short_pick_write_off(2, 5), 2);
        assert_eq!(short_pick_write_off(7, 5), 5);
        assert_eq!(short_pick_write_off(2, 0), 0);
        assert_eq!(short_pick_write_off(-1, 5), 0);
    }
}
