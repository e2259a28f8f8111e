//! Waves and pick lists, and the scans that confirm each pick: the bin label
//! first, then the item barcode. A wrong bin, a wrong item or too many units
//! is refused (422 naming the field), changes nothing and is counted as a
//! floor exception.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::warehouse::{
    FulfillmentStatus, PickListView, PickScan, PickTaskView, ShortPickRequest, WaveRequest,
    WaveView,
};
use platform::db::Conn;
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime};
use serde_json::json;
use uuid::Uuid;

use super::{
    Floor, Planners, Readers, lock_fulfillment, refuse, refused, require_workable, validate_scan,
};
use crate::domain::floor::status_after_picking;
use crate::domain::picking::{
    Mismatch, PickFace, WaveLine, check_pick_scan, check_short_pick, check_task, plan_wave,
};
use crate::events;
use crate::store::fulfillments::{self, Head};
use crate::store::picking::{self, NewWave, TaskRow};
use crate::store::{self, NewException, bins};

const DEFAULT_WAVE: i64 = 50;
const MAX_WAVE: i64 = 500;

/// Plans a wave over `heads` (locked) and writes it. Fulfillments with a
/// SKU that has no bin at the location are left out, with the reason.
async fn build_wave(
    tx: &mut Conn,
    heads: Vec<Head>,
    wave: NewWave<'_>,
) -> Result<WaveView, ApiError> {
    let ids: Vec<Uuid> = heads.iter().map(|h| h.id).collect();
    let mut lines_of: HashMap<Uuid, Vec<WaveLine>> = HashMap::new();
    let mut skus = Vec::new();
    for line in fulfillments::lines_of(tx, &ids).await? {
        skus.push(line.sku.clone());
        lines_of
            .entry(line.fulfillment_id)
            .or_default()
            .push(WaveLine {
                progress: line.progress(),
                sku: line.sku,
            });
    }
    skus.sort();
    skus.dedup();
    let faces: HashMap<String, PickFace> = bins::pick_faces(tx, wave.location, &skus)
        .await?
        .into_iter()
        .map(|f| (f.sku.clone(), f.face()))
        .collect();
    let candidates: Vec<(Uuid, Vec<WaveLine>)> = ids
        .iter()
        .map(|id| (*id, lines_of.remove(id).unwrap_or_default()))
        .collect();
    let plan = plan_wave(wave.location, &candidates, &faces).map_err(ApiError::Conflict)?;
    picking::create_wave(tx, &wave, &plan.taken, &plan.tasks).await?;
    store::audit_each(
        tx,
        wave.actor,
        "released",
        &plan.taken,
        json!({"wave_id": wave.id, "kind": wave.kind}),
    )
    .await?;
    let mut view = picking::wave(tx, wave.id).await?.expect("just written");
    view.skipped = plan.skipped;
    Ok(view)
}

