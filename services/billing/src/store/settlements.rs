//! Imported settlements: each line matched to its order (the channel and the
//! channel's order id), fees trued up against what was accrued at shipment,
//! everything billing cannot place held in suspense as a finance exception;
//! one journal entry per settlement. Exceptions are matched by hand or
//! written off, each with an entry of its own.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Date, Integer, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::Currency;
use domain::contracts::billing::{
    ExceptionStatus, SettlementExceptionView, SettlementFormat, SettlementView,
};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{corrupt, fees as fee_store, ledger, signed};
use crate::domain::fees::{self, Kind};
use crate::domain::ledger::{Postings, Tags, accounts};
use crate::domain::payouts::Imported;

/// Who entries of settlements are posted by is the importing user; the
/// ledger source of a settlement.
const SOURCE: &str = "settlement";

/// The expense account of a fee kind.
pub fn fee_account(kind: &str) -> &'static str {
    if kind == fees::PAYMENT {
        accounts::PAYMENT_FEES
    } else {
        accounts::CHANNEL_FEES
    }
}

#[derive(diesel::QueryableByName)]
struct SettlementRow {
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Text)]
    settlement_id: String,
    #[diesel(sql_type = Text)]
    format: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Numeric)]
    total: Decimal,
    #[diesel(sql_type = Date)]
    deposit_date: NaiveDate,
    #[diesel(sql_type = Text)]
    file_hash: String,
    #[diesel(sql_type = Integer)]
    lines: i32,
    #[diesel(sql_type = Integer)]
    matched: i32,
    #[diesel(sql_type = Integer)]
    exceptions: i32,
    #[diesel(sql_type = Numeric)]
    fee_true_up: Decimal,
    #[diesel(sql_type = Text)]
    imported_by: String,
    #[diesel(sql_type = Timestamptz)]
    imported_at: DateTime<Utc>,
}

impl SettlementRow {
    fn view(&self) -> Result<SettlementView, ApiError> {
        let currency: Currency = self
            .currency
            .parse()
            .map_err(|_| corrupt("currency", &self.currency))?;
        Ok(SettlementView {
            channel_id: self.channel_id.clone(),
            settlement_id: self.settlement_id.clone(),
            format: SettlementFormat::parse(&self.format)
                .ok_or_else(|| corrupt("format", &self.format))?,
            total: signed(self.total, currency),
            deposit_date: self.deposit_date,
            lines: self.lines,
            matched: self.matched,
            exceptions: self.exceptions,
            fee_true_up: signed(self.fee_true_up, currency),
            imported_by: self.imported_by.clone(),
            imported_at: self.imported_at,
        })
    }
}

const COLUMNS: &str = "channel_id, settlement_id, format, currency, total, deposit_date, file_hash, \
    lines, matched, exceptions, fee_true_up, imported_by, imported_at";

async fn row(
    conn: &mut Conn,
    channel_id: &str,
    id: &str,
) -> diesel::QueryResult<Option<SettlementRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM settlements WHERE channel_id = $1 AND settlement_id = $2"
    ))
    .bind::<Text, _>(channel_id)
    .bind::<Text, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn get(
    conn: &mut Conn,
    channel_id: &str,
    id: &str,
) -> Result<Option<SettlementView>, ApiError> {
    row(conn, channel_id, id)
        .await?
        .map(|r| r.view())
        .transpose()
}

/// An order as settlements find it.
#[derive(Debug, Clone)]
struct Found {
    order_id: Uuid,
    currency: String,
}

/// The orders of `channel_id` the refs name: a ref matches the channel's
/// order id as stored, or with/without a leading `#` (Shopify writes
/// `#1001`). More than one order for a ref is ambiguous.
async fn find_orders(
    conn: &mut Conn,
    channel_id: &str,
    refs: &[String],
) -> diesel::QueryResult<HashMap<String, Vec<Found>>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        order_id: Uuid,
        #[diesel(sql_type = Text)]
        external_order_id: String,
        #[diesel(sql_type = Text)]
        currency: String,
    }
    let variants = |r: &str| -> Vec<String> {
        let bare = r.trim_start_matches('#').to_string();
        vec![r.to_string(), bare.clone(), format!("#{bare}")]
    };
    let mut all: Vec<String> = refs.iter().flat_map(|r| variants(r)).collect();
    all.sort();
    all.dedup();
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT order_id, external_order_id, currency FROM orders \
         WHERE channel_id = $1 AND external_order_id = ANY($2)",
    )
    .bind::<Text, _>(channel_id)
    .bind::<Array<Text>, _>(&all)
    .cached()
    .load(conn)
    .await?;
    let by_ext: HashMap<&str, &Row> = rows
        .iter()
        .map(|r| (r.external_order_id.as_str(), r))
        .collect();
    Ok(refs
        .iter()
        .map(|r| {
            let mut found: Vec<Found> = variants(r)
                .iter()
                .filter_map(|v| by_ext.get(v.as_str()))
                .map(|row| Found {
                    order_id: row.order_id,
                    currency: row.currency.clone(),
                })
                .collect();
            found.sort_by_key(|f| f.order_id);
            found.dedup_by_key(|f| f.order_id);
            (r.clone(), found)
        })
        .collect())
}

