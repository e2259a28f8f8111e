//! Receiving at the dock: the inbound orders expected, a receipt opened by
//! scanning the order's number, item scans (quantity, condition, putaway
//! bin) checked against the order and its over-receipt tolerance, and the
//! receipt's completion, which publishes GoodsReceived.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::warehouse::{
    InboundOrderView, InboundQuery, ReceiptCondition, ReceiptInput, ReceiptLineView, ReceiptScan,
    ReceiptStatus, ReceiptView, ReceivingPolicyInput, ReceivingPolicyView,
};
use platform::error::Problem;
use platform::http::{Json, check_version, etag, if_match};
use platform::{ApiError, Authorized, Runtime, audit};
use uuid::Uuid;

use super::{Floor, Planners, Readers};
use crate::domain::receiving::{LineCount, ScanRefusal, line_for, receivable};
use crate::domain::{item_matches, valid_bin_code};
use crate::events::goods_received;
use crate::store::receiving::{self, InboundRow, ReceiptRow};

fn receipt_not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("receipt {id} does not exist"))
}

/// The receipt as the dock sees it: per order line what was ordered, what
/// earlier receipts brought, what this one counted, and what may still come.
async fn view_of(
    conn: &mut platform::db::Conn,
    receipt: &ReceiptRow,
    order: &InboundRow,
) -> Result<ReceiptView, ApiError> {
    let tolerance = receiving::policy(conn).await?.over_receipt_tolerance_pct;
    let lines = receiving::lines(conn, order.po_id).await?;
    let counted = receiving::counted(conn, receipt.id).await?;
    let open_receipts = receiving::in_open_receipts(conn, order.po_id).await?;
    let completed = receipt.status == "completed";
    let views = lines
        .iter()
        .map(|l| {
            let mine = |condition: &str| -> i64 {
                counted
                    .iter()
                    .filter(|c| c.line_no == l.line_no && c.condition == condition)
                    .map(|c| c.quantity)
                    .sum()
            };
            let (good, damaged) = (mine("good"), mine("damaged"));
            let received = l.received_good + l.received_damaged;
            let count = LineCount {
                ordered: l.quantity,
                cancelled: l.cancelled,
                received,
                in_receipts: open_receipts.get(&l.line_no).copied().unwrap_or(0),
            };
            ReceiptLineView {
                line_no: l.line_no,
                sku: l.sku.clone(),
                supplier_sku: l.supplier_sku.clone(),
                ordered: l.quantity,
                cancelled: l.cancelled,
                received_before: if completed {
                    received - good - damaged
                } else {
                    received
                },
                good,
                damaged,
                open: count.open(),
                acceptable: count.acceptable(tolerance),
            }
        })
        .collect();
    Ok(ReceiptView {
        id: receipt.id,
        purchase_order_id: order.po_id,
        purchase_order_number: order.number.clone(),
        supplier_code: order.supplier_code.clone(),
        location_code: order.location_code.clone(),
        status: ReceiptStatus::parse(&receipt.status).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "stored receipt status '{}'",
                receipt.status
            ))
        })?,
        lines: views,
        opened_by: receipt.opened_by.clone(),
        opened_at: receipt.opened_at,
        completed_at: receipt.completed_at,
    })
}

/// A receipt and its order, the order locked so scans of one order take turns.
async fn lock_open(
    tx: &mut platform::db::Conn,
    id: Uuid,
) -> Result<(ReceiptRow, InboundRow), ApiError> {
    let receipt = receiving::receipt(tx, id)
        .await?
        .ok_or_else(|| receipt_not_found(id))?;
    let order = receiving::lock_order(tx, receipt.po_id)
        .await?
        .ok_or_else(|| receipt_not_found(id))?;
    if receipt.status != "open" {
        return Err(ApiError::Conflict(format!(
            "receipt {id} is already completed"
        )));
    }
    if !receivable(&order.status) {
        return Err(ApiError::Conflict(format!(
            "purchase order {} is {}: nothing more is received against it",
            order.number, order.status
        )));
    }
    Ok((receipt, order))
}