/// Release open fulfillment orders at a location into a wave, earliest
/// ship-by first (optionally one carrier, or due by a time). Each zone gets a
/// pick list in bin walking order.
#[utoipa::path(
    post, path = "/v1/waves", tag = "picking",
    request_body = WaveRequest,
    responses(
        (status = 201, body = WaveView),
        (status = 409, description = "Nothing could be released", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn release_wave(
    rt: web::Data<Runtime>,
    caller: Authorized<Planners>,
    Json(req): Json<WaveRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    v.check(
        "location_code",
        req.location_code.parse::<domain::LocationCode>(),
    );
    let limit = req.max_fulfillments.unwrap_or(DEFAULT_WAVE);
    if !(1..=MAX_WAVE).contains(&limit) {
        v.push(
            "max_fulfillments",
            format!("must be between 1 and {MAX_WAVE}"),
        );
    }
    v.finish()?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let heads = picking::releasable(
                tx,
                &req.location_code,
                req.carrier.as_deref(),
                req.ship_by_before,
                limit,
            )
            .await?;
            if heads.is_empty() {
                return Err(ApiError::Conflict(format!(
                    "no open fulfillment at {} matches",
                    req.location_code
                )));
            }
            let wave = NewWave {
                id: Uuid::now_v7(),
                location: &req.location_code,
                kind: "batch",
                carrier: req.carrier.as_deref(),
                ship_by_before: req.ship_by_before,
                actor: &actor,
            };
            build_wave(tx, heads, wave).await
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Pick one urgent order on its own: a single-order wave, released now.
#[utoipa::path(
    post, path = "/v1/fulfillments/{id}/pick", tag = "picking",
    params(("id" = Uuid, Path)),
    responses(
        (status = 201, body = WaveView),
        (status = 409, description = "Not open, on hold, or a SKU has no bin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn pick_single(
    rt: web::Data<Runtime>,
    caller: Authorized<Planners>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let head = lock_fulfillment(tx, id).await?;
            require_workable(&head)?;
            if head.status() != FulfillmentStatus::Open {
                return Err(ApiError::Conflict(format!(
                    "fulfillment {id} is {} already, not open",
                    head.status
                )));
            }
            let location = head.location_code.clone();
            let wave = NewWave {
                id: Uuid::now_v7(),
                location: &location,
                kind: "single",
                carrier: None,
                ship_by_before: None,
                actor: &actor,
            };
            build_wave(tx, vec![head], wave).await
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(
    get, path = "/v1/waves/{id}", tag = "picking",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = WaveView),
    )
)]
pub async fn get_wave(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let view = picking::wave(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("wave {id} does not exist")))?;
    Ok(HttpResponse::Ok().json(view))
}

/// A zone's pick list, in bin walking order.
#[utoipa::path(
    get, path = "/v1/pick-lists/{id}", tag = "picking",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = PickListView),
    )
)]
pub async fn get_pick_list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let view = picking::pick_list(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("pick list {id} does not exist")))?;
    Ok(HttpResponse::Ok().json(view))
}

/// Locks a task and its fulfillment (fulfillment first) for floor work.
async fn lock_task(tx: &mut Conn, id: Uuid) -> Result<(Head, TaskRow), ApiError> {
    let not_found = || ApiError::NotFound(format!("pick task {id} does not exist"));
    let task = picking::task(tx, id).await?.ok_or_else(not_found)?;
    let head = lock_fulfillment(tx, task.fulfillment_id).await?;
    let task = picking::lock_task(tx, id).await?.ok_or_else(not_found)?;
    check_task(&task.state(), &head.state()).map_err(ApiError::Conflict)?;
    Ok((head, task))
}

/// Refuses a pick scan and records it as its kind of floor exception.
async fn reject(
    tx: &mut Conn,
    mismatch: Mismatch,
    head: &Head,
    task: &TaskRow,
    actor: &str,
) -> Result<Result<PickTaskView, ApiError>, ApiError> {
    let exception = NewException {
        kind: mismatch.kind,
        status: "recorded",
        fulfillment_id: Some(head.id),
        pick_task_id: Some(task.id),
        package_id: None,
        detail: "",
        actor,
    };
    refuse(tx, exception, refused(mismatch.refusal)).await
}

/// After picking progress: the fulfillment is picking, and picked once no
/// line has units left to pick. Everything short at this location leaves
/// nothing to pack here: it is cancelled (the units ship from elsewhere).
async fn after_progress(tx: &mut Conn, head: &Head, actor: &str) -> Result<(), ApiError> {
    let lines = fulfillments::lines(tx, head.id).await?;
    let progress: Vec<_> = lines.iter().map(|l| l.progress()).collect();
    let Some(status) = status_after_picking(head.status(), &progress) else {
        return Ok(());
    };
    fulfillments::set_status(tx, head.id, status).await?;
    let action = match status {
        FulfillmentStatus::Picked => "picked",
        FulfillmentStatus::Cancelled => "nothing_to_ship",
        _ => return Ok(()),
    };
    store::audit(tx, actor, action, Some(head.id), json!({})).await?;
    Ok(())
}

