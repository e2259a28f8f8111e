//! Bank statements: each booked line recorded once (per account and the
//! bank's reference), matched to what it pays (a settlement's payout, an
//! invoice), posted; the rest queued for finance.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    BigInt, Date, Integer, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::Currency;
use domain::contracts::billing::{BankLineView, BankStatementView};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{corrupt, ledger, signed};
use crate::domain::bank::{BankLine, Statement};
use crate::domain::ledger::{Postings, Tags, accounts};

/// What a line pays.
enum Target {
    Payout {
        channel_id: String,
        settlement_id: String,
    },
    Invoice {
        id: Uuid,
        number: String,
        channel_id: String,
        order_id: Uuid,
        gross: Decimal,
    },
}

#[derive(diesel::QueryableByName)]
struct PayoutRow {
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Text)]
    settlement_id: String,
}

/// The unpaid payout a credit line is: one whose settlement id the
/// reference names and whose total is the amount, else the only one of that
/// amount deposited within a week of the booking.
async fn find_payout(conn: &mut Conn, l: &BankLine) -> diesel::QueryResult<Option<PayoutRow>> {
    let rows: Vec<PayoutRow> = diesel::sql_query(
        "SELECT channel_id, settlement_id FROM settlements \
         WHERE paid_by IS NULL AND currency = $1 AND total = $2 AND position(settlement_id IN $3) > 0 \
         ORDER BY deposit_date LIMIT 2",
    )
    .bind::<Text, _>(l.currency.code())
    .bind::<Numeric, _>(l.amount)
    .bind::<Text, _>(&l.reference)
    .cached()
    .load(conn)
    .await?;
    if rows.len() == 1 {
        return Ok(rows.into_iter().next());
    }
    let rows: Vec<PayoutRow> = diesel::sql_query(
        "SELECT channel_id, settlement_id FROM settlements \
         WHERE paid_by IS NULL AND currency = $1 AND total = $2 AND deposit_date BETWEEN $3 AND $4 \
         ORDER BY deposit_date LIMIT 2",
    )
    .bind::<Text, _>(l.currency.code())
    .bind::<Numeric, _>(l.amount)
    .bind::<Date, _>(l.booked_on - Duration::days(7))
    .bind::<Date, _>(l.booked_on + Duration::days(3))
    .cached()
    .load(conn)
    .await?;
    Ok(if rows.len() == 1 {
        rows.into_iter().next()
    } else {
        None
    })
}

#[derive(diesel::QueryableByName)]
struct InvoiceRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    number: String,
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = SqlUuid)]
    order_id: Uuid,
    #[diesel(sql_type = Numeric)]
    gross_total: Decimal,
}

/// The unpaid invoice a credit line pays: its number in the reference and
/// the amount within `tolerance` of its gross.
async fn find_invoice(
    conn: &mut Conn,
    l: &BankLine,
    tolerance: Decimal,
) -> diesel::QueryResult<Option<InvoiceRow>> {
    let rows: Vec<InvoiceRow> = diesel::sql_query(
        "SELECT id, number, channel_id, order_id, gross_total FROM documents \
         WHERE kind = 'invoice' AND paid_by IS NULL AND currency = $1 AND position(number IN $2) > 0 \
           AND abs(gross_total - $3) <= $4 ORDER BY number LIMIT 2",
    )
    .bind::<Text, _>(l.currency.code())
    .bind::<Text, _>(&l.reference)
    .bind::<Numeric, _>(l.amount)
    .bind::<Numeric, _>(tolerance)
    .cached()
    .load(conn)
    .await?;
    Ok(if rows.len() == 1 {
        rows.into_iter().next()
    } else {
        None
    })
}

/// What became of an import.
pub struct Outcome {
    pub view: BankStatementView,
    pub created: bool,
}

