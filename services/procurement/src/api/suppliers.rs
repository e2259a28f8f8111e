//! Suppliers and the products they supply: create or replace, read, list.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::Page;
use domain::contracts::procurement::{
    SupplierInput, SupplierListQuery, SupplierProductInput, SupplierProductView, SupplierView,
};
use domain::{Sku, Validator};
use platform::error::Problem;
use platform::http::{Json, check_version, etag, if_match};
use platform::{ApiError, Authorized, Runtime, audit};

use super::{Buyers, Planners, page_limit};
use crate::domain::suppliers::{check_code, validate_product, validate_supplier};
use crate::store::{skus, suppliers};

fn not_found(code: &str) -> ApiError {
    ApiError::NotFound(format!("supplier {code} does not exist"))
}

/// Create a supplier, or replace its fields (`If-Match` optional).
#[utoipa::path(
    put, path = "/v1/suppliers/{code}", tag = "suppliers",
    request_body = SupplierInput,
    params(
        ("code" = String, Path, pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$", description = "Supplier code: A-Z, 0-9 and dashes"),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Replace only this version"),
    ),
    responses(
        (status = 201, description = "Created", body = SupplierView, headers(("ETag" = String))),
        (status = 200, description = "Replaced", body = SupplierView, headers(("ETag" = String))),
        (status = 409, description = "The currency changes while products are priced in the old one", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    req: HttpRequest,
    code: web::Path<String>,
    Json(input): Json<SupplierInput>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    validate_supplier(&code, &input)?;
    let expected = if_match(&req)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let (row, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let current = suppliers::lock(tx, &code).await?;
            if let Some(expected) = expected {
                let current = current.as_ref().ok_or_else(|| not_found(&code))?;
                check_version(Some(expected), current.version, "the supplier")?;
            }
            if current.is_some()
                && suppliers::has_products_in_other_currency(tx, &code, input.currency.code())
                    .await?
            {
                return Err(ApiError::Conflict(format!(
                    "supplier {code} has products priced in another currency than {}: \
                     reprice them first",
                    input.currency
                )));
            }
            let row = suppliers::upsert(tx, &code, &input, &actor).await?;
            let created = current.is_none();
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "supplier",
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
            Ok((row, created))
        })
        .await?;
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// Get a supplier.
#[utoipa::path(
    get, path = "/v1/suppliers/{code}", tag = "suppliers",
    params(("code" = String, Path, pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")),
    responses(
        (status = 200, body = SupplierView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let row = suppliers::by_code(&mut conn, &code)
        .await?
        .ok_or_else(|| not_found(&code))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// List suppliers in code order.
#[utoipa::path(
    get, path = "/v1/suppliers", tag = "suppliers",
    params(SupplierListQuery),
    responses(
        (status = 200, body = Page<SupplierView>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    query: web::Query<SupplierListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let limit = page_limit(&mut v, query.limit);
    if let Some(cursor) = &query.cursor {
        let mut c = Validator::new();
        check_code(&mut c, cursor);
        if !c.is_empty() {
            v.push("cursor", "must be a supplier code from next_cursor");
        }
    }
    v.finish()?;
    let mut conn = rt.conn().await?;
    let views = suppliers::list(&mut conn, query.cursor.as_deref(), limit)
        .await?
        .iter()
        .map(|r| r.view())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page::list(views, limit, |s| s.code.clone())))
}

/// Set what a supplier supplies of a SKU and on what terms: its article
/// number, unit cost (in the supplier's currency), minimum order, pack size,
/// promised lead time and preference rank.
#[utoipa::path(
    put, path = "/v1/suppliers/{code}/products/{sku}", tag = "suppliers",
    request_body = SupplierProductInput,
    params(
        ("code" = String, Path, pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$"),
        ("sku" = Sku, Path),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Replace only this version"),
    ),
    responses(
        (status = 201, description = "Created", body = SupplierProductView, headers(("ETag" = String))),
        (status = 200, description = "Replaced", body = SupplierProductView, headers(("ETag" = String))),
        (status = 404, description = "No such supplier or SKU", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_product(
    rt: web::Data<Runtime>,
    caller: Authorized<Buyers>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    Json(input): Json<SupplierProductInput>,
) -> Result<HttpResponse, ApiError> {
    let (code, sku) = path.into_inner();
    let mut v = Validator::new();
    check_code(&mut v, &code);
    let sku = v.check("sku", sku.parse::<Sku>());
    v.finish()?;
    let sku = sku.expect("validated").to_string();
    let expected = if_match(&req)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let supplier = suppliers::lock(tx, &code)
                .await?
                .ok_or_else(|| not_found(&code))?;
            validate_product(&input, &supplier.currency)?;
            skus::require_known(tx, &sku).await?;
            let before = suppliers::product(tx, &code, &sku).await?;
            if let Some(expected) = expected {
                let current = before.as_ref().ok_or_else(|| {
                    ApiError::NotFound(format!("supplier {code} does not supply {sku}"))
                })?;
                check_version(Some(expected), current.version, "the supplier product")?;
            }
            let row = suppliers::upsert_product(tx, &code, &sku, &input, &actor).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "supplier_product",
                    entity_id: &format!("{code}/{sku}"),
                    action: if before.is_none() {
                        "created"
                    } else {
                        "replaced"
                    },
                    before: before
                        .as_ref()
                        .map(|b| b.view())
                        .transpose()?
                        .map(|v| audit::snapshot(&v)),
                    after: Some(audit::snapshot(&row.view()?)),
                },
            )
            .await?;
            Ok((row, before.is_none()))
        })
        .await?;
    let (row, created) = row;
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// What a supplier supplies of a SKU.
#[utoipa::path(
    get, path = "/v1/suppliers/{code}/products/{sku}", tag = "suppliers",
    params(("code" = String, Path, pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$"), ("sku" = Sku, Path)),
    responses(
        (status = 200, body = SupplierProductView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_product(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (code, sku) = path.into_inner();
    let sku = sku.trim().to_ascii_uppercase();
    let mut conn = rt.conn().await?;
    let row = suppliers::product(&mut conn, &code, &sku)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("supplier {code} does not supply {sku}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// `GET /v1/suppliers/{code}/products` paging.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
pub struct ProductListQuery {
    /// Continue after this SKU.
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// The products a supplier supplies, in SKU order.
#[utoipa::path(
    get, path = "/v1/suppliers/{code}/products", tag = "suppliers",
    params(("code" = String, Path, pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$"), ProductListQuery),
    responses(
        (status = 200, body = Page<SupplierProductView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn products(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    code: web::Path<String>,
    query: web::Query<ProductListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    check_code(&mut v, &code);
    let limit = page_limit(&mut v, query.limit);
    let cursor = query
        .cursor
        .as_deref()
        .and_then(|c| v.check("cursor", c.parse::<Sku>()))
        .map(|s| s.to_string());
    v.finish()?;
    let mut conn = rt.conn().await?;
    let (supplier, rows) = platform::snapshot!(conn, |tx| {
        let supplier = suppliers::by_code(tx, &code).await?;
        let rows = suppliers::products_of(tx, &code, cursor.as_deref(), limit).await?;
        Ok::<_, ApiError>((supplier, rows))
    })?;
    supplier.ok_or_else(|| not_found(&code))?;
    let views = rows
        .iter()
        .map(|r| r.view())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page::list(views, limit, |p| p.sku.clone())))
}

/// A supplier's record: on-time receipts, fill rate, actual against
/// promised lead time (p50/p90), damaged units and price variance against
/// catalog's cost price.
#[utoipa::path(
    get, path = "/v1/suppliers/{code}/scorecard", tag = "suppliers",
    params(("code" = String, Path, pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$")),
    responses(
        (status = 200, body = domain::contracts::procurement::ScorecardView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn scorecard(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let view = platform::snapshot!(conn, |tx| {
        if suppliers::by_code(tx, &code).await?.is_none() {
            return Err(not_found(&code));
        }
        Ok(crate::store::scorecard::scorecard(tx, &code).await?)
    })?;
    Ok(HttpResponse::Ok().json(view))
}
