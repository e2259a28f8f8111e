//! The journal: balanced entries, one per business event (its source and
//! source id are unique, so a replay posts nothing), append-only; the chart
//! of accounts; closed periods; the trial balance.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Bool, Date, Integer, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::billing::{
    AccountKind, AccountView, BalanceSide, JournalEntryView, JournalLineView, PeriodStatus,
    PeriodView, TrialBalanceRow, TrialBalanceView,
};
use domain::{Currency, Money};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::corrupt;
use crate::domain::ledger::{Postings, period_of, posting_day};

/// Postings take this advisory lock shared and closing a period takes it
/// exclusively, so no entry lands in a month while it is being closed.
const PERIODS_LOCK: i64 = 0x6269_6c6c_7065_7264; // "billperd"

/// An entry to post.
pub struct NewEntry<'a> {
    pub source: &'a str,
    pub source_id: &'a str,
    pub occurred_on: NaiveDate,
    pub memo: &'a str,
    pub created_by: &'a str,
    pub postings: &'a Postings,
}

/// Months closed at or after `from`'s month.
async fn closed_from(conn: &mut Conn, from: NaiveDate) -> diesel::QueryResult<BTreeSet<String>> {
    #[derive(diesel::QueryableByName)]
    struct P {
        #[diesel(sql_type = Text)]
        period: String,
    }
    let rows: Vec<P> =
        diesel::sql_query("SELECT period::text AS period FROM closed_periods WHERE period >= $1")
            .bind::<Text, _>(period_of(from))
            .cached()
            .load(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.period).collect())
}

/// Whether `day`'s month is closed (in the caller's transaction, holding
/// the periods lock shared).
pub async fn is_closed(conn: &mut Conn, day: NaiveDate) -> diesel::QueryResult<bool> {
    lock_periods_shared(conn).await?;
    Ok(closed_from(conn, day).await?.contains(&period_of(day)))
}

async fn lock_periods_shared(conn: &mut Conn) -> diesel::QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind::<BigInt, _>(PERIODS_LOCK)
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

/// Posts an entry on the first open day on or after its business day;
/// None when its source was posted before (nothing is posted twice). The
/// database refuses it at commit unless it balances.
pub async fn post(conn: &mut Conn, e: &NewEntry<'_>) -> Result<Option<Uuid>, ApiError> {
    e.postings.check().map_err(|err| {
        ApiError::internal(anyhow::anyhow!("{} {}: {err}", e.source, e.source_id))
    })?;
    lock_periods_shared(conn).await?;
    let closed = closed_from(conn, e.occurred_on).await?;
    let posted_on = posting_day(e.occurred_on, &closed);
    let id = Uuid::now_v7();
    let n = diesel::sql_query(
        "INSERT INTO journal_entries (id, source, source_id, posted_on, occurred_on, memo, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source, source_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(e.source)
    .bind::<Text, _>(e.source_id)
    .bind::<Date, _>(posted_on)
    .bind::<Date, _>(e.occurred_on)
    .bind::<Text, _>(e.memo)
    .bind::<Text, _>(e.created_by)
    .cached()
    .execute(conn)
    .await?;
    if n == 0 {
        return Ok(None);
    }
    let p = &e.postings.0;
    let line_nos: Vec<i32> = (1..=p.len() as i32).collect();
    let accounts: Vec<&str> = p.iter().map(|l| l.account.as_str()).collect();
    let channels: Vec<Option<&str>> = p.iter().map(|l| l.channel_id.as_deref()).collect();
    let orders: Vec<Option<Uuid>> = p.iter().map(|l| l.order_id).collect();
    let skus: Vec<Option<&str>> = p.iter().map(|l| l.sku.as_deref()).collect();
    let currencies: Vec<&str> = p.iter().map(|l| l.currency.code()).collect();
    let amounts: Vec<Decimal> = p.iter().map(|l| l.amount).collect();
    diesel::sql_query(
        "INSERT INTO journal_lines (entry_id, line_no, account, channel_id, order_id, sku, currency, amount) \
         SELECT $1, l.* FROM unnest($2::int[], $3::text[], $4::text[], $5::uuid[], $6::text[], \
           $7::text[], $8::numeric[]) AS l",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Array<Integer>, _>(&line_nos)
    .bind::<Array<Text>, _>(&accounts)
    .bind::<Array<Nullable<Text>>, _>(&channels)
    .bind::<Array<Nullable<SqlUuid>>, _>(&orders)
    .bind::<Array<Nullable<Text>>, _>(&skus)
    .bind::<Array<Text>, _>(&currencies)
    .bind::<Array<Numeric>, _>(&amounts)
    .cached()
    .execute(conn)
    .await?;
    super::margin::roll_up(conn, id, posted_on).await?;
    Ok(Some(id))
}

#[derive(diesel::QueryableByName)]
struct AccountRow {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Bool)]
    per_channel: bool,
}

