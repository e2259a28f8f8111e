//! Products: create, read, list, update, archive.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::Page;
use domain::contracts::catalog::{
    CreateProductRequest, ProductListQuery, ProductStatus, ProductView, UpdateProductRequest,
};
use domain::ids::ProductId;
use domain::{Gtin, Sku};
use platform::error::Problem;
use platform::http::{Json, etag, if_match, if_none_match, require_if_match};
use platform::idempotency::{self, IdempotencyKey};
use platform::{ApiError, Authorized, Caller, Runtime, audit};
use uuid::Uuid;

use super::Writers;
use crate::{domain as rules, events, store};

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("product {id} does not exist"))
}

/// Reads the product as just changed in `tx`, enqueues its ProductUpserted
/// and records the change (`before` → now) in the audit trail, all in the
/// same transaction.
async fn publish_current(
    outbox: &platform::outbox::Outbox,
    tx: &mut platform::db::Conn,
    id: Uuid,
    actor: &str,
    action: &str,
    before: Option<&ProductView>,
) -> Result<ProductView, ApiError> {
    let view = store::load_product(tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    events::publish_product(outbox, tx, &view, actor).await?;
    audit::record(
        tx,
        actor,
        audit::Change {
            entity_type: "product",
            entity_id: &id.to_string(),
            action,
            before: before.map(audit::snapshot),
            after: Some(audit::snapshot(&view)),
        },
    )
    .await?;
    Ok(view)
}

/// The response for one product: body, ETag, channel restriction.
pub(crate) fn product_response(
    mut builder: actix_web::HttpResponseBuilder,
    mut view: ProductView,
    caller: &Caller,
) -> HttpResponse {
    if let Some(channel) = caller.channel() {
        rules::restrict_to_channel(&mut view.variants, channel);
    }
    builder
        .insert_header((header::ETAG, etag(view.version)))
        .json(view)
}

/// Create a product with its variants and initial channel listings.
#[utoipa::path(
    post, path = "/v1/products", tag = "products",
    request_body = CreateProductRequest,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body return the first response")),
    responses(
        (status = 201, description = "Created", body = ProductView, headers(("ETag" = String), ("Location" = String))),
        (status = 400, description = "Malformed JSON or a value of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "SKU or barcode already used", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or an Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    rt: web::Data<Runtime>,
    caller: Authorized<Writers>,
    key: IdempotencyKey,
    Json(req): Json<CreateProductRequest>,
) -> Result<HttpResponse, ApiError> {
    rules::validate_create(&req)?;
    let actor = caller.actor();
    let scope = format!("catalog.create-product:{actor}");
    let hash = idempotency::request_hash(&req);
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let (view, replayed) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            if let Some(key) = &key.0
                && let Some(stored) =
                    idempotency::claim::<ProductView>(tx, &scope, key, &hash).await?
            {
                return Ok((stored, true));
            }
            let id = ProductId::new().as_uuid();
            let status = req.status.unwrap_or(ProductStatus::Draft);
            store::insert_product(
                tx,
                id,
                &req.title,
                &req.description,
                status,
                &req.variants,
                &actor,
            )
            .await?;
            let view = publish_current(outbox, tx, id, &actor, "created", None).await?;
            if let Some(key) = &key.0 {
                idempotency::record(tx, &scope, key, 201, &view).await?;
            }
            Ok((view, false))
        })
        .await?;
    if !replayed {
        rt.outbox.notify();
    }
    let mut builder = HttpResponse::Created();
    builder
        .insert_header((header::LOCATION, format!("/v1/products/{}", view.id)))
        .insert_header(("Idempotent-Replayed", replayed.to_string()));
    Ok(product_response(builder, view, &caller))
}