/// Imports a statement once: lines the bank reported before (same account
/// and bank reference) are skipped; the same file again answers with the
/// first import; another file under the same statement id is a 409.
pub async fn import(
    conn: &mut Conn,
    s: &Statement,
    format: &str,
    file_hash: &str,
    tolerance: Decimal,
    actor: &str,
) -> Result<Outcome, ApiError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind::<Text, _>(format!("bank:{}", s.account))
        .cached()
        .execute(conn)
        .await?;
    if let Some(existing) = statement(conn, &s.account, &s.id).await? {
        if existing.file_hash == file_hash {
            return Ok(Outcome {
                view: existing.view(),
                created: false,
            });
        }
        return Err(ApiError::Conflict(format!(
            "statement {} of account {} was imported from another file on {}",
            s.id, s.account, existing.imported_at
        )));
    }
    let mut matched = 0;
    let mut recorded = 0;
    for l in &s.lines {
        let id = Uuid::now_v7();
        let inserted = diesel::sql_query(
            "INSERT INTO bank_lines (id, account, statement_id, bank_reference, booked_on, currency, amount, \
               reference, counterparty, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'not matched yet') \
             ON CONFLICT (account, bank_reference) DO NOTHING",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(&s.account)
        .bind::<Text, _>(&s.id)
        .bind::<Text, _>(&l.bank_reference)
        .bind::<Date, _>(l.booked_on)
        .bind::<Text, _>(l.currency.code())
        .bind::<Numeric, _>(l.amount)
        .bind::<Text, _>(&l.reference)
        .bind::<Text, _>(&l.counterparty)
        .cached()
        .execute(conn)
        .await?;
        if inserted == 0 {
            continue;
        }
        recorded += 1;
        if try_match(conn, id, l, tolerance, actor).await? {
            matched += 1;
        }
    }
    let row: StatementRow = diesel::sql_query(format!(
        "INSERT INTO bank_statements (statement_id, account, format, file_hash, lines, matched, imported_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {STATEMENT_COLUMNS}"
    ))
    .bind::<Text, _>(&s.id)
    .bind::<Text, _>(&s.account)
    .bind::<Text, _>(format)
    .bind::<Text, _>(file_hash)
    .bind::<Integer, _>(recorded)
    .bind::<Integer, _>(matched)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await?;
    Ok(Outcome {
        view: row.view(),
        created: true,
    })
}