pub async fn accounts(conn: &mut Conn) -> Result<Vec<AccountView>, ApiError> {
    let rows: Vec<AccountRow> =
        diesel::sql_query("SELECT code, name, kind, per_channel FROM accounts ORDER BY code")
            .cached()
            .load(conn)
            .await?;
    rows.into_iter()
        .map(|r| {
            Ok(AccountView {
                kind: AccountKind::parse(&r.kind)
                    .ok_or_else(|| corrupt("account kind", &r.kind))?,
                code: r.code,
                name: r.name,
                per_channel: r.per_channel,
            })
        })
        .collect()
}

/// The codes of accounts that exist among `codes`.
pub async fn known_accounts(
    conn: &mut Conn,
    codes: &[String],
) -> diesel::QueryResult<BTreeSet<String>> {
    #[derive(diesel::QueryableByName)]
    struct C {
        #[diesel(sql_type = Text)]
        code: String,
    }
    let rows: Vec<C> = diesel::sql_query("SELECT code FROM accounts WHERE code = ANY($1)")
        .bind::<Array<Text>, _>(codes)
        .cached()
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.code).collect())
}

pub async fn trial_balance(
    conn: &mut Conn,
    currency: Currency,
    as_of: Option<NaiveDate>,
) -> Result<TrialBalanceView, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        account: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Numeric)]
        debit: Decimal,
        #[diesel(sql_type = Numeric)]
        credit: Decimal,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT l.account, a.name, \
           coalesce(sum(l.amount) FILTER (WHERE l.amount > 0), 0) AS debit, \
           coalesce(-sum(l.amount) FILTER (WHERE l.amount < 0), 0) AS credit \
         FROM journal_lines l JOIN accounts a ON a.code = l.account \
         JOIN journal_entries e ON e.id = l.entry_id \
         WHERE l.currency = $1 AND ($2::date IS NULL OR e.posted_on <= $2) \
         GROUP BY l.account, a.name ORDER BY l.account",
    )
    .bind::<Text, _>(currency.code())
    .bind::<Nullable<Date>, _>(as_of)
    .cached()
    .load(conn)
    .await?;
    let money = |amount: Decimal| Money { amount, currency }.canonical();
    let total_debit: Decimal = rows.iter().map(|r| r.debit).sum();
    let total_credit: Decimal = rows.iter().map(|r| r.credit).sum();
    Ok(TrialBalanceView {
        currency,
        as_of,
        accounts: rows
            .into_iter()
            .map(|r| TrialBalanceRow {
                balance: money((r.debit - r.credit).abs()),
                balance_side: if r.debit >= r.credit {
                    BalanceSide::Debit
                } else {
                    BalanceSide::Credit
                },
                account: r.account,
                name: r.name,
                debit: money(r.debit),
                credit: money(r.credit),
            })
            .collect(),
        total_debit: money(total_debit),
        total_credit: money(total_credit),
    })
}

#[derive(diesel::QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = BigInt)]
    sequence: i64,
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Text)]
    source_id: String,
    #[diesel(sql_type = Date)]
    posted_on: NaiveDate,
    #[diesel(sql_type = Date)]
    occurred_on: NaiveDate,
    #[diesel(sql_type = Text)]
    memo: String,
    #[diesel(sql_type = Text)]
    created_by: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

#[derive(diesel::QueryableByName)]
struct JournalLineRow {
    #[diesel(sql_type = SqlUuid)]
    entry_id: Uuid,
    #[diesel(sql_type = Text)]
    account: String,
    #[diesel(sql_type = Nullable<Text>)]
    channel_id: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    order_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    sku: Option<String>,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
}

