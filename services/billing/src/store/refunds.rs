//! Refunds of returns: a row per return from support's ReturnAuthorized,
//! the warehouse's inspection beside it (either may arrive first), and the
//! step that issues the refund once both are in (or on authorisation, when
//! nothing travels back): one credit note per invoice holding the returned
//! lines, the fees kept and the channel's commission given back in one
//! journal entry, RefundIssued. Above the currency's limit it waits for a
//! finance approver; a step that cannot be done is queued as failed, with
//! why, for finance to retry. Each runs in the caller's transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, Bool, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::billing::{
    CreditLineInput, CreditNoteRequest, DocumentKind, LineKind, RefundLimitView, RefundLineView,
    RefundStatus, RefundView,
};
use domain::events::proto::billing::v1 as pb;
use domain::events::{money_to_proto, timestamp, topics};
use domain::{Currency, Money};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use platform::outbox::Outbox;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{corrupt, documents, fees, invoicing, ledger};
use crate::domain::invoicing as rules;
use crate::domain::ledger::{Postings, Tags, accounts};
use crate::domain::refunds::{self, Creditable, RefundError, ReturnedLine};

/// Who refunds issued without an approver are issued by.
pub const REFUNDS_ACTOR: &str = "system:billing.refunds";

/// A line of the return as authorised.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizedLine {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
}

/// A line as inspected: units per grade.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InspectedLine {
    pub line_no: i32,
    pub sku: String,
    pub resellable: i64,
    pub refurbish: i64,
    pub scrap: i64,
}

/// A line as refunded.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefundedLine {
    line_no: i32,
    sku: String,
    received: i64,
    #[serde(with = "rust_decimal::serde::str")]
    credited: Decimal,
}

/// Support's authorisation, as billing keeps it.
pub struct NewRefund<'a> {
    pub return_id: Uuid,
    pub return_number: &'a str,
    pub order_id: Uuid,
    pub channel_id: &'a str,
    pub external_order_id: &'a str,
    pub currency: Currency,
    pub status: RefundStatus,
    pub reason: &'a str,
    pub returnless: bool,
    pub lines: &'a [AuthorizedLine],
    pub value: Decimal,
    pub restocking_fee: Decimal,
    pub return_label_fee: Decimal,
    pub authorized_by: &'a str,
    pub authorized_at: DateTime<Utc>,
}