/// Purchase orders the dock expects, by expected date.
#[utoipa::path(
    get, path = "/v1/inbound-orders", tag = "receiving",
    params(InboundQuery),
    responses((status = 200, body = Vec<InboundOrderView>))
)]
pub async fn inbound(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    query: web::Query<InboundQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    if let Some(l) = &query.location {
        v.check("location", l.parse::<domain::LocationCode>());
    }
    v.finish()?;
    let mut conn = rt.conn().await?;
    let views: Vec<InboundOrderView> = receiving::expected(&mut conn, query.location.as_deref())
        .await?
        .into_iter()
        .map(|(o, open_units)| InboundOrderView {
            purchase_order_id: o.po_id,
            number: o.number,
            supplier_code: o.supplier_code,
            location_code: o.location_code,
            status: o.status,
            expected_on: o.expected_on,
            open_units,
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Start receiving a purchase order (the scan of its number at the dock).
/// A cancelled or closed order, or one procurement has not approved, is
/// refused.
#[utoipa::path(
    post, path = "/v1/receipts", tag = "receiving",
    request_body = ReceiptInput,
    responses(
        (status = 201, body = ReceiptView, headers(("Location" = String))),
        (status = 404, description = "No approved purchase order with that number", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The order is cancelled or closed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn open(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    Json(input): Json<ReceiptInput>,
) -> Result<HttpResponse, ApiError> {
    let number = input.purchase_order.trim().to_ascii_uppercase();
    let mut v = Validator::new();
    v.require_text("purchase_order", &number, 40);
    v.finish()?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let order = receiving::by_number(tx, &number).await?.ok_or_else(|| {
                ApiError::NotFound(format!(
                    "purchase_order: no approved purchase order {number} is expected here"
                ))
            })?;
            let order = receiving::lock_order(tx, order.po_id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("purchase order {number} vanished")))?;
            if !receivable(&order.status) {
                return Err(ApiError::Conflict(format!(
                    "purchase_order: {number} is {}; nothing more is received against it",
                    order.status
                )));
            }
            let id = receiving::open_receipt(tx, order.po_id, &actor).await?;
            let receipt = receiving::receipt(tx, id)
                .await?
                .ok_or_else(|| receipt_not_found(id))?;
            let view = view_of(tx, &receipt, &order).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "receipt",
                    entity_id: &id.to_string(),
                    action: "opened",
                    before: None,
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/receipts/{}", view.id)))
        .json(view))
}

/// A receipt and what it counted so far.
#[utoipa::path(
    get, path = "/v1/receipts/{id}", tag = "receiving",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ReceiptView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let view = platform::snapshot!(conn, |tx| {
        let receipt = receiving::receipt(tx, id)
            .await?
            .ok_or_else(|| receipt_not_found(id))?;
        let order = receiving::order(tx, receipt.po_id)
            .await?
            .ok_or_else(|| receipt_not_found(id))?;
        view_of(tx, &receipt, &order).await
    })?;
    Ok(HttpResponse::Ok().json(view))
}

/// Count an item: its SKU or barcode, how many (default 1), its condition
/// (default good) and, for good units, the bin they are put away to. An
/// item not on the order, or more than the line may still receive (its
/// open quantity plus the over-receipt tolerance), is refused and counts
/// nothing.
#[utoipa::path(
    post, path = "/v1/receipts/{id}/scans", tag = "receiving",
    request_body = ReceiptScan,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ReceiptView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The receipt is completed, or the order cancelled or closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not on the order, over-receipt, or a bin that is not there", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn scan(
    rt: web::Data<Runtime>,
    _caller: Authorized<Floor>,
    id: web::Path<Uuid>,
    Json(input): Json<ReceiptScan>,
) -> Result<HttpResponse, ApiError> {
    let quantity = input.quantity.unwrap_or(1);
    let condition = input.condition.unwrap_or(ReceiptCondition::Good);
    let mut v = Validator::new();
    v.require_text("item", &input.item, 64);
    if !(1..=100_000).contains(&quantity) {
        v.push("quantity", "must be between 1 and 100000");
    }
    let bin = input.bin.as_deref().map(str::trim).unwrap_or("");
    if !bin.is_empty() && !valid_bin_code(bin) {
        v.push("bin", "is not a bin code");
    }
    if !bin.is_empty() && condition == ReceiptCondition::Damaged {
        v.push("bin", "damaged units are quarantined, not put away");
    }
    v.finish()?;
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let (receipt, order) = lock_open(tx, id).await?;
            if !bin.is_empty() && !receiving::bin_active(tx, &order.location_code, bin).await? {
                return Err(ApiError::field(
                    "bin",
                    format!("{bin} is not an active bin at {}", order.location_code),
                ));
            }
            let tolerance = receiving::policy(tx).await?.over_receipt_tolerance_pct;
            let lines = receiving::lines(tx, order.po_id).await?;
            let open_receipts = receiving::in_open_receipts(tx, order.po_id).await?;
            let line = line_for(
                &lines,
                |l| {
                    item_matches(&input.item, &l.sku, l.gtin.as_deref())
                        || input.item.trim().eq_ignore_ascii_case(&l.sku)
                },
                |l| LineCount {
                    ordered: l.quantity,
                    cancelled: l.cancelled,
                    received: l.received_good + l.received_damaged,
                    in_receipts: open_receipts.get(&l.line_no).copied().unwrap_or(0),
                },
                quantity,
                tolerance,
                input.item.trim(),
            )
            .map_err(|r| match r {
                ScanRefusal::NotOnOrder { .. } => ApiError::field("item", r.to_string()),
                ScanRefusal::OverReceipt { .. } => ApiError::field("quantity", r.to_string()),
            })?;
            receiving::add_scan(
                tx,
                receipt.id,
                line.line_no,
                condition.as_str(),
                bin,
                quantity,
            )
            .await?;
            view_of(tx, &receipt, &order).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Complete a receipt: its counts join the order's, SKUs put away to bins
/// are stocked there, and GoodsReceived tells inventory (on hand; damaged
/// units to quarantine) and procurement (the order, lead times).
#[utoipa::path(
    post, path = "/v1/receipts/{id}/complete", tag = "receiving",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ReceiptView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already completed, or the order cancelled or closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Nothing was counted", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn complete(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let (receipt, order) = lock_open(tx, id).await?;
            if receiving::counted(tx, id).await?.is_empty() {
                return Err(ApiError::field(
                    "receipt",
                    "nothing was scanned: scan items first",
                ));
            }
            receiving::complete(tx, &receipt, &order.location_code, &actor).await?;
            goods_received(&rt.outbox, tx, &receipt, &order, &actor).await?;
            let done = receiving::receipt(tx, id)
                .await?
                .ok_or_else(|| receipt_not_found(id))?;
            let view = view_of(tx, &done, &order).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "receipt",
                    entity_id: &id.to_string(),
                    action: "completed",
                    before: None,
                    after: Some(audit::snapshot(&view)),
                },
            )
            .await?;
            Ok(view)
        })
        .await?;
    rt.outbox.notify();
    Ok(HttpResponse::Ok().json(view))
}

