//! Billing REST contracts: who invoices (legal entities), how each channel is
//! taxed, tax rules and product tax categories; invoices and credit notes;
//! the ledger (chart of accounts, journal entries, trial balance, periods).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{Currency, Money};

crate::wire_enum!(
    /// Whether a channel's prices include tax.
    pub enum PriceBasis {
        /// Prices are what the buyer pays; the tax is taken out of them.
        TaxInclusive = "tax_inclusive",
        /// Tax is added on top of the prices.
        TaxExclusive = "tax_exclusive",
    }
);

crate::wire_enum!(
    /// Where tax is rounded to the currency's minor unit.
    pub enum TaxRounding {
        /// Once per tax category and rate of the document (EN 16931 BR-CO-17).
        PerDocument = "per_document",
        /// On every line; the category's tax is the sum of the rounded lines.
        PerLine = "per_line",
    }
);

crate::wire_enum!(
    /// An invoice, or a credit note correcting one.
    pub enum DocumentKind {
        Invoice = "invoice",
        CreditNote = "credit_note",
    }
);

crate::wire_enum!(
    /// What a document line bills.
    pub enum LineKind {
        Goods = "goods",
        Shipping = "shipping",
    }
);

crate::wire_enum!(
    /// The five kinds of account of a chart of accounts.
    pub enum AccountKind {
        Asset = "asset",
        Liability = "liability",
        Equity = "equity",
        Revenue = "revenue",
        Expense = "expense",
    }
);

crate::wire_enum!(
    /// Whether a month still takes postings.
    pub enum PeriodStatus {
        Open = "open",
        Closed = "closed",
    }
);

/// `PUT /v1/legal-entities/{code}`: the seller on invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LegalEntityInput {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// ISO 3166-1 alpha-2 of where it is established (its tax home).
    #[schema(pattern = "^[A-Z]{2}$")]
    pub country: String,
    /// Its VAT identifier (with country prefix).
    #[schema(pattern = "^[A-Z]{2}[0-9A-Za-z+*.]{2,13}$")]
    pub vat_id: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub street: String,
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub city: String,
    #[schema(min_length = 1, max_length = 20, pattern = "\\S")]
    pub postal_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LegalEntityView {
    pub code: String,
    pub name: String,
    pub country: String,
    pub vat_id: String,
    pub street: String,
    pub city: String,
    pub postal_code: String,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// `PUT /v1/channel-billing/{channel_id}`: who invoices a channel's orders
/// and how they are taxed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelBillingInput {
    /// The legal entity that sells on the channel.
    #[schema(pattern = "^[A-Z0-9][A-Z0-9-]{0,19}$")]
    pub legal_entity: String,
    pub prices: PriceBasis,
    pub rounding: TaxRounding,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelBillingView {
    pub channel_id: String,
    pub legal_entity: String,
    pub prices: PriceBasis,
    pub rounding: TaxRounding,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// `PUT /v1/tax-rules/{country}/{tax_category}`: the rate, in percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaxRuleInput {
    /// Percent, 0 to 100, at most 4 decimals (e.g. "19", "5.5"); a JSON string.
    #[schema(value_type = String, pattern = "^(100(\\.0{1,4})?|[0-9]{1,2}(\\.[0-9]{1,4})?)$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaxRuleView {
    pub country: String,
    pub tax_category: String,
    #[schema(value_type = String)]
    pub rate: Decimal,
    pub updated_at: DateTime<Utc>,
}

/// `PUT /v1/product-tax-categories/{sku}`: which rule of the destination a
/// product's sales follow (a SKU without one is `standard`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductTaxInput {
    #[schema(pattern = "^[a-z][a-z0-9_]{0,31}$")]
    pub tax_category: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductTaxView {
    pub sku: String,
    pub tax_category: String,
    pub updated_at: DateTime<Utc>,
}

/// Seller or buyer as a document names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Party {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    pub street: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocumentLineView {
    /// Position on the document, from 1.
    pub line_no: i32,
    pub kind: LineKind,
    /// The order's line it bills (goods lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_line_no: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub description: String,
    pub quantity: i64,
    /// As the channel priced it (tax included or not, per `prices`).
    pub unit_price: Money,
    /// The line's share of the order's discount.
    pub discount: Money,
    /// Net of tax and discount: what the tax is computed on.
    pub net: Money,
    /// UNCL5305 code: S (standard or reduced), Z (zero), AE (reverse charge).
    pub tax_category: String,
    #[schema(value_type = String)]
    pub tax_rate: Decimal,
    /// Units already credited (invoices only).
    pub credited_quantity: i64,
}

