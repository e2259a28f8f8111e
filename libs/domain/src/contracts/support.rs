//! Support REST contracts: tickets (from the API, a channel, or inbound
//! email), their message thread, attachments, triage and suggested replies,
//! the order facts a ticket shows, and the auto-reply settings.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::Money;

crate::wire_enum!(
    /// Where a ticket is in its life. A new message from the customer
    /// reopens a pending, resolved or closed ticket.
    pub enum TicketStatus {
        /// Not yet looked at by a person.
        New = "new",
        Open = "open",
        /// Waiting for the customer's answer (SLA timers pause).
        PendingCustomer = "pending_customer",
        Resolved = "resolved",
        Closed = "closed",
    }
);

crate::wire_enum!(
    pub enum TicketPriority {
        Low = "low",
        Normal = "normal",
        High = "high",
        Urgent = "urgent",
    }
);

crate::wire_enum!(
    /// What a customer wants: triage's intents, also a ticket's category.
    pub enum Intent {
        WhereIsMyOrder = "where_is_my_order",
        ReturnRequest = "return_request",
        DamagedItem = "damaged_item",
        WrongItem = "wrong_item",
        CancelOrder = "cancel_order",
        ChangeAddress = "change_address",
        BillingQuestion = "billing_question",
        ProductQuestion = "product_question",
        Other = "other",
    }
);

crate::wire_enum!(
    pub enum TicketSource {
        /// Created by staff through the API.
        Api = "api",
        /// Posted by a channel connector (a marketplace's buyer message).
        Channel = "channel",
        /// An inbound email.
        Email = "email",
    }
);

crate::wire_enum!(
    /// Who wrote a message of the thread, and who sees it.
    pub enum MessageKind {
        /// From the customer.
        Customer = "customer",
        /// A person's reply to the customer (sent by the email gateway or channel).
        Reply = "reply",
        /// A reply sent automatically for a category an admin enabled.
        AutoReply = "auto_reply",
        /// Internal: staff only, never sent.
        Note = "note",
    }
);

/// `POST /v1/tickets`: a ticket from staff (a phone call, a chat) or from a
/// channel connector (a marketplace buyer's message).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    #[schema(min_length = 1, max_length = 300, pattern = "\\S")]
    pub subject: String,
    /// The customer's message (plain text).
    #[schema(min_length = 1, max_length = 100000, pattern = "\\S")]
    pub body: String,
    #[schema(
        max_length = 254,
        pattern = "^[^@\\s\\x00-\\x1f\\x7f-\\x9f]+@[^@\\s\\x00-\\x1f\\x7f-\\x9f.]+(\\.[^@\\s\\x00-\\x1f\\x7f-\\x9f.]+)+$"
    )]
    pub customer_email: String,
    #[serde(default)]
    #[schema(max_length = 200, pattern = "\\S")]
    pub customer_name: Option<String>,
    /// The order it is about (Crossdock's id), when known.
    #[serde(default)]
    pub order_id: Option<Uuid>,
    /// Or the channel's order number (not both).
    #[serde(default)]
    #[schema(max_length = 100, pattern = "\\S")]
    pub external_order_id: Option<String>,
    /// Staff name the channel; a channel token's own is used (and only it).
    #[serde(default)]
    #[schema(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel_id: Option<String>,
    /// Default: from triage's urgency (high → high, else normal).
    #[serde(default)]
    pub priority: Option<TicketPriority>,
}

/// `PATCH /v1/tickets/{id}`: what a person changes; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketUpdate {
    #[serde(default)]
    pub status: Option<TicketStatus>,
    #[serde(default)]
    pub priority: Option<TicketPriority>,
    /// The category (triage's intent until a person sets it).
    #[serde(default)]
    pub category: Option<Intent>,
    /// A staff user's id, or null to unassign.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200, pattern = "\\S")]
    pub assignee: Option<Option<String>>,
}

/// A field that may be absent (unchanged), null (cleared) or a value.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

crate::wire_enum!(
    /// Where a reply or note may leave a ticket.
    pub enum StatusAfterMessage {
        Open = "open",
        PendingCustomer = "pending_customer",
        Resolved = "resolved",
    }
);

impl From<StatusAfterMessage> for TicketStatus {
    fn from(s: StatusAfterMessage) -> Self {
        match s {
            StatusAfterMessage::Open => TicketStatus::Open,
            StatusAfterMessage::PendingCustomer => TicketStatus::PendingCustomer,
            StatusAfterMessage::Resolved => TicketStatus::Resolved,
        }
    }
}

