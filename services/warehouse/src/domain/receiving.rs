//! Receiving at the dock, free of I/O: whether an order may be received,
//! how much of a line may still come (the over-receipt tolerance), and which
//! line a scanned item belongs to.

/// Statuses of a purchase order goods may be received against.
pub fn receivable(status: &str) -> bool {
    matches!(status, "approved" | "sent" | "partially_received")
}

/// A line's quantities as the dock counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCount {
    pub ordered: i64,
    pub cancelled: i64,
    /// Good and damaged units of completed receipts.
    pub received: i64,
    /// Units in open receipts (this one and any other).
    pub in_receipts: i64,
}

impl LineCount {
    /// Units the supplier still owes.
    pub fn open(&self) -> i64 {
        (self.ordered - self.cancelled - self.received - self.in_receipts).max(0)
    }

    /// Most units that may still be received: what is open plus the
    /// tolerance on the ordered quantity (rounded down), once.
    pub fn acceptable(&self, tolerance_pct: i32) -> i64 {
        let due = self.ordered - self.cancelled;
        let limit = due + due * i64::from(tolerance_pct.max(0)) / 100;
        (limit - self.received - self.in_receipts).max(0)
    }
}

/// Why a scan is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanRefusal {
    #[error("{item} is not on this purchase order")]
    NotOnOrder { item: String },
    #[error(
        "{quantity} more would exceed what this line may receive: at most {acceptable} more ({open} open, {tolerance_pct} % over-receipt tolerance)"
    )]
    OverReceipt {
        quantity: i64,
        acceptable: i64,
        open: i64,
        tolerance_pct: i32,
    },
}

/// The line a scan goes to: among the order's lines for the item (by SKU or
/// GTIN), the first that can take `quantity`.
pub fn line_for<'a, L>(
    lines: &'a [L],
    item_matches: impl Fn(&L) -> bool,
    count: impl Fn(&L) -> LineCount,
    quantity: i64,
    tolerance_pct: i32,
    item: &str,
) -> Result<&'a L, ScanRefusal> {
    let candidates: Vec<&L> = lines.iter().filter(|l| item_matches(l)).collect();
    let Some(first) = candidates.first() else {
        return Err(ScanRefusal::NotOnOrder {
            item: item.to_string(),
        });
    };
    candidates
        .iter()
        .find(|l| count(l).acceptable(tolerance_pct) >= quantity)
        .copied()
        .ok_or_else(|| {
            let c = count(first);
            ScanRefusal::OverReceipt {
                quantity,
                acceptable: c.acceptable(tolerance_pct),
                open: c.open(),
                tolerance_pct,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(ordered: i64, received: i64, in_receipts: i64) -> LineCount {
        LineCount {
            ordered,
            cancelled: 0,
            received,
            in_receipts,
        }
    }

    #[test]
    fn the_tolerance_allows_a_little_over_once() {
        // 48 ordered, 5 %: up to 50 in all.
        assert_eq!(count(48, 0, 0).acceptable(5), 50);
        assert_eq!(count(48, 30, 18).acceptable(5), 2);
        assert_eq!(count(48, 30, 20).acceptable(5), 0);
        assert_eq!(count(48, 30, 20).open(), 0);
        assert_eq!(count(10, 0, 0).acceptable(0), 10);
        let cancelled = LineCount {
            cancelled: 8,
            ..count(10, 2, 0)
        };
        assert_eq!(
            cancelled.acceptable(0),
            0,
            "a cancelled remainder is not received"
        );
    }

    #[test]
    fn a_scan_finds_its_line_or_says_why_not() {
        let lines = [
            ("A", count(10, 10, 0)),
            ("A", count(5, 0, 0)),
            ("B", count(3, 0, 0)),
        ];
        let pick = |item: &str, q| {
            line_for(&lines, |l| l.0 == item, |l| l.1, q, 0, item).map(|l| l.1.ordered)
        };
        assert_eq!(pick("A", 4), Ok(5), "the full line is passed over");
        assert_eq!(pick("B", 3), Ok(3));
        assert!(matches!(
            pick("B", 4),
            Err(ScanRefusal::OverReceipt { acceptable: 3, .. })
        ));
        assert_eq!(
            pick("C", 1),
            Err(ScanRefusal::NotOnOrder { item: "C".into() })
        );
        assert!(receivable("sent"));
        assert!(!receivable("cancelled"));
        assert!(!receivable("closed"));
    }
}