fn kind_text(k: &Kind) -> String {
    match k {
        Kind::Sale => "sale".into(),
        Kind::Refund => "refund".into(),
        Kind::Fee(f) => format!("fee:{f}"),
        Kind::Other(o) => format!("other:{o}"),
    }
}

fn kind_of(text: &str) -> Kind {
    match text.split_once(':') {
        None if text == "sale" => Kind::Sale,
        None if text == "refund" => Kind::Refund,
        Some(("fee", f)) => Kind::Fee(f.to_string()),
        Some(("other", o)) => Kind::Other(o.to_string()),
        _ => Kind::Other(text.to_string()),
    }
}

/// Actual fees per order and fee kind: (SKU, amount) each.
type FeeGroups = BTreeMap<(Uuid, String), Vec<(String, Decimal)>>;

/// A line to post against an order.
struct OrderLine<'a> {
    order_id: Uuid,
    kind: &'a Kind,
    sku: &'a str,
    amount: Decimal,
    currency: Currency,
}

/// Posts a matched line of an order: a sale or refund settles the
/// receivable; fees (added to `fee_groups`) are trued up once per order and
/// kind; anything else is a channel cost of the order.
fn post_matched(
    postings: &mut Postings,
    fee_groups: &mut FeeGroups,
    tags: &Tags,
    line: &OrderLine<'_>,
) {
    let OrderLine {
        order_id,
        kind,
        sku,
        amount,
        currency,
    } = *line;
    match kind {
        Kind::Sale | Kind::Refund => {
            postings.add(accounts::RECEIVABLES, tags, None, currency, -amount)
        }
        Kind::Fee(f) => fee_groups
            .entry((order_id, f.clone()))
            .or_default()
            .push((sku.to_string(), -amount)),
        Kind::Other(_) => postings.add(
            accounts::CHANNEL_FEES,
            tags,
            (!sku.is_empty()).then_some(sku),
            currency,
            -amount,
        ),
    }
}

/// The true-up of each order's fee kind: the accruals reversed per SKU, the
/// actual fees per SKU, the accrual account cleared. Returns actual less
/// estimated.
async fn true_up(
    conn: &mut Conn,
    postings: &mut Postings,
    fee_groups: FeeGroups,
    channel_id: &str,
    settlement_key: &str,
    currency: Currency,
) -> Result<Decimal, ApiError> {
    let mut difference = Decimal::ZERO;
    for ((order_id, kind), actual) in fee_groups {
        let tags = Tags {
            channel_id: Some(channel_id.to_string()),
            order_id: Some(order_id),
        };
        let account = fee_account(&kind);
        let estimated = fee_store::settle(conn, order_id, &kind, settlement_key).await?;
        for (sku, amount) in &estimated {
            postings.add(
                accounts::ACCRUED_CHANNEL_FEES,
                &tags,
                None,
                currency,
                *amount,
            );
            postings.add(
                account,
                &tags,
                (!sku.is_empty()).then_some(sku),
                currency,
                -*amount,
            );
            difference -= amount;
        }
        for (sku, amount) in &actual {
            postings.add(
                account,
                &tags,
                (!sku.is_empty()).then_some(sku),
                currency,
                *amount,
            );
            difference += amount;
        }
    }
    Ok(difference)
}

/// What became of an import: the settlement, and whether this call created it.
pub struct Outcome {
    pub view: SettlementView,
    pub created: bool,
}

