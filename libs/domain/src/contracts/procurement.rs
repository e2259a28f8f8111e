//! Procurement REST contracts: demand history and its import, forecasts,
//! forecast settings, suppliers and the products they supply.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::Money;

crate::wire_enum!(
    /// Syntetos–Boylan demand classes (ADI 1.32, CV² 0.49).
    pub enum DemandClass {
        Smooth = "smooth",
        Erratic = "erratic",
        Intermittent = "intermittent",
        Lumpy = "lumpy",
    }
);

crate::wire_enum!(
    /// How a series is forecast.
    pub enum ForecastMethod {
        /// No demand in the history: zero.
        NoDemand = "no_demand",
        /// MSTL weekly decomposition with AutoETS on the rest (augurs).
        SeasonalEts = "seasonal_ets",
        /// Last week repeated: the baseline, used when history is short.
        SeasonalNaive = "seasonal_naive",
        /// Croston with the Syntetos–Boylan bias correction.
        CrostonSba = "croston_sba",
        /// Teunter–Syntetos–Babai: demand probability updated every day.
        Tsb = "tsb",
    }
);

/// `GET /v1/demand/{sku}`: a date range, one channel or all.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct DemandQuery {
    /// One channel's demand; all channels summed when absent.
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    /// First day (default: 90 days before `to`).
    pub from: Option<NaiveDate>,
    /// Last day (default: today, UTC).
    pub to: Option<NaiveDate>,
}

/// One day of demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DemandDayView {
    pub date: NaiveDate,
    /// Units ordered (confirmed and backordered, net of cancellations), or
    /// the imported figure for an imported day.
    pub quantity: i64,
    /// The SKU ran out that day (a reservation came up short): the day's
    /// figure understates demand, and forecasting does not read it as such.
    pub stock_out: bool,
}

/// A SKU's daily demand over a range: every day, zero days included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DemandView {
    pub sku: String,
    /// The channel, or absent for all channels together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: i64,
    pub days: Vec<DemandDayView>,
}

/// What an import applied (`POST /v1/demand-history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DemandImportView {
    /// Rows in the file.
    pub rows: i64,
    /// SKU × channel × day figures written (each replaces what was there).
    pub days_written: i64,
    pub skus: i64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
}

/// `GET /v1/forecasts/{sku}`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct ForecastQuery {
    /// One channel's forecast; the SKU's total when absent.
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
}

/// One forecast day: the expected units and the prediction interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForecastDayView {
    pub date: NaiveDate,
    pub point: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Accuracy of the chosen method on the SKU's own history, by rolling
/// origin (each fold sees only the days before its window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BacktestView {
    pub folds: i32,
    /// Mean absolute scaled error against the weekly seasonal-naive forecast
    /// (below 1: better than repeating last week). Absent when the history
    /// is too short to score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mase: Option<f64>,
    /// Root mean squared scaled error, scaled the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rmsse: Option<f64>,
    /// Mean of forecast − actual per day (positive: over-forecasting).
    pub bias: f64,
}

/// A SKU's forecast (total or one channel's), computed by the background job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForecastView {
    pub sku: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// Channels with their own forecast for this SKU.
    pub channels: Vec<String>,
    pub computed_at: DateTime<Utc>,
    /// Days of history the forecast read (up to yesterday).
    pub history_days: i32,
    /// Days of that history flagged as stock-outs (their demand was
    /// estimated from the same weekday of other weeks).
    pub stock_out_days: i32,
    /// The demand class; absent when the history holds no demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<DemandClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adi: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv2: Option<f64>,
    pub method: ForecastMethod,
    /// Why this method: the class and the figures it rests on.
    pub reason: String,
    /// Coverage of the interval, e.g. 0.9.
    pub level: f64,
    pub backtest: BacktestView,
    /// Total expected units over the horizon.
    pub total: f64,
    pub days: Vec<ForecastDayView>,
}

