//! Packing rules: a package's life (open → packed → shipped, or voided), the
//! quality check it may owe, how a pack scan is spread over the lines of the
//! scanned item, and when a fulfillment is packed or shipped.

use domain::contracts::warehouse::{FulfillmentStatus, PackageStatus, QcStatus, QualityResult};
use uuid::Uuid;

use super::floor::{FulfillmentState, LineProgress, Refusal};

/// Packing starts once picking is finished, and ends when every picked unit
/// is packed.
pub fn check_open_package(fulfillment: &FulfillmentState) -> Result<(), String> {
    fulfillment.check_workable()?;
    match fulfillment.status {
        FulfillmentStatus::Picked => Ok(()),
        FulfillmentStatus::Packed => Err(format!(
            "every picked unit of fulfillment {} is packed already",
            fulfillment.id
        )),
        other => Err(format!(
            "fulfillment {} is {}: packing starts once picking is finished",
            fulfillment.id,
            other.as_str()
        )),
    }
}

/// A package as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageState {
    pub id: Uuid,
    pub status: PackageStatus,
    pub qc: QcStatus,
}

impl PackageState {
    /// Items go into an open package only.
    pub fn check_fillable(&self) -> Result<(), String> {
        match self.status {
            PackageStatus::Open => Ok(()),
            other => Err(format!(
                "package {} is {other}; open a new package",
                self.id
            )),
        }
    }

    /// An open package with at least one item can be sealed.
    pub fn check_closable(&self, items: usize) -> Result<(), Refusal> {
        if self.status != PackageStatus::Open {
            return Err(Refusal::Conflict(format!(
                "package {} is {} already",
                self.id, self.status
            )));
        }
        if items == 0 {
            return Err(Refusal::field(
                "items",
                "scan at least one item into the package first",
            ));
        }
        Ok(())
    }

    /// A check is recorded only where one is due: a sealed package whose
    /// rule made it pending.
    pub fn check_quality_checkable(&self) -> Result<(), String> {
        if self.status == PackageStatus::Packed && self.qc == QcStatus::Pending {
            return Ok(());
        }
        Err(format!(
            "no quality check is due for package {} (it is {}, check {})",
            self.id, self.status, self.qc
        ))
    }

    /// A sealed package ships once no quality check holds it.
    pub fn check_shippable(&self) -> Result<(), String> {
        let why = match (self.status, self.qc) {
            (PackageStatus::Open, _) => {
                "is not packed yet: close it with its weight and dimensions"
            }
            (PackageStatus::Shipped, _) => "has shipped already",
            (PackageStatus::Voided, _) => "was voided",
            (_, QcStatus::Pending) => "is waiting for its quality check",
            (_, QcStatus::Failed) => "failed its quality check; ops must resolve the exception",
            (PackageStatus::Packed, QcStatus::NotRequired | QcStatus::Passed) => return Ok(()),
        };
        Err(format!("package {} {why}", self.id))
    }
}

/// The check a package owes when it is sealed.
pub fn qc_on_close(rule_applies: bool) -> QcStatus {
    if rule_applies {
        QcStatus::Pending
    } else {
        QcStatus::NotRequired
    }
}

pub fn qc_after_check(result: QualityResult) -> QcStatus {
    match result {
        QualityResult::Passed => QcStatus::Passed,
        QualityResult::Failed => QcStatus::Failed,
    }
}

/// Spreads `quantity` scanned units of one item over the fulfillment's lines
/// of that item (`matching`, in line order), taking from each what is picked
/// and not packed. Returns (line_no, units) per line that takes some. The
/// item not in the fulfillment is a 422 on `item`, nothing left to pack a
/// 409, more than is left a 422 on `quantity`.
pub fn split_pack_scan(
    fulfillment_id: Uuid,
    item: &str,
    sku: Option<&str>,
    matching: &[LineProgress],
    quantity: i64,
) -> Result<Vec<(i32, i64)>, Refusal> {
    let Some(sku) = sku.filter(|_| !matching.is_empty()) else {
        return Err(Refusal::field(
            "item",
            format!(
                "item {} is not part of fulfillment {fulfillment_id}",
                item.trim()
            ),
        ));
    };
    let left: i64 = matching.iter().map(LineProgress::to_pack).sum();
    if left == 0 {
        return Err(Refusal::Conflict(format!(
            "every picked unit of {sku} is packed already"
        )));
    }
    if quantity > left {
        return Err(Refusal::field(
            "quantity",
            format!("{quantity} scanned, but only {left} picked unit(s) of {sku} are left to pack"),
        ));
    }
    let mut rest = quantity;
    let mut takes = Vec::new();
    for line in matching {
        let take = rest.min(line.to_pack());
        if take > 0 {
            takes.push((line.line_no, take));
            rest -= take;
        }
    }
    Ok(takes)
}

/// After a package is sealed: the fulfillment is packed once every unit is
/// picked and packed and no package is left open.
pub fn status_after_close(
    status: FulfillmentStatus,
    lines: &[LineProgress],
    packages: &[PackageStatus],
) -> Option<FulfillmentStatus> {
    let all_packed = lines.iter().all(|l| l.to_pick() == 0 && l.to_pack() == 0);
    let none_open = !packages.contains(&PackageStatus::Open);
    (status == FulfillmentStatus::Picked && all_packed && none_open)
        .then_some(FulfillmentStatus::Packed)
}

