//! The warehouse's rules, free of I/O: ship-by times from a channel's service
//! level, the pace-based projection behind at-risk work, scan matching, and
//! input validation here; the floor's state machines in `floor`, `picking`
//! and `packing`.

pub mod floor;
pub mod packing;
pub mod picking;
pub mod receiving;
pub mod returns;

use chrono::{DateTime, Days, NaiveTime, Utc};
use domain::contracts::warehouse::{
    BinInput, ClosePackageRequest, FulfillmentStatus, QualityRuleInput, ServiceLevelInput,
    StageMinutes,
};
use domain::{FieldError, Gtin, Validator};

/// A channel's promise, as the warehouse applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLevel {
    pub cutoff_time: NaiveTime,
    pub ship_by_time: NaiveTime,
    pub handling_days: i32,
    pub carrier: String,
    pub carrier_service: String,
    pub targets: StageMinutes,
}

impl Default for ServiceLevel {
    /// What applies to a channel nobody configured: same day before 14:00 UTC,
    /// collected at 18:00, by the house carrier.
    fn default() -> Self {
        Self {
            cutoff_time: NaiveTime::from_hms_opt(14, 0, 0).expect("valid time"),
            ship_by_time: NaiveTime::from_hms_opt(18, 0, 0).expect("valid time"),
            handling_days: 0,
            carrier: "house".into(),
            carrier_service: "standard".into(),
            targets: StageMinutes {
                release: 60,
                pick: 60,
                pack: 30,
                ship: 30,
            },
        }
    }
}

impl ServiceLevel {
    /// When an order placed at `placed_at` must leave: its day (the next day
    /// after the cut-off) plus the handling days, at the collection time.
    pub fn ship_by(&self, placed_at: DateTime<Utc>) -> DateTime<Utc> {
        let mut day = placed_at.date_naive();
        if placed_at.time() >= self.cutoff_time {
            day = day + Days::new(1);
        }
        day = day + Days::new(self.handling_days.max(0) as u64);
        day.and_time(self.ship_by_time).and_utc()
    }
}

/// The stages a fulfillment goes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Release,
    Pick,
    Pack,
    Ship,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::Release, Stage::Pick, Stage::Pack, Stage::Ship];

    pub fn target_minutes(&self, targets: &StageMinutes) -> i32 {
        match self {
            Stage::Release => targets.release,
            Stage::Pick => targets.pick,
            Stage::Pack => targets.pack,
            Stage::Ship => targets.ship,
        }
    }
}

/// Stages still ahead of a fulfillment in `status`.
pub fn remaining_stages(status: FulfillmentStatus) -> &'static [Stage] {
    match status {
        FulfillmentStatus::Open => &Stage::ALL,
        FulfillmentStatus::Released | FulfillmentStatus::Picking => &Stage::ALL[1..],
        FulfillmentStatus::Picked => &Stage::ALL[2..],
        FulfillmentStatus::Packed => &Stage::ALL[3..],
        FulfillmentStatus::Shipped | FulfillmentStatus::Cancelled => &[],
    }
}

/// When a fulfillment would ship if each remaining stage takes its recent
/// duration (`pace`, seconds), or its target where there is no recent history.
pub fn projected_ship_at(
    now: DateTime<Utc>,
    status: FulfillmentStatus,
    pace: impl Fn(Stage) -> Option<f64>,
    targets: &StageMinutes,
) -> DateTime<Utc> {
    let seconds: f64 = remaining_stages(status)
        .iter()
        .map(|s| pace(*s).unwrap_or_else(|| f64::from(s.target_minutes(targets)) * 60.0))
        .sum();
    now + chrono::Duration::milliseconds((seconds * 1000.0) as i64)
}

/// Whether a scanned item barcode is this SKU's item: its GTIN in any of its
/// printed forms (EAN-13, UPC-A, GTIN-14), or the SKU itself only when the
/// item has no GTIN to scan.
pub fn item_matches(scanned: &str, sku: &str, gtin: Option<&str>) -> bool {
    let scanned = scanned.trim();
    match gtin {
        Some(gtin) => scanned.parse::<Gtin>().is_ok_and(|g| g.as_gtin14() == gtin),
        None => scanned == sku,
    }
}

