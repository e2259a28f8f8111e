//! Supplier bills, three-way matched against the purchase order's prices
//! and the units received (`domain/bills.rs`): a match posts to payables at
//! once; a bill beyond tolerance or quantity is held until a second finance
//! person approves or rejects it. The tolerances per currency. Every write
//! is audited.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::billing::{
    BillApproveRequest, BillKind, BillRejectRequest, BillStatus, BillToleranceInput,
    BillToleranceView, SupplierBillInput, SupplierBillQuery, SupplierBillView,
};
use domain::{Currency, Money, Validator};
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime, audit};
use uuid::Uuid;

use super::Accountants;
use crate::domain::bills::{self, BillLine, Matched};
use crate::domain::settings::check_rate;
use crate::store::{bills as store, ledger};

/// The ledger source of a supplier bill's entry.
const SOURCE: &str = "supplier_bill";

/// An amount of a request: storable and not negative (the money type's own
/// rules and messages).
fn check_money(v: &mut Validator, field: &str, m: &Money) {
    v.check(field, m.validated().and_then(Money::non_negative));
}

/// What a bill must look like before anything is looked up.
fn validate(input: &SupplierBillInput) -> Result<(), ApiError> {
    let mut v = Validator::new();
    v.require_text("supplier_code", &input.supplier_code, 64);
    v.require_text("bill_number", &input.bill_number, 64);
    v.require_text("purchase_order_number", &input.purchase_order_number, 64);
    if input.due_on.is_some_and(|due| due < input.bill_date) {
        v.push("due_on", "must not be before bill_date");
    }
    match input.kind.unwrap_or(BillKind::Goods) {
        BillKind::Goods => {
            if input.lines.is_empty() || input.lines.len() > 500 {
                v.push("lines", "must hold 1 to 500 lines");
            }
            if input.charges.is_some() {
                v.push("charges", "only a charges bill has charges");
            }
            if input.allocation.is_some() {
                v.push("allocation", "only a charges bill is allocated");
            }
        }
        BillKind::Charges => {
            if !input.lines.is_empty() {
                v.push(
                    "lines",
                    "a charges bill has no lines: its charges are spread over the receipts",
                );
            }
            match &input.charges {
                Some(m) => check_money(&mut v, "charges", m),
                None => v.push("charges", "a charges bill needs its charges before tax"),
            }
            if input.allocation.is_none() {
                v.push("allocation", "must be quantity, weight or value");
            }
        }
    }
    for (i, l) in input.lines.iter().enumerate() {
        if !(1..=100_000).contains(&l.purchase_order_line) {
            v.push(
                format!("lines[{i}].purchase_order_line"),
                "must be a line number from 1 to 100000",
            );
        }
        if !(1..=10_000_000).contains(&l.quantity) {
            v.push(format!("lines[{i}].quantity"), "must be from 1 to 10000000");
        }
        check_money(&mut v, &format!("lines[{i}].unit_price"), &l.unit_price);
    }
    check_money(&mut v, "tax_total", &input.tax_total);
    check_money(&mut v, "gross_total", &input.gross_total);
    v.finish()?;
    Ok(())
}

/// Every amount in the order's currency.
fn check_currency(input: &SupplierBillInput, currency: Currency) -> Result<(), ApiError> {
    let mut v = Validator::new();
    let wrong = |m: &Money| m.currency != currency;
    for (i, l) in input.lines.iter().enumerate() {
        if wrong(&l.unit_price) {
            v.push(
                format!("lines[{i}].unit_price"),
                format!("must be in the purchase order's currency {currency}"),
            );
        }
    }
    for (field, m) in [
        ("tax_total", Some(&input.tax_total)),
        ("gross_total", Some(&input.gross_total)),
        ("charges", input.charges.as_ref()),
    ] {
        if m.is_some_and(wrong) {
            v.push(
                field,
                format!("must be in the purchase order's currency {currency}"),
            );
        }
    }
    v.finish()?;
    Ok(())
}

/// Posts a stored bill's entry on its bill date (or the first open day
/// after).
async fn post_entry(
    tx: &mut platform::db::Conn,
    bill: &store::Bill,
    actor: &str,
) -> Result<Option<Uuid>, ApiError> {
    let v = &bill.view;
    let postings = match v.kind {
        BillKind::Goods => {
            let matched = Matched {
                net: v.net.amount,
                expected_net: v.expected_net.amount,
                lines: bill.lines.clone(),
                hold_reasons: Vec::new(),
            };
            bills::bill_postings(&matched, bill.tax(), bill.currency)
        }
        BillKind::Charges => bills::charges_postings(&bill.allocations, bill.tax(), bill.currency),
    };
    ledger::post(
        tx,
        &ledger::NewEntry {
            source: SOURCE,
            source_id: &v.id.to_string(),
            occurred_on: v.bill_date,
            memo: &format!("bill {} of {}", v.bill_number, v.supplier_code),
            created_by: actor,
            postings: &postings,
        },
    )
    .await
}