/// How forecasts are made (`PUT /v1/forecast-settings`); a change
/// recomputes every forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForecastSettingsInput {
    /// Days forecast ahead.
    #[schema(minimum = 7, maximum = 365)]
    pub horizon_days: i32,
    /// Coverage of the prediction interval.
    #[schema(minimum = 0.5, maximum = 0.99)]
    pub interval_level: f64,
    /// Most recent days of history read (older demand is ignored).
    #[schema(minimum = 28, maximum = 1096)]
    pub max_history_days: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForecastSettingsView {
    pub horizon_days: i32,
    pub interval_level: f64,
    pub max_history_days: i32,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// Create or replace a supplier (`PUT /v1/suppliers/{code}`). `currency` is
/// what the supplier invoices in; its products' costs must use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupplierInput {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[schema(inline)]
    pub currency: crate::Currency,
    /// Net payment days (0 = payment on order).
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: i32,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupplierView {
    #[schema(example = "ACME")]
    pub code: String,
    pub name: String,
    #[schema(inline)]
    pub currency: crate::Currency,
    pub payment_terms_days: i32,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `GET /v1/suppliers`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct SupplierListQuery {
    /// Continue after this supplier code.
    #[param(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// What a supplier supplies of a SKU, on what terms
/// (`PUT /v1/suppliers/{code}/products/{sku}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupplierProductInput {
    /// The supplier's own article number.
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub supplier_sku: String,
    /// Cost per unit, in the supplier's currency.
    pub unit_cost: Money,
    /// Minimum order quantity, in units.
    #[schema(minimum = 1, maximum = 1000000000)]
    pub moq: i64,
    /// Units per pack: orders are whole packs.
    #[schema(minimum = 1, maximum = 1000000)]
    pub pack_size: i64,
    /// Promised days from order to receipt (used until enough receipts
    /// teach the real figure).
    #[schema(minimum = 0, maximum = 365)]
    pub lead_time_days: i32,
    /// 1 is preferred; replenishment picks the lowest active rank.
    #[schema(minimum = 1, maximum = 100)]
    pub preferred_rank: i32,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupplierProductView {
    pub supplier_code: String,
    pub sku: String,
    pub supplier_sku: String,
    pub unit_cost: Money,
    pub moq: i64,
    pub pack_size: i64,
    pub lead_time_days: i32,
    pub preferred_rank: i32,
    pub active: bool,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

crate::wire_enum!(
    /// How a SKU × location is reordered.
    pub enum RuleKind {
        /// Reorder at `min_units`, up to `max_units`.
        MinMax = "min_max",
        /// Reorder point = forecast demand over the lead time + safety stock
        /// at `service_level`; order up to that + `cover_days` of demand.
        Forecast = "forecast",
    }
);

/// Create or replace a reorder rule (`PUT /v1/reorder-rules/{sku}/{location}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReorderRuleInput {
    pub kind: RuleKind,
    /// min_max: the reorder point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub min_units: Option<i64>,
    /// min_max: order up to this (at least `min_units`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub max_units: Option<i64>,
    /// forecast: the cycle service level (default 0.95).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0.5, maximum = 0.999)]
    pub service_level: Option<f64>,
    /// forecast: days of demand an order covers beyond the reorder point
    /// (default 14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 365)]
    pub cover_days: Option<i32>,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReorderRuleView {
    pub sku: String,
    pub location_code: String,
    pub kind: RuleKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_units: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_units: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_days: Option<i32>,
    pub active: bool,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// `GET /v1/reorder-rules`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct ReorderRuleQuery {
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub sku: Option<String>,
    #[param(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub location: Option<String>,
}

/// Start a replenishment run (`POST /v1/replenishment-runs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplenishmentRunInput {
    /// Propose without creating purchase orders.
    #[serde(default)]
    pub dry_run: bool,
}

/// Why a line orders what it orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LineExplanation {
    pub rule: RuleKind,
    /// On hand − reserved − backordered + on order, at the run.
    pub position: i64,
    pub on_hand: i64,
    pub reserved: i64,
    /// The SKU's backorders counted at this location (the SKU's first
    /// location by allocation priority that has a rule).
    pub backordered: i64,
    pub on_order: i64,
    pub reorder_point: i64,
    pub order_up_to: i64,
    /// Forecast demand over the lead time (forecast rules).
    pub lead_time_demand: f64,
    pub safety_stock: f64,
    pub lead_time_days: f64,
    /// Whether the lead time was learned from receipts (else the promise).
    pub lead_time_learned: bool,
    /// Units needed before the supplier's minimum and packs.
    pub needed: i64,
    /// Which supplier and why.
    pub supplier_reason: String,
}

/// A purchase order line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseOrderLineView {
    pub line_no: i32,
    pub sku: String,
    pub supplier_sku: String,
    pub quantity: i64,
    pub unit_cost: Money,
    pub line_total: Money,
    pub received_good: i64,
    pub received_damaged: i64,
    pub cancelled: i64,
    /// Unit cost plus the line's share of the order's charges, per unit.
    pub unit_landed_cost: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<LineExplanation>,
}

crate::wire_enum!(
    /// Where a purchase order is in its life.
    pub enum PurchaseOrderStatus {
        Draft = "draft",
        Approved = "approved",
        Sent = "sent",
        PartiallyReceived = "partially_received",
        Received = "received",
        Closed = "closed",
        Cancelled = "cancelled",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseOrderView {
    pub id: uuid::Uuid,
    /// Human-facing number, e.g. PO-000042.
    pub number: String,
    pub supplier_code: String,
    pub location_code: String,
    pub status: PurchaseOrderStatus,
    pub total: Money,
    /// Expected receipt: order date + the longest lead time of its lines.
    pub expected_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<uuid::Uuid>,
    pub lines: Vec<PurchaseOrderLineView>,
    /// Estimated landed-cost charges (freight, duty, insurance).
    pub charges: Vec<ChargeView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
}

crate::wire_enum!(
    /// What a landed-cost charge is for.
    pub enum ChargeKind {
        Freight = "freight",
        Duty = "duty",
        Insurance = "insurance",
        Other = "other",
    }
);

crate::wire_enum!(
    /// What a charge is spread over the lines by.
    pub enum ChargeBasis {
        Quantity = "quantity",
        /// Catalog weight × quantity (by quantity when no weight is known).
        Weight = "weight",
        /// Unit cost × quantity.
        Value = "value",
    }
);

/// Add an estimated landed-cost charge (`POST /v1/purchase-orders/{id}/charges`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChargeInput {
    pub kind: ChargeKind,
    /// In the order's currency.
    pub amount: Money,
    pub basis: ChargeBasis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChargeView {
    pub id: i64,
    pub kind: ChargeKind,
    pub amount: Money,
    pub basis: ChargeBasis,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
}

/// A decision on an order (approve, send, cancel, close); the body is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct PurchaseOrderAction {
    /// Why, for the order's history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// A new quantity for a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineAmendment {
    #[schema(minimum = 1)]
    pub line_no: i32,
    #[schema(minimum = 1, maximum = 1000000000)]
    pub quantity: i64,
}

/// Amend an order (`POST /v1/purchase-orders/{id}/amendments`): a draft
/// freely; an approved one only down, never below what was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AmendmentInput {
    #[serde(default)]
    pub lines: Vec<LineAmendment>,
    /// YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub expected_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// One version of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseOrderVersionView {
    pub version: i64,
    /// drafted | amended | approved | auto_approved | sent | received | cancelled | closed | charged
    pub change: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The order as it was after this change.
    pub order: PurchaseOrderView,
}

/// The approval policy (`PUT /v1/approval-policy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApprovalPolicyInput {
    /// One per currency.
    pub thresholds: Vec<Money>,
    /// Drafts with a total within their threshold are approved by rule.
    pub auto_approve_below: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApprovalPolicyView {
    pub thresholds: Vec<Money>,
    pub auto_approve_below: bool,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// A run's result: what it proposes (dry run) or created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReplenishmentRunView {
    pub id: uuid::Uuid,
    pub dry_run: bool,
    pub started_at: DateTime<Utc>,
    pub requested_by: String,
    /// SKU × location rules looked at.
    pub rules: i64,
    /// Needs with no active supplier to order from.
    pub unsourced: Vec<String>,
    /// Draft purchase orders, one per supplier and destination location
    /// (in a dry run, what they would be; `id` and `number` are then empty).
    pub purchase_orders: Vec<PurchaseOrderView>,
}

/// `GET /v1/purchase-orders`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct PurchaseOrderQuery {
    pub status: Option<PurchaseOrderStatus>,
    #[param(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub supplier: Option<String>,
    /// Continue after this purchase order id.
    pub cursor: Option<uuid::Uuid>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Actual against promised lead times, in days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeadTimeFigures {
    pub actual_p50: f64,
    pub actual_p90: f64,
    /// The supplier's current promise for the SKUs received, at the same percentiles.
    pub promised_p50: f64,
    pub promised_p90: f64,
}

/// A supplier's record (`GET /v1/suppliers/{code}/scorecard`), from its
/// purchase orders and their receipts. Figures are absent until there is
/// something to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScorecardView {
    pub supplier_code: String,
    /// Orders approved.
    pub orders: i64,
    pub receipts: i64,
    /// Receipts by the order's expected date, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time_pct: Option<f64>,
    /// Of the units ordered on completed orders (received or closed), the
    /// share received in good condition, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_rate_pct: Option<f64>,
    pub units_received_good: i64,
    pub units_received_damaged: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_time_days: Option<LeadTimeFigures>,
    /// Purchase price variance against catalog's cost price over the good
    /// units received, in percent (positive: paid more than standard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_variance_pct: Option<f64>,
}