fn policy_response(p: receiving::PolicyRow) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(p.version)))
        .json(ReceivingPolicyView {
            over_receipt_tolerance_pct: p.over_receipt_tolerance_pct,
            version: p.version,
            updated_at: p.updated_at,
            updated_by: p.updated_by,
        })
}

/// The over-receipt tolerance.
#[utoipa::path(
    get, path = "/v1/receiving-policy", tag = "receiving",
    responses((status = 200, body = ReceivingPolicyView, headers(("ETag" = String))))
)]
pub async fn policy(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    Ok(policy_response(receiving::policy(&mut conn).await?))
}

/// Set the over-receipt tolerance (percent of the ordered quantity).
#[utoipa::path(
    put, path = "/v1/receiving-policy", tag = "receiving",
    request_body = ReceivingPolicyInput,
    params(("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Replace only this version")),
    responses(
        (status = 200, body = ReceivingPolicyView, headers(("ETag" = String))),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_policy(
    rt: web::Data<Runtime>,
    caller: Authorized<Planners>,
    req: HttpRequest,
    Json(input): Json<ReceivingPolicyInput>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    if !(0..=100).contains(&input.over_receipt_tolerance_pct) {
        v.push("over_receipt_tolerance_pct", "must be between 0 and 100");
    }
    v.finish()?;
    let expected = if_match(&req)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let p = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let before = receiving::policy(tx).await?;
            check_version(expected, before.version, "the policy")?;
            let after = receiving::set_policy(tx, input.over_receipt_tolerance_pct, &actor).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "receiving_policy",
                    entity_id: "receiving_policy",
                    action: "replaced",
                    before: Some(serde_json::json!({"over_receipt_tolerance_pct": before.over_receipt_tolerance_pct})),
                    after: Some(serde_json::json!({"over_receipt_tolerance_pct": after.over_receipt_tolerance_pct})),
                },
            )
            .await?;
            Ok(after)
        })
        .await?;
    Ok(policy_response(p))
}