/// `POST /v1/tickets/{id}/messages`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    /// reply (sent to the customer), note (internal), or customer (a
    /// customer's message that reached staff another way, or a channel
    /// connector relaying the buyer).
    pub kind: MessageKind,
    #[schema(min_length = 1, max_length = 100000, pattern = "\\S")]
    pub body: String,
    /// With a reply or a note: the status to move to (after a reply the
    /// default is pending_customer). A customer's message always reopens.
    #[serde(default)]
    pub status: Option<StatusAfterMessage>,
    /// Attachments already uploaded to this ticket (by content hash) that
    /// this message carries.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub attachments: Vec<String>,
}

/// One scored label of a triage head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoredIntent {
    pub intent: Intent,
    /// Calibrated probability, 0–1.
    pub confidence: f64,
}

/// What triage made of the ticket's first message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TriageView {
    pub intent: Intent,
    pub confidence: f64,
    /// Every intent, most likely first.
    pub intents: Vec<ScoredIntent>,
    /// low, normal or high.
    pub urgency: String,
    pub urgency_confidence: f64,
    /// negative, neutral or positive.
    pub sentiment: String,
    pub sentiment_confidence: f64,
    /// The intent's confidence is below the model's threshold: a person
    /// decides, no auto-reply is sent.
    pub needs_person: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    /// SHA-256 of the content, hex: the attachment's id (stored once).
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Where the content is served (to those who may see the ticket).
    pub url: String,
    /// The message it came with, when it came with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_seq: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    /// 1, 2, ... in the thread.
    pub seq: i32,
    pub kind: MessageKind,
    /// The customer's address, `user:<id>`, `channel:<id>` or `system:auto-reply`.
    pub author: String,
    pub body: String,
    /// RFC 5322 Message-ID (inbound email and replies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A ticket without its thread (lists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    pub id: Uuid,
    /// T-000123: what customers and staff quote.
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub category: Intent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    pub customer_email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// The order it is about, when it could be linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Uuid>,
    /// The parcel it is about (a tracking number in the message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// How the order was found: order_id, order_number, tracking_number,
    /// customer_email (the sender's latest order), or none.
    pub linked_by: String,
    pub source: TicketSource,
    pub triage: TriageView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The first person's reply (auto-replies do not count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// The SLA it is held to, when a policy covers its channel and priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaView>,
    pub version: i64,
}

/// A ticket's SLA timers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaView {
    /// `<channel or default>/<priority>`.
    pub policy: String,
    /// Until a person's first reply (absent once answered or while paused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_due_at: Option<DateTime<Utc>>,
    /// Until resolved (absent while paused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_due_at: Option<DateTime<Utc>>,
    /// Waiting on the customer, or done: the timers stand still.
    pub paused: bool,
    /// Business minutes the ticket has waited on the merchant so far.
    pub business_minutes_used: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_breached_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_breached_at: Option<DateTime<Utc>>,
}

crate::wire_enum!(
    pub enum Weekday {
        Mon = "mon",
        Tue = "tue",
        Wed = "wed",
        Thu = "thu",
        Fri = "fri",
        Sat = "sat",
        Sun = "sun",
    }
);

/// `PUT /v1/sla-policies/{channel}/{priority}`: targets in business time,
/// and the business hours they count in.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyInput {
    /// Business minutes until a person's first reply.
    #[schema(minimum = 1, maximum = 525600)]
    pub first_response_minutes: i64,
    /// Business minutes until resolved (not shorter than the first response).
    #[schema(minimum = 1, maximum = 525600)]
    pub resolution_minutes: i64,
    /// IANA time zone of the business hours, e.g. Europe/Berlin.
    #[schema(min_length = 1, max_length = 64, example = "Europe/Berlin")]
    pub time_zone: String,
    /// Each day once (a repeat counts once).
    #[schema(min_items = 1, max_items = 7)]
    pub working_days: Vec<Weekday>,
    /// Local opening time, HH:MM.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:00")]
    pub opens: String,
    /// Local closing time, HH:MM (24:00 for midnight), after opens.
    #[schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", example = "17:00")]
    pub closes: String,
    /// Days without business hours (public holidays).
    #[serde(default)]
    #[schema(max_items = 400)]
    pub holidays: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaPolicyView {
    /// A channel id, or `default` for channels without their own.
    pub channel: String,
    pub priority: TicketPriority,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub time_zone: String,
    pub working_days: Vec<Weekday>,
    pub opens: String,
    pub closes: String,
    pub holidays: Vec<NaiveDate>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// `GET /v1/tickets/at-risk`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtRiskQuery {
    /// Due within this many minutes from now (default 60); breached ones are listed too.
    #[param(minimum = 1, maximum = 10080)]
    pub within_minutes: Option<i64>,
    /// A channel token sees only its own channel's tickets.
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// A ticket whose SLA falls due soon, or is breached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AtRiskView {
    /// first_response or resolution: the timer due first.
    pub timer: String,
    pub due_at: DateTime<Utc>,
    pub breached: bool,
    pub ticket: TicketView,
}