/// A filter over entries, newest first (sequence cursor).
#[derive(Debug, Default)]
pub struct EntryFilter {
    pub order_id: Option<Uuid>,
    pub source: Option<String>,
    pub before: Option<i64>,
    pub limit: i64,
}

pub async fn entries(conn: &mut Conn, f: &EntryFilter) -> Result<Vec<JournalEntryView>, ApiError> {
    let heads: Vec<EntryRow> = diesel::sql_query(
        "SELECT e.id, e.sequence, e.source, e.source_id, e.posted_on, e.occurred_on, e.memo, \
           e.created_by, e.created_at FROM journal_entries e \
         WHERE ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id AND l.order_id = $1)) \
           AND ($2::text IS NULL OR e.source = $2) AND ($3::bigint IS NULL OR e.sequence < $3) \
         ORDER BY e.sequence DESC LIMIT $4",
    )
    .bind::<Nullable<SqlUuid>, _>(f.order_id)
    .bind::<Nullable<Text>, _>(f.source.as_deref())
    .bind::<Nullable<BigInt>, _>(f.before)
    .bind::<BigInt, _>(f.limit)
    .cached()
    .load(conn)
    .await?;
    let ids: Vec<Uuid> = heads.iter().map(|h| h.id).collect();
    let lines: Vec<JournalLineRow> = diesel::sql_query(
        "SELECT entry_id, account, channel_id, order_id, sku, currency, amount FROM journal_lines \
         WHERE entry_id = ANY($1) ORDER BY entry_id, line_no",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .cached()
    .load(conn)
    .await?;
    heads
        .into_iter()
        .map(|h| {
            let lines = lines
                .iter()
                .filter(|l| l.entry_id == h.id)
                .map(|l| {
                    let currency: Currency = l
                        .currency
                        .parse()
                        .map_err(|_| corrupt("currency", &l.currency))?;
                    let zero = Money::zero(currency).canonical();
                    let (debit, credit) = if l.amount > Decimal::ZERO {
                        (
                            Money {
                                amount: l.amount,
                                currency,
                            }
                            .canonical(),
                            zero,
                        )
                    } else {
                        (
                            zero,
                            Money {
                                amount: -l.amount,
                                currency,
                            }
                            .canonical(),
                        )
                    };
                    Ok(JournalLineView {
                        account: l.account.clone(),
                        channel_id: l.channel_id.clone(),
                        order_id: l.order_id,
                        sku: l.sku.clone(),
                        debit,
                        credit,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            Ok(JournalEntryView {
                id: h.id,
                sequence: h.sequence,
                source: h.source,
                source_id: h.source_id,
                posted_on: h.posted_on,
                occurred_on: h.occurred_on,
                period: period_of(h.posted_on),
                memo: h.memo,
                lines,
                created_by: h.created_by,
                created_at: h.created_at,
            })
        })
        .collect()
}

/// Closes `period` (taking the periods lock exclusively: postings in flight
/// finish first); None when it was closed already.
pub async fn close_period(
    conn: &mut Conn,
    period: &str,
    actor: &str,
) -> Result<Option<PeriodView>, ApiError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(PERIODS_LOCK)
        .cached()
        .execute(conn)
        .await?;
    let row: Option<ClosedRow> = diesel::sql_query(
        "INSERT INTO closed_periods (period, closed_by) VALUES ($1, $2) ON CONFLICT (period) DO NOTHING \
         RETURNING period::text AS period, closed_at, closed_by",
    )
    .bind::<Text, _>(period)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(ClosedRow::view))
}

#[derive(diesel::QueryableByName)]
struct ClosedRow {
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Timestamptz)]
    closed_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    closed_by: String,
}

impl ClosedRow {
    fn view(self) -> PeriodView {
        PeriodView {
            period: self.period,
            status: PeriodStatus::Closed,
            closed_at: Some(self.closed_at),
            closed_by: Some(self.closed_by),
        }
    }
}

/// Closed periods, newest first.
pub async fn closed_periods(conn: &mut Conn) -> diesel::QueryResult<Vec<PeriodView>> {
    let rows: Vec<ClosedRow> = diesel::sql_query(
        "SELECT period::text AS period, closed_at, closed_by FROM closed_periods ORDER BY period DESC",
    )
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(ClosedRow::view).collect())
}
