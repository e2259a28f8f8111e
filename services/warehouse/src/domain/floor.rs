//! What every floor action checks first: the fulfillment's state, and the
//! progress of its lines.

use domain::FieldError;
use domain::contracts::warehouse::FulfillmentStatus;
use uuid::Uuid;

/// Why the floor refuses an action: the state does not allow it (409), or a
/// field of the request is wrong for it (422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Conflict(String),
    Field(FieldError),
}

impl Refusal {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Refusal::Field(FieldError::new(field, message))
    }
}

/// A fulfillment as the floor rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FulfillmentState {
    pub id: Uuid,
    pub order_id: Uuid,
    pub status: FulfillmentStatus,
    pub on_hold: bool,
}

impl FulfillmentState {
    /// Work on a fulfillment stops once it is cancelled, shipped or on hold.
    pub fn check_workable(&self) -> Result<(), String> {
        match self.status {
            FulfillmentStatus::Cancelled => Err(format!(
                "fulfillment {} is cancelled (the order was cancelled)",
                self.id
            )),
            FulfillmentStatus::Shipped => Err(format!("fulfillment {} has shipped", self.id)),
            _ if self.on_hold => Err(format!(
                "order {} is on hold in orders; wait for its release",
                self.order_id
            )),
            _ => Ok(()),
        }
    }
}

/// One fulfillment line's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineProgress {
    pub line_no: i32,
    pub quantity: i64,
    pub picked: i64,
    pub packed: i64,
    pub short: i64,
}

impl LineProgress {
    /// Units still to pick.
    pub fn to_pick(&self) -> i64 {
        self.quantity - self.picked - self.short
    }

    /// Picked units not in a package yet.
    pub fn to_pack(&self) -> i64 {
        self.picked - self.packed
    }
}

/// After picking progress: picking once a unit is scanned, picked once no line
/// has units left to pick. A fulfillment short on everything at this location
/// has nothing to pack here and is cancelled (its units ship from elsewhere).
/// None when the status stays.
pub fn status_after_picking(
    status: FulfillmentStatus,
    lines: &[LineProgress],
) -> Option<FulfillmentStatus> {
    if lines.iter().any(|l| l.to_pick() > 0) {
        return (status == FulfillmentStatus::Released).then_some(FulfillmentStatus::Picking);
    }
    if lines.iter().any(|l| l.picked > 0) {
        Some(FulfillmentStatus::Picked)
    } else {
        Some(FulfillmentStatus::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: i64, picked: i64, short: i64) -> LineProgress {
        LineProgress {
            line_no: 1,
            quantity,
            picked,
            packed: 0,
            short,
        }
    }

    #[test]
    fn workable_until_cancelled_shipped_or_held() {
        let mut state = FulfillmentState {
            id: Uuid::nil(),
            order_id: Uuid::max(),
            status: FulfillmentStatus::Picking,
            on_hold: false,
        };
        assert!(state.check_workable().is_ok());
        state.on_hold = true;
        assert!(state.check_workable().unwrap_err().contains("on hold"));
        state.status = FulfillmentStatus::Cancelled;
        assert!(
            state.check_workable().unwrap_err().contains("cancelled"),
            "cancellation is named before the hold"
        );
        state.status = FulfillmentStatus::Shipped;
        assert!(state.check_workable().unwrap_err().contains("shipped"));
    }

    #[test]
    fn picking_progress_moves_the_status() {
        use FulfillmentStatus::*;
        let part = [line(3, 1, 0), line(2, 0, 0)];
        assert_eq!(status_after_picking(Released, &part), Some(Picking));
        assert_eq!(status_after_picking(Picking, &part), None);
        let done = [line(3, 2, 1), line(2, 2, 0)];
        assert_eq!(status_after_picking(Picking, &done), Some(Picked));
        let all_short = [line(3, 0, 3)];
        assert_eq!(status_after_picking(Released, &all_short), Some(Cancelled));
    }
}
