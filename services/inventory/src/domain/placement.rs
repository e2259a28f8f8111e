//! Placing an order's reservation: which locations may serve it, what an
//! allocation comes to under the channel's backorder policy, and the stock
//! writes of many placements worked out in memory over locked rows, so a
//! consumer batch writes them in one statement.

use std::collections::HashMap;

use domain::contracts::inventory::ReservationStatus;
use domain::contracts::orders::BackorderPolicy;
use uuid::Uuid;

use super::allocation::{Allocation, Candidate, Pick, Short, sort_candidates};

/// One SKU's stock at one location, as locked for a placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedStock {
    pub sku: String,
    pub location_id: Uuid,
    pub code: String,
    pub priority: i32,
    pub active: bool,
    pub on_hand: i64,
    pub reserved: i64,
}

/// The locations that may serve a channel (active, and in its ship-from list
/// when it has one), with what each has available, in allocation order.
pub fn candidates(levels: &[LocatedStock], ship_from: &[String]) -> Vec<Candidate> {
    let mut by_location: HashMap<Uuid, Candidate> = HashMap::new();
    for level in levels {
        if !level.active || (!ship_from.is_empty() && !ship_from.contains(&level.code)) {
            continue;
        }
        by_location
            .entry(level.location_id)
            .or_insert_with(|| Candidate {
                location_id: level.location_id,
                code: level.code.clone(),
                priority: level.priority,
                available: HashMap::new(),
            })
            .available
            .insert(level.sku.clone(), level.on_hand - level.reserved);
    }
    let mut out: Vec<Candidate> = by_location.into_values().collect();
    sort_candidates(&mut out);
    out
}

/// What a placement (or a backorder fill) came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Reserved now; `shorts` is non-empty only under the partial policy.
    Reserved {
        picks: Vec<Pick>,
        shorts: Vec<Short>,
    },
    /// Nothing reserved: `backordered` waits for stock, otherwise rejected.
    Failed {
        shorts: Vec<Short>,
        backordered: bool,
    },
    /// The order was already reserved (a retry): these are its lines.
    AlreadyReserved(Vec<Pick>),
    /// The order was cancelled before this arrived.
    Ignored,
}

/// An allocation under the channel's policy: the reservation's status, the
/// units to reserve and the shortfalls it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub status: ReservationStatus,
    pub picks: Vec<Pick>,
    pub shorts: Vec<Short>,
}

impl Placement {
    pub fn of(allocation: Allocation, policy: BackorderPolicy) -> Self {
        let (status, picks, shorts) = match allocation {
            Allocation::Full(picks) => (ReservationStatus::Reserved, picks, Vec::new()),
            Allocation::Partial { picks, shorts } => (ReservationStatus::Reserved, picks, shorts),
            Allocation::None(shorts) if policy == BackorderPolicy::Backorder => {
                (ReservationStatus::Backordered, Vec::new(), shorts)
            }
            Allocation::None(shorts) => (ReservationStatus::Rejected, Vec::new(), shorts),
        };
        Self {
            status,
            picks,
            shorts,
        }
    }

    pub fn outcome(self) -> Outcome {
        match self.status {
            ReservationStatus::Reserved => Outcome::Reserved {
                picks: self.picks,
                shorts: self.shorts,
            },
            status => Outcome::Failed {
                shorts: self.shorts,
                backordered: status == ReservationStatus::Backordered,
            },
        }
    }
}

/// A stock movement a reservation writes: one row's reserved count before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveMovement {
    pub sku: String,
    pub location_id: Uuid,
    pub on_hand: i64,
    pub reserved_before: i64,
    pub reserved_after: i64,
    pub order_id: Uuid,
}

/// A reservation line: units of an order line held at a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedUnits {
    pub order_id: Uuid,
    pub line_no: i32,
    pub sku: String,
    pub location_id: Uuid,
    pub quantity: i64,
}

/// The writes of many placements over the same locked rows, in the order they
/// were placed: what one-by-one placements would have written.
#[derive(Debug, Default)]
pub struct PlacementBatch {
    pub movements: Vec<ReserveMovement>,
    pub lines: Vec<ReservedUnits>,
    /// Each order's status and recorded shortfalls.
    pub statuses: Vec<(Uuid, ReservationStatus, Vec<Short>)>,
}

