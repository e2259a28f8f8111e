//! Packing, quality checks and shipping. A package is opened at the bench,
//! filled by scanning items (every picked unit is packed exactly once),
//! sealed with weight and dimensions, checked where a rule asks, and shipped
//! with its carrier label. The last package out ships the fulfillment.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::warehouse::{
    ClosePackageRequest, FulfillmentStatus, PackScan, PackageView, QualityCheckRequest,
    QualityResult, ShipPackageRequest,
};
use platform::db::Conn;
use platform::error::{Problem, is_unique_violation};
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime};
use serde_json::json;
use uuid::Uuid;

use super::{Floor, Readers, lock_fulfillment, refuse, require_workable, validate_scan};
use crate::domain::{item_matches, validate_close};
use crate::events;
use crate::store::fulfillments::{self, Head};
use crate::store::packing::{self, PackageRow};
use crate::store::{self, NewException};

fn package_not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("package {id} does not exist"))
}

/// Locks a package and its fulfillment (fulfillment first).
async fn lock_package(tx: &mut Conn, id: Uuid) -> Result<(Head, PackageRow), ApiError> {
    let package = packing::get(tx, id)
        .await?
        .ok_or_else(|| package_not_found(id))?;
    let head = lock_fulfillment(tx, package.fulfillment_id).await?;
    let package = packing::lock(tx, id)
        .await?
        .ok_or_else(|| package_not_found(id))?;
    Ok((head, package))
}

async fn view(tx: &mut Conn, id: Uuid) -> Result<PackageView, ApiError> {
    packing::package_view(tx, id)
        .await?
        .ok_or_else(|| package_not_found(id))
}

/// Open a package for a picked fulfillment.
#[utoipa::path(
    post, path = "/v1/fulfillments/{id}/packages", tag = "packing",
    params(("id" = Uuid, Path)),
    responses(
        (status = 201, body = PackageView),
        (status = 409, description = "Picking not finished, or everything is packed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn open_package(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let package = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let head = lock_fulfillment(tx, id).await?;
            require_workable(&head)?;
            match head.status() {
                FulfillmentStatus::Picked => {}
                FulfillmentStatus::Packed => {
                    return Err(ApiError::Conflict(format!(
                        "every picked unit of fulfillment {id} is packed already"
                    )));
                }
                other => {
                    return Err(ApiError::Conflict(format!(
                        "fulfillment {id} is {}: packing starts once picking is finished",
                        other.as_str()
                    )));
                }
            }
            let package = packing::create(tx, id, &actor).await?;
            store::audit(
                tx,
                &actor,
                "package_opened",
                Some(id),
                json!({"package_id": package}),
            )
            .await?;
            view(tx, package).await
        })
        .await?;
    Ok(HttpResponse::Created().json(package))
}

#[utoipa::path(
    get, path = "/v1/packages/{id}", tag = "packing",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = PackageView),
    )
)]
pub async fn get_package(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    Ok(HttpResponse::Ok().json(view(&mut conn, id.into_inner()).await?))
}

/// Refuses a pack scan and records it as a packing mismatch.
async fn mismatch(
    tx: &mut Conn,
    head: &Head,
    package: &PackageRow,
    error: ApiError,
    actor: &str,
) -> Result<Result<PackageView, ApiError>, ApiError> {
    let exception = NewException {
        kind: "pack_mismatch",
        status: "recorded",
        fulfillment_id: Some(head.id),
        pick_task_id: None,
        package_id: Some(package.id),
        detail: "",
        actor,
    };
    refuse(tx, exception, error).await
}