/// Records an authorised return once; false when it was recorded before.
pub async fn insert(conn: &mut Conn, r: &NewRefund<'_>) -> Result<bool, ApiError> {
    let n = diesel::sql_query(
        "INSERT INTO refunds (return_id, return_number, order_id, channel_id, external_order_id, \
           currency, status, reason, returnless, lines, value, restocking_fee, return_label_fee, \
           authorized_by, authorized_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (return_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(r.return_id)
    .bind::<Text, _>(r.return_number)
    .bind::<SqlUuid, _>(r.order_id)
    .bind::<Text, _>(r.channel_id)
    .bind::<Text, _>(r.external_order_id)
    .bind::<Text, _>(r.currency.code())
    .bind::<Text, _>(r.status.as_str())
    .bind::<Text, _>(r.reason)
    .bind::<Bool, _>(r.returnless)
    .bind::<Jsonb, _>(serde_json::to_value(r.lines).map_err(ApiError::internal)?)
    .bind::<Numeric, _>(r.value)
    .bind::<Numeric, _>(r.restocking_fee)
    .bind::<Numeric, _>(r.return_label_fee)
    .bind::<Text, _>(r.authorized_by)
    .bind::<Timestamptz, _>(r.authorized_at)
    .cached()
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Records the warehouse's inspection of a return once.
pub async fn insert_inspection(
    conn: &mut Conn,
    return_id: Uuid,
    lines: &[InspectedLine],
    location_code: &str,
    inspected_by: &str,
    inspected_at: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let n = diesel::sql_query(
        "INSERT INTO refund_inspections (return_id, lines, location_code, inspected_by, inspected_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (return_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Jsonb, _>(serde_json::to_value(lines).map_err(ApiError::internal)?)
    .bind::<Text, _>(location_code)
    .bind::<Text, _>(inspected_by)
    .bind::<Timestamptz, _>(inspected_at)
    .cached()
    .execute(conn)
    .await?;
    Ok(n == 1)
}

async fn inspection(
    conn: &mut Conn,
    return_id: Uuid,
) -> Result<Option<Vec<InspectedLine>>, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Jsonb)]
        lines: serde_json::Value,
    }
    let row: Option<Row> =
        diesel::sql_query("SELECT lines FROM refund_inspections WHERE return_id = $1")
            .bind::<SqlUuid, _>(return_id)
            .cached()
            .get_result(conn)
            .await
            .optional()?;
    row.map(|r| serde_json::from_value(r.lines).map_err(|_| corrupt("inspection", "json")))
        .transpose()
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct RefundRow {
    #[diesel(sql_type = SqlUuid)]
    pub return_id: Uuid,
    #[diesel(sql_type = Text)]
    pub return_number: String,
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Text)]
    pub external_order_id: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Bool)]
    pub returnless: bool,
    #[diesel(sql_type = Jsonb)]
    pub lines: serde_json::Value,
    #[diesel(sql_type = Numeric)]
    pub restocking_fee: Decimal,
    #[diesel(sql_type = Numeric)]
    pub return_label_fee: Decimal,
    #[diesel(sql_type = Text)]
    pub authorized_by: String,
    #[diesel(sql_type = Nullable<Jsonb>)]
    refunded_lines: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Numeric>)]
    credited: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    fees_kept: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    refund: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    commission_refunded: Option<Decimal>,
    #[diesel(sql_type = Array<Text>)]
    credit_notes: Vec<String>,
    #[diesel(sql_type = Nullable<Text>)]
    held_reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    decided_by: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    decision_note: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    refunded_at: Option<DateTime<Utc>>,
}

const REFUND_COLUMNS: &str = "return_id, return_number, order_id, channel_id, external_order_id, \
    currency, status, reason, returnless, lines, restocking_fee, return_label_fee, authorized_by, \
    refunded_lines, credited, fees_kept, refund, commission_refunded, credit_notes, held_reason, \
    decided_by, decision_note, created_at, updated_at, refunded_at";

impl RefundRow {
    pub fn status(&self) -> Result<RefundStatus, ApiError> {
        RefundStatus::parse(&self.status).ok_or_else(|| corrupt("refund status", &self.status))
    }

    pub fn currency(&self) -> Result<Currency, ApiError> {
        self.currency
            .parse()
            .map_err(|_| corrupt("currency", &self.currency))
    }

    pub fn authorized_lines(&self) -> Result<Vec<AuthorizedLine>, ApiError> {
        serde_json::from_value(self.lines.clone()).map_err(|_| corrupt("return lines", "json"))
    }

    pub fn view(&self) -> Result<RefundView, ApiError> {
        let currency = self.currency()?;
        let money = |amount: Decimal| Money { amount, currency }.canonical();
        let refunded: Vec<RefundedLine> = match &self.refunded_lines {
            Some(v) => {
                serde_json::from_value(v.clone()).map_err(|_| corrupt("refunded lines", "json"))?
            }
            None => Vec::new(),
        };
        let lines = self
            .authorized_lines()?
            .into_iter()
            .map(|l| {
                let done = refunded.iter().find(|r| r.line_no == l.line_no);
                RefundLineView {
                    line_no: l.line_no,
                    sku: l.sku,
                    authorized_quantity: l.quantity,
                    received_quantity: done.map(|r| r.received),
                    credited: done.map(|r| money(r.credited)),
                }
            })
            .collect();
        Ok(RefundView {
            return_id: self.return_id,
            return_number: self.return_number.clone(),
            order_id: self.order_id,
            channel_id: self.channel_id.clone(),
            external_order_id: self.external_order_id.clone(),
            status: self.status()?,
            reason: self.reason.clone(),
            returnless: self.returnless,
            lines,
            restocking_fee: money(self.restocking_fee),
            return_label_fee: money(self.return_label_fee),
            credited: self.credited.map(money),
            fees_kept: self.fees_kept.map(money),
            refund: self.refund.map(money),
            commission_refunded: self.commission_refunded.map(money),
            credit_notes: self.credit_notes.clone(),
            held_reason: self.held_reason.clone(),
            authorized_by: self.authorized_by.clone(),
            decided_by: self.decided_by.clone(),
            decision_note: self.decision_note.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            refunded_at: self.refunded_at,
        })
    }
}