/// One tax subtotal (EN 16931 BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaxSubtotalView {
    pub tax_category: String,
    #[schema(value_type = String)]
    pub tax_rate: Decimal,
    pub taxable: Money,
    pub tax: Money,
}

/// A reference to another document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocumentRef {
    pub id: Uuid,
    pub number: String,
    pub issue_date: NaiveDate,
}

/// An issued invoice or credit note. Never changed once issued: a
/// correction is a credit note referring to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocumentView {
    pub id: Uuid,
    pub kind: DocumentKind,
    /// Series and sequence, e.g. `EU1-2026-000042`.
    pub number: String,
    /// The series (legal entity, kind and year): numbers in it run 1, 2, 3
    /// with no gap.
    pub series: String,
    pub sequence: i64,
    /// The invoice a credit note corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<DocumentRef>,
    pub order_id: Uuid,
    /// The shipment an invoice bills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_id: Option<String>,
    pub channel_id: String,
    pub external_order_id: String,
    pub legal_entity: String,
    pub seller: Party,
    pub buyer: Party,
    pub currency: Currency,
    pub prices: PriceBasis,
    pub rounding: TaxRounding,
    pub lines: Vec<DocumentLineView>,
    pub tax_subtotals: Vec<TaxSubtotalView>,
    pub net_total: Money,
    pub tax_total: Money,
    pub gross_total: Money,
    /// The tax the channel charged the buyer for the whole order (invoices
    /// of orders whose channel reported it), to compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_tax_total: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub issue_date: NaiveDate,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreditLineInput {
    /// The invoice's line.
    #[schema(minimum = 1)]
    pub line_no: i32,
    #[schema(minimum = 1)]
    pub quantity: i64,
}

/// `POST /v1/invoices/{id}/credit-notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreditNoteRequest {
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
    /// What to credit; absent: everything not yet credited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1)]
    pub lines: Option<Vec<CreditLineInput>>,
}

/// `GET /v1/invoices`: newest first.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct DocumentListQuery {
    pub order_id: Option<Uuid>,
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    pub kind: Option<DocumentKind>,
    /// `next_cursor` of the previous page.
    #[param(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// A shipment billing could not invoice yet, and why; retried when the