fn vanished(id: Uuid) -> ApiError {
    ApiError::internal(anyhow::anyhow!("supplier bill {id} vanished"))
}

/// Enter a supplier's bill for goods of one purchase order. It is matched
/// at once: within tolerance and quantity it posts (goods received not
/// invoiced cleared at the order's cost, the price variance, input VAT,
/// payables), otherwise it is held with its reasons. The same bill again
/// answers 200 with what it did; another bill under the same supplier and
/// number is a 409.
#[utoipa::path(
    post, path = "/v1/supplier-bills", tag = "bills",
    request_body = SupplierBillInput,
    responses(
        (status = 201, description = "Entered: posted or held", body = SupplierBillView),
        (status = 200, description = "Entered before, the same bill", body = SupplierBillView),
        (status = 409, description = "Another bill under this supplier and number", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown purchase order or line, another supplier or currency, a gross that is not net plus tax", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn enter(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    Json(input): Json<SupplierBillInput>,
) -> Result<HttpResponse, ApiError> {
    validate(&input)?;
    let hash =
        platform::idempotency::sha256_hex(&serde_json::to_vec(&input).map_err(ApiError::internal)?);
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let (view, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            store::lock_number(tx, &input.supplier_code, &input.bill_number).await?;
            if let Some(existing) =
                store::by_number(tx, &input.supplier_code, &input.bill_number).await?
            {
                if existing.request_hash == hash {
                    return Ok((existing.view, false));
                }
                return Err(ApiError::Conflict(format!(
                    "bill {} of {} was entered before with other contents",
                    input.bill_number, input.supplier_code
                )));
            }
            let order = store::lock_order(tx, &input.purchase_order_number)
                .await?
                .ok_or_else(|| {
                    ApiError::field(
                        "purchase_order_number",
                        format!(
                            "no purchase order {} (one approved a moment ago may not have reached \
                             billing yet: retry shortly)",
                            input.purchase_order_number
                        ),
                    )
                })?;
            let kind = input.kind.unwrap_or(BillKind::Goods);
            if kind == BillKind::Goods && order.supplier_code != input.supplier_code {
                return Err(ApiError::field(
                    "supplier_code",
                    format!(
                        "purchase order {} is from supplier {}",
                        order.number, order.supplier_code
                    ),
                ));
            }
            let (lines, currency) = store::order_lines(tx, order.id).await?;
            let currency = currency.ok_or_else(|| {
                ApiError::field(
                    "purchase_order_number",
                    format!("purchase order {} has no lines", order.number),
                )
            })?;
            check_currency(&input, currency)?;
            if kind == BillKind::Charges {
                let view = enter_charges(tx, &input, order.id, currency, &hash, &actor).await?;
                return Ok((view, true));
            }
            let tolerance = store::tolerance(tx, currency).await?;
            let bill: Vec<BillLine> = input
                .lines
                .iter()
                .map(|l| BillLine {
                    purchase_order_line: l.purchase_order_line,
                    quantity: l.quantity,
                    unit_price: l.unit_price.amount,
                })
                .collect();
            let matched = bills::three_way_match(&lines, &bill, currency, tolerance)
                .map_err(ApiError::Validation)?;
            let tax = input.tax_total.amount;
            if matched.net + tax != input.gross_total.amount {
                return Err(ApiError::field(
                    "gross_total",
                    format!(
                        "must be the lines' net {} plus tax {} = {}",
                        matched.net.normalize(),
                        tax.normalize(),
                        (matched.net + tax).normalize()
                    ),
                ));
            }
            let status = if matched.hold_reasons.is_empty() {
                BillStatus::Posted
            } else {
                BillStatus::Held
            };
            let id = Uuid::now_v7();
            store::insert(
                tx,
                &store::NewBill {
                    id,
                    kind: BillKind::Goods,
                    allocation: None,
                    supplier_code: &input.supplier_code,
                    bill_number: &input.bill_number,
                    purchase_order_id: order.id,
                    bill_date: input.bill_date,
                    due_on: input.due_on,
                    currency,
                    net: matched.net,
                    tax,
                    expected_net: matched.expected_net,
                    status,
                    hold_reasons: &matched.hold_reasons,
                    request_hash: &hash,
                    entered_by: &actor,
                    lines: &matched.lines,
                },
            )
            .await?;
            let mut view = store::by_id(tx, id, false)
                .await?
                .ok_or_else(|| vanished(id))?;
            if status == BillStatus::Posted
                && let Some(entry) = post_entry(tx, &view, &actor).await?
            {
                store::set_entry(tx, id, entry).await?;
                view.view.entry_id = Some(entry);
            }
            let view = view.view;
            record(tx, &actor, None, &view, "entered").await?;
            Ok((view, true))
        })
        .await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// A charges bill: spread over the order's received lines, posted at once
/// (the estimate it replaces was the order's own; there is nothing to hold
/// it against).
async fn enter_charges(
    tx: &mut platform::db::Conn,
    input: &SupplierBillInput,
    purchase_order_id: Uuid,
    currency: Currency,
    hash: &str,
    actor: &str,
) -> Result<SupplierBillView, ApiError> {
    let (Some(charges), Some(basis)) = (&input.charges, input.allocation) else {
        return Err(ApiError::field(
            "charges",
            "a charges bill needs its charges",
        ));
    };
    let tax = input.tax_total.amount;
    if charges.amount + tax != input.gross_total.amount {
        return Err(ApiError::field(
            "gross_total",
            format!(
                "must be the charges {} plus tax {} = {}",
                charges.amount.normalize(),
                tax.normalize(),
                (charges.amount + tax).normalize()
            ),
        ));
    }
    let lines = store::received_lines(tx, purchase_order_id, currency).await?;
    let allocations = bills::allocate_charges(&lines, basis, charges.amount, currency)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let id = Uuid::now_v7();
    let cleared: rust_decimal::Decimal = allocations.iter().map(|a| a.estimate_cleared).sum();
    store::insert(
        tx,
        &store::NewBill {
            id,
            kind: BillKind::Charges,
            allocation: Some(basis),
            supplier_code: &input.supplier_code,
            bill_number: &input.bill_number,
            purchase_order_id,
            bill_date: input.bill_date,
            due_on: input.due_on,
            currency,
            net: charges.amount,
            tax,
            expected_net: cleared,
            status: BillStatus::Posted,
            hold_reasons: &[],
            request_hash: hash,
            entered_by: actor,
            lines: &[],
        },
    )
    .await?;
    store::record_charges(tx, id, purchase_order_id, currency, &allocations).await?;
    let mut bill = store::by_id(tx, id, false)
        .await?
        .ok_or_else(|| vanished(id))?;
    if let Some(entry) = post_entry(tx, &bill, actor).await? {
        store::set_entry(tx, id, entry).await?;
        bill.view.entry_id = Some(entry);
    }
    record(tx, actor, None, &bill.view, "entered").await?;
    Ok(bill.view)
}

/// Supplier bills, newest first; `status=held` is the approval queue.
#[utoipa::path(
    get, path = "/v1/supplier-bills", tag = "bills",
    params(SupplierBillQuery),
    responses(
        (status = 200, body = [SupplierBillView]),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
    query: web::Query<SupplierBillQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let limit = super::page_limit(&mut v, query.limit);
    v.finish()?;
    let mut conn = rt.conn().await?;
    Ok(HttpResponse::Ok().json(store::list(&mut conn, query.status, limit).await?))
}

#[utoipa::path(
    get, path = "/v1/supplier-bills/{id}", tag = "bills",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = SupplierBillView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let bill = store::by_id(&mut conn, *id, false)
        .await?
        .ok_or_else(|| not_found(*id))?;
    Ok(HttpResponse::Ok().json(bill.view))
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("supplier bill {id} does not exist"))
}

