//! Picking rules: which fulfillments a wave can take and the tasks it makes,
//! whether a task can be worked, and what a pick scan must match.

use std::collections::HashMap;

use domain::contracts::warehouse::{PickTaskStatus, SkippedFulfillment};
use uuid::Uuid;

use super::floor::{FulfillmentState, LineProgress, Refusal};
use super::item_matches;

/// Where a SKU is picked at a location: the first active bin on the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickFace {
    pub bin_id: Uuid,
    pub code: String,
    pub zone: String,
    pub walk_sequence: i32,
}

/// A line a wave would pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveLine {
    pub sku: String,
    pub progress: LineProgress,
}

/// A task to put on a zone's pick list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTask {
    pub zone: String,
    pub fulfillment_id: Uuid,
    pub line_no: i32,
    pub sku: String,
    pub bin_id: Uuid,
    pub bin_code: String,
    pub walk_sequence: i32,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavePlan {
    /// The fulfillments the wave takes, in the order offered.
    pub taken: Vec<Uuid>,
    pub tasks: Vec<PlannedTask>,
    pub skipped: Vec<SkippedFulfillment>,
}

/// Plans a wave over `candidates` (in release order): a task per line with
/// units to pick, at its SKU's pick face. A fulfillment with a SKU that has no
/// pick face at `location` is left out whole, with the reason; a wave that
/// takes nothing is refused.
pub fn plan_wave(
    location: &str,
    candidates: &[(Uuid, Vec<WaveLine>)],
    faces: &HashMap<String, PickFace>,
) -> Result<WavePlan, String> {
    let mut plan = WavePlan {
        taken: Vec::new(),
        tasks: Vec::new(),
        skipped: Vec::new(),
    };
    for (fulfillment_id, lines) in candidates {
        if let Some(missing) = lines.iter().find(|l| !faces.contains_key(&l.sku)) {
            plan.skipped.push(SkippedFulfillment {
                fulfillment_id: *fulfillment_id,
                reason: format!("SKU {} has no active bin at {location}", missing.sku),
            });
            continue;
        }
        plan.taken.push(*fulfillment_id);
        for line in lines.iter().filter(|l| l.progress.to_pick() > 0) {
            let face = &faces[&line.sku];
            plan.tasks.push(PlannedTask {
                zone: face.zone.clone(),
                fulfillment_id: *fulfillment_id,
                line_no: line.progress.line_no,
                sku: line.sku.clone(),
                bin_id: face.bin_id,
                bin_code: face.code.clone(),
                walk_sequence: face.walk_sequence,
                quantity: line.progress.to_pick(),
            });
        }
    }
    if plan.taken.is_empty() {
        let why = plan
            .skipped
            .first()
            .map(|s| format!(": {}", s.reason))
            .unwrap_or_default();
        return Err(format!(
            "no open fulfillment at {location} could be released{why}"
        ));
    }
    Ok(plan)
}

/// A pick task as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskState<'a> {
    pub id: Uuid,
    pub status: PickTaskStatus,
    pub sku: &'a str,
    pub gtin: Option<&'a str>,
    pub bin_code: &'a str,
    pub to_pick: i64,
}

/// A task can be worked while it is open and its fulfillment is workable; a
/// withdrawn task says why it went.
pub fn check_task(task: &TaskState, fulfillment: &FulfillmentState) -> Result<(), String> {
    if task.status == PickTaskStatus::Withdrawn {
        return Err(format!(
            "pick task {} was withdrawn: the order was cancelled",
            task.id
        ));
    }
    fulfillment.check_workable()?;
    if task.status != PickTaskStatus::Open {
        return Err(format!("pick task {} is {} already", task.id, task.status));
    }
    Ok(())
}

/// A refused scan: the floor exception kind it is recorded as, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub kind: &'static str,
    pub refusal: Refusal,
}

impl Mismatch {
    fn new(kind: &'static str, field: &str, message: String) -> Self {
        Self {
            kind,
            refusal: Refusal::field(field, message),
        }
    }
}

/// A pick scan: the bin label first (the task's bin, or another bin at the
/// location that stocks the SKU: `bin_stocks_sku`), then the item barcode,
/// then no more units than the line needs.
pub fn check_pick_scan(
    task: &TaskState,
    location: &str,
    bin: &str,
    bin_stocks_sku: bool,
    item: &str,
    quantity: i64,
) -> Result<(), Mismatch> {
    if bin != task.bin_code && !bin_stocks_sku {
        return Err(Mismatch::new(
            "wrong_bin",
            "bin",
            format!(
                "scanned bin {bin}, but {} is picked from bin {} at {location}",
                task.sku, task.bin_code
            ),
        ));
    }
    if !item_matches(item, task.sku, task.gtin) {
        let expected = task.gtin.unwrap_or(task.sku);
        return Err(Mismatch::new(
            "wrong_item",
            "item",
            format!(
                "scanned item {}, but this task picks {} (barcode {expected})",
                item.trim(),
                task.sku
            ),
        ));
    }
    if quantity > task.to_pick {
        return Err(Mismatch::new(
            "over_pick",
            "quantity",
            format!(
                "{quantity} scanned, but the line needs {} more {}",
                task.to_pick, task.sku
            ),
        ));
    }
    Ok(())
}