/// settings it waits for change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingShipmentView {
    pub fulfillment_id: String,
    pub order_id: Uuid,
    pub channel_id: String,
    pub reason: String,
    pub shipped_at: DateTime<Utc>,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccountView {
    pub code: String,
    pub name: String,
    pub kind: AccountKind,
    /// Whether postings to it carry the channel (receivables, revenue).
    pub per_channel: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JournalLineView {
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub debit: Money,
    pub credit: Money,
}

/// One balanced journal entry and what caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JournalEntryView {
    pub id: Uuid,
    pub sequence: i64,
    /// `shipment`, `credit_note`, `goods_received` or `manual`.
    pub source: String,
    /// The source's id (a fulfillment id, a document id, a receipt id).
    pub source_id: String,
    /// The day the entry counts in (the first open day on or after `occurred_on`).
    pub posted_on: NaiveDate,
    /// The day the business event happened.
    pub occurred_on: NaiveDate,
    pub period: String,
    pub memo: String,
    pub lines: Vec<JournalLineView>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct JournalListQuery {
    pub order_id: Option<Uuid>,
    /// `shipment`, `credit_note`, `goods_received` or `manual`.
    #[param(pattern = "^[a-z_]{1,32}$")]
    pub source: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManualLineInput {
    #[schema(pattern = "^[0-9]{4}$")]
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel_id: Option<String>,
    /// The amount debited; give this or `credit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debit: Option<Money>,
    /// The amount credited; give this or `debit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<Money>,
}

/// `POST /v1/journal-entries`: a finance adjustment. Its lines balance per
/// currency; a date in a closed period is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManualEntryRequest {
    #[schema(value_type = String, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub posted_on: NaiveDate,
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub memo: String,
    #[schema(min_items = 2, max_items = 100)]
    pub lines: Vec<ManualLineInput>,
}

crate::wire_enum!(
    /// Which side of an account its balance is on.
    pub enum BalanceSide {
        Debit = "debit",
        Credit = "credit",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrialBalanceRow {
    pub account: String,
    pub name: String,
    pub debit: Money,
    pub credit: Money,
    /// The difference of debits and credits, on the side it is on.
    pub balance: Money,
    pub balance_side: BalanceSide,
}

/// Every account's debits and credits in one currency; they are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrialBalanceView {
    pub currency: Currency,
    /// Up to and including this day (absent: everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<NaiveDate>,
    pub accounts: Vec<TrialBalanceRow>,
    pub total_debit: Money,
    pub total_credit: Money,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct TrialBalanceQuery {
    pub currency: Currency,
    /// Up to and including this day.
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PeriodView {
    /// `YYYY-MM`.
    pub period: String,
    pub status: PeriodStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
}

/// `PUT /v1/fee-schedules/{channel_id}/{effective_from}`: what a channel
/// charges from a day on (until the next schedule's day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FeeScheduleInput {
    pub currency: Currency,
    /// Percent of the gross of goods (and shipping) whose fee category has no
    /// rate of its own.
    #[schema(value_type = String, pattern = "^(100(\\.0{1,4})?|[0-9]{1,2}(\\.[0-9]{1,4})?)$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub default_commission_percent: Decimal,
    /// Percent per product fee category (`PUT /v1/product-fee-categories/{sku}`).
    #[serde(default)]
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub commission_percent_by_category: std::collections::BTreeMap<String, String>,
    /// Charged once per order, with its first shipment.
    pub per_order_fee: Money,
    /// Charged per unit shipped.
    pub per_unit_fulfillment_fee: Money,
    /// Percent of what the buyer pays.
    #[schema(value_type = String, pattern = "^(100(\\.0{1,4})?|[0-9]{1,2}(\\.[0-9]{1,4})?)$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub payment_percent: Decimal,
    /// Charged once per order, with its first shipment.
    pub payment_fixed_fee: Money,
    /// Of the commission on goods refunded, the percent the channel keeps
    /// (its refund administration fee); 0, the default: all of it comes back.
    #[schema(value_type = String, pattern = "^(100(\\.0{1,4})?|[0-9]{1,2}(\\.[0-9]{1,4})?)$")]
    #[serde(default, with = "rust_decimal::serde::str")]
    pub refund_admin_percent: Decimal,
    /// The most that administration fee takes per refunded line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_admin_max_fee: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FeeScheduleView {
    pub channel_id: String,
    #[schema(value_type = String, format = Date)]
    pub effective_from: NaiveDate,
    pub currency: Currency,
    #[schema(value_type = String)]
    pub default_commission_percent: Decimal,
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub commission_percent_by_category: std::collections::BTreeMap<String, String>,
    pub per_order_fee: Money,
    pub per_unit_fulfillment_fee: Money,
    #[schema(value_type = String)]
    pub payment_percent: Decimal,
    pub payment_fixed_fee: Money,
    #[schema(value_type = String)]
    pub refund_admin_percent: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_admin_max_fee: Option<Money>,
    pub updated_at: DateTime<Utc>,
}

/// `PUT /v1/product-fee-categories/{sku}`: which commission rate of a
/// channel's schedule a product's sales pay (absent: the default rate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductFeeInput {
    #[schema(pattern = "^[a-z][a-z0-9_]{0,31}$")]
    pub fee_category: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductFeeView {
    pub sku: String,
    pub fee_category: String,
    pub updated_at: DateTime<Utc>,
}

crate::wire_enum!(
    /// How a settlement file is written.
    pub enum SettlementFormat {
        /// Amazon's V2 flat-file settlement report (tab separated).
        AmazonV2 = "amazon_v2",
        /// Shopify Payments' transactions export of one payout (CSV).
        ShopifyPayments = "shopify_payments",
        /// Crossdock's generic settlement CSV (docs/billing.md).
        Generic = "generic",
    }
);

/// `POST /v1/settlements`: the channel the file is from and its format.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct SettlementImportQuery {
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: String,
    pub format: SettlementFormat,
}

/// An imported settlement: what it paid out, and what became of its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SettlementView {
    pub channel_id: String,
    pub settlement_id: String,
    pub format: SettlementFormat,
    /// What the channel pays out.
    pub total: SignedMoney,
    #[schema(value_type = String, format = Date)]
    pub deposit_date: NaiveDate,
    /// Lines after consolidation (one per order, SKU, amount type and description).
    pub lines: i32,
    /// Lines matched to an order (or a fee of the channel itself).
    pub matched: i32,
    /// Lines held for finance (`GET /v1/settlement-exceptions`).
    pub exceptions: i32,
    /// Actual fees less the fees estimated at shipment, for the matched orders.
    pub fee_true_up: SignedMoney,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
}

/// A signed amount (a settlement's total, a line, a true-up may be negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignedMoney {
    /// Decimal amount as a string, e.g. "-4.50".
    #[schema(value_type = String, pattern = "^-?[0-9]{1,16}(\\.[0-9]{1,4})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[schema(inline)]
    pub currency: Currency,
}