/// Scan an item into an open package. Only picked units not yet packed can
/// go in: another item is a 422 on `item`, a unit packed already a 409.
#[utoipa::path(
    post, path = "/v1/packages/{id}/items", tag = "packing",
    params(("id" = Uuid, Path)),
    request_body = PackScan,
    responses(
        (status = 200, body = PackageView),
        (status = 409, description = "Package closed, or every picked unit of the item is packed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an item of this fulfillment (`item`) or more than is left (`quantity`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn pack_item(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    id: web::Path<Uuid>,
    Json(req): Json<PackScan>,
) -> Result<HttpResponse, ApiError> {
    let quantity = validate_scan(None, &req.item, req.quantity)?;
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let result = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let (head, package) = lock_package(tx, id).await?;
            require_workable(&head)?;
            if package.status != "open" {
                return Err(ApiError::Conflict(format!(
                    "package {id} is {}; open a new package",
                    package.status
                )));
            }
            let mut matching = Vec::new();
            for line in fulfillments::lines(tx, head.id).await? {
                let gtin = store::gtin_of(tx, &line.sku).await?;
                if item_matches(&req.item, &line.sku, gtin.as_deref()) {
                    matching.push(line);
                }
            }
            if matching.is_empty() {
                let error = ApiError::field(
                    "item",
                    format!("item {} is not part of fulfillment {}", req.item.trim(), head.id),
                );
                return mismatch(tx, &head, &package, error, &actor).await;
            }
            let left: i64 = matching.iter().map(|l| l.picked - l.packed).sum();
            let sku = matching[0].sku.clone();
            if left == 0 {
                let error = ApiError::Conflict(format!(
                    "every picked unit of {sku} is packed already"
                ));
                return mismatch(tx, &head, &package, error, &actor).await;
            }
            if quantity > left {
                let error = ApiError::field(
                    "quantity",
                    format!("{quantity} scanned, but only {left} picked unit(s) of {sku} are left to pack"),
                );
                return mismatch(tx, &head, &package, error, &actor).await;
            }
            let mut rest = quantity;
            for line in matching {
                let take = rest.min(line.picked - line.packed);
                if take > 0 {
                    packing::add_item(tx, id, line.line_no, &line.sku, take).await?;
                    fulfillments::count(tx, head.id, line.line_no, 0, 0, take).await?;
                    rest -= take;
                }
            }
            store::audit(
                tx,
                &actor,
                "pack_scanned",
                Some(head.id),
                json!({"package_id": id, "sku": sku, "quantity": quantity}),
            )
            .await?;
            Ok(Ok(view(tx, id).await?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result?))
}

/// Seal a package with its weight and dimensions. A quality-check rule on one
/// of its SKUs or its channel makes the check due before it can ship.
#[utoipa::path(
    post, path = "/v1/packages/{id}/close", tag = "packing",
    params(("id" = Uuid, Path)),
    request_body = ClosePackageRequest,
    responses(
        (status = 200, body = PackageView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid measurements, or an empty package (`items`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn close(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    id: web::Path<Uuid>,
    Json(req): Json<ClosePackageRequest>,
) -> Result<HttpResponse, ApiError> {
    validate_close(&req)?;
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let package = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let (head, package) = lock_package(tx, id).await?;
            require_workable(&head)?;
            if package.status != "open" {
                return Err(ApiError::Conflict(format!(
                    "package {id} is {} already",
                    package.status
                )));
            }
            let items = packing::items(tx, &[id]).await?;
            if items.is_empty() {
                return Err(ApiError::field(
                    "items",
                    "scan at least one item into the package first",
                ));
            }
            let skus: Vec<String> = items.iter().map(|i| i.sku.clone()).collect();
            let qc = if store::needs_quality_check(tx, &head.channel_id, &skus).await? {
                "pending"
            } else {
                "not_required"
            };
            packing::close(tx, id, &req, qc).await?;
            store::audit(
                tx,
                &actor,
                "package_closed",
                Some(head.id),
                json!({"package_id": id, "weight_grams": req.weight_grams, "qc": qc}),
            )
            .await?;
            let lines = fulfillments::lines(tx, head.id).await?;
            let open_packages = packing::of_fulfillment(tx, head.id)
                .await?
                .iter()
                .any(|p| p.status == "open");
            let all_packed = lines.iter().all(|l| l.open() == 0 && l.packed == l.picked);
            if all_packed && !open_packages && head.status() == FulfillmentStatus::Picked {
                fulfillments::set_status(tx, head.id, FulfillmentStatus::Packed).await?;
                store::audit(tx, &actor, "packed", Some(head.id), json!({})).await?;
            }
            view(tx, id).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(package))
}

/// Record a package's quality check. A failure blocks its shipping and opens
/// an exception for ops (repack or accept).
#[utoipa::path(
    post, path = "/v1/packages/{id}/quality-check", tag = "packing",
    params(("id" = Uuid, Path)),
    request_body = QualityCheckRequest,
    responses(
        (status = 200, body = PackageView),
        (status = 409, description = "No check is due", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn quality_check(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    id: web::Path<Uuid>,
    Json(req): Json<QualityCheckRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let package = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let (head, package) = lock_package(tx, id).await?;
            require_workable(&head)?;
            if package.status != "packed" || package.qc_status != "pending" {
                return Err(ApiError::Conflict(format!(
                    "no quality check is due for package {id} (it is {}, check {})",
                    package.status, package.qc_status
                )));
            }
            let (status, action) = match req.result {
                QualityResult::Passed => ("passed", "qc_passed"),
                QualityResult::Failed => ("failed", "qc_failed"),
            };
            packing::set_qc(tx, id, status).await?;
            if req.result == QualityResult::Failed {
                let detail = format!(
                    "package {id} failed its quality check{}",
                    req.note
                        .as_deref()
                        .map(|n| format!(": {}", n.trim()))
                        .unwrap_or_default()
                );
                store::record_exception(
                    tx,
                    NewException {
                        kind: "qc_failed",
                        status: "open",
                        fulfillment_id: Some(head.id),
                        pick_task_id: None,
                        package_id: Some(id),
                        detail: &detail,
                        actor: &actor,
                    },
                )
                .await?;
            }
            store::audit(
                tx,
                &actor,
                action,
                Some(head.id),
                json!({"package_id": id, "note": req.note}),
            )
            .await?;
            view(tx, id).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(package))
}

fn valid_tracking(s: &str) -> bool {
    (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Hand a package to the carrier with its label's tracking number. Refused
/// for a package still open, waiting for or failing its quality check, or of
/// a cancelled or held order. When the last package of a fully packed
/// fulfillment ships, FulfillmentShipped is published.
#[utoipa::path(
    post, path = "/v1/packages/{id}/ship", tag = "packing",
    params(("id" = Uuid, Path)),
    request_body = ShipPackageRequest,
    responses(
        (status = 200, body = PackageView),
        (status = 409, description = "Not packed, quality check pending or failed, shipped already, tracking number used, or the order cancelled or on hold", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ship(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    id: web::Path<Uuid>,
    Json(req): Json<ShipPackageRequest>,
) -> Result<HttpResponse, ApiError> {
    let tracking = req.tracking_number.trim().to_string();
    let mut v = Validator::new();
    if !valid_tracking(&tracking) {
        v.push(
            "tracking_number",
            "4-64 letters, digits or '-', as printed on the label",
        );
    }
    if let Some(c) = &req.carrier {
        v.require_text("carrier", c, 40);
    }
    if let Some(s) = &req.carrier_service {
        v.require_text("carrier_service", s, 40);
    }
    v.finish()?;
    let id = id.into_inner();
    let actor = caller.actor();
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let package = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let (head, package) = lock_package(tx, id).await?;
            require_workable(&head)?;
            let refuse = |why: String| Err(ApiError::Conflict(format!("package {id} {why}")));
            match (package.status.as_str(), package.qc_status.as_str()) {
                ("open", _) => {
                    return refuse("is not packed yet: close it with its weight and dimensions".into())
                }
                ("shipped", _) => return refuse("has shipped already".into()),
                ("voided", _) => return refuse("was voided".into()),
                (_, "pending") => return refuse("is waiting for its quality check".into()),
                (_, "failed") => {
                    return refuse("failed its quality check; ops must resolve the exception".into())
                }
                _ => {}
            }
            let carrier = req.carrier.as_deref().map(str::trim).unwrap_or(&head.carrier).to_string();
            let service = req
                .carrier_service
                .as_deref()
                .map(str::trim)
                .unwrap_or(&head.carrier_service)
                .to_string();
            if let Err(e) = packing::ship(tx, id, &carrier, &service, &tracking, &actor).await {
                return Err(if is_unique_violation(&e, "packages_tracking") {
                    ApiError::Conflict(format!(
                        "tracking number {tracking} of {carrier} is on another package already"
                    ))
                } else {
                    e.into()
                });
            }
            store::audit(
                tx,
                &actor,
                "package_shipped",
                Some(head.id),
                json!({"package_id": id, "carrier": carrier, "service": service, "tracking_number": tracking}),
            )
            .await?;
            let all_out = packing::of_fulfillment(tx, head.id)
                .await?
                .iter()
                .all(|p| p.status == "shipped" || p.status == "voided");
            if head.status() == FulfillmentStatus::Packed && all_out {
                fulfillments::set_status(tx, head.id, FulfillmentStatus::Shipped).await?;
                store::audit(tx, &actor, "shipped", Some(head.id), json!({})).await?;
                events::shipped(outbox, tx, &head, &actor).await?;
            }
            view(tx, id).await
        })
        .await?;
    rt.outbox.notify();
    Ok(HttpResponse::Ok().json(package))
}
