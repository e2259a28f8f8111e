//! Locations: create or replace, read, list.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::inventory::{LocationInput, LocationView};
use platform::error::Problem;
use platform::http::{Json, check_version, etag, if_match};
use platform::{ApiError, Authorized, Runtime, audit};

use super::{LocationAdmins, Staff};
use crate::events::background::AVAILABILITY_DIRTY;
use crate::store::{availability, locations};

fn not_found(code: &str) -> ApiError {
    ApiError::NotFound(format!("location {code} does not exist"))
}

/// Create a location, or replace its fields (`If-Match` optional).
#[utoipa::path(
    put, path = "/v1/locations/{code}", tag = "locations",
    request_body = LocationInput,
    params(
        ("code" = domain::LocationCode, Path, description = "Location code: A-Z, 0-9 and dashes"),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Replace only this version"),
    ),
    responses(
        (status = 201, description = "Created", body = LocationView, headers(("ETag" = String))),
        (status = 200, description = "Replaced", body = LocationView, headers(("ETag" = String))),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put(
    rt: web::Data<Runtime>,
    caller: Authorized<LocationAdmins>,
    req_http: HttpRequest,
    code: web::Path<String>,
    Json(input): Json<LocationInput>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let mut v = Validator::new();
    v.check("code", code.parse::<domain::LocationCode>());
    v.require_text("name", &input.name, 200);
    if !(0..=10_000).contains(&input.priority) {
        v.push("priority", "must be between 0 and 10000");
    }
    v.finish()?;
    let expected = if_match(&req_http)?;
    let mut conn = rt.conn().await?;
    let (row, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let current = locations::lock(tx, &code).await?;
            if let Some(expected) = expected {
                let current = current.as_ref().ok_or_else(|| not_found(&code))?;
                check_version(Some(expected), current.version, "the location")?;
            }
            let (row, created) = locations::upsert(tx, &code, &input).await?;
            audit::record(
                tx,
                &caller.actor(),
                audit::Change {
                    entity_type: "location",
                    entity_id: &code,
                    action: if created { "created" } else { "replaced" },
                    before: current
                        .map(|c| c.view())
                        .transpose()?
                        .map(|v| audit::snapshot(&v)),
                    after: Some(audit::snapshot(&row.view()?)),
                },
            )
            .await?;
            // Priority or active flag may change what every channel can sell.
            availability::mark_all_dirty(tx).await?;
            Ok((row, created))
        })
        .await?;
    AVAILABILITY_DIRTY.notify_one();
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// Get a location.
#[utoipa::path(
    get, path = "/v1/locations/{code}", tag = "locations",
    params(("code" = domain::LocationCode, Path)),
    responses(
        (status = 200, body = LocationView, headers(("ETag" = String))),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Staff>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let row = locations::by_code(&mut conn, &code)
        .await?
        .ok_or_else(|| not_found(&code))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// List locations in allocation order (priority, then code).
#[utoipa::path(
    get, path = "/v1/locations", tag = "locations",
    responses(
        (status = 200, body = Vec<LocationView>),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Staff>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let views = locations::list(&mut conn)
        .await?
        .iter()
        .map(|r| r.view())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(views))
}