crate::wire_enum!(
    /// Where a settlement exception stands.
    pub enum ExceptionStatus {
        Open = "open",
        Matched = "matched",
        WrittenOff = "written_off",
    }
);

/// A settlement line billing could not match, held in suspense.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SettlementExceptionView {
    pub id: Uuid,
    pub channel_id: String,
    pub settlement_id: String,
    /// The line of the file it came from.
    pub line: i64,
    /// The channel's order id on the line (may be empty).
    pub order_ref: String,
    pub sku: String,
    /// `sale`, `refund`, a fee kind, or what the line said.
    pub kind: String,
    pub description: String,
    pub amount: SignedMoney,
    /// Why it was not matched.
    pub reason: String,
    pub status: ExceptionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_order_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct ExceptionListQuery {
    /// Default `open`.
    pub status: Option<ExceptionStatus>,
}

/// `POST /v1/settlement-exceptions/{id}/match`: the order the line is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExceptionMatchRequest {
    pub order_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// `POST /v1/settlement-exceptions/{id}/write-off`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExceptionWriteOffRequest {
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub note: String,
}

crate::wire_enum!(
    /// How a bank statement is written.
    pub enum BankFormat {
        /// ISO 20022 camt.053 BankToCustomerStatement (XML).
        Camt053 = "camt053",
        /// Crossdock's bank-statement CSV (docs/billing.md).
        Csv = "csv",
    }
);

/// `POST /v1/bank-statements`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct BankImportQuery {
    #[param(inline)]
    pub format: BankFormat,
    /// How far a customer's payment may be from its invoice's gross and
    /// still pay it (the difference is written off); default 0.05.
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,6}(\\.[0-9]{1,4})?$")]
    pub tolerance: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BankStatementView {
    pub statement_id: String,
    pub account: String,
    pub format: String,
    /// Lines recorded (a line the bank reported before is not again).
    pub lines: i32,
    /// Lines matched to a payout or an invoice.
    pub matched: i32,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BankLineView {
    pub id: Uuid,
    pub account: String,
    pub statement_id: String,
    pub bank_reference: String,
    #[schema(value_type = String, format = Date)]
    pub booked_on: NaiveDate,
    pub amount: SignedMoney,
    pub reference: String,
    pub counterparty: String,
    /// `payout` or `invoice`; absent: queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_kind: Option<String>,
    /// The settlement (`channel:id`) or invoice number it paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_ref: Option<String>,
    /// Why it is queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct BankLineQuery {
    /// Only lines still queued (default true).
    pub unmatched: Option<bool>,
}

crate::wire_enum!(
    /// What margin is grouped by.
    pub enum MarginGroup {
        Order = "order",
        Channel = "channel",
        Sku = "sku",
        Day = "day",
    }
);

/// `GET /v1/margin`: a range of days (the day an order first shipped, or an
/// entry posted), one channel or all, grouped.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct MarginQuery {
    #[param(inline)]
    pub group_by: MarginGroup,
    #[param(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[param(value_type = String, format = Date)]
    pub to: NaiveDate,
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    /// Orders only: just those sold at a loss.
    pub loss_only: Option<bool>,
    /// Orders only: `next_cursor` of the previous page.
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Contribution margin of a group: revenue less refunds, cost of goods,
/// channel fees (estimated, then actual), payment fees and shipping cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MarginRow {
    /// The order id, channel, SKU or day.
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub day: Option<NaiveDate>,
    pub revenue: SignedMoney,
    pub refunds: SignedMoney,
    pub cogs: SignedMoney,
    pub channel_fees: SignedMoney,
    pub payment_fees: SignedMoney,
    pub shipping_cost: SignedMoney,
    pub margin: SignedMoney,
}