/// The held bill, locked, and checked that `actor` may decide it: someone
/// other than who entered it (four eyes).
async fn held(tx: &mut platform::db::Conn, id: Uuid, actor: &str) -> Result<store::Bill, ApiError> {
    let bill = store::by_id(tx, id, true)
        .await?
        .ok_or_else(|| not_found(id))?;
    if bill.view.status != BillStatus::Held {
        return Err(ApiError::Conflict(format!(
            "supplier bill {id} is {} already",
            bill.view.status
        )));
    }
    if bill.view.entered_by == actor {
        return Err(ApiError::Forbidden(
            "a held bill is decided by a finance person other than the one who entered it".into(),
        ));
    }
    Ok(bill)
}

/// Decides a held bill in one transaction: approved it posts as billed,
/// rejected it only changes status; audited with before and after.
async fn decide(
    rt: &Runtime,
    actor: &str,
    id: Uuid,
    status: BillStatus,
    note: Option<&str>,
) -> Result<SupplierBillView, ApiError> {
    let mut conn = rt.conn().await?;
    conn.transaction::<_, ApiError, _>(async |tx| {
        let bill = held(tx, id, actor).await?;
        let entry = match status {
            BillStatus::Posted => post_entry(tx, &bill, actor).await?,
            _ => None,
        };
        store::decide(tx, id, status, actor, note, entry).await?;
        let after = store::by_id(tx, id, false)
            .await?
            .ok_or_else(|| not_found(id))?
            .view;
        let action = if status == BillStatus::Posted {
            "approved"
        } else {
            "rejected"
        };
        record(tx, actor, Some(&bill.view), &after, action).await?;
        Ok(after)
    })
    .await
}

