//! What the warehouse's progress means for an order, free of I/O: when it
//! counts as shipped, and how a re-allocation after a short pick moves its
//! allocations.

use domain::contracts::orders::OrderStatus;

/// One order line's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineProgress {
    pub quantity: i64,
    /// Units cut (partial policy, or a short pick nothing could cover).
    pub short: i64,
    pub shipped: i64,
}

/// The status shipping gives the order: `None` while nothing has shipped,
/// `Shipped` when every line has shipped all that was not cut, else
/// `PartiallyShipped`.
pub fn shipping_status(lines: &[LineProgress]) -> Option<OrderStatus> {
    if lines.iter().all(|l| l.shipped <= 0) {
        return None;
    }
    let complete = lines
        .iter()
        .all(|l| l.shipped >= (l.quantity - l.short).max(0));
    Some(if complete {
        OrderStatus::Shipped
    } else {
        OrderStatus::PartiallyShipped
    })
}

/// How one order line's allocations change on a StockReallocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reallocation {
    /// Units taken off the short location's allocation.
    pub off_short_location: i64,
    /// Units that had been waiting for stock and are now reserved.
    pub from_waiting: i64,
    /// Units now waiting for stock (backorder policy).
    pub waiting: i64,
    /// Units cut from the line.
    pub cut: i64,
}

/// `reallocated`: units newly reserved for the line; `missing`: its shortfall
/// in the event; `waiting`: units of this fulfillment line already waiting.
///
/// Inventory answers a short pick once (written off at the short location,
/// re-allocated, the rest waiting or cut) and, for units that waited, again
/// when stock arrives: with the same fulfillment, outcome `reallocated` and no
/// shortfall. That second answer moves nothing off the short location again.
pub fn reallocation(
    outcome: &str,
    reallocated: i64,
    missing: i64,
    waiting: i64,
    any_shortfall: bool,
) -> Reallocation {
    let fill = outcome == "reallocated" && !any_shortfall && waiting > 0 && reallocated <= waiting;
    if fill {
        return Reallocation {
            off_short_location: 0,
            from_waiting: reallocated,
            waiting: 0,
            cut: 0,
        };
    }
    Reallocation {
        off_short_location: reallocated + missing,
        from_waiting: 0,
        waiting: if outcome == "backordered" { missing } else { 0 },
        cut: if outcome == "cut" { missing } else { 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: i64, short: i64, shipped: i64) -> LineProgress {
        LineProgress {
            quantity,
            short,
            shipped,
        }
    }

    #[test]
    fn shipped_when_every_line_shipped_what_was_not_cut() {
        assert_eq!(shipping_status(&[line(2, 0, 0), line(1, 0, 0)]), None);
        assert_eq!(
            shipping_status(&[line(2, 0, 2), line(1, 0, 0)]),
            Some(OrderStatus::PartiallyShipped)
        );
        assert_eq!(
            shipping_status(&[line(2, 0, 1)]),
            Some(OrderStatus::PartiallyShipped)
        );
        assert_eq!(
            shipping_status(&[line(2, 0, 2), line(1, 0, 1)]),
            Some(OrderStatus::Shipped)
        );
        assert_eq!(
            shipping_status(&[line(3, 1, 2), line(1, 1, 0)]),
            Some(OrderStatus::Shipped),
            "cut units don't ship"
        );
    }

    #[test]
    fn a_short_pick_moves_its_units_off_the_short_location() {
        assert_eq!(
            reallocation("reallocated", 2, 0, 0, false),
            Reallocation {
                off_short_location: 2,
                from_waiting: 0,
                waiting: 0,
                cut: 0
            }
        );
        assert_eq!(
            reallocation("backordered", 1, 2, 0, true),
            Reallocation {
                off_short_location: 3,
                from_waiting: 0,
                waiting: 2,
                cut: 0
            }
        );
        assert_eq!(
            reallocation("cut", 0, 2, 0, true),
            Reallocation {
                off_short_location: 2,
                from_waiting: 0,
                waiting: 0,
                cut: 2
            }
        );
    }

    #[test]
    fn a_filled_wait_takes_nothing_off_the_short_location_again() {
        assert_eq!(
            reallocation("reallocated", 2, 0, 2, false),
            Reallocation {
                off_short_location: 0,
                from_waiting: 2,
                waiting: 0,
                cut: 0
            }
        );
        // More than waits: a new short pick of the same fulfillment line.
        assert_eq!(
            reallocation("reallocated", 3, 0, 2, false).off_short_location,
            3
        );
    }
}