/// Matches a recorded line and posts it: a payout moves from in transit to
/// the bank; an invoice's payment settles its receivable (a difference
/// within the tolerance written off). False when it stays queued.
async fn try_match(
    conn: &mut Conn,
    id: Uuid,
    l: &BankLine,
    tolerance: Decimal,
    actor: &str,
) -> Result<bool, ApiError> {
    if l.amount <= Decimal::ZERO {
        set_reason(conn, id, "money out: not a payout or a customer payment").await?;
        return Ok(false);
    }
    let target = match find_payout(conn, l).await? {
        Some(p) => Some(Target::Payout {
            channel_id: p.channel_id,
            settlement_id: p.settlement_id,
        }),
        None => find_invoice(conn, l, tolerance)
            .await?
            .map(|i| Target::Invoice {
                id: i.id,
                number: i.number,
                channel_id: i.channel_id,
                order_id: i.order_id,
                gross: i.gross_total,
            }),
    };
    let Some(target) = target else {
        set_reason(
            conn,
            id,
            "no unpaid payout or invoice matches its reference and amount",
        )
        .await?;
        return Ok(false);
    };
    let bank = Tags {
        channel_id: None,
        order_id: None,
    };
    let mut postings = Postings::default();
    postings.add(accounts::BANK, &bank, None, l.currency, l.amount);
    let (kind, reference, memo) = match &target {
        Target::Payout {
            channel_id,
            settlement_id,
        } => {
            let tags = Tags {
                channel_id: Some(channel_id.clone()),
                order_id: None,
            };
            postings.add(
                accounts::PAYOUTS_IN_TRANSIT,
                &tags,
                None,
                l.currency,
                -l.amount,
            );
            diesel::sql_query(
                "UPDATE settlements SET paid_by = $3 WHERE channel_id = $1 AND settlement_id = $2",
            )
            .bind::<Text, _>(channel_id)
            .bind::<Text, _>(settlement_id)
            .bind::<SqlUuid, _>(id)
            .cached()
            .execute(conn)
            .await?;
            (
                "payout",
                format!("{channel_id}:{settlement_id}"),
                format!("payout of settlement {settlement_id} ({channel_id})"),
            )
        }
        Target::Invoice {
            id: invoice,
            number,
            channel_id,
            order_id,
            gross,
        } => {
            let tags = Tags {
                channel_id: Some(channel_id.clone()),
                order_id: Some(*order_id),
            };
            postings.add(accounts::RECEIVABLES, &tags, None, l.currency, -*gross);
            postings.add(
                accounts::WRITE_OFFS,
                &tags,
                None,
                l.currency,
                *gross - l.amount,
            );
            diesel::sql_query("UPDATE documents SET paid_by = $2 WHERE id = $1")
                .bind::<SqlUuid, _>(*invoice)
                .bind::<SqlUuid, _>(id)
                .cached()
                .execute(conn)
                .await?;
            (
                "invoice",
                number.clone(),
                format!("payment of invoice {number}"),
            )
        }
    };
    ledger::post(
        conn,
        &ledger::NewEntry {
            source: "bank_line",
            source_id: &id.to_string(),
            occurred_on: l.booked_on,
            memo: &memo,
            created_by: actor,
            postings: &postings,
        },
    )
    .await?;
    diesel::sql_query(
        "UPDATE bank_lines SET matched_kind = $2, matched_ref = $3, reason = NULL WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(kind)
    .bind::<Text, _>(&reference)
    .cached()
    .execute(conn)
    .await?;
    Ok(true)
}

async fn set_reason(conn: &mut Conn, id: Uuid, reason: &str) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE bank_lines SET reason = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(reason)
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct StatementRow {
    #[diesel(sql_type = Text)]
    statement_id: String,
    #[diesel(sql_type = Text)]
    account: String,
    #[diesel(sql_type = Text)]
    format: String,
    #[diesel(sql_type = Text)]
    file_hash: String,
    #[diesel(sql_type = Integer)]
    lines: i32,
    #[diesel(sql_type = Integer)]
    matched: i32,
    #[diesel(sql_type = Text)]
    imported_by: String,
    #[diesel(sql_type = Timestamptz)]
    imported_at: DateTime<Utc>,
}

impl StatementRow {
    fn view(&self) -> BankStatementView {
        BankStatementView {
            statement_id: self.statement_id.clone(),
            account: self.account.clone(),
            format: self.format.clone(),
            lines: self.lines,
            matched: self.matched,
            imported_by: self.imported_by.clone(),
            imported_at: self.imported_at,
        }
    }
}

const STATEMENT_COLUMNS: &str =
    "statement_id, account, format, file_hash, lines, matched, imported_by, imported_at";

async fn statement(
    conn: &mut Conn,
    account: &str,
    id: &str,
) -> diesel::QueryResult<Option<StatementRow>> {
    diesel::sql_query(format!(
        "SELECT {STATEMENT_COLUMNS} FROM bank_statements WHERE account = $1 AND statement_id = $2"
    ))
    .bind::<Text, _>(account)
    .bind::<Text, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

#[derive(diesel::QueryableByName)]
struct LineRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    account: String,
    #[diesel(sql_type = Text)]
    statement_id: String,
    #[diesel(sql_type = Text)]
    bank_reference: String,
    #[diesel(sql_type = Date)]
    booked_on: NaiveDate,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Text)]
    reference: String,
    #[diesel(sql_type = Text)]
    counterparty: String,
    #[diesel(sql_type = Nullable<Text>)]
    matched_kind: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    matched_ref: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
}

/// Lines still queued (or all of a statement), oldest first.
pub async fn lines(conn: &mut Conn, unmatched_only: bool) -> Result<Vec<BankLineView>, ApiError> {
    let rows: Vec<LineRow> = diesel::sql_query(
        "SELECT id, account, statement_id, bank_reference, booked_on, currency, amount, reference, counterparty, \
           matched_kind, matched_ref, reason FROM bank_lines WHERE (NOT $1 OR matched_kind IS NULL) \
         ORDER BY booked_on, id LIMIT $2",
    )
    .bind::<diesel::sql_types::Bool, _>(unmatched_only)
    .bind::<BigInt, _>(1000)
    .cached()
    .load(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let currency: Currency = r
                .currency
                .parse()
                .map_err(|_| corrupt("currency", &r.currency))?;
            Ok(BankLineView {
                id: r.id,
                account: r.account,
                statement_id: r.statement_id,
                bank_reference: r.bank_reference,
                booked_on: r.booked_on,
                amount: signed(r.amount, currency),
                reference: r.reference,
                counterparty: r.counterparty,
                matched_kind: r.matched_kind,
                matched_ref: r.matched_ref,
                reason: r.reason,
            })
        })
        .collect()
}