/// After a package ships: the fulfillment has shipped once it is packed and
/// every package is out (or voided).
pub fn status_after_ship(
    status: FulfillmentStatus,
    packages: &[PackageStatus],
) -> Option<FulfillmentStatus> {
    let all_out = packages
        .iter()
        .all(|p| matches!(p, PackageStatus::Shipped | PackageStatus::Voided));
    (status == FulfillmentStatus::Packed && all_out).then_some(FulfillmentStatus::Shipped)
}

/// After a package is voided for repacking, its units are to pack again.
pub fn status_after_void(status: FulfillmentStatus) -> Option<FulfillmentStatus> {
    (status == FulfillmentStatus::Packed).then_some(FulfillmentStatus::Picked)
}

/// Tracking numbers as carriers print them on labels.
pub fn valid_tracking(s: &str) -> bool {
    (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(line_no: i32, quantity: i64, picked: i64, packed: i64) -> LineProgress {
        LineProgress {
            line_no,
            quantity,
            picked,
            packed,
            short: 0,
        }
    }

    fn package(status: PackageStatus, qc: QcStatus) -> PackageState {
        PackageState {
            id: Uuid::nil(),
            status,
            qc,
        }
    }

    #[test]
    fn a_pack_scan_fills_lines_in_order() {
        let id = Uuid::nil();
        let lines = [line(1, 2, 2, 1), line(3, 4, 3, 0)];
        assert_eq!(
            split_pack_scan(id, "X", Some("TEE"), &lines, 3),
            Ok(vec![(1, 1), (3, 2)])
        );
        assert_eq!(
            split_pack_scan(id, "X", Some("TEE"), &lines, 5),
            Err(Refusal::field(
                "quantity",
                "5 scanned, but only 4 picked unit(s) of TEE are left to pack"
            ))
        );
        let packed = [line(1, 2, 2, 2)];
        assert!(matches!(
            split_pack_scan(id, "X", Some("TEE"), &packed, 1),
            Err(Refusal::Conflict(_))
        ));
        assert!(matches!(
            split_pack_scan(id, " X ", None, &[], 1),
            Err(Refusal::Field(f)) if f.field == "item" && f.message.starts_with("item X ")
        ));
    }

    #[test]
    fn a_package_moves_through_its_states() {
        use PackageStatus::*;
        use QcStatus::*;
        assert!(package(Open, NotRequired).check_fillable().is_ok());
        assert!(package(Packed, NotRequired).check_fillable().is_err());
        assert_eq!(
            package(Open, NotRequired).check_closable(0),
            Err(Refusal::field(
                "items",
                "scan at least one item into the package first"
            ))
        );
        assert!(matches!(
            package(Packed, Pending).check_closable(2),
            Err(Refusal::Conflict(_))
        ));
        assert!(package(Packed, Pending).check_quality_checkable().is_ok());
        assert!(package(Packed, Passed).check_quality_checkable().is_err());
        for (state, ships) in [
            (package(Open, NotRequired), false),
            (package(Packed, NotRequired), true),
            (package(Packed, Passed), true),
            (package(Packed, Pending), false),
            (package(Packed, Failed), false),
            (package(Shipped, NotRequired), false),
            (package(Voided, Passed), false),
        ] {
            assert_eq!(state.check_shippable().is_ok(), ships, "{state:?}");
        }
        assert_eq!(qc_on_close(true), Pending);
        assert_eq!(qc_after_check(QualityResult::Failed), Failed);
    }

    #[test]
    fn a_fulfillment_is_packed_then_shipped_when_everything_is() {
        use FulfillmentStatus::*;
        use PackageStatus as P;
        let done = [line(1, 2, 2, 2)];
        let half = [line(1, 2, 2, 1)];
        assert_eq!(
            status_after_close(Picked, &done, &[P::Packed]),
            Some(Packed)
        );
        assert_eq!(status_after_close(Picked, &half, &[P::Packed]), None);
        assert_eq!(
            status_after_close(Picked, &done, &[P::Packed, P::Open]),
            None,
            "an open package is still at the bench"
        );
        assert_eq!(
            status_after_ship(Packed, &[P::Shipped, P::Voided]),
            Some(Shipped)
        );
        assert_eq!(status_after_ship(Packed, &[P::Shipped, P::Packed]), None);
        assert_eq!(
            status_after_ship(Picked, &[P::Shipped]),
            None,
            "units still to pack"
        );
        assert_eq!(status_after_void(Packed), Some(Picked));
        assert_eq!(status_after_void(Picked), None);
    }

    #[test]
    fn tracking_numbers_are_label_shaped() {
        assert!(valid_tracking("1Z999AA10123456784"));
        assert!(valid_tracking("JD-0146"));
        assert!(!valid_tracking("abc"));
        assert!(!valid_tracking("1Z 999"));
    }
}