/// One order line as support knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderLineFacts {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
    pub shipped: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Money>,
}

/// One parcel of the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ParcelFacts {
    pub carrier: String,
    pub service: String,
    pub tracking_number: String,
    /// Where it left from.
    pub location_code: String,
    pub shipped_at: DateTime<Utc>,
    /// Shipped date plus the carrier's usual transit time (working days).
    pub expected_delivery: NaiveDate,
}

/// The order a ticket is about, from support's projections of orders' and
/// the warehouse's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderFacts {
    pub order_id: Uuid,
    pub channel_id: String,
    pub external_order_id: String,
    /// placed, confirmed, on_hold, cancelled, partially_shipped or shipped.
    pub status: String,
    pub placed_at: DateTime<Utc>,
    pub lines: Vec<OrderLineFacts>,
    pub parcels: Vec<ParcelFacts>,
    /// Days left to ask for a return (30 days from the last shipment), when shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_days_left: Option<i64>,
}

/// A reply drafted for the ticket's intent, filled with the order's facts.
/// A suggestion: a person sends it (or edits it first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SuggestedReply {
    pub intent: Intent,
    pub body: String,
}

/// A ticket with its thread, attachments, order facts and suggested reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketDetailView {
    #[serde(flatten)]
    pub ticket: TicketView,
    /// Internal notes are shown to staff only.
    pub messages: Vec<MessageView>,
    pub attachments: Vec<AttachmentView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderFacts>,
    pub suggested_reply: SuggestedReply,
}

/// `GET /v1/tickets`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketListQuery {
    pub status: Option<TicketStatus>,
    /// A channel token sees only its own channel's tickets.
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    #[param(max_length = 200)]
    pub assignee: Option<String>,
    pub order_id: Option<Uuid>,
    #[param(max_length = 254)]
    pub customer_email: Option<String>,
    /// From next_cursor.
    pub cursor: Option<Uuid>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// What an inbound email became (`POST /v1/inbound-email`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InboundEmailView {
    pub ticket_id: Uuid,
    pub number: String,
    /// A new ticket (else a reply threaded onto an existing one).
    pub created: bool,
    /// The message's place in the thread.
    pub message_seq: i32,
    /// The same Message-ID was posted before: nothing changed.
    pub duplicate: bool,
    /// Attachments stored from it.
    pub attachments: i32,
    /// Attachments refused (type or size), each with why; the message is kept.
    pub refused_attachments: Vec<String>,
}

