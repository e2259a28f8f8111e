//! Orders REST contracts: the channel registry, order intake, the order view,
//! the exception queue, the channel updates feed and webhook deliveries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{Address, ChannelId, ChannelKind, Money};

/// What happens to an order that stock can't cover in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BackorderPolicy {
    /// Reserve nothing; the order goes on hold (stock conflict) for ops.
    Reject,
    /// Reserve nothing now; reserve in full automatically when stock arrives.
    Backorder,
    /// Reserve what there is; the rest is cut from the order.
    Partial,
}

impl BackorderPolicy {
    pub fn as_str(&self) -> &'static str {
        match self {
            BackorderPolicy::Reject => "reject",
            BackorderPolicy::Backorder => "backorder",
            BackorderPolicy::Partial => "partial",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            BackorderPolicy::Reject,
            BackorderPolicy::Backorder,
            BackorderPolicy::Partial,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

fn default_priority() -> i32 {
    100
}

fn yes() -> bool {
    true
}

/// Create or replace a channel (`PUT /v1/channels/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelInput {
    pub kind: ChannelKind,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[schema(inline)]
    pub currency: crate::Currency,
    pub backorder_policy: BackorderPolicy,
    /// Location codes the channel ships from (e.g. wholesale only from the
    /// primary warehouse); empty = every active location.
    #[serde(default)]
    #[schema(value_type = Vec<crate::LocationCode>)]
    pub ship_from: Vec<String>,
    /// Lower is served first when backorders fill (default 100).
    #[serde(default = "default_priority")]
    #[schema(minimum = 0, maximum = 10000)]
    pub priority: i32,
    /// Units held back from this channel's available-to-sell.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub safety_buffer_units: i64,
    /// Percent (0-100) of eligible stock held back; the larger buffer applies.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub safety_buffer_percent: i32,
    /// Orders above this total from a first-time customer go to fraud review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraud_threshold: Option<Money>,
    /// HTTPS (or loopback HTTP) URL that receives signed status updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^https?://[^/?#@]+")]
    pub webhook_url: Option<String>,
    /// HMAC-SHA256 key for the webhook signature; write-only. Omit to keep the
    /// current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 16, max_length = 200)]
    pub webhook_secret: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelView {
    pub id: ChannelId,
    pub kind: ChannelKind,
    pub name: String,
    #[schema(value_type = String, example = "EUR")]
    pub currency: crate::Currency,
    pub backorder_policy: BackorderPolicy,
    pub ship_from: Vec<String>,
    pub priority: i32,
    pub safety_buffer_units: i64,
    pub safety_buffer_percent: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraud_threshold: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Whether a webhook secret is set (the secret itself is never returned).
    pub webhook_secret_set: bool,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Paid,
    Authorized,
    Pending,
    Failed,
}

impl PaymentStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentStatus::Paid => "paid",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            PaymentStatus::Paid,
            PaymentStatus::Authorized,
            PaymentStatus::Pending,
            PaymentStatus::Failed,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }

    /// Paid or authorized: the order may be confirmed.
    pub fn is_secured(&self) -> bool {
        matches!(self, PaymentStatus::Paid | PaymentStatus::Authorized)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub email: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// The channel's own customer id, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// A business buyer's VAT identifier (country prefix and number, e.g.
    /// `FR40303265045`); its invoice is reverse charged across EU borders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Z]{2}[0-9A-Za-z+*.]{2,13}$")]
    pub vat_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderLineInput {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub sku: String,
    /// Units, 1 to 1,000,000 (`domain::quantity::MAX_LINE_QUANTITY`).
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: i64,
    pub unit_price: Money,
}

/// An order as a channel sends it (`POST /v1/orders`). The body is also kept
/// verbatim beside the normalized order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateOrderRequest {
    /// Required for staff tokens; a channel token places orders for its own channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel_id: Option<String>,
    /// The channel's order id; (channel, external id) identifies the order.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub external_order_id: String,
    pub customer: Customer,
    pub shipping_address: Address,
    /// Defaults to the shipping address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
    pub lines: Vec<OrderLineInput>,
    pub shipping_total: Money,
    pub tax_total: Money,
    pub discount_total: Money,
    /// Must equal sum(lines) + shipping + tax - discount.
    pub total: Money,
    pub payment_status: PaymentStatus,
    pub placed_at: DateTime<Utc>,
    /// A storefront hold (`POST /v1/holds` on inventory) to convert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub checkout_hold_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Received,
    Reserved,
    Confirmed,
    Backordered,
    OnHold,
    Cancelled,
    /// Some lines (or units) have left the warehouse, not all.
    PartiallyShipped,
    /// Everything that will ship has shipped (cut units excepted).
    Shipped,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::Received,
        OrderStatus::Reserved,
        OrderStatus::Confirmed,
        OrderStatus::Backordered,
        OrderStatus::OnHold,
        OrderStatus::Cancelled,
        OrderStatus::PartiallyShipped,
        OrderStatus::Shipped,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::Received => "received",
            OrderStatus::Reserved => "reserved",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Backordered => "backordered",
            OrderStatus::OnHold => "on_hold",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::PartiallyShipped => "partially_shipped",
            OrderStatus::Shipped => "shipped",
        }
    }

    /// Whether goods of the order have left the warehouse.
    pub fn has_shipped(&self) -> bool {
        matches!(self, OrderStatus::PartiallyShipped | OrderStatus::Shipped)
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Why an order waits in the exception queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    PaymentFailed,
    StockConflict,
    AddressProblem,
    FraudReview,
}