/// `PUT /v1/bill-tolerances/{currency}`: how far a supplier's bill may be
/// from its purchase order's prices and still post without an approver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BillToleranceInput {
    /// Per unit, percent of the order's unit cost, 0 to 100.
    #[schema(value_type = String, pattern = "^(100(\\.0{1,4})?|[0-9]{1,2}(\\.[0-9]{1,4})?)$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub price_percent: Decimal,
    /// The whole bill's price variance, either way; in the path's currency.
    #[schema(value_type = String, pattern = "^[0-9]{1,12}(\\.[0-9]{1,4})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BillToleranceView {
    #[schema(inline)]
    pub currency: Currency,
    #[schema(value_type = String)]
    #[serde(with = "rust_decimal::serde::str")]
    pub price_percent: Decimal,
    pub amount: Money,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// One line of a supplier's bill: a purchase order line, units and price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupplierBillLineInput {
    /// The purchase order's line number.
    #[schema(minimum = 1, maximum = 100000)]
    pub purchase_order_line: i32,
    #[schema(minimum = 1, maximum = 10000000)]
    pub quantity: i64,
    /// Per unit, before tax, in the purchase order's currency.
    pub unit_price: Money,
}

crate::wire_enum!(
    /// What a supplier's bill is for.
    pub enum BillKind {
        /// The goods of a purchase order: matched line by line.
        Goods = "goods",
        /// Freight, duty or other landed-cost charges of a purchase order's
        /// receipts (often from a carrier or broker, not the goods'
        /// supplier): allocated to the received lines.
        Charges = "charges",
    }
);

crate::wire_enum!(
    /// How a charges bill is spread over the received lines.
    pub enum AllocationBasis {
        /// By units received.
        Quantity = "quantity",
        /// By units received × the SKU's weight (catalog's weight_grams).
        Weight = "weight",
        /// By units received × the order's unit cost.
        Value = "value",
    }
);

/// `POST /v1/supplier-bills`: a supplier's bill for goods (or landed-cost
/// charges) of one purchase order, as printed on it. The same bill again
/// answers what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupplierBillInput {
    /// Default `goods`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(inline)]
    pub kind: Option<BillKind>,
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub supplier_code: String,
    /// The supplier's own number for the bill; once per supplier.
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub bill_number: String,
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub purchase_order_number: String,
    #[schema(value_type = String, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub bill_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub due_on: Option<NaiveDate>,
    /// Goods: 1 to 500 lines. Charges: none.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub lines: Vec<SupplierBillLineInput>,
    /// Charges only: the charges before tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charges: Option<Money>,
    /// Charges only: how they are spread over the received lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(inline)]
    pub allocation: Option<AllocationBasis>,
    /// Input tax the supplier charged (recoverable).
    pub tax_total: Money,
    /// What is owed: the lines' net plus the tax.
    pub gross_total: Money,
}