/// A short pick is reported at the task's own bin.
pub fn check_short_pick(task: &TaskState, bin: &str) -> Result<(), Mismatch> {
    if bin != task.bin_code {
        return Err(Mismatch::new(
            "wrong_bin",
            "bin",
            format!(
                "scanned bin {bin}; report a short pick at bin {}",
                task.bin_code
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::contracts::warehouse::FulfillmentStatus;

    fn wave_line(sku: &str, line_no: i32, quantity: i64, picked: i64) -> WaveLine {
        WaveLine {
            sku: sku.into(),
            progress: LineProgress {
                line_no,
                quantity,
                picked,
                packed: 0,
                short: 0,
            },
        }
    }

    fn face(code: &str, zone: &str, walk: i32) -> PickFace {
        PickFace {
            bin_id: Uuid::now_v7(),
            code: code.into(),
            zone: zone.into(),
            walk_sequence: walk,
        }
    }

    #[test]
    fn a_wave_skips_whole_fulfillments_without_a_pick_face() {
        let faces = HashMap::from([("A".to_string(), face("A-01", "fast", 3))]);
        let (f1, f2) = (Uuid::now_v7(), Uuid::now_v7());
        let candidates = vec![
            (f1, vec![wave_line("A", 1, 2, 0), wave_line("B", 2, 1, 0)]),
            (f2, vec![wave_line("A", 1, 5, 2)]),
        ];
        let plan = plan_wave("DC1", &candidates, &faces).unwrap();
        assert_eq!(plan.taken, [f2]);
        assert_eq!(plan.skipped.len(), 1);
        assert_eq!(plan.skipped[0].fulfillment_id, f1);
        assert_eq!(plan.skipped[0].reason, "SKU B has no active bin at DC1");
        assert_eq!(plan.tasks.len(), 1);
        let task = &plan.tasks[0];
        assert_eq!(
            (task.quantity, task.bin_code.as_str(), task.zone.as_str()),
            (3, "A-01", "fast"),
            "only the units left to pick, at the pick face"
        );
        let err = plan_wave("DC1", &candidates[..1], &faces).unwrap_err();
        assert_eq!(
            err,
            "no open fulfillment at DC1 could be released: SKU B has no active bin at DC1"
        );
    }

    fn task(status: PickTaskStatus, gtin: Option<&'static str>) -> TaskState<'static> {
        TaskState {
            id: Uuid::nil(),
            status,
            sku: "TEE",
            gtin,
            bin_code: "A-01",
            to_pick: 2,
        }
    }

    #[test]
    fn a_withdrawn_task_says_so_before_anything_else() {
        let cancelled = FulfillmentState {
            id: Uuid::nil(),
            order_id: Uuid::nil(),
            status: FulfillmentStatus::Cancelled,
            on_hold: false,
        };
        let err = check_task(&task(PickTaskStatus::Withdrawn, None), &cancelled).unwrap_err();
        assert!(err.contains("withdrawn"), "{err}");
        let err = check_task(&task(PickTaskStatus::Open, None), &cancelled).unwrap_err();
        assert!(err.contains("cancelled"), "{err}");
        let live = FulfillmentState {
            status: FulfillmentStatus::Picking,
            ..cancelled
        };
        assert!(check_task(&task(PickTaskStatus::Done, None), &live).is_err());
        assert!(check_task(&task(PickTaskStatus::Open, None), &live).is_ok());
    }

    #[test]
    fn a_pick_scan_checks_bin_then_item_then_quantity() {
        let t = task(PickTaskStatus::Open, Some("04006381333931"));
        let kind = |r: Result<(), Mismatch>| r.map_err(|m| m.kind);
        assert_eq!(
            kind(check_pick_scan(&t, "DC1", "B-02", false, "x", 9)),
            Err("wrong_bin")
        );
        assert_eq!(
            kind(check_pick_scan(&t, "DC1", "B-02", true, "4006381333931", 1)),
            Ok(()),
            "another bin stocking the SKU will do"
        );
        assert_eq!(
            kind(check_pick_scan(&t, "DC1", "A-01", false, "TEE", 1)),
            Err("wrong_item"),
            "an item with a GTIN is scanned by its barcode"
        );
        assert_eq!(
            kind(check_pick_scan(
                &t,
                "DC1",
                "A-01",
                false,
                "4006381333931",
                3
            )),
            Err("over_pick")
        );
        let Err(m) = check_pick_scan(&t, "DC1", "A-01", false, "4006381333931", 3) else {
            unreachable!()
        };
        assert_eq!(
            m.refusal,
            Refusal::field("quantity", "3 scanned, but the line needs 2 more TEE")
        );
        assert_eq!(kind(check_short_pick(&t, "B-02")), Err("wrong_bin"));
        assert_eq!(kind(check_short_pick(&t, "A-01")), Ok(()));
    }
}
