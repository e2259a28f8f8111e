//! The ledger: the chart of accounts, journal entries (each traceable to
//! the business event that posted it), finance's manual adjustments, the
//! trial balance, and closing periods.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::Page;
use domain::contracts::billing::{
    AccountView, JournalEntryView, JournalListQuery, ManualEntryRequest, PeriodStatus, PeriodView,
    TrialBalanceQuery, TrialBalanceView,
};
use platform::error::Problem;
use platform::http::{Json, sequence_cursor};
use platform::{ApiError, Authorized, Runtime, audit};
use uuid::Uuid;

use super::{Accountants, page_limit};
use crate::domain::ledger::{Postings, Tags, parse_period, period_of};
use crate::store::ledger;

/// The chart of accounts.
#[utoipa::path(
    get, path = "/v1/accounts", tag = "ledger",
    responses((status = 200, body = Vec<AccountView>))
)]
pub async fn accounts(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    Ok(HttpResponse::Ok().json(ledger::accounts(&mut conn).await?))
}

/// Journal entries, newest first: all, one order's, or one source's.
#[utoipa::path(
    get, path = "/v1/journal-entries", tag = "ledger",
    params(JournalListQuery),
    responses(
        (status = 200, body = Page<JournalEntryView>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn entries(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
    query: web::Query<JournalListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let limit = page_limit(&mut v, query.limit);
    if let Some(source) = &query.source
        && !((1..=32).contains(&source.len())
            && source.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
    {
        v.push("source", "must be a source name, e.g. shipment");
    }
    let before = query
        .cursor
        .as_deref()
        .map(|c| sequence_cursor(&mut v, Some(c)));
    v.finish()?;
    let mut conn = rt.conn().await?;
    let items = ledger::entries(
        &mut conn,
        &ledger::EntryFilter {
            order_id: query.order_id,
            source: query.source.clone(),
            before,
            limit,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::list(items, limit, |e| e.sequence.to_string())))
}

/// Post a manual adjustment. Its lines must balance per currency and name
/// existing accounts; a date in a closed period is refused (`posted_on`).
#[utoipa::path(
    post, path = "/v1/journal-entries", tag = "ledger",
    request_body = ManualEntryRequest,
    responses(
        (status = 201, body = JournalEntryView),
        (status = 422, description = "Unbalanced, an unknown account, or a closed period", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn post_manual(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    Json(input): Json<ManualEntryRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    v.require_text("memo", &input.memo, 500);
    if !(2..=100).contains(&input.lines.len()) {
        v.push("lines", "must have 2 to 100 lines");
    }
    let mut postings = Postings::default();
    for (i, l) in input.lines.iter().enumerate() {
        let amount = match (&l.debit, &l.credit) {
            (Some(d), None) => Some((d, d.amount)),
            (None, Some(c)) => Some((c, -c.amount)),
            _ => {
                v.push(
                    format!("lines[{i}]"),
                    "must have a debit or a credit, not both",
                );
                None
            }
        };
        let Some((money, signed)) = amount else {
            continue;
        };
        let field = if l.debit.is_some() { "debit" } else { "credit" };
        if money.amount <= rust_decimal::Decimal::ZERO {
            v.push(format!("lines[{i}].{field}"), "must be more than zero");
        }
        if money.amount.normalize().scale() > money.currency.minor_units() {
            v.push(
                format!("lines[{i}].{field}"),
                format!("has more decimals than {} has", money.currency),
            );
        }
        let tags = Tags {
            channel_id: l.channel_id.clone(),
            order_id: None,
        };
        postings.add(&l.account, &tags, None, money.currency, signed);
    }
    if v.is_empty()
        && let Err(e) = postings.check()
    {
        v.push("lines", e.to_string());
    }
    v.finish()?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let entry = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let codes: Vec<String> = input.lines.iter().map(|l| l.account.clone()).collect();
            let known = ledger::known_accounts(tx, &codes).await?;
            if let Some(i) = codes.iter().position(|c| !known.contains(c)) {
                return Err(ApiError::field(
                    format!("lines[{i}].account"),
                    format!("account {} is not in the chart of accounts", codes[i]),
                ));
            }
            if ledger::is_closed(tx, input.posted_on).await? {
                return Err(ApiError::field(
                    "posted_on",
                    format!("period {} is closed", period_of(input.posted_on)),
                ));
            }
            let source_id = Uuid::now_v7().to_string();
            ledger::post(
                tx,
                &ledger::NewEntry {
                    source: "manual",
                    source_id: &source_id,
                    occurred_on: input.posted_on,
                    memo: input.memo.trim(),
                    created_by: &actor,
                    postings: &postings,
                },
            )
            .await?;
            let entry = ledger::entries(
                tx,
                &ledger::EntryFilter {
                    source: Some("manual".into()),
                    limit: 1,
                    ..Default::default()
                },
            )
            .await?
            .pop()
            .filter(|e| e.source_id == source_id)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("manual entry vanished")))?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "journal_entry",
                    entity_id: &entry.id.to_string(),
                    action: "posted",
                    before: None,
                    after: Some(audit::snapshot(&entry)),
                },
            )
            .await?;
            Ok(entry)
        })
        .await?;
    Ok(HttpResponse::Created().json(entry))
}

/// Every account's debits and credits in one currency, up to a day. Debits
/// equal credits: an entry that would unbalance them is refused.
#[utoipa::path(
    get, path = "/v1/trial-balance", tag = "ledger",
    params(TrialBalanceQuery),
    responses(
        (status = 200, body = TrialBalanceView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn trial_balance(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
    query: web::Query<TrialBalanceQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let view = ledger::trial_balance(&mut conn, query.currency, query.as_of).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Closed periods, newest first, after the current (open) month.
#[utoipa::path(
    get, path = "/v1/periods", tag = "ledger",
    responses((status = 200, body = Vec<PeriodView>))
)]
pub async fn periods(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let closed = ledger::closed_periods(&mut conn).await?;
    let current = period_of(Utc::now().date_naive());
    let mut views = Vec::with_capacity(closed.len() + 1);
    if !closed.iter().any(|p| p.period == current) {
        views.push(PeriodView {
            period: current,
            status: PeriodStatus::Open,
            closed_at: None,
            closed_by: None,
        });
    }
    views.extend(closed);
    Ok(HttpResponse::Ok().json(views))
}

/// Close a period (`YYYY-MM`, not after the current month): no entry is
/// posted into it afterwards. Events dated in it post on the first day of
/// the next open month; manual entries dated in it are refused.
#[utoipa::path(
    post, path = "/v1/periods/{period}/close", tag = "ledger",
    params(("period" = String, Path, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")),
    responses(
        (status = 200, body = PeriodView),
        (status = 409, description = "Already closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn close(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    period: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some(first) = parse_period(&period) else {
        return Err(ApiError::field("period", "must be a month, YYYY-MM"));
    };
    if first > Utc::now().date_naive() {
        return Err(ApiError::field("period", "is in the future"));
    }
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let view = ledger::close_period(tx, &period, &actor)
                .await?
                .ok_or_else(|| ApiError::Conflict(format!("period {period} is closed already")))?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "period",
                    entity_id: &period,
                    action: "closed",
                    before: None,
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
