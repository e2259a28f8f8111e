//! Bank statements (ISO 20022 camt.053, or CSV): each booked line recorded
//! once, matched to the payout or invoice it pays and posted; the rest
//! queued for finance.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::billing::{
    BankFormat, BankImportQuery, BankLineQuery, BankLineView, BankStatementView,
};
use platform::error::Problem;
use platform::{ApiError, Authorized, Runtime, audit};
use rust_decimal::Decimal;

use super::{Accountants, file_errors};
use crate::domain::bank;
use crate::store::bank as store;

/// Import a bank statement (`format`: `camt053`, ISO 20022 XML, or `csv`).
/// The whole file is checked first: any problem is a 422 naming its line
/// and column, nothing applied. Booked credits are matched to an unpaid
/// payout (its settlement id in the reference and its total, or the only
/// one of that amount deposited within a week) or an unpaid invoice (its
/// number in the reference, the amount within `tolerance` of its gross,
/// the difference written off); each match posts. The rest wait in
/// `GET /v1/bank-lines`. A line the bank reported before is not recorded
/// again.
#[utoipa::path(
    post, path = "/v1/bank-statements", tag = "bank",
    params(BankImportQuery),
    request_body(content = String, content_type = "application/xml", description = "camt.053 XML, or the CSV as text/csv"),
    responses(
        (status = 201, description = "Imported", body = BankStatementView),
        (status = 200, description = "Imported before from the same file", body = BankStatementView),
        (status = 409, description = "Imported before from another file", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Problems, each named by line and column; nothing applied", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    req: HttpRequest,
    query: web::Query<BankImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase())
        .unwrap_or_default();
    // The format decides how the file is read; the type only has to be a text one.
    let accepted = ["application/xml", "text/xml", "text/csv", "text/plain"];
    if !accepted.iter().any(|t| content_type.starts_with(t)) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type must be one of {}",
            accepted.join(", ")
        )));
    }
    let tolerance = match query.tolerance.as_deref() {
        None => Decimal::new(5, 2),
        Some(t) => t
            .parse::<Decimal>()
            .ok()
            .filter(|t| !t.is_sign_negative())
            .ok_or_else(|| ApiError::field("tolerance", "must be an amount, e.g. 0.05"))?,
    };
    let format = query.format;
    let hash = platform::idempotency::sha256_hex(&body);
    let statement = web::block(move || match format {
        BankFormat::Camt053 => bank::camt053(&body),
        BankFormat::Csv => bank::csv(&body),
    })
    .await
    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?
    .map_err(file_errors)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let outcome = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let outcome =
                store::import(tx, &statement, format.as_str(), &hash, tolerance, &actor).await?;
            if outcome.created {
                audit::record(
                    tx,
                    &actor,
                    audit::Change {
                        entity_type: "bank_statement",
                        entity_id: &format!("{}/{}", statement.account, statement.id),
                        action: "imported",
                        before: None,
                        after: Some(audit::snapshot(&outcome.view)),
                    },
                )
                .await?;
            }
            Ok(outcome)
        })
        .await?;
    let mut builder = if outcome.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder.json(outcome.view))
}

/// Bank lines: those still queued (default), or all.
#[utoipa::path(
    get, path = "/v1/bank-lines", tag = "bank",
    params(BankLineQuery),
    responses((status = 200, body = Vec<BankLineView>))
)]
pub async fn lines(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
    query: web::Query<BankLineQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    Ok(HttpResponse::Ok().json(store::lines(&mut conn, query.unmatched.unwrap_or(true)).await?))
}