/// Imports a settlement of `channel_id` once: the same file again answers
/// with what it did the first time; another file under the same id is a 409.
pub async fn import(
    conn: &mut Conn,
    channel_id: &str,
    format: SettlementFormat,
    s: &Imported,
    file_hash: &str,
    actor: &str,
) -> Result<Outcome, ApiError> {
    // One import of a settlement at a time.
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind::<Text, _>(format!("settlement:{channel_id}:{}", s.id))
        .cached()
        .execute(conn)
        .await?;
    if let Some(existing) = row(conn, channel_id, &s.id).await? {
        if existing.file_hash == file_hash {
            return Ok(Outcome {
                view: existing.view()?,
                created: false,
            });
        }
        return Err(ApiError::Conflict(format!(
            "settlement {} of {channel_id} was imported from another file on {}",
            s.id, existing.imported_at
        )));
    }
    let mut refs: Vec<String> = s
        .lines
        .iter()
        .filter(|l| !l.order_id.is_empty())
        .map(|l| l.order_id.clone())
        .collect();
    refs.sort();
    refs.dedup();
    let found = find_orders(conn, channel_id, &refs).await?;
    let key = format!("{channel_id}:{}", s.id);
    let channel_tags = Tags {
        channel_id: Some(channel_id.to_string()),
        order_id: None,
    };
    let mut postings = Postings::default();
    let mut fee_groups = FeeGroups::new();
    let mut exceptions: Vec<(usize, String)> = Vec::new();
    let mut matched = 0;
    for (i, l) in s.lines.iter().enumerate() {
        if l.amount.is_zero() {
            matched += 1;
            continue;
        }
        let candidates = (!l.order_id.is_empty())
            .then(|| found.get(&l.order_id))
            .flatten();
        let reason = match (&l.kind, candidates.map(Vec::as_slice)) {
            (Kind::Other(what), _) => Some(format!(
                "'{what}' is not a sale, refund or fee: finance decides"
            )),
            // A fee of the channel itself (storage, subscription): no order.
            (Kind::Fee(kind), None) if l.order_id.is_empty() => {
                postings.add(
                    fee_account(kind),
                    &channel_tags,
                    None,
                    s.currency,
                    -l.amount,
                );
                matched += 1;
                None
            }
            (_, None) if l.order_id.is_empty() => Some("the line names no order".to_string()),
            (_, None | Some([])) => {
                Some(format!("no order {} of channel {channel_id}", l.order_id))
            }
            (_, Some([one])) if one.currency != s.currency.code() => Some(format!(
                "order {} is in {}, the settlement in {}",
                l.order_id, one.currency, s.currency
            )),
            (kind, Some([one])) => {
                let tags = Tags {
                    channel_id: Some(channel_id.to_string()),
                    order_id: Some(one.order_id),
                };
                let line = OrderLine {
                    order_id: one.order_id,
                    kind,
                    sku: &l.sku,
                    amount: l.amount,
                    currency: s.currency,
                };
                post_matched(&mut postings, &mut fee_groups, &tags, &line);
                matched += 1;
                None
            }
            (_, Some(many)) => Some(format!("{} orders match {}", many.len(), l.order_id)),
        };
        if let Some(reason) = reason {
            postings.add(
                accounts::SETTLEMENT_SUSPENSE,
                &channel_tags,
                None,
                s.currency,
                -l.amount,
            );
            exceptions.push((i, reason));
        }
    }
    let true_up_total = true_up(
        conn,
        &mut postings,
        fee_groups,
        channel_id,
        &key,
        s.currency,
    )
    .await?;
    postings.add(
        accounts::PAYOUTS_IN_TRANSIT,
        &channel_tags,
        None,
        s.currency,
        s.total,
    );
    ledger::post(
        conn,
        &ledger::NewEntry {
            source: SOURCE,
            source_id: &key,
            occurred_on: s.deposit_date,
            memo: &format!("settlement {} of {channel_id}", s.id),
            created_by: actor,
            postings: &postings,
        },
    )
    .await?;
    for (i, reason) in &exceptions {
        let l = &s.lines[*i];
        diesel::sql_query(
            "INSERT INTO settlement_exceptions (id, channel_id, settlement_id, line, order_ref, sku, kind, \
               description, currency, amount, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind::<SqlUuid, _>(Uuid::now_v7())
        .bind::<Text, _>(channel_id)
        .bind::<Text, _>(&s.id)
        .bind::<BigInt, _>(l.line as i64)
        .bind::<Text, _>(&l.order_id)
        .bind::<Text, _>(&l.sku)
        .bind::<Text, _>(kind_text(&l.kind))
        .bind::<Text, _>(&l.description)
        .bind::<Text, _>(s.currency.code())
        .bind::<Numeric, _>(l.amount)
        .bind::<Text, _>(reason)
        .cached()
        .execute(conn)
        .await?;
    }
    let created: SettlementRow = diesel::sql_query(format!(
        "INSERT INTO settlements (channel_id, settlement_id, format, currency, total, deposit_date, file_hash, \
           lines, matched, exceptions, fee_true_up, imported_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {COLUMNS}"
    ))
    .bind::<Text, _>(channel_id)
    .bind::<Text, _>(&s.id)
    .bind::<Text, _>(format.as_str())
    .bind::<Text, _>(s.currency.code())
    .bind::<Numeric, _>(s.total)
    .bind::<Date, _>(s.deposit_date)
    .bind::<Text, _>(file_hash)
    .bind::<Integer, _>(s.lines.len() as i32)
    .bind::<Integer, _>(matched)
    .bind::<Integer, _>(exceptions.len() as i32)
    .bind::<Numeric, _>(true_up_total)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await?;
    Ok(Outcome {
        view: created.view()?,
        created: true,
    })
}

#[derive(diesel::QueryableByName)]
struct ExceptionRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Text)]
    settlement_id: String,
    #[diesel(sql_type = BigInt)]
    line: i64,
    #[diesel(sql_type = Text)]
    order_ref: String,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    resolved_order_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    resolved_by: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    resolved_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    note: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

