//! Packing, quality checks and shipping. A package is opened at the bench,
//! filled by scanning items (every picked unit is packed exactly once),
//! sealed with weight and dimensions, checked where a rule asks, and shipped
//! with its carrier label. The last package out ships the fulfillment.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::warehouse::{
    ClosePackageRequest, PackScan, PackageStatus, PackageView, QualityCheckRequest, QualityResult,
    ShipPackageRequest,
};
use platform::db::Conn;
use platform::error::{Problem, is_unique_violation};
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime};
use serde_json::json;
use uuid::Uuid;

use super::{Floor, Readers, lock_fulfillment, refuse, refused, require_workable, validate_scan};
use crate::domain::floor::LineProgress;
use crate::domain::packing as packing_rules;
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

async fn progress(tx: &mut Conn, fulfillment: Uuid) -> Result<Vec<LineProgress>, ApiError> {
    let lines = fulfillments::lines(tx, fulfillment).await?;
    Ok(lines.iter().map(|l| l.progress()).collect())
}

async fn package_statuses(
    tx: &mut Conn,
    fulfillment: Uuid,
) -> Result<Vec<PackageStatus>, ApiError> {
    let packages = packing::of_fulfillment(tx, fulfillment).await?;
    Ok(packages.iter().map(|p| p.state().status).collect())
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
            packing_rules::check_open_package(&head.state()).map_err(ApiError::Conflict)?;
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
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    // The package and its items in one snapshot.
    let package = platform::snapshot!(conn, |tx| view(tx, id).await)?;
    Ok(HttpResponse::Ok().json(package))
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
            package
                .state()
                .check_fillable()
                .map_err(ApiError::Conflict)?;
            let mut sku = None;
            let mut matching = Vec::new();
            for line in fulfillments::lines(tx, head.id).await? {
                let gtin = store::gtin_of(tx, &line.sku).await?;
                if item_matches(&req.item, &line.sku, gtin.as_deref()) {
                    matching.push(line.progress());
                    sku.get_or_insert(line.sku);
                }
            }
            let takes = match packing_rules::split_pack_scan(
                head.id,
                &req.item,
                sku.as_deref(),
                &matching,
                quantity,
            ) {
                Ok(takes) => takes,
                Err(refusal) => {
                    return mismatch(tx, &head, &package, refused(refusal), &actor).await;
                }
            };
            let sku = sku.expect("a split scan matched a line");
            for (line_no, take) in takes {
                packing::add_item(tx, id, line_no, &sku, take).await?;
                fulfillments::count(tx, head.id, line_no, 0, 0, take).await?;
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
            let items = packing::items(tx, &[id]).await?;
            package
                .state()
                .check_closable(items.len())
                .map_err(refused)?;
            let skus: Vec<String> = items.iter().map(|i| i.sku.clone()).collect();
            let qc = packing_rules::qc_on_close(
                store::needs_quality_check(tx, &head.channel_id, &skus).await?,
            );
            packing::close(tx, id, &req, qc).await?;
            store::audit(
                tx,
                &actor,
                "package_closed",
                Some(head.id),
                json!({"package_id": id, "weight_grams": req.weight_grams, "qc": qc}),
            )
            .await?;
            let lines = progress(tx, head.id).await?;
            let packages = package_statuses(tx, head.id).await?;
            if let Some(status) =
                packing_rules::status_after_close(head.status(), &lines, &packages)
            {
                fulfillments::set_status(tx, head.id, status).await?;
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
            package
                .state()
                .check_quality_checkable()
                .map_err(ApiError::Conflict)?;
            let qc = packing_rules::qc_after_check(req.result);
            packing::set_qc(tx, id, qc).await?;
            let action = format!("qc_{qc}");
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
                &action,
                Some(head.id),
                json!({"package_id": id, "note": req.note}),
            )
            .await?;
            view(tx, id).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(package))
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
    if !packing_rules::valid_tracking(&tracking) {
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
            package.state().check_shippable().map_err(ApiError::Conflict)?;
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
            let packages = package_statuses(tx, head.id).await?;
            if let Some(status) = packing_rules::status_after_ship(head.status(), &packages) {
                fulfillments::set_status(tx, head.id, status).await?;
                store::audit(tx, &actor, "shipped", Some(head.id), json!({})).await?;
                events::shipped(outbox, tx, &head, &actor).await?;
            }
            view(tx, id).await
        })
        .await?;
    rt.outbox.notify();
    Ok(HttpResponse::Ok().json(package))
}