crate::wire_enum!(
    /// Where a supplier's bill stands.
    pub enum BillStatus {
        /// Matched (or approved) and owed: posted to payables.
        Posted = "posted",
        /// Beyond tolerance or quantity: waits for a second finance person.
        Held = "held",
        /// Refused, with why; its quantities may be billed again.
        Rejected = "rejected",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupplierBillLineView {
    pub line_no: i32,
    pub purchase_order_line: i32,
    pub sku: String,
    pub quantity: i64,
    pub unit_price: Money,
    /// The purchase order's unit cost.
    pub unit_cost: Money,
    pub net: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupplierBillView {
    pub id: Uuid,
    pub kind: BillKind,
    pub supplier_code: String,
    pub bill_number: String,
    pub purchase_order_id: Uuid,
    pub purchase_order_number: String,
    #[schema(value_type = String, format = Date)]
    pub bill_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<NaiveDate>,
    pub status: BillStatus,
    /// Why it is held (empty when it matched).
    pub hold_reasons: Vec<String>,
    pub lines: Vec<SupplierBillLineView>,
    /// Charges: how they were spread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(inline)]
    pub allocation: Option<AllocationBasis>,
    /// Charges: per received line, what it took.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allocations: Vec<ChargeAllocationView>,
    pub net: Money,
    pub tax: Money,
    pub gross: Money,
    /// Goods: the order's unit costs times the billed units. Charges: the
    /// estimated charges it cleared.
    pub expected_net: Money,
    /// Net less expected. Goods: posted to purchase price variance (5100).
    /// Charges: to inventory for units on hand, cost of goods for the rest.
    pub price_variance: SignedMoney,
    pub entered_by: String,
    pub entered_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_note: Option<String>,
    /// The journal entry it posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<Uuid>,
}

/// A charges bill's share of one received purchase order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChargeAllocationView {
    pub purchase_order_line: i32,
    pub sku: String,
    pub received: i64,
    /// Its share of the charges.
    pub allocated: Money,
    /// The estimated charges of its receipts it cleared (2100).
    pub estimate_cleared: Money,
    /// Of the difference, what the units still on hand took (1300).
    pub to_inventory: SignedMoney,
    /// Of the difference, what the units gone took (5000).
    pub to_cost_of_goods: SignedMoney,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct SupplierBillQuery {
    /// Default: every status.
    pub status: Option<BillStatus>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// `POST /v1/supplier-bills/{id}/approve`: a held bill posted as billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BillApproveRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// `POST /v1/supplier-bills/{id}/reject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BillRejectRequest {
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

crate::wire_enum!(
    /// Where a return's refund stands.
    pub enum RefundStatus {
        /// Authorised; billing waits for the warehouse's inspection.
        AwaitingGoods = "awaiting_goods",
        /// Above the currency's approval limit: waits for a finance person
        /// other than the one who authorised the return.
        AwaitingApproval = "awaiting_approval",
        /// A step failed (say, the returned lines are not invoiced yet):
        /// queued for finance, who retry it once the cause is fixed.
        Failed = "failed",
        /// Credited, the fees kept, the buyer's refund and the channel's
        /// commission posted.
        Refunded = "refunded",
        /// Finance refused it, with why; nothing was credited.
        Rejected = "rejected",
        /// An exchange: the replacement order takes its place; nothing is
        /// credited.
        Exchanged = "exchanged",
    }
);

/// One returned order line: authorised, received (all grades), credited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundLineView {
    pub line_no: i32,
    pub sku: String,
    pub authorized_quantity: i64,
    /// Units the warehouse received and graded (authorised units when the
    /// return is returnless); None until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_quantity: Option<i64>,
    /// The gross the credit notes gave back for the line, once refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credited: Option<Money>,
}

/// A return's refund as billing runs it (`GET /v1/refunds/{return_id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundView {
    pub return_id: Uuid,
    pub return_number: String,
    pub order_id: Uuid,
    pub channel_id: String,
    pub external_order_id: String,
    pub status: RefundStatus,
    /// The return's reason (support's vocabulary).
    pub reason: String,
    /// The customer keeps the goods: refunded on authorisation.
    pub returnless: bool,
    pub lines: Vec<RefundLineView>,
    /// The return's fees as its policy set them for the authorised units.
    pub restocking_fee: Money,
    pub return_label_fee: Money,
    /// Computed once the goods are in: the gross to credit, the fees kept
    /// (restocking pro rata to the units received), the buyer's refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credited: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_kept: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Money>,
    /// What the channel gives back of its commission, per its fee schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_refunded: Option<Money>,
    pub credit_notes: Vec<String>,
    /// Why it waits or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_reason: Option<String>,
    pub authorized_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct RefundQuery {
    /// Default: every status. `awaiting_approval` and `failed` are finance's queue.
    pub status: Option<RefundStatus>,
    pub order_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// `POST /v1/refunds/{return_id}/approve`: a held refund issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundApproveRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// `POST /v1/refunds/{return_id}/reject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundRejectRequest {
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

/// `PUT /v1/refund-approval-limits/{currency}`: refunds above this amount
/// wait for a finance approver (a currency without a limit needs none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundLimitInput {
    #[schema(value_type = String, pattern = "^[0-9]{1,12}(\\.[0-9]{1,4})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundLimitView {
    #[schema(inline)]
    pub currency: Currency,
    pub amount: Money,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}