impl ExceptionRow {
    fn currency(&self) -> Result<Currency, ApiError> {
        self.currency
            .parse()
            .map_err(|_| corrupt("currency", &self.currency))
    }

    fn view(&self) -> Result<SettlementExceptionView, ApiError> {
        Ok(SettlementExceptionView {
            id: self.id,
            channel_id: self.channel_id.clone(),
            settlement_id: self.settlement_id.clone(),
            line: self.line,
            order_ref: self.order_ref.clone(),
            sku: self.sku.clone(),
            kind: self.kind.clone(),
            description: self.description.clone(),
            amount: signed(self.amount, self.currency()?),
            reason: self.reason.clone(),
            status: ExceptionStatus::parse(&self.status)
                .ok_or_else(|| corrupt("status", &self.status))?,
            resolved_order_id: self.resolved_order_id,
            resolved_by: self.resolved_by.clone(),
            resolved_at: self.resolved_at,
            note: self.note.clone(),
            created_at: self.created_at,
        })
    }
}

const EXCEPTION_COLUMNS: &str = "id, channel_id, settlement_id, line, order_ref, sku, kind, description, \
    currency, amount, reason, status, resolved_order_id, resolved_by, resolved_at, note, created_at";

pub async fn exceptions(
    conn: &mut Conn,
    status: ExceptionStatus,
) -> Result<Vec<SettlementExceptionView>, ApiError> {
    let rows: Vec<ExceptionRow> = diesel::sql_query(format!(
        "SELECT {EXCEPTION_COLUMNS} FROM settlement_exceptions WHERE status = $1 ORDER BY created_at, id LIMIT 1000"
    ))
    .bind::<Text, _>(status.as_str())
    .cached()
    .load(conn)
    .await?;
    rows.iter().map(ExceptionRow::view).collect()
}