/// Get a product with its variants and listings.
#[utoipa::path(
    get, path = "/v1/products/{id}", tag = "products",
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier read"),
    ),
    responses(
        (status = 200, body = ProductView, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    caller: Caller,
    req_http: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let view = store::load_product(&mut conn, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    // Connectors polling a product get 304 while it is unchanged.
    if if_none_match(&req_http, view.version) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag(view.version)))
            .finish());
    }
    Ok(product_response(HttpResponse::Ok(), view, &caller))
}

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// List products in creation order with cursor pagination and filters.
#[utoipa::path(
    get, path = "/v1/products", tag = "products",
    params(ProductListQuery),
    responses(
        (status = 200, body = inline(Page<ProductView>)),
        (status = 403, description = "A channel token named another channel", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    caller: Caller,
    query: web::Query<ProductListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    // A channel token lists what is listed on its own channel; naming another is 403.
    let channel = caller.channel_filter(q.channel.as_deref(), "channel")?;
    let mut v = domain::Validator::new();
    let limit = platform::http::page_limit(&mut v, q.limit, DEFAULT_PAGE, MAX_PAGE);
    let sku_prefix = q
        .sku_prefix
        .and_then(|p| v.check("sku_prefix", p.parse::<Sku>()));
    let barcode = q
        .barcode
        .and_then(|b| v.check("barcode", b.parse::<Gtin>()));
    let after = platform::http::id_cursor(&mut v, q.cursor.as_deref());
    v.finish()?;
    let filter = store::ListFilter {
        status: q.status,
        channel: channel.map(|c| c.as_str().to_string()),
        sku_prefix: sku_prefix.map(|s| s.as_str().to_string()),
        barcode: barcode.map(|b| b.as_gtin14().to_string()),
        after,
        limit,
    };
    let mut conn = rt.conn().await?;
    let (mut items, more) = store::list_products(&mut conn, &filter).await?;
    let next_cursor = if more {
        items.last().map(|p| p.id.to_string())
    } else {
        None
    };
    if let Some(channel) = caller.channel() {
        for item in &mut items {
            rules::restrict_to_channel(&mut item.variants, channel);
        }
    }
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// Replace a product's fields and variant attributes. Needs `If-Match`.
#[utoipa::path(
    put, path = "/v1/products/{id}", tag = "products",
    request_body = UpdateProductRequest,
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("If-Match" = String, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "The ETag of the version being changed"),
    ),
    responses(
        (status = 200, body = ProductView, headers(("ETag" = String))),
        (status = 409, description = "Archived, or SKU/barcode used elsewhere", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    rt: web::Data<Runtime>,
    caller: Authorized<Writers>,
    req_http: HttpRequest,
    id: web::Path<Uuid>,
    Json(req): Json<UpdateProductRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = require_if_match(&req_http)?;
    rules::validate_update(&req)?;
    let id = id.into_inner();
    let actor = caller.actor();
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let current = store::lock_product(tx, id)
                .await?
                .ok_or_else(|| not_found(id))?;
            check_version(current.version, Some(expected))?;
            let before = store::load_product(tx, id).await?;
            let from = ProductStatus::parse(&current.status).unwrap_or(ProductStatus::Archived);
            rules::check_transition(from, req.status).map_err(ApiError::Conflict)?;
            store::update_product(
                tx,
                &current,
                &req.title,
                &req.description,
                req.status,
                &req.variants,
                &actor,
            )
            .await?;
            let view = publish_current(outbox, tx, id, &actor, "replaced", before.as_ref()).await?;
            Ok(view)
        })
        .await?;
    rt.outbox.notify();
    Ok(product_response(HttpResponse::Ok(), view, &caller))
}

/// 412 when `If-Match` names another version of the product.
pub(crate) fn check_version(current: i64, expected: Option<i64>) -> Result<(), ApiError> {
    platform::http::check_version(expected, current, "the product")
}

/// Archive a product: it stops selling everywhere; its SKUs stay reserved.
#[utoipa::path(
    post, path = "/v1/products/{id}/archive", tag = "products",
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Optional: archive only this version"),
    ),
    responses(
        (status = 200, body = ProductView, headers(("ETag" = String))),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn archive(
    rt: web::Data<Runtime>,
    caller: Authorized<Writers>,
    req_http: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req_http)?;
    let id = id.into_inner();
    let actor = caller.actor();
    let outbox = &rt.outbox;
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let current = store::lock_product(tx, id)
                .await?
                .ok_or_else(|| not_found(id))?;
            check_version(current.version, expected)?;
            if current.status != ProductStatus::Archived.as_str() {
                let before = store::load_product(tx, id).await?;
                store::touch_product(tx, &current, Some(ProductStatus::Archived), &actor).await?;
                return publish_current(outbox, tx, id, &actor, "archived", before.as_ref()).await;
            }
            // Archiving twice changes nothing and publishes nothing.
            store::load_product(tx, id)
                .await?
                .ok_or_else(|| not_found(id))
        })
        .await?;
    rt.outbox.notify();
    Ok(product_response(HttpResponse::Ok(), view, &caller))
}
