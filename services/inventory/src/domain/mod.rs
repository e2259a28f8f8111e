//! Inventory rules, free of I/O: allocation, placement (policy and the
//! in-memory writes of a batch), available-to-sell, adjustments, what
//! shipments and short picks take out of stock.

pub mod allocation;
pub mod fulfillment;
pub mod placement;

use domain::contracts::inventory::{AdjustmentReason, AdjustmentRequest};
use domain::{Sku, Validator};

/// Available-to-sell for a channel: eligible available minus the safety buffer,
/// never below zero. The buffer is the larger of the absolute units and the
/// percentage of eligible available (rounded up, so a buffer never rounds away).
pub fn available_to_sell(
    eligible_available: i64,
    buffer_units: i64,
    buffer_percent: i32,
) -> (i64, i64) {
    let available = eligible_available.max(0);
    let by_percent = (available * i64::from(buffer_percent.clamp(0, 100)) + 99) / 100;
    let buffer = buffer_units.max(0).max(by_percent);
    ((available - buffer).max(0), buffer)
}

/// A validated adjustment, ready to apply to a stock row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub sku: Sku,
    pub location: String,
    pub reason: AdjustmentReason,
    pub change: Change,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Delta(i64),
    Counted(i64),
}

impl Change {
    /// The new on-hand from the current one.
    pub fn apply(self, on_hand: i64) -> i64 {
        match self {
            Change::Delta(d) => on_hand.saturating_add(d),
            Change::Counted(c) => c,
        }
    }
}

pub fn validate_adjustment(req: &AdjustmentRequest) -> Result<Adjustment, Vec<domain::FieldError>> {
    let mut v = Validator::new();
    let sku = v.check("sku", req.sku.parse::<Sku>());
    v.require_text("location", &req.location, 40);
    let change = match (req.quantity_delta, req.counted_on_hand) {
        (Some(0), None) => {
            v.push("quantity_delta", "must not be zero");
            None
        }
        (Some(d), None) => {
            match req.reason {
                AdjustmentReason::Receipt | AdjustmentReason::Return if d < 0 => v.push(
                    "quantity_delta",
                    "a receipt or return adds stock: must be positive",
                ),
                AdjustmentReason::Damage if d > 0 => {
                    v.push("quantity_delta", "damage removes stock: must be negative")
                }
                _ => {}
            }
            Some(Change::Delta(d))
        }
        (None, Some(c)) if c < 0 => {
            v.push("counted_on_hand", "must not be negative");
            None
        }
        (None, Some(c)) => Some(Change::Counted(c)),
        (Some(_), Some(_)) => {
            v.push(
                "quantity_delta",
                "give either quantity_delta or counted_on_hand, not both",
            );
            None
        }
        (None, None) => {
            v.push(
                "quantity_delta",
                "give quantity_delta (or counted_on_hand for a count)",
            );
            None
        }
    };
    if let Some(note) = &req.note
        && note.chars().count() > 500
    {
        v.push("note", "must be at most 500 characters");
    }
    v.finish()?;
    Ok(Adjustment {
        sku: sku.expect("validated"),
        location: req.location.trim().to_string(),
        reason: req.reason,
        change: change.expect("validated"),
        note: req.note.clone().filter(|n| !n.trim().is_empty()),
    })
}

pub const DEFAULT_HOLD_TTL_SECONDS: i64 = 900;
pub const MAX_HOLD_TTL_SECONDS: i64 = 3600;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_is_the_larger_of_units_and_percent_and_never_negative() {
        assert_eq!(available_to_sell(100, 5, 0), (95, 5));
        assert_eq!(available_to_sell(100, 5, 10), (90, 10));
        assert_eq!(available_to_sell(7, 0, 10), (6, 1), "percent rounds up");
        assert_eq!(available_to_sell(3, 5, 0), (0, 5));
        assert_eq!(available_to_sell(-2, 0, 0), (0, 0));
    }

    fn req(
        delta: Option<i64>,
        counted: Option<i64>,
        reason: AdjustmentReason,
    ) -> AdjustmentRequest {
        AdjustmentRequest {
            sku: "TEE-RED-M".into(),
            location: "WH-1".into(),
            reason,
            quantity_delta: delta,
            counted_on_hand: counted,
            note: None,
        }
    }

    fn fields(r: Result<Adjustment, Vec<domain::FieldError>>) -> Vec<String> {
        r.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn adjustments_name_the_field_at_fault() {
        use AdjustmentReason::*;
        assert_eq!(
            fields(validate_adjustment(&req(None, None, Correction))),
            ["quantity_delta"]
        );
        assert_eq!(
            fields(validate_adjustment(&req(Some(0), None, Correction))),
            ["quantity_delta"]
        );
        assert_eq!(
            fields(validate_adjustment(&req(Some(-1), None, Receipt))),
            ["quantity_delta"]
        );
        assert_eq!(
            fields(validate_adjustment(&req(Some(2), None, Damage))),
            ["quantity_delta"]
        );
        assert_eq!(
            fields(validate_adjustment(&req(None, Some(-1), CycleCount))),
            ["counted_on_hand"]
        );
        let mut bad = req(Some(1), None, Receipt);
        bad.sku = "".into();
        bad.location = " ".into();
        assert_eq!(fields(validate_adjustment(&bad)), ["sku", "location"]);
        let ok = validate_adjustment(&req(None, Some(7), CycleCount)).unwrap();
        assert_eq!(ok.change.apply(3), 7);
        assert_eq!(Change::Delta(-2).apply(3), 1);
    }
}
