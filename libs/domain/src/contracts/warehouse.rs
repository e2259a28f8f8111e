//! Warehouse REST contracts: bins, service levels, quality-check rules,
//! fulfillment orders, waves and pick lists, scans, packages, shipping,
//! exceptions, at-risk work and lead times.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Create or replace a bin (`PUT /v1/locations/{location}/bins/{code}`). The
/// bin code is what its label's barcode encodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BinInput {
    #[schema(min_length = 1, max_length = 20, pattern = "\\S")]
    pub zone: String,
    #[schema(min_length = 1, max_length = 20, pattern = "\\S")]
    pub aisle: String,
    #[schema(min_length = 1, max_length = 20, pattern = "\\S")]
    pub shelf: String,
    #[schema(min_length = 1, max_length = 20, pattern = "\\S")]
    pub level: String,
    /// Position on the pickers' walk through the location; pick lists follow it.
    #[schema(minimum = 0)]
    pub walk_sequence: i32,
    /// SKUs stocked in this bin.
    #[serde(default)]
    #[schema(value_type = Vec<crate::Sku>, max_items = 200)]
    pub skus: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BinView {
    pub id: Uuid,
    pub location_code: String,
    pub code: String,
    pub zone: String,
    pub aisle: String,
    pub shelf: String,
    pub level: String,
    pub walk_sequence: i32,
    pub skus: Vec<String>,
    pub active: bool,
    pub version: i64,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BinQuery {
    /// Only bins stocking this SKU.
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub sku: Option<String>,
}

/// A channel's fulfillment promise (`PUT /v1/service-levels/{channel_id}`).
/// Times of day are UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceLevelInput {
    /// Orders placed before this time ship `handling_days` later; after it, a day later still.
    #[schema(value_type = String, example = "14:00:00")]
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$")]
    pub cutoff_time: NaiveTime,
    /// The time of day the carrier collects: the ship-by time.
    #[schema(value_type = String, example = "18:00:00")]
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$")]
    pub ship_by_time: NaiveTime,
    /// 0 = same day.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 30)]
    pub handling_days: i32,
    #[schema(min_length = 1, max_length = 40, pattern = "\\S")]
    pub carrier: String,
    #[schema(min_length = 1, max_length = 40, pattern = "\\S")]
    pub carrier_service: String,
    /// Targets per stage, in minutes: confirmed → released, released → picked,
    /// picked → packed, packed → shipped.
    pub targets: StageMinutes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StageMinutes {
    #[schema(minimum = 1, maximum = 10080)]
    pub release: i32,
    #[schema(minimum = 1, maximum = 10080)]
    pub pick: i32,
    #[schema(minimum = 1, maximum = 10080)]
    pub pack: i32,
    #[schema(minimum = 1, maximum = 10080)]
    pub ship: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceLevelView {
    pub channel_id: String,
    #[schema(value_type = String, example = "14:00:00")]
    pub cutoff_time: NaiveTime,
    #[schema(value_type = String, example = "18:00:00")]
    pub ship_by_time: NaiveTime,
    pub handling_days: i32,
    pub carrier: String,
    pub carrier_service: String,
    pub targets: StageMinutes,
    /// False when the channel has none configured and the defaults apply.
    pub configured: bool,
    pub version: i64,
}

/// What a quality-check rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QualityScope {
    /// Every package containing this SKU (e.g. high-value items).
    Sku,
    /// Every package of this channel's orders.
    Channel,
}

impl QualityScope {
    pub fn as_str(&self) -> &'static str {
        match self {
            QualityScope::Sku => "sku",
            QualityScope::Channel => "channel",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QualityRuleInput {
    pub scope: QualityScope,
    /// The SKU or channel id.
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QualityRuleView {
    pub id: Uuid,
    pub scope: QualityScope,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// Where a fulfillment order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentStatus {
    /// Waiting to be released into a wave.
    Open,
    /// On a pick list; nothing scanned yet.
    Released,
    Picking,
    /// Every line picked (or short-picked and re-allocated).
    Picked,
    /// Every picked unit is in a closed package.
    Packed,
    Shipped,
    Cancelled,
}

impl FulfillmentStatus {
    pub const ALL: [FulfillmentStatus; 7] = [
        FulfillmentStatus::Open,
        FulfillmentStatus::Released,
        FulfillmentStatus::Picking,
        FulfillmentStatus::Picked,
        FulfillmentStatus::Packed,
        FulfillmentStatus::Shipped,
        FulfillmentStatus::Cancelled,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            FulfillmentStatus::Open => "open",
            FulfillmentStatus::Released => "released",
            FulfillmentStatus::Picking => "picking",
            FulfillmentStatus::Picked => "picked",
            FulfillmentStatus::Packed => "packed",
            FulfillmentStatus::Shipped => "shipped",
            FulfillmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_final(&self) -> bool {
        matches!(
            self,
            FulfillmentStatus::Shipped | FulfillmentStatus::Cancelled
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FulfillmentLineView {
    pub line_no: i32,
    pub sku: String,
    /// Units this location ships for the line.
    pub quantity: i64,
    pub picked: i64,
    pub packed: i64,
    /// Units not found in the bin and re-allocated by inventory.
    pub short: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FulfillmentView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub channel_id: String,
    pub external_order_id: String,
    pub location_code: String,
    pub status: FulfillmentStatus,
    /// The order is on hold in orders: not released, not shipped.
    pub on_hold: bool,
    pub carrier: String,
    pub carrier_service: String,
    pub ship_by: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave_id: Option<Uuid>,
    pub lines: Vec<FulfillmentLineView>,
    pub packages: Vec<PackageView>,
    pub placed_at: DateTime<Utc>,
    pub confirmed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    pub version: i64,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FulfillmentQuery {
    #[param(value_type = Option<FulfillmentStatus>)]
    pub status: Option<String>,
    #[param(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub location_code: Option<String>,
    pub order_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub cursor: Option<String>,
}

/// Release open fulfillment orders into a wave (`POST /v1/waves`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaveRequest {
    #[schema(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub location_code: String,
    /// Only fulfillments going with this carrier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 40, pattern = "\\S")]
    pub carrier: Option<String>,
    /// Only fulfillments due to ship by then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// RFC 3339; the pattern states it for generated clients (29 February aside).
    #[schema(
        pattern = "^[0-9]{4}-(((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01]))|((0[469]|11)-(0[1-9]|[12][0-9]|30))|(02-(0[1-9]|1[0-9]|2[0-8])))T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
    )]
    pub ship_by_before: Option<DateTime<Utc>>,
    /// At most this many fulfillments, earliest ship-by first (default 50, max 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 500)]
    pub max_fulfillments: Option<i64>,
}

crate::wire_enum!(
    /// Where a pick task stands.
    pub enum PickTaskStatus {
        /// Units left to pick.
        Open = "open",
        /// Every unit picked.
        Done = "done",
        /// Finished with units missing from the bin (re-allocated elsewhere).
        Short = "short",
        /// The order was cancelled before the task was finished.
        Withdrawn = "withdrawn",
    }
);

crate::wire_enum!(
    /// Where a package stands: open at the bench, packed once sealed with its
    /// weight and dimensions, shipped with its label; voided when its units
    /// are to be packed again or the order was cancelled.
    pub enum PackageStatus {
        Open = "open",
        Packed = "packed",
        Shipped = "shipped",
        Voided = "voided",
    }
);

crate::wire_enum!(
    /// A package's quality check: due (pending) when a rule on one of its SKUs
    /// or its channel asks, decided by a person.
    pub enum QcStatus {
        NotRequired = "not_required",
        Pending = "pending",
        Passed = "passed",
        Failed = "failed",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PickTaskView {
    pub id: Uuid,
    pub fulfillment_id: Uuid,
    pub line_no: i32,
    pub sku: String,
    /// The item barcode to scan (normalized GTIN-14), when the catalog has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    pub bin_code: String,
    pub walk_sequence: i32,
    pub quantity: i64,
    pub picked: i64,
    pub short: i64,
    pub status: PickTaskStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PickListView {
    pub id: Uuid,
    pub wave_id: Uuid,
    pub zone: String,
    /// open | done | withdrawn
    pub status: String,
    /// In bin walking order.
    pub tasks: Vec<PickTaskView>,
}

/// A fulfillment a wave release left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkippedFulfillment {
    pub fulfillment_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaveView {
    pub id: Uuid,
    pub location_code: String,
    /// batch | single (one urgent order)
    pub kind: String,
    /// released | completed | cancelled
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    pub fulfillment_ids: Vec<Uuid>,
    pub pick_lists: Vec<PickListView>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedFulfillment>,
    pub released_by: String,
    pub released_at: DateTime<Utc>,
}

/// One scan at a bin: the bin label, then the item (`POST /v1/pick-tasks/{id}/scans`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PickScan {
    /// The scanned bin label.
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub bin: String,
    /// The scanned item barcode (GTIN); the SKU only for items without one.
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub item: String,
    /// Units scanned at once (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10000)]
    pub quantity: Option<i64>,
}

/// A picker reports units missing from the bin (`POST /v1/pick-tasks/{id}/short`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShortPickRequest {
    /// The scanned bin label (the picker is at the bin).
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub bin: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A package's scan (`POST /v1/packages/{id}/items`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackScan {
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub item: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10000)]
    pub quantity: Option<i64>,
}

/// Seal a package (`POST /v1/packages/{id}/close`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClosePackageRequest {
    #[schema(minimum = 1, maximum = 70000)]
    pub weight_grams: i64,
    #[schema(minimum = 1, maximum = 3000)]
    pub length_mm: i64,
    #[schema(minimum = 1, maximum = 3000)]
    pub width_mm: i64,
    #[schema(minimum = 1, maximum = 3000)]
    pub height_mm: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QualityResult {
    Passed,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QualityCheckRequest {
    pub result: QualityResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Hand a package to the carrier (`POST /v1/packages/{id}/ship`): the label
/// the operator scanned or the carrier API returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShipPackageRequest {
    #[schema(pattern = "^[A-Za-z0-9-]{4,64}$")]
    pub tracking_number: String,
    /// Defaults to the fulfillment's carrier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 40, pattern = "\\S")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 40, pattern = "\\S")]
    pub carrier_service: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackageItemView {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackageView {
    pub id: Uuid,
    pub fulfillment_id: Uuid,
    pub status: PackageStatus,
    pub qc_status: QcStatus,
    pub items: Vec<PackageItemView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_grams: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions_mm: Option<[i64; 3]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<DateTime<Utc>>,
}

/// A floor exception: scan errors (recorded), and short picks, failed quality
/// checks and cancelled picked work (open until ops resolve them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExceptionView {
    pub id: Uuid,
    /// wrong_bin | wrong_item | over_pick | short_pick | pack_mismatch | qc_failed | cancelled_after_pick
    pub kind: String,
    /// recorded | open | resolved
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pick_task_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<Uuid>,
    pub detail: String,
    pub reported_by: String,
    pub reported_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExceptionQuery {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub fulfillment_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResolveAction {
    /// Failed quality check: void the package; its units go back to be packed again.
    Repack,
    /// Failed quality check: ops accept the package as it is.
    Accept,
    /// Anything else: noted and closed.
    Acknowledge,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResolveRequest {
    pub action: ResolveAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Work that will miss its ship-by time at the current pace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AtRiskView {
    pub fulfillment_id: Uuid,
    pub order_id: Uuid,
    pub channel_id: String,
    pub location_code: String,
    pub status: FulfillmentStatus,
    pub ship_by: DateTime<Utc>,
    /// When it would ship if each remaining stage takes as long as it has
    /// recently (the channel's targets where there is no recent history).
    pub projected_ship_at: DateTime<Utc>,
    /// Positive: late by this much.
    pub minutes_late: i64,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtRiskQuery {
    #[param(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub location_code: Option<String>,
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeadTimeQuery {
    /// Shipped at or after (default: 7 days ago).
    pub from: Option<DateTime<Utc>>,
    /// Shipped before (default: now).
    pub to: Option<DateTime<Utc>>,
    #[param(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub location_code: Option<String>,
}

/// Seconds per stage over shipped fulfillments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StageSeconds {
    pub p50: f64,
    pub p90: f64,
    pub max: f64,
}

/// Lead times of one channel's shipped fulfillments (durations, not money).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeadTimeRow {
    pub channel_id: String,
    pub shipped: i64,
    /// Shipped by their ship-by time.
    pub on_time: i64,
    pub release: StageSeconds,
    pub pick: StageSeconds,
    pub pack: StageSeconds,
    pub ship: StageSeconds,
    /// Order confirmed → shipped.
    pub total: StageSeconds,
}

/// One audited action on the floor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub detail: serde_json::Value,
}

crate::wire_enum!(
    /// The condition of units received at the dock.
    pub enum ReceiptCondition {
        /// Sellable: put away at the location.
        Good = "good",
        /// Damaged: counted against the order, quarantined, never sold.
        Damaged = "damaged",
    }
);

crate::wire_enum!(
    /// A receipt at the dock: open while items are scanned, then completed.
    pub enum ReceiptStatus {
        Open = "open",
        Completed = "completed",
    }
);

/// Start receiving a purchase order at the dock (`POST /v1/receipts`): the
/// scan of the order's number on the delivery note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptInput {
    #[schema(example = "PO-000042", min_length = 1, max_length = 40)]
    pub purchase_order: String,
}

/// One scan at the dock: an item (SKU or barcode), how many, in what
/// condition, and (for good units) the bin they are put away to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptScan {
    /// The SKU or the item's GTIN as scanned.
    #[schema(min_length = 1, max_length = 64)]
    pub item: String,
    /// Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 100000)]
    pub quantity: Option<i64>,
    /// Default good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<ReceiptCondition>,
    /// The putaway bin of good units (at the order's location).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 40)]
    pub bin: Option<String>,
}

/// A purchase order line as the dock sees it in a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptLineView {
    pub line_no: i32,
    pub sku: String,
    pub supplier_sku: String,
    pub ordered: i64,
    pub cancelled: i64,
    /// Received by earlier receipts (good and damaged).
    pub received_before: i64,
    pub good: i64,
    pub damaged: i64,
    /// Still expected after this receipt.
    pub open: i64,
    /// Most that may still be received, the over-receipt tolerance included.
    pub acceptable: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptView {
    pub id: Uuid,
    pub purchase_order_id: Uuid,
    pub purchase_order_number: String,
    pub supplier_code: String,
    pub location_code: String,
    pub status: ReceiptStatus,
    pub lines: Vec<ReceiptLineView>,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
}

/// A purchase order the warehouse expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InboundOrderView {
    pub purchase_order_id: Uuid,
    pub number: String,
    pub supplier_code: String,
    pub location_code: String,
    /// As procurement last published it.
    pub status: String,
    pub expected_on: chrono::NaiveDate,
    /// Units still expected over all lines.
    pub open_units: i64,
}

/// `GET /v1/inbound-orders`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct InboundQuery {
    #[param(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub location: Option<String>,
}

/// How far above the ordered quantity a line may be received
/// (`PUT /v1/receiving-policy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceivingPolicyInput {
    #[schema(minimum = 0, maximum = 100)]
    pub over_receipt_tolerance_pct: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceivingPolicyView {
    pub over_receipt_tolerance_pct: i32,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

crate::wire_enum!(
    /// Where an expected return is at the return location.
    pub enum ReturnReceiptStatus {
        /// Authorised by support: the parcel may arrive.
        Expected = "expected",
        /// Scanning its units in.
        Receiving = "receiving",
        /// Every unit graded; ReturnInspected published.
        Inspected = "inspected",
    }
);

crate::wire_enum!(
    /// What inspection makes of a returned unit.
    pub enum ReturnGrade {
        /// Back to stock as it is.
        Resellable = "resellable",
        /// To quarantine, to be refurbished.
        Refurbish = "refurbish",
        /// Written off.
        Scrap = "scrap",
    }
);

/// `GET /v1/returns`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpectedReturnQuery {
    /// The RMA number on the parcel's label (RMA-000123).
    #[param(max_length = 40)]
    pub number: Option<String>,
    #[param(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub location: Option<String>,
    pub status: Option<ReturnReceiptStatus>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExpectedReturnLineView {
    pub line_no: i32,
    pub sku: String,
    /// Units authorised to come back.
    pub expected: i64,
    /// Units scanned in so far.
    pub received: i64,
    pub resellable: i64,
    pub refurbish: i64,
    pub scrap: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExpectedReturnView {
    pub return_id: Uuid,
    pub number: String,
    pub order_id: Uuid,
    pub channel_id: String,
    pub location_code: String,
    /// resellable, or damaged when the customer reported damage.
    pub expected_condition: String,
    pub status: ReturnReceiptStatus,
    pub lines: Vec<ExpectedReturnLineView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspected_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspected_at: Option<DateTime<Utc>>,
    pub version: i64,
}

/// `POST /v1/returns/{id}/scans`: a returned unit scanned in (SKU or GTIN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnScanInput {
    #[schema(min_length = 1, max_length = 64)]
    pub item: String,
    /// Default 1.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000)]
    pub quantity: Option<i64>,
}

/// One line's grades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionLineInput {
    #[schema(minimum = 1)]
    pub line_no: i32,
    pub grade: ReturnGrade,
    #[schema(minimum = 1, maximum = 100000)]
    pub quantity: i64,
}

/// `POST /v1/returns/{id}/inspection`: the grade of every received unit
/// (the lines' quantities add up to what was received).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionInput {
    #[schema(min_items = 1, max_items = 600)]
    pub grades: Vec<InspectionLineInput>,
}
