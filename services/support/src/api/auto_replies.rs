//! Auto-replies per category: off until an admin enables one, and then only
//! for tickets triage is at least that confident about, from a person
//! (not an auto-responder), about the sender's own order.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::support::{AutoReplyInput, AutoReplyView, Intent};
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime, audit};

use super::{Admins, Agents};
use crate::store::auto_replies::{self as store, AutoReplyRow};

fn view(category: Intent, row: Option<&AutoReplyRow>) -> AutoReplyView {
    AutoReplyView {
        category,
        enabled: row.is_some_and(|r| r.enabled),
        min_confidence: row.map_or(1.0, |r| r.min_confidence),
        updated_by: row.map(|r| r.updated_by.clone()),
        updated_at: row.map(|r| r.updated_at),
    }
}

/// Every category with its auto-reply setting.
#[utoipa::path(
    get, path = "/v1/auto-replies", tag = "settings",
    responses((status = 200, body = Vec<AutoReplyView>))
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Agents>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let rows = store::all(&mut conn).await?;
    let views: Vec<AutoReplyView> = Intent::ALL
        .iter()
        .map(|c| view(*c, rows.iter().find(|r| r.category == c.as_str())))
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Enable or disable the auto-reply of a category, above a confidence.
#[utoipa::path(
    put, path = "/v1/auto-replies/{category}", tag = "settings",
    request_body = AutoReplyInput,
    params(("category" = Intent, Path)),
    responses(
        (status = 200, body = AutoReplyView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put(
    rt: web::Data<Runtime>,
    caller: Authorized<Admins>,
    category: web::Path<String>,
    Json(input): Json<AutoReplyInput>,
) -> Result<HttpResponse, ApiError> {
    let category = Intent::parse(&category).ok_or_else(|| {
        let all: Vec<&str> = Intent::ALL.iter().map(|i| i.as_str()).collect();
        ApiError::field("category", format!("must be one of {}", all.join(", ")))
    })?;
    if !(0.5..=1.0).contains(&input.min_confidence) {
        return Err(ApiError::field(
            "min_confidence",
            "must be between 0.5 and 1",
        ));
    }
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let before = store::of(tx, category.as_str()).await?;
            let row = store::put(
                tx,
                category.as_str(),
                input.enabled,
                input.min_confidence,
                &actor,
            )
            .await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "auto_reply",
                    entity_id: category.as_str(),
                    action: "set",
                    before: Some(audit::snapshot(&view(category, before.as_ref()))),
                    after: Some(audit::snapshot(&view(category, Some(&row)))),
                },
            )
            .await?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(category, Some(&row))))
}
