//! The catalog's REST API under `/v1`. Writes need the admin or ops role; reads
//! need any authenticated caller (channel tokens see only their own listings).

pub mod listings;
pub mod lookup;
pub mod products;

use actix_web::web;
use platform::http::BearerAuth;
use utoipa::OpenApi;

platform::access!(
    /// Who may change the catalog.
    pub Writers: [Admin, Ops]
);

/// One `web::resource` per path, so a wrong method is 405 (not 404).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .service(
                web::resource("/products")
                    .route(web::post().to(products::create))
                    .route(web::get().to(products::list)),
            )
            .service(
                web::resource("/products/{id}")
                    .route(web::get().to(products::get))
                    .route(web::put().to(products::update)),
            )
            .service(
                web::resource("/products/{id}/archive").route(web::post().to(products::archive)),
            )
            .service(
                web::resource("/products/{id}/price-history")
                    .route(web::get().to(listings::price_history)),
            )
            .service(
                web::resource("/products/{id}/variants/{sku}/listings/{channel_id}")
                    .route(web::put().to(listings::set_listing)),
            )
            .service(web::resource("/skus/{sku}").route(web::get().to(lookup::by_sku)))
            .service(web::resource("/barcodes/{barcode}").route(web::get().to(lookup::by_barcode))),
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
    modifiers(&BearerAuth),
    tags(
        (name = "products", description = "Products and their variants"),
        (name = "listings", description = "Channel listings and price history"),
        (name = "lookup", description = "Find a variant by SKU or barcode"),
    )
)]
pub struct ApiDoc;