/// `PUT /v1/auto-replies/{category}`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoReplyInput {
    pub enabled: bool,
    /// Send only when triage is at least this confident (0.5–1).
    #[schema(minimum = 0.5, maximum = 1.0)]
    pub min_confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AutoReplyView {
    pub category: Intent,
    pub enabled: bool,
    pub min_confidence: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

crate::wire_enum!(
    /// Why a customer returns. damaged, wrong_item and not_as_described are
    /// the merchant's fault: no restocking fee, the merchant pays the label.
    pub enum ReturnReason {
        Damaged = "damaged",
        WrongItem = "wrong_item",
        NotAsDescribed = "not_as_described",
        NoLongerNeeded = "no_longer_needed",
        SizeOrFit = "size_or_fit",
        Other = "other",
    }
);

crate::wire_enum!(
    pub enum ReturnResolution {
        /// Money back (less the policy's fees).
        Refund = "refund",
        /// The same items again, through a replacement order.
        Exchange = "exchange",
    }
);

crate::wire_enum!(
    /// Where a return is in its saga.
    pub enum ReturnStatus {
        /// Outside the auto-approval rules: waits for a person.
        PendingApproval = "pending_approval",
        /// Authorised: the warehouse expects it (or, returnless, billing refunds).
        Authorized = "authorized",
        Received = "received",
        Inspected = "inspected",
        Refunded = "refunded",
        /// An exchange whose replacement order is placed.
        Exchanged = "exchanged",
        /// A person declined it.
        Rejected = "rejected",
    }
);

crate::wire_enum!(
    pub enum ReturnWindowFrom {
        Delivery = "delivery",
        Shipment = "shipment",
    }
);

crate::wire_enum!(
    pub enum ReturnLabelPayer {
        Customer = "customer",
        Merchant = "merchant",
    }
);

crate::wire_enum!(
    /// When an exchange's replacement is reserved.
    pub enum ExchangeReservation {
        Immediately = "immediately",
        AfterInspection = "after_inspection",
    }
);

/// `PUT /v1/return-policies/{channel}` (`default` for channels without their own).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnPolicyInput {
    #[schema(minimum = 0, maximum = 365)]
    pub window_days: i64,
    pub window_from: ReturnWindowFrom,
    /// Return categories (`PUT /v1/return-categories/{sku}`) that can't be
    /// returned by choice (a damaged or wrong item always can).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub non_returnable_categories: Vec<String>,
    /// Percent of the returned value kept on a customer's-choice return
    /// (a decimal string, 0 to 100).
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, pattern = "^([0-9]{1,2}(\\.[0-9]{1,2})?|100(\\.0{1,2})?)$", example = "10")]
    pub restocking_fee_percent: rust_decimal::Decimal,
    /// Who pays the return label on a customer's-choice return.
    pub return_shipping_paid_by: ReturnLabelPayer,
    /// What the label costs a customer who pays it.
    pub return_label_fee: Money,
    /// Returns worth less than this are refunded and the goods kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returnless_below: Option<Money>,
    /// Returns worth up to this are authorised without a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_approve_up_to: Option<Money>,
    /// Where returns are sent and restocked.
    #[schema(pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")]
    pub return_location: String,
    pub exchange_reservation: ExchangeReservation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReturnPolicyView {
    pub channel: String,
    pub policy: ReturnPolicyInput,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// `PUT /v1/return-categories/{sku}`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnCategoryInput {
    #[schema(min_length = 1, max_length = 64, pattern = "^[a-z][a-z0-9_-]{0,63}$")]
    pub category: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineInput {
    #[schema(minimum = 1)]
    pub line_no: i32,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i64,
}

/// `POST /v1/returns`: from a customer's ticket, from ops, or pushed by a
/// marketplace with its channel token.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    /// The order (or name it by the channel's number, or by a ticket linked to it).
    #[serde(default)]
    pub order_id: Option<Uuid>,
    #[serde(default)]
    #[schema(max_length = 100, pattern = "\\S")]
    pub external_order_id: Option<String>,
    /// The ticket the customer asked on; it is updated as the return moves.
    #[serde(default)]
    pub ticket_id: Option<Uuid>,
    /// Staff name the channel with external_order_id; a channel token's own is used.
    #[serde(default)]
    #[schema(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel_id: Option<String>,
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<ReturnLineInput>,
    pub reason: ReturnReason,
    pub resolution: ReturnResolution,
    /// The channel's own id for a marketplace-initiated return (a repeat is a retry).
    #[serde(default)]
    #[schema(max_length = 100, pattern = "\\S")]
    pub external_return_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReturnLineView {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
    pub unit_price: Money,
}

/// What the policy made of the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReturnTermsView {
    pub value: Money,
    pub restocking_fee: Money,
    pub return_label_fee: Money,
    /// What the customer gets back.
    pub refund: Money,
    /// The customer keeps the goods: nothing comes back to inspect.
    pub returnless: bool,
    pub label_paid_by: ReturnLabelPayer,
    pub return_location: String,
    pub window_ends: NaiveDate,
    pub exchange_reservation: ExchangeReservation,
}

/// One step of the return's saga, as support heard of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReturnStepView {
    /// requested, authorized, received, inspected, restocked, refunded, …
    pub step: String,
    /// done, waiting or failed.
    pub status: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReturnView {
    pub id: Uuid,
    /// RMA-000123.
    pub number: String,
    pub order_id: Uuid,
    pub channel_id: String,
    pub external_order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_return_id: Option<String>,
    pub status: ReturnStatus,
    pub reason: ReturnReason,
    pub resolution: ReturnResolution,
    pub lines: Vec<ReturnLineView>,
    pub terms: ReturnTermsView,
    pub auto_approved: bool,
    pub requested_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_by: Option<String>,
    pub steps: Vec<ReturnStepView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// `POST /v1/returns/{id}/decision`: a person authorises or rejects a
/// return waiting for approval (not one they requested).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnDecisionInput {
    pub approve: bool,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// `GET /v1/returns`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnListQuery {
    pub order_id: Option<Uuid>,
    pub status: Option<ReturnStatus>,
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    pub cursor: Option<Uuid>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}
