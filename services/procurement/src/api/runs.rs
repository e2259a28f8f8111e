//! Replenishment runs: what every rule needs now, as draft purchase orders.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::procurement::{ReplenishmentRunInput, ReplenishmentRunView};
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime};

use super::Buyers;
use crate::store::runs;

/// Run replenishment now: every active reorder rule's position (on hand −
/// reserved − backordered + on order, from inventory's published levels and
/// the open purchase orders) against its reorder point, sourced from the
/// preferred active supplier and rounded up to its MOQ and pack size,
/// grouped into one draft purchase order per supplier and destination
/// location, each line explained. With `dry_run` nothing is created. Runs
/// that create orders take turns: two at once never order a need twice.
/// Drafts within their currency's approval threshold are approved at once
/// when the approval policy says so.
#[utoipa::path(
    post, path = "/v1/replenishment-runs", tag = "replenishment",
    request_body(content = ReplenishmentRunInput, description = "`{}` to run, `{\"dry_run\": true}` to only propose"),
    responses(
        (status = 201, description = "Run done; its draft orders", body = ReplenishmentRunView),
        (status = 200, description = "Dry run: what it would order", body = ReplenishmentRunView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    Json(input): Json<ReplenishmentRunInput>,
) -> Result<HttpResponse, ApiError> {
    let dry_run = input.dry_run;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let run = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let mut run = runs::replenish(tx, &actor, dry_run).await?;
            if !dry_run {
                let drafted = std::mem::take(&mut run.purchase_orders);
                run.purchase_orders =
                    super::approvals::on_drafted(&rt, tx, drafted, &actor).await?;
            }
            Ok(run)
        })
        .await?;
    rt.outbox.notify();
    Ok(if dry_run {
        HttpResponse::Ok().json(run)
    } else {
        HttpResponse::Created().json(run)
    })
}