/// Bin label codes: letters, digits, '-' and '.', as printed on the label.
pub fn valid_bin_code(code: &str) -> bool {
    (1..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

pub fn validate_bin(input: &BinInput) -> Result<(), Vec<FieldError>> {
    let mut v = Validator::new();
    for (field, value) in [
        ("zone", &input.zone),
        ("aisle", &input.aisle),
        ("shelf", &input.shelf),
        ("level", &input.level),
    ] {
        v.require_text(field, value, 20);
    }
    if input.walk_sequence < 0 {
        v.push("walk_sequence", "must be 0 or more");
    }
    if input.skus.len() > 200 {
        v.push("skus", "at most 200 SKUs per bin");
    }
    for (i, sku) in input.skus.iter().enumerate() {
        if sku.trim().is_empty() {
            v.push(format!("skus[{i}]"), "must not be empty");
        }
    }
    v.finish()
}

pub fn validate_service_level(input: &ServiceLevelInput) -> Result<(), Vec<FieldError>> {
    let mut v = Validator::new();
    if !(0..=30).contains(&input.handling_days) {
        v.push("handling_days", "must be between 0 and 30");
    }
    v.require_text("carrier", &input.carrier, 40);
    v.require_text("carrier_service", &input.carrier_service, 40);
    for (field, minutes) in [
        ("targets.release", input.targets.release),
        ("targets.pick", input.targets.pick),
        ("targets.pack", input.targets.pack),
        ("targets.ship", input.targets.ship),
    ] {
        if !(1..=10_080).contains(&minutes) {
            v.push(field, "must be between 1 and 10080 minutes");
        }
    }
    v.finish()
}

pub fn validate_quality_rule(input: &QualityRuleInput) -> Result<(), Vec<FieldError>> {
    let mut v = Validator::new();
    v.require_text("value", &input.value, 64);
    if let Some(note) = &input.note
        && note.len() > 500
    {
        v.push("note", "at most 500 characters");
    }
    v.finish()
}

pub fn validate_close(input: &ClosePackageRequest) -> Result<(), Vec<FieldError>> {
    let mut v = Validator::new();
    if !(1..=70_000).contains(&input.weight_grams) {
        v.push("weight_grams", "must be between 1 and 70000 grams");
    }
    for (field, mm) in [
        ("length_mm", input.length_mm),
        ("width_mm", input.width_mm),
        ("height_mm", input.height_mm),
    ] {
        if !(1..=3_000).contains(&mm) {
            v.push(field, "must be between 1 and 3000 mm");
        }
    }
    v.finish()
}

/// A scan's quantity: 1 by default, at most what a picker can count at once.
pub fn scan_quantity(quantity: Option<i64>) -> Result<i64, FieldError> {
    match quantity.unwrap_or(1) {
        q @ 1..=10_000 => Ok(q),
        _ => Err(FieldError::new("quantity", "must be between 1 and 10000")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn before_the_cutoff_ships_the_same_day_after_it_the_next() {
        let level = ServiceLevel::default();
        assert_eq!(
            level.ship_by(at("2026-11-26T09:30:00Z")),
            at("2026-11-26T18:00:00Z")
        );
        assert_eq!(
            level.ship_by(at("2026-11-26T14:00:00Z")),
            at("2026-11-27T18:00:00Z"),
            "the cut-off itself is too late"
        );
        let two_day = ServiceLevel {
            handling_days: 2,
            ..ServiceLevel::default()
        };
        assert_eq!(
            two_day.ship_by(at("2026-11-26T15:00:00Z")),
            at("2026-11-29T18:00:00Z")
        );
    }

    #[test]
    fn projection_uses_recent_pace_and_falls_back_to_targets() {
        let now = at("2026-11-26T12:00:00Z");
        let targets = ServiceLevel::default().targets;
        // Open: release 60 + pick 60 + pack 30 + ship 30 minutes.
        assert_eq!(
            projected_ship_at(now, FulfillmentStatus::Open, |_| None, &targets),
            at("2026-11-26T15:00:00Z")
        );
        // Picked, with packing recently taking 10 minutes: pack 10 + ship 30.
        let pace = |s: Stage| (s == Stage::Pack).then_some(600.0);
        assert_eq!(
            projected_ship_at(now, FulfillmentStatus::Picked, pace, &targets),
            at("2026-11-26T12:40:00Z")
        );
        assert_eq!(
            projected_ship_at(now, FulfillmentStatus::Shipped, |_| None, &targets),
            now
        );
    }

    #[test]
    fn items_match_by_any_printed_gtin_form_or_sku_without_one() {
        // EAN-13 4006381333931 is GTIN-14 04006381333931.
        let gtin = Some("04006381333931");
        assert!(item_matches("4006381333931", "SKU-1", gtin));
        assert!(item_matches("04006381333931", "SKU-1", gtin));
        assert!(
            !item_matches("SKU-1", "SKU-1", gtin),
            "a GTIN item needs its barcode"
        );
        assert!(
            !item_matches("4006381333932", "SKU-1", gtin),
            "bad check digit"
        );
        assert!(
            !item_matches("0012345678905", "SKU-1", gtin),
            "another item"
        );
        assert!(item_matches("SKU-1", "SKU-1", None));
        assert!(!item_matches("SKU-2", "SKU-1", None));
    }

    #[test]
    fn bad_inputs_name_their_fields() {
        let bin = BinInput {
            zone: "".into(),
            aisle: "01".into(),
            shelf: "03".into(),
            level: "2".into(),
            walk_sequence: -1,
            skus: vec!["".into()],
            active: true,
        };
        let fields: Vec<String> = validate_bin(&bin)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["zone", "walk_sequence", "skus[0]"]);
        let close = ClosePackageRequest {
            weight_grams: 0,
            length_mm: 300,
            width_mm: 200,
            height_mm: 0,
        };
        let fields: Vec<String> = validate_close(&close)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["weight_grams", "height_mm"]);
        assert_eq!(scan_quantity(Some(0)).unwrap_err().field, "quantity");
        assert_eq!(scan_quantity(None).unwrap(), 1);
        assert!(valid_bin_code("A-01-03.2") && !valid_bin_code("A 01"));
    }
}
