//! The catalog's REST API under `/v1`. Writes need the admin or ops role; reads
//! need any authenticated caller (channel tokens see only their own listings).

pub mod listings;
pub mod lookup;
pub mod products;

use actix_web::web;
use platform::Role;
use platform::http::BearerAuth;
use utoipa::OpenApi;

/// Roles allowed to change the catalog.
pub const WRITERS: &[Role] = &[Role::Admin, Role::Ops];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .route("/products", web::post().to(products::create))
            .route("/products", web::get().to(products::list))
            .route("/products/{id}", web::get().to(products::get))
            .route("/products/{id}", web::put().to(products::update))
            .route("/products/{id}/archive", web::post().to(products::archive))
            .route(
                "/products/{id}/price-history",
                web::get().to(listings::price_history),
            )
            .route(
                "/products/{id}/variants/{sku}/listings/{channel_id}",
                web::put().to(listings::set_listing),
            )
            .route("/skus/{sku}", web::get().to(lookup::by_sku))
            .route("/barcodes/{barcode}", web::get().to(lookup::by_barcode)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Crossdock catalog API",
        version = "1.0.0",
        description = "Products, variants (SKUs), barcodes and channel listings with audited prices. \
                       Errors are RFC 9457 application/problem+json."
    ),
    paths(
        products::create,
        products::list,
        products::get,
        products::update,
        products::archive,
        listings::set_listing,
        listings::price_history,
        lookup::by_sku,
        lookup::by_barcode,
    ),
    components(schemas(platform::error::Problem, platform::error::FieldErrorSchema)),
    modifiers(&BearerAuth),
    tags(
        (name = "products", description = "Products and their variants"),
        (name = "listings", description = "Channel listings and price history"),
        (name = "lookup", description = "Find a variant by SKU or barcode"),
    )
)]
pub struct ApiDoc;