pub async fn get(conn: &mut Conn, return_id: Uuid) -> diesel::QueryResult<Option<RefundRow>> {
    diesel::sql_query(format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE return_id = $1"
    ))
    .bind::<SqlUuid, _>(return_id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn lock(conn: &mut Conn, return_id: Uuid) -> diesel::QueryResult<Option<RefundRow>> {
    diesel::sql_query(format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE return_id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(return_id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// Refunds, newest first, by status and order.
pub async fn list(
    conn: &mut Conn,
    status: Option<RefundStatus>,
    order_id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<RefundView>, ApiError> {
    let rows: Vec<RefundRow> = diesel::sql_query(format!(
        "SELECT {REFUND_COLUMNS} FROM refunds \
         WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR order_id = $2) \
         ORDER BY created_at DESC, return_id LIMIT $3"
    ))
    .bind::<Nullable<Text>, _>(status.map(|s| s.as_str()))
    .bind::<Nullable<SqlUuid>, _>(order_id)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .cached()
    .load(conn)
    .await?;
    rows.iter().map(RefundRow::view).collect()
}

/// Moves a refund to a status that waits (or ends without money), with why.
async fn hold(
    conn: &mut Conn,
    return_id: Uuid,
    status: RefundStatus,
    reason: Option<&str>,
    decided: Option<(&str, Option<&str>)>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE refunds SET status = $2, held_reason = $3, \
           decided_by = COALESCE($4, decided_by), decision_note = COALESCE($5, decision_note), \
           updated_at = now() WHERE return_id = $1",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Text, _>(status.as_str())
    .bind::<Nullable<Text>, _>(reason)
    .bind::<Nullable<Text>, _>(decided.map(|d| d.0))
    .bind::<Nullable<Text>, _>(decided.and_then(|d| d.1))
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// The figures of a refund worked out before it is issued.
struct Figures {
    refunded: Vec<RefundedLine>,
    credited: Decimal,
    fees_kept: Decimal,
    refund: Decimal,
}

async fn record_figures(conn: &mut Conn, return_id: Uuid, f: &Figures) -> Result<(), ApiError> {
    diesel::sql_query(
        "UPDATE refunds SET refunded_lines = $2, credited = $3, fees_kept = $4, refund = $5, \
           updated_at = now() WHERE return_id = $1",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Jsonb, _>(serde_json::to_value(&f.refunded).map_err(ApiError::internal)?)
    .bind::<Numeric, _>(f.credited)
    .bind::<Numeric, _>(f.fees_kept)
    .bind::<Numeric, _>(f.refund)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

async fn mark_refunded(
    conn: &mut Conn,
    return_id: Uuid,
    commission: Decimal,
    credit_notes: &[String],
    decided: Option<(&str, Option<&str>)>,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE refunds SET status = 'refunded', commission_refunded = $2, credit_notes = $3, \
           held_reason = NULL, decided_by = COALESCE($4, decided_by), \
           decision_note = COALESCE($5, decision_note), refunded_at = $6, updated_at = now() \
         WHERE return_id = $1",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Numeric, _>(commission)
    .bind::<Array<Text>, _>(credit_notes)
    .bind::<Nullable<Text>, _>(decided.map(|d| d.0))
    .bind::<Nullable<Text>, _>(decided.and_then(|d| d.1))
    .bind::<Timestamptz, _>(at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn limit(conn: &mut Conn, currency: Currency) -> diesel::QueryResult<Option<Decimal>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Numeric)]
        amount: Decimal,
    }
    let row: Option<Row> =
        diesel::sql_query("SELECT amount FROM refund_approval_limits WHERE currency = $1")
            .bind::<Text, _>(currency.code())
            .cached()
            .get_result(conn)
            .await
            .optional()?;
    Ok(row.map(|r| r.amount))
}

#[derive(diesel::QueryableByName)]
struct LimitRow {
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Text)]
    updated_by: String,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

impl LimitRow {
    fn view(self) -> Result<RefundLimitView, ApiError> {
        let currency: Currency = self
            .currency
            .parse()
            .map_err(|_| corrupt("currency", &self.currency))?;
        Ok(RefundLimitView {
            currency,
            amount: Money {
                amount: self.amount,
                currency,
            }
            .canonical(),
            updated_by: self.updated_by,
            updated_at: self.updated_at,
        })
    }
}

const LIMIT_COLUMNS: &str = "currency, amount, updated_by, updated_at";

/// Sets a currency's approval limit; the new view and the one it replaced.
pub async fn put_limit(
    conn: &mut Conn,
    currency: Currency,
    amount: Decimal,
    actor: &str,
) -> Result<(RefundLimitView, Option<RefundLimitView>), ApiError> {
    let before: Option<LimitRow> = diesel::sql_query(format!(
        "SELECT {LIMIT_COLUMNS} FROM refund_approval_limits WHERE currency = $1 FOR UPDATE"
    ))
    .bind::<Text, _>(currency.code())
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let row: LimitRow = diesel::sql_query(format!(
        "INSERT INTO refund_approval_limits (currency, amount, updated_by) VALUES ($1, $2, $3) \
         ON CONFLICT (currency) DO UPDATE SET amount = EXCLUDED.amount, \
           updated_by = EXCLUDED.updated_by, updated_at = now() \
         RETURNING {LIMIT_COLUMNS}"
    ))
    .bind::<Text, _>(currency.code())
    .bind::<Numeric, _>(amount)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await?;
    Ok((row.view()?, before.map(LimitRow::view).transpose()?))
}

pub async fn limits(conn: &mut Conn) -> Result<Vec<RefundLimitView>, ApiError> {
    let rows: Vec<LimitRow> = diesel::sql_query(format!(
        "SELECT {LIMIT_COLUMNS} FROM refund_approval_limits ORDER BY currency"
    ))
    .cached()
    .load(conn)
    .await?;
    rows.into_iter().map(LimitRow::view).collect()
}

/// The invoices of an order, oldest first, locked, with their goods lines'
/// units left to credit.
async fn creditable_invoices(
    conn: &mut Conn,
    order_id: Uuid,
) -> Result<Vec<documents::Creditable>, ApiError> {
    let mut heads = documents::list(
        conn,
        &documents::ListFilter {
            order_id: Some(order_id),
            kind: Some(DocumentKind::Invoice),
            limit: 1000,
            ..Default::default()
        },
    )
    .await?;
    heads.sort_by_key(|d| d.id);
    let mut out = Vec::with_capacity(heads.len());
    for h in heads {
        if let Some(c) = documents::lock_creditable(conn, h.id).await? {
            out.push(c);
        }
    }
    Ok(out)
}

/// What a refund step came to.
pub enum Outcome {
    Refunded,
    /// Held for a person (approval or a failed step), with why.
    Held(RefundStatus, String),
    /// Not yet: the goods are not in, or it was decided before.
    Nothing,
}

/// Issues a return's refund if everything it needs is in: the goods
/// inspected (or a returnless return), the lines invoiced, and the amount
/// within the currency's limit unless `approver` approves it. The row must
/// be locked by the caller.
pub async fn settle(
    outbox: &Outbox,
    conn: &mut Conn,
    row: &RefundRow,
    approver: Option<(&str, Option<&str>)>,
) -> Result<Outcome, ApiError> {
    let status = row.status()?;
    let ready = match status {
        RefundStatus::AwaitingGoods | RefundStatus::Failed => approver.is_none(),
        RefundStatus::AwaitingApproval => approver.is_some(),
        _ => false,
    };
    if !ready {
        return Ok(Outcome::Nothing);
    }
    let authorized = row.authorized_lines()?;
    let received: Vec<ReturnedLine> = if row.returnless {
        authorized.iter().map(|l| returned(l, l.quantity)).collect()
    } else {
        let Some(inspected) = inspection(conn, row.return_id).await? else {
            return Ok(Outcome::Nothing);
        };
        authorized
            .iter()
            .map(|l| {
                let units = inspected
                    .iter()
                    .filter(|i| i.line_no == l.line_no)
                    .map(|i| i.resellable + i.refurbish + i.scrap)
                    .sum();
                returned(l, units)
            })
            .collect()
    };
    let currency = row.currency()?;
    let fail = async |conn: &mut Conn, reason: String| -> Result<Outcome, ApiError> {
        hold(
            conn,
            row.return_id,
            RefundStatus::Failed,
            Some(&reason),
            None,
        )
        .await?;
        publish_held(
            outbox,
            conn,
            row,
            RefundStatus::Failed,
            &reason,
            None,
            currency,
        )
        .await?;
        Ok(Outcome::Held(RefundStatus::Failed, reason))
    };
    let invoices = creditable_invoices(conn, row.order_id).await?;
    let candidates: Vec<(Uuid, Vec<Creditable>)> = invoices
        .iter()
        .map(|c| {
            let lines = c
                .issued
                .iter()
                .filter(|l| l.line.kind == LineKind::Goods)
                .filter_map(|l| {
                    Some(Creditable {
                        invoice_line_no: l.line_no,
                        order_line_no: l.line.order_line_no?,
                        left: l.line.quantity - l.credited_quantity,
                    })
                })
                .collect();
            (c.view.id, lines)
        })
        .collect();
    let plan = match refunds::units(&received).and_then(|w| refunds::allocate(&w, &candidates)) {
        Ok(plan) => plan,
        Err(e @ (RefundError::NothingReceived | RefundError::NotInvoiced { .. })) => {
            return fail(conn, e.to_string()).await;
        }
    };
    // The credit notes' figures, worked out as `invoicing::credit` will.
    let mut credited = Decimal::ZERO;
    let mut nets: BTreeMap<i32, Decimal> = BTreeMap::new();
    for p in &plan {
        let c = invoices
            .iter()
            .find(|c| c.view.id == p.invoice_id)
            .expect("planned from these invoices");
        let rounding = invoicing::rounding(c.view.rounding);
        let (lines, doc) = rules::credit(
            &c.issued,
            &c.subtotals,
            &c.credited_tax,
            Some(&p.lines),
            invoicing::prices(c.view.prices),
            rounding,
            currency,
        )
        .map_err(|e| ApiError::internal(anyhow::anyhow!("planned credit refused: {e}")))?;
        credited += doc.gross;
        for l in &lines {
            if let Some(n) = l.line.order_line_no {
                *nets.entry(n).or_default() += l.line.net;
            }
        }
    }
    let shares = refunds::line_shares(&nets, credited, currency);
    let refunded: Vec<RefundedLine> = received
        .iter()
        .map(|l| RefundedLine {
            line_no: l.line_no,
            sku: l.sku.clone(),
            received: l.received.min(l.authorized),
            credited: shares.get(&l.line_no).copied().unwrap_or_default(),
        })
        .collect();
    let kept = refunds::settle(
        &received,
        row.restocking_fee,
        row.return_label_fee,
        credited,
        currency,
    );
    let figures = Figures {
        refunded,
        credited,
        fees_kept: kept.fees_kept(),
        refund: kept.refund,
    };
    record_figures(conn, row.return_id, &figures).await?;
    if approver.is_none() && refunds::needs_approval(kept.refund, limit(conn, currency).await?) {
        let reason = format!(
            "the refund of {} {currency} is above the approval limit; a finance person other \
             than {} approves it",
            kept.refund, row.authorized_by
        );
        hold(
            conn,
            row.return_id,
            RefundStatus::AwaitingApproval,
            Some(&reason),
            None,
        )
        .await?;
        publish_held(
            outbox,
            conn,
            row,
            RefundStatus::AwaitingApproval,
            &reason,
            Some(kept.refund),
            currency,
        )
        .await?;
        return Ok(Outcome::Held(RefundStatus::AwaitingApproval, reason));
    }

    let actor = approver.map(|a| a.0).unwrap_or(REFUNDS_ACTOR);
    let reason = format!("return {}: {}", row.return_number, row.reason);
    let mut numbers = Vec::with_capacity(plan.len());
    for p in &plan {
        let note = invoicing::credit(
            outbox,
            conn,
            p.invoice_id,
            &CreditNoteRequest {
                reason: reason.clone(),
                lines: Some(
                    p.lines
                        .iter()
                        .map(|(line_no, quantity)| CreditLineInput {
                            line_no: *line_no,
                            quantity: *quantity,
                        })
                        .collect(),
                ),
            },
            actor,
        )
        .await?;
        numbers.push(note.number);
    }
    let tags = Tags {
        channel_id: Some(row.channel_id.clone()),
        order_id: Some(row.order_id),
    };
    let mut postings = Postings::default();
    // The fees kept: the channel pays the buyer less, so it owes us that.
    postings.add(
        accounts::RECEIVABLES,
        &tags,
        None,
        currency,
        kept.fees_kept(),
    );
    postings.add(
        accounts::RETURN_FEES,
        &tags,
        None,
        currency,
        -kept.fees_kept(),
    );
    let first_invoice = invoices
        .iter()
        .find(|c| plan.iter().any(|p| p.invoice_id == c.view.id))
        .map(|c| c.view.issue_date)
        .unwrap_or_else(|| Utc::now().date_naive());
    let commission = commission_back(
        conn,
        &mut postings,
        &tags,
        row,
        &figures,
        currency,
        first_invoice,
    )
    .await?;
    if !postings.0.is_empty() {
        ledger::post(
            conn,
            &ledger::NewEntry {
                source: "refund",
                source_id: &row.return_id.to_string(),
                occurred_on: Utc::now().date_naive(),
                memo: &format!(
                    "refund of return {} for order {}",
                    row.return_number, row.external_order_id
                ),
                created_by: actor,
                postings: &postings,
            },
        )
        .await?;
    }
    let now = Utc::now();
    mark_refunded(conn, row.return_id, commission, &numbers, approver, now).await?;
    let money = |amount: Decimal| money_to_proto(&Money { amount, currency }.canonical());
    outbox
        .enqueue(
            conn,
            topics::BILLING_INVOICE_EVENTS,
            &row.order_id.to_string(),
            &pb::RefundIssued {
                return_id: row.return_id.to_string(),
                return_number: row.return_number.clone(),
                order_id: row.order_id.to_string(),
                channel_id: row.channel_id.clone(),
                external_order_id: row.external_order_id.clone(),
                lines: figures
                    .refunded
                    .iter()
                    .filter(|l| l.received > 0)
                    .map(|l| pb::RefundedLine {
                        line_no: l.line_no,
                        sku: l.sku.clone(),
                        quantity: l.received,
                        credited: Some(money(l.credited)),
                    })
                    .collect(),
                credit_note_numbers: numbers,
                credited: Some(money(figures.credited)),
                restocking_fee: Some(money(kept.restocking_fee)),
                return_label_fee: Some(money(kept.return_label_fee)),
                refund: Some(money(kept.refund)),
                commission_refunded: Some(money(commission)),
                approved_by: actor.to_string(),
                issued_at: Some(timestamp(now)),
            },
        )
        .await?;
    Ok(Outcome::Refunded)
}

fn returned(l: &AuthorizedLine, received: i64) -> ReturnedLine {
    ReturnedLine {
        line_no: l.line_no,
        sku: l.sku.clone(),
        authorized: l.quantity,
        unit_price: l.unit_price,
        received,
    }
}

/// The channel's commission on the credited goods given back per the fee
/// schedule in force when they were invoiced: the accrued fees reduced and
/// a negative accrual for the settlement to true up against (the channel's
/// settlement carries it as a refunded commission).
async fn commission_back(
    conn: &mut Conn,
    postings: &mut Postings,
    tags: &Tags,
    row: &RefundRow,
    figures: &Figures,
    currency: Currency,
    invoiced_on: chrono::NaiveDate,
) -> Result<Decimal, ApiError> {
    let Some(schedule) = fees::effective(conn, &row.channel_id, invoiced_on).await? else {
        return Ok(Decimal::ZERO);
    };
    let schedule = schedule.schedule()?;
    if schedule.currency != currency {
        return Ok(Decimal::ZERO);
    }
    let skus: Vec<String> = figures.refunded.iter().map(|l| l.sku.clone()).collect();
    let categories = fees::categories(conn, &skus).await?;
    let mut total = Decimal::ZERO;
    let mut accruals = Vec::new();
    for l in figures.refunded.iter().filter(|l| l.received > 0) {
        let category = categories
            .get(&l.sku)
            .map(String::as_str)
            .unwrap_or("default");
        let back = refunds::commission_refund(&schedule, category, l.credited);
        if back.is_zero() {
            continue;
        }
        postings.add(accounts::ACCRUED_CHANNEL_FEES, tags, None, currency, back);
        postings.add(
            super::settlements::fee_account(crate::domain::fees::COMMISSION),
            tags,
            Some(&l.sku),
            currency,
            -back,
        );
        accruals.push(fees::Accrual {
            kind: crate::domain::fees::COMMISSION,
            sku: &l.sku,
            amount: -back,
        });
        total += back;
    }
    if !accruals.is_empty() {
        fees::accrue(
            conn,
            row.order_id,
            &format!("return:{}", row.return_number),
            &row.channel_id,
            currency,
            &accruals,
        )
        .await?;
    }
    Ok(total)
}

async fn publish_held(
    outbox: &Outbox,
    conn: &mut Conn,
    row: &RefundRow,
    status: RefundStatus,
    reason: &str,
    refund: Option<Decimal>,
    currency: Currency,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::BILLING_INVOICE_EVENTS,
            &row.order_id.to_string(),
            &pb::RefundHeld {
                return_id: row.return_id.to_string(),
                return_number: row.return_number.clone(),
                order_id: row.order_id.to_string(),
                status: status.as_str().to_string(),
                reason: reason.to_string(),
                refund: refund
                    .map(|amount| money_to_proto(&Money { amount, currency }.canonical())),
                held_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

/// Refuses a held refund, with why: nothing is credited.
pub async fn reject(
    outbox: &Outbox,
    conn: &mut Conn,
    row: &RefundRow,
    actor: &str,
    reason: &str,
) -> Result<(), ApiError> {
    hold(
        conn,
        row.return_id,
        RefundStatus::Rejected,
        None,
        Some((actor, Some(reason))),
    )
    .await?;
    outbox
        .enqueue(
            conn,
            topics::BILLING_INVOICE_EVENTS,
            &row.order_id.to_string(),
            &pb::RefundRejected {
                return_id: row.return_id.to_string(),
                return_number: row.return_number.clone(),
                order_id: row.order_id.to_string(),
                rejected_by: actor.to_string(),
                reason: reason.to_string(),
                rejected_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}