impl HoldReason {
    pub const ALL: [HoldReason; 4] = [
        HoldReason::PaymentFailed,
        HoldReason::StockConflict,
        HoldReason::AddressProblem,
        HoldReason::FraudReview,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            HoldReason::PaymentFailed => "payment_failed",
            HoldReason::StockConflict => "stock_conflict",
            HoldReason::AddressProblem => "address_problem",
            HoldReason::FraudReview => "fraud_review",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HoldInfo {
    pub reason: HoldReason,
    pub detail: String,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AllocationView {
    pub location: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderLineView {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub line_total: Money,
    /// Where the line's stock is reserved, once it is.
    pub allocations: Vec<AllocationView>,
    /// Units cut: under the partial backorder policy, or after a short pick
    /// no other location could cover.
    pub short_quantity: i64,
    /// Units that have left the warehouse.
    pub shipped_quantity: i64,
    /// Units returned and refunded (billing's RefundIssued).
    #[serde(default)]
    pub returned_quantity: i64,
    /// The gross given back for the line's returned units.
    pub refunded: Money,
}

/// Units of an order line in a parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShippedLineView {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
}

/// A parcel handed to a carrier, with its tracking number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ParcelView {
    #[schema(example = "DHL")]
    pub carrier: String,
    pub service: String,
    pub tracking_number: String,
    pub lines: Vec<ShippedLineView>,
}

/// What one fulfillment shipped from one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShipmentView {
    pub fulfillment_id: String,
    #[schema(example = "WH-PRIMARY")]
    pub location_code: String,
    pub parcels: Vec<ParcelView>,
    pub shipped_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub id: Uuid,
    pub channel_id: ChannelId,
    pub external_order_id: String,
    pub status: OrderStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<HoldInfo>,
    pub customer: Customer,
    pub shipping_address: Address,
    pub billing_address: Address,
    pub lines: Vec<OrderLineView>,
    pub subtotal: Money,
    pub shipping_total: Money,
    pub tax_total: Money,
    pub discount_total: Money,
    pub total: Money,
    pub payment_status: PaymentStatus,
    pub placed_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// What has shipped, oldest first.
    #[serde(default)]
    pub shipments: Vec<ShipmentView>,
    /// Returns refunded, oldest first.
    #[serde(default)]
    pub refunds: Vec<RefundView>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// One step of an order's lifecycle: who or what moved it, and when. A step
/// whose `from` equals `to` records an event that left the status as it was
/// (another partial shipment, a short pick re-allocated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusChangeView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `user:<sub>`, `channel:<id>` or `system:<component>`.
    pub actor: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CancelRequest {
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PaymentUpdate {
    pub payment_status: PaymentStatus,
}

/// A note for an exception action, kept in the status history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct OrderListQuery {
    #[param(value_type = Option<OrderStatus>)]
    pub status: Option<String>,
    /// Only this channel's orders. A channel token sees only its own (the
    /// default; naming another is 403).
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    #[param(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct ExceptionQuery {
    /// payment_failed | stock_conflict | address_problem | fraud_review
    #[param(value_type = Option<HoldReason>)]
    pub reason: Option<String>,
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    #[param(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct FeedQuery {
    /// `next_cursor` of the previous page; absent = from the beginning.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A change to one of the channel's orders, in feed order: a status change,
/// or a shipment or cut that left the status as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelUpdate {
    pub sequence: i64,
    pub order_id: Uuid,
    pub external_order_id: String,
    pub status: OrderStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_reason: Option<HoldReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The shipment this update announces, with its tracking numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment: Option<ShipmentView>,
    /// The refund of a return this update announces: lines and amounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<RefundView>,
    pub at: DateTime<Utc>,
}

/// A returned order line as refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundedLineView {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
    /// The gross credited for these units.
    pub refunded: Money,
}

/// A return refunded (support's RMA, billing's credit notes): what the
/// buyer gets back and the fees kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundView {
    pub return_id: Uuid,
    pub return_number: String,
    pub lines: Vec<RefundedLineView>,
    /// The gross credited, before fees.
    pub credited: Money,
    pub restocking_fee: Money,
    pub return_label_fee: Money,
    /// What the buyer is refunded.
    pub refund: Money,
    pub credit_notes: Vec<String>,
    pub issued_at: DateTime<Utc>,
}

/// One webhook delivery and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookDeliveryView {
    pub id: i64,
    pub sequence: i64,
    /// pending | delivered | failed
    pub status: String,
    pub attempts: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}