/// Confirm a pick by scanning the bin label and the item barcode.
#[utoipa::path(
    post, path = "/v1/pick-tasks/{id}/scans", tag = "picking",
    params(("id" = Uuid, Path)),
    request_body = PickScan,
    responses(
        (status = 200, description = "Counted; the task as it stands", body = PickTaskView),
        (status = 409, description = "Task done or withdrawn, order cancelled or on hold", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong bin (`bin`), wrong item (`item`) or more than the line needs (`quantity`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn scan(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    id: web::Path<Uuid>,
    Json(req): Json<PickScan>,
) -> Result<HttpResponse, ApiError> {
    let quantity = validate_scan(Some(&req.bin), &req.item, req.quantity)?;
    let id = id.into_inner();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let result = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let (head, task) = lock_task(tx, id).await?;
            let bin = req.bin.trim();
            let bin_stocks_sku = bin != task.bin_code
                && bins::stocks(tx, &head.location_code, bin, &task.sku).await?;
            let checked = check_pick_scan(
                &task.state(),
                &head.location_code,
                bin,
                bin_stocks_sku,
                &req.item,
                quantity,
            );
            if let Err(mismatch) = checked {
                return reject(tx, mismatch, &head, &task, &actor).await;
            }
            picking::progress(tx, &task, quantity, 0, &actor).await?;
            fulfillments::count(tx, head.id, task.line_no, quantity, 0, 0).await?;
            store::audit(
                tx,
                &actor,
                "pick_scanned",
                Some(head.id),
                json!({"task_id": task.id, "sku": task.sku, "bin": bin, "quantity": quantity}),
            )
            .await?;
            after_progress(tx, &head, &actor).await?;
            let task = picking::task(tx, id).await?.expect("locked above");
            Ok(Ok(task.view()))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result?))
}

/// Report units missing from the bin. The rest of the task is short: inventory
/// writes it off at this location and re-allocates it (another location, or a
/// backorder under the channel's policy), and an exception tells ops.
#[utoipa::path(
    post, path = "/v1/pick-tasks/{id}/short", tag = "picking",
    params(("id" = Uuid, Path)),
    request_body = ShortPickRequest,
    responses(
        (status = 200, description = "Recorded; the task as it stands", body = PickTaskView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not at the task's bin (`bin`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn short(
    rt: web::Data<Runtime>,
    caller: Authorized<Floor>,
    id: web::Path<Uuid>,
    Json(req): Json<ShortPickRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    v.require_text("bin", &req.bin, 64);
    v.finish()?;
    let id = id.into_inner();
    let actor = caller.actor();
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let result = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let (head, task) = lock_task(tx, id).await?;
            let bin = req.bin.trim();
            if let Err(mismatch) = check_short_pick(&task.state(), bin) {
                return reject(tx, mismatch, &head, &task, &actor).await;
            }
            let missing = task.open();
            picking::progress(tx, &task, 0, missing, &actor).await?;
            fulfillments::count(tx, head.id, task.line_no, 0, missing, 0).await?;
            let mut detail = format!(
                "{missing} unit(s) of {} not found in bin {} at {}; re-allocation requested",
                task.sku, task.bin_code, head.location_code
            );
            if let Some(note) = req.note.as_deref().filter(|n| !n.trim().is_empty()) {
                detail.push_str(&format!(" ({})", note.trim()));
            }
            store::record_exception(
                tx,
                NewException {
                    kind: "short_pick",
                    status: "open",
                    fulfillment_id: Some(head.id),
                    pick_task_id: Some(task.id),
                    package_id: None,
                    detail: &detail,
                    actor: &actor,
                },
            )
            .await?;
            events::short_picked(outbox, tx, &head, &task, missing, &actor).await?;
            store::audit(
                tx,
                &actor,
                "short_picked",
                Some(head.id),
                json!({"task_id": task.id, "sku": task.sku, "bin": bin, "missing": missing}),
            )
            .await?;
            after_progress(tx, &head, &actor).await?;
            let task = picking::task(tx, id).await?.expect("locked above");
            Ok(Ok(task.view()))
        })
        .await?;
    let view = result?;
    rt.outbox.notify();
    Ok(HttpResponse::Ok().json(view))
}