/// Approve a held bill: it posts as billed, its variance and all.
#[utoipa::path(
    post, path = "/v1/supplier-bills/{id}/approve", tag = "bills",
    params(("id" = Uuid, Path)),
    request_body = BillApproveRequest,
    responses(
        (status = 200, body = SupplierBillView),
        (status = 403, description = "The person who entered it", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not held", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn approve(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    id: web::Path<Uuid>,
    Json(input): Json<BillApproveRequest>,
) -> Result<HttpResponse, ApiError> {
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::field("note", "must be at most 500 characters"));
    }
    let view = decide(&rt, &caller.actor(), *id, BillStatus::Posted, note).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Reject a held bill, with why: nothing posts, its units may be billed
/// again.
#[utoipa::path(
    post, path = "/v1/supplier-bills/{id}/reject", tag = "bills",
    params(("id" = Uuid, Path)),
    request_body = BillRejectRequest,
    responses(
        (status = 200, body = SupplierBillView),
        (status = 403, description = "The person who entered it", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not held", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reject(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    id: web::Path<Uuid>,
    Json(input): Json<BillRejectRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    v.require_text("reason", &input.reason, 500);
    v.finish()?;
    let reason = Some(input.reason.trim());
    let view = decide(&rt, &caller.actor(), *id, BillStatus::Rejected, reason).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn record(
    tx: &mut platform::db::Conn,
    actor: &str,
    before: Option<&SupplierBillView>,
    after: &SupplierBillView,
    action: &str,
) -> Result<(), ApiError> {
    audit::record(
        tx,
        actor,
        audit::Change {
            entity_type: "supplier_bill",
            entity_id: &after.id.to_string(),
            action,
            before: before.map(audit::snapshot),
            after: Some(audit::snapshot(after)),
        },
    )
    .await?;
    Ok(())
}

/// Set how far a bill in `currency` may be from its purchase order and
/// still post without an approver: per unit a percent of the order's cost,
/// and the bill's variance in total.
#[utoipa::path(
    put, path = "/v1/bill-tolerances/{currency}", tag = "bills",
    params(("currency" = inline(Currency), Path)),
    request_body = BillToleranceInput,
    responses(
        (status = 200, body = BillToleranceView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_tolerance(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    currency: web::Path<String>,
    Json(input): Json<BillToleranceInput>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let currency = v.check("currency", currency.parse::<Currency>());
    check_rate(&mut v, "price_percent", input.price_percent);
    if let Some(c) = currency {
        check_money(
            &mut v,
            "amount",
            &Money {
                amount: input.amount,
                currency: c,
            },
        );
    }
    v.finish()?;
    let currency = currency.ok_or_else(|| ApiError::field("currency", "unknown currency"))?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let (view, before) = store::put_tolerance(
                tx,
                currency,
                input.price_percent.normalize(),
                input.amount,
                &actor,
            )
            .await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "bill_tolerance",
                    entity_id: currency.code(),
                    action: if before.is_some() {
                        "updated"
                    } else {
                        "created"
                    },
                    before: before.as_ref().map(audit::snapshot),
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(
    get, path = "/v1/bill-tolerances", tag = "bills",
    responses((status = 200, body = [BillToleranceView]))
)]
pub async fn tolerances(
    rt: web::Data<Runtime>,
    _caller: Authorized<Accountants>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    Ok(HttpResponse::Ok().json(store::tolerances(&mut conn).await?))
}