async fn lock_open(conn: &mut Conn, id: Uuid) -> Result<ExceptionRow, ApiError> {
    let row: Option<ExceptionRow> = diesel::sql_query(format!(
        "SELECT {EXCEPTION_COLUMNS} FROM settlement_exceptions WHERE id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let row =
        row.ok_or_else(|| ApiError::NotFound(format!("settlement exception {id} does not exist")))?;
    if row.status != ExceptionStatus::Open.as_str() {
        return Err(ApiError::Conflict(format!(
            "settlement exception {id} is {} already",
            row.status
        )));
    }
    Ok(row)
}

async fn resolve(
    conn: &mut Conn,
    id: Uuid,
    status: ExceptionStatus,
    order_id: Option<Uuid>,
    actor: &str,
    note: Option<&str>,
) -> Result<SettlementExceptionView, ApiError> {
    let row: ExceptionRow = diesel::sql_query(format!(
        "UPDATE settlement_exceptions SET status = $2, resolved_order_id = $3, resolved_by = $4, \
           resolved_at = now(), note = $5 WHERE id = $1 RETURNING {EXCEPTION_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status.as_str())
    .bind::<Nullable<SqlUuid>, _>(order_id)
    .bind::<Text, _>(actor)
    .bind::<Nullable<Text>, _>(note)
    .cached()
    .get_result(conn)
    .await?;
    row.view()
}

/// Matches an exception to an order of its channel by hand: the line leaves
/// suspense and is posted as a matched line of that order (fees trued up).
pub async fn match_to(
    conn: &mut Conn,
    id: Uuid,
    order_id: Uuid,
    actor: &str,
    note: Option<&str>,
) -> Result<SettlementExceptionView, ApiError> {
    let e = lock_open(conn, id).await?;
    let currency = e.currency()?;
    #[derive(diesel::QueryableByName)]
    struct O {
        #[diesel(sql_type = Text)]
        channel_id: String,
        #[diesel(sql_type = Text)]
        currency: String,
    }
    let order: Option<O> =
        diesel::sql_query("SELECT channel_id, currency FROM orders WHERE order_id = $1")
            .bind::<SqlUuid, _>(order_id)
            .cached()
            .get_result(conn)
            .await
            .optional()?;
    let Some(order) = order else {
        return Err(ApiError::field(
            "order_id",
            format!("order {order_id} is not known to billing"),
        ));
    };
    if order.channel_id != e.channel_id {
        return Err(ApiError::field(
            "order_id",
            format!(
                "order {order_id} is of channel {}, the settlement of {}",
                order.channel_id, e.channel_id
            ),
        ));
    }
    if order.currency != e.currency {
        return Err(ApiError::field(
            "order_id",
            format!(
                "order {order_id} is in {}, the line in {}",
                order.currency, e.currency
            ),
        ));
    }
    let channel_tags = Tags {
        channel_id: Some(e.channel_id.clone()),
        order_id: None,
    };
    let tags = Tags {
        channel_id: Some(e.channel_id.clone()),
        order_id: Some(order_id),
    };
    let mut postings = Postings::default();
    postings.add(
        accounts::SETTLEMENT_SUSPENSE,
        &channel_tags,
        None,
        currency,
        e.amount,
    );
    let mut fee_groups = FeeGroups::new();
    let kind = kind_of(&e.kind);
    let line = OrderLine {
        order_id,
        kind: &kind,
        sku: &e.sku,
        amount: e.amount,
        currency,
    };
    post_matched(&mut postings, &mut fee_groups, &tags, &line);
    let key = format!("{}:{}", e.channel_id, e.settlement_id);
    true_up(
        conn,
        &mut postings,
        fee_groups,
        &e.channel_id,
        &key,
        currency,
    )
    .await?;
    ledger::post(
        conn,
        &ledger::NewEntry {
            source: "settlement_exception",
            source_id: &format!("{id}:matched"),
            occurred_on: Utc::now().date_naive(),
            memo: &format!(
                "settlement {} line {} matched to order {order_id}",
                e.settlement_id, e.line
            ),
            created_by: actor,
            postings: &postings,
        },
    )
    .await?;
    resolve(
        conn,
        id,
        ExceptionStatus::Matched,
        Some(order_id),
        actor,
        note,
    )
    .await
}

/// Writes an exception off: out of suspense, into write-offs.
pub async fn write_off(
    conn: &mut Conn,
    id: Uuid,
    actor: &str,
    note: &str,
) -> Result<SettlementExceptionView, ApiError> {
    let e = lock_open(conn, id).await?;
    let currency = e.currency()?;
    let tags = Tags {
        channel_id: Some(e.channel_id.clone()),
        order_id: None,
    };
    let mut postings = Postings::default();
    postings.add(
        accounts::SETTLEMENT_SUSPENSE,
        &tags,
        None,
        currency,
        e.amount,
    );
    postings.add(accounts::WRITE_OFFS, &tags, None, currency, -e.amount);
    ledger::post(
        conn,
        &ledger::NewEntry {
            source: "settlement_exception",
            source_id: &format!("{id}:written_off"),
            occurred_on: Utc::now().date_naive(),
            memo: &format!(
                "settlement {} line {} written off: {note}",
                e.settlement_id, e.line
            ),
            created_by: actor,
            postings: &postings,
        },
    )
    .await?;
    resolve(
        conn,
        id,
        ExceptionStatus::WrittenOff,
        None,
        actor,
        Some(note),
    )
    .await
}