impl PlacementBatch {
    /// Records one order's placement and moves `levels` on, so the next order
    /// in the batch sees what this one took.
    pub fn add(&mut self, levels: &mut [LocatedStock], order_id: Uuid, placement: &Placement) {
        let mut per_row: Vec<(String, Uuid, i64)> = Vec::new();
        for p in &placement.picks {
            match per_row
                .iter_mut()
                .find(|(s, l, _)| *s == p.sku && *l == p.location_id)
            {
                Some(r) => r.2 += p.quantity,
                None => per_row.push((p.sku.clone(), p.location_id, p.quantity)),
            }
            match self.lines.iter_mut().find(|l| {
                l.order_id == order_id && l.line_no == p.line_no && l.location_id == p.location_id
            }) {
                Some(line) => line.quantity += p.quantity,
                None => self.lines.push(ReservedUnits {
                    order_id,
                    line_no: p.line_no,
                    sku: p.sku.clone(),
                    location_id: p.location_id,
                    quantity: p.quantity,
                }),
            }
        }
        // Movements in (SKU, location) order, as the row locks are taken.
        per_row.sort();
        for (sku, location_id, quantity) in per_row {
            if let Some(level) = levels
                .iter_mut()
                .find(|l| l.sku == sku && l.location_id == location_id)
            {
                level.reserved += quantity;
                self.movements.push(ReserveMovement {
                    sku,
                    location_id,
                    on_hand: level.on_hand,
                    reserved_before: level.reserved - quantity,
                    reserved_after: level.reserved,
                    order_id,
                });
            }
        }
        self.statuses
            .push((order_id, placement.status, placement.shorts.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::allocation::{Line, allocate};

    fn level(sku: &str, code: &str, id: u128, priority: i32, on_hand: i64) -> LocatedStock {
        LocatedStock {
            sku: sku.into(),
            location_id: Uuid::from_u128(id),
            code: code.into(),
            priority,
            active: true,
            on_hand,
            reserved: 0,
        }
    }

    fn line(line_no: i32, sku: &str, quantity: i64) -> Line {
        Line {
            line_no,
            sku: sku.into(),
            quantity,
        }
    }

    #[test]
    fn candidates_keep_active_ship_from_locations() {
        let mut closed = level("A", "WH3", 3, 0, 9);
        closed.active = false;
        let levels = [
            level("A", "WH1", 1, 20, 5),
            level("A", "WH2", 2, 10, 2),
            closed,
        ];
        let codes = |c: Vec<Candidate>| c.into_iter().map(|c| c.code).collect::<Vec<_>>();
        assert_eq!(
            codes(candidates(&levels, &[])),
            ["WH2", "WH1"],
            "by priority"
        );
        assert_eq!(codes(candidates(&levels, &["WH1".into()])), ["WH1"]);
    }

    #[test]
    fn the_policy_decides_what_nothing_available_means() {
        let none = || Allocation::None(vec![]);
        use ReservationStatus::*;
        assert_eq!(
            Placement::of(none(), BackorderPolicy::Backorder).status,
            Backordered
        );
        assert_eq!(
            Placement::of(none(), BackorderPolicy::Reject).status,
            Rejected
        );
        assert_eq!(
            Placement::of(none(), BackorderPolicy::Partial).status,
            Rejected
        );
        assert_eq!(
            Placement::of(none(), BackorderPolicy::Backorder).outcome(),
            Outcome::Failed {
                shorts: vec![],
                backordered: true
            }
        );
        let full = Placement::of(Allocation::Full(vec![]), BackorderPolicy::Reject);
        assert_eq!(full.status, Reserved);
    }

    #[test]
    fn a_batch_places_orders_one_after_another_over_the_same_rows() {
        let mut levels = vec![level("A", "WH1", 1, 0, 3)];
        let mut batch = PlacementBatch::default();
        let (first, second) = (Uuid::from_u128(10), Uuid::from_u128(11));
        for order in [first, second] {
            let allocation = allocate(
                &candidates(&levels, &[]),
                &[line(1, "A", 2)],
                BackorderPolicy::Reject,
            );
            let placement = Placement::of(allocation, BackorderPolicy::Reject);
            batch.add(&mut levels, order, &placement);
        }
        assert_eq!(levels[0].reserved, 2, "the second order found one unit");
        assert_eq!(batch.movements.len(), 1);
        assert_eq!(
            (
                batch.movements[0].reserved_before,
                batch.movements[0].reserved_after
            ),
            (0, 2)
        );
        assert_eq!(batch.lines.len(), 1);
        assert_eq!(batch.lines[0].order_id, first);
        assert_eq!(
            batch
                .statuses
                .iter()
                .map(|(o, s, shorts)| (*o, *s, shorts.len()))
                .collect::<Vec<_>>(),
            [
                (first, ReservationStatus::Reserved, 0),
                (second, ReservationStatus::Rejected, 1)
            ]
        );
    }
}
