//! Inventory REST contracts: locations, stock, adjustments, movements, holds,
//! reservations and per-channel availability.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::ChannelId;

/// What a location is; allocation prefers locations by `priority`, not kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    Warehouse,
    Overflow,
    Store,
    #[serde(rename = "3pl")]
    ThirdParty,
}

impl LocationKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            LocationKind::Warehouse => "warehouse",
            LocationKind::Overflow => "overflow",
            LocationKind::Store => "store",
            LocationKind::ThirdParty => "3pl",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            LocationKind::Warehouse,
            LocationKind::Overflow,
            LocationKind::Store,
            LocationKind::ThirdParty,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Create or replace a location (`PUT /v1/locations/{code}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LocationInput {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    pub kind: LocationKind,
    /// Lower is preferred when allocating (e.g. 10 primary, 20 overflow).
    #[schema(minimum = 0, maximum = 10000)]
    pub priority: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LocationView {
    #[schema(example = "WH-PRIMARY")]
    pub code: String,
    pub name: String,
    pub kind: LocationKind,
    pub priority: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why stock was adjusted by hand or by a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentReason {
    Receipt,
    CycleCount,
    Damage,
    Correction,
    Return,
}

impl AdjustmentReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            AdjustmentReason::Receipt => "receipt",
            AdjustmentReason::CycleCount => "cycle_count",
            AdjustmentReason::Damage => "damage",
            AdjustmentReason::Correction => "correction",
            AdjustmentReason::Return => "return",
        }
    }
}

/// A stock adjustment. Give exactly one of `quantity_delta` (e.g. +40 received,
/// -2 damaged) or `counted_on_hand` (a cycle count's result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AdjustmentRequest {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub sku: String,
    /// Location code.
    #[schema(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub location: String,
    pub reason: AdjustmentReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_delta: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted_on_hand: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Stock of one SKU at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockLevel {
    pub location: String,
    pub on_hand: i64,
    pub reserved: i64,
    /// on_hand - reserved
    pub available: i64,
}

/// Stock of one SKU across locations, with totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkuStockView {
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub locations: Vec<StockLevel>,
}

/// One audited stock change: who, when, why, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MovementView {
    pub id: i64,
    pub sku: String,
    pub location: String,
    /// receipt | cycle_count | damage | correction | return | reserve | release |
    /// ship (a shipment consumed the reservation) | short_pick (units missing
    /// from the bin, written off)
    pub kind: String,
    pub on_hand_before: i64,
    pub on_hand_after: i64,
    pub reserved_before: i64,
    pub reserved_after: i64,
    /// The order or hold a reservation, shipment or short-pick movement belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct MovementQuery {
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub sku: Option<String>,
    /// Location code.
    #[param(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub location: Option<String>,
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Units of a SKU reserved at a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReservedLineView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_no: Option<i32>,
    pub sku: String,
    pub location: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShortfallView {
    pub line_no: i32,
    pub sku: String,
    pub requested: i64,
    pub missing: i64,
}

crate::wire_enum!(
    /// Where an order's reservation stands.
    pub enum ReservationStatus {
        /// Stock is reserved (all of it, or what the partial policy kept).
        Reserved = "reserved",
        /// Nothing reserved; waiting for stock (backorder policy).
        Backordered = "backordered",
        /// Nothing reserved, and nothing will be (reject policy).
        Rejected = "rejected",
        /// Cancelled: its stock went back.
        Released = "released",
    }
);

/// Inventory's record of an order's reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReservationView {
    pub order_id: Uuid,
    pub channel_id: String,
    pub status: ReservationStatus,
    /// What is still reserved (shipments and short picks take units off).
    pub lines: Vec<ReservedLineView>,
    /// What will not be reserved: cut at placement (partial policy) or after a
    /// short pick no other location could cover (partial or reject policy).
    pub shortfalls: Vec<ShortfallView>,
    /// What left with shipments, per line and location.
    #[serde(default)]
    pub shipped: Vec<ReservedLineView>,
    /// Short-picked units waiting for stock (backorder policy).
    #[serde(default)]
    pub awaiting_stock: Vec<AwaitingStockView>,
    pub updated_at: DateTime<Utc>,
}

/// Units of an order line that a short pick left without stock, reserved
/// automatically when stock arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AwaitingStockView {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
    /// The fulfillment that came up short.
    pub fulfillment_id: String,
    /// The location code where the units were missing.
    pub short_at: String,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HoldLineInput {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub sku: String,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i64,
}

/// Reserve stock for a checkout for a while (`POST /v1/holds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HoldRequest {
    /// Required for staff tokens; a channel token holds for its own channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel_id: Option<String>,
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<HoldLineInput>,
    /// Time to live, 1-3600 seconds (default 900).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3600)]
    pub ttl_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HoldView {
    pub id: Uuid,
    pub channel_id: ChannelId,
    /// active | expired | released | converted
    pub status: String,
    pub lines: Vec<ReservedLineView>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Uuid>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct AvailabilityQuery {
    /// Channel id (a channel token may omit it).
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    pub sku: String,
}

/// What a channel may sell of a SKU now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AvailabilityView {
    pub sku: String,
    pub channel_id: String,
    /// Sum of available over the channel's eligible locations, minus its safety
    /// buffer, never below zero.
    pub available_to_sell: i64,
    pub eligible_available: i64,
    pub safety_buffer: i64,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct AvailabilityChangesQuery {
    /// Channel id (a channel token may omit it).
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    /// `next_cursor` of the previous page; absent = from the beginning.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// The latest available-to-sell of a SKU on a channel, in feed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AvailabilityChange {
    pub sequence: i64,
    pub sku: String,
    pub channel_id: String,
    pub available_to_sell: i64,
    pub changed_at: DateTime<Utc>,
}
