//! Procurement's REST API under `/v1`. Buyers (and admins) import demand
//! history, change how forecasts are made, manage suppliers and reorder
//! rules and run replenishment; planning staff (ops, finance) read them all. Channel tokens
//! have no access: this is the merchant's own planning.

pub mod approvals;
pub mod demand;
pub mod forecasts;
pub mod lifecycle;
pub mod purchase_orders;
pub mod rules;
pub mod runs;
pub mod suppliers;

use actix_web::web;
use platform::http::BearerAuth;
use utoipa::OpenApi;

platform::access!(
    /// Who plans purchasing: imports history, sets forecasting, manages suppliers.
    pub Buyers: [Admin, Buyer]
);
platform::access!(
    /// Who reads demand, forecasts and suppliers.
    pub Planners: [Admin, Ops, Buyer, Finance]
);

pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 1000;

/// The page size from `limit`, or a field error.
pub fn page_limit(v: &mut domain::Validator, limit: Option<i64>) -> i64 {
    platform::http::page_limit(v, limit, DEFAULT_PAGE, MAX_PAGE)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .service(web::resource("/demand-history").route(web::post().to(demand::import)))
            .service(web::resource("/demand/{sku}").route(web::get().to(demand::get)))
            .service(web::resource("/forecasts/{sku}").route(web::get().to(forecasts::get)))
            .service(
                web::resource("/forecast-settings")
                    .route(web::get().to(forecasts::settings))
                    .route(web::put().to(forecasts::put_settings)),
            )
            .service(web::resource("/reorder-rules").route(web::get().to(rules::list)))
            .service(
                web::resource("/reorder-rules/{sku}/{location}")
                    .route(web::put().to(rules::put))
                    .route(web::get().to(rules::get)),
            )
            .service(web::resource("/replenishment-runs").route(web::post().to(runs::create)))
            .service(web::resource("/purchase-orders").route(web::get().to(purchase_orders::list)))
            .service(
                web::resource("/purchase-orders/{id}").route(web::get().to(purchase_orders::get)),
            )
            .service(
                web::resource("/purchase-orders/{id}/approve")
                    .route(web::post().to(lifecycle::approve)),
            )
            .service(
                web::resource("/purchase-orders/{id}/send").route(web::post().to(lifecycle::send)),
            )
            .service(
                web::resource("/purchase-orders/{id}/cancel")
                    .route(web::post().to(lifecycle::cancel)),
            )
            .service(
                web::resource("/purchase-orders/{id}/close")
                    .route(web::post().to(lifecycle::close)),
            )
            .service(
                web::resource("/purchase-orders/{id}/amendments")
                    .route(web::post().to(lifecycle::amend)),
            )
            .service(
                web::resource("/purchase-orders/{id}/charges")
                    .route(web::post().to(lifecycle::add_charge)),
            )
            .service(
                web::resource("/purchase-orders/{id}/history")
                    .route(web::get().to(lifecycle::history)),
            )
            .service(
                web::resource("/approval-policy")
                    .route(web::get().to(approvals::policy))
                    .route(web::put().to(approvals::put_policy)),
            )
            .service(web::resource("/suppliers").route(web::get().to(suppliers::list)))
            .service(
                web::resource("/suppliers/{code}")
                    .route(web::put().to(suppliers::put))
                    .route(web::get().to(suppliers::get)),
            )
            .service(
                web::resource("/suppliers/{code}/products")
                    .route(web::get().to(suppliers::products)),
            )
            .service(
                web::resource("/suppliers/{code}/scorecard")
                    .route(web::get().to(suppliers::scorecard)),
            )
            .service(
                web::resource("/suppliers/{code}/products/{sku}")
                    .route(web::put().to(suppliers::put_product))
                    .route(web::get().to(suppliers::get_product)),
            ),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Crossdock procurement API",
        version = "1.0.0",
        description = "Demand history per SKU, channel and day (projected from orders, or \
                       imported as CSV), forecasts with prediction intervals and backtest \
                       accuracy, and suppliers with their terms. Errors are RFC 9457 \
                       application/problem+json; a bad row of an uploaded file is named by \
                       line and column."
    ),
    paths(
        demand::import,
        demand::get,
        forecasts::get,
        forecasts::settings,
        forecasts::put_settings,
        suppliers::put,
        suppliers::get,
        suppliers::list,
        suppliers::put_product,
        suppliers::get_product,
        suppliers::products,
        suppliers::scorecard,
        rules::put,
        rules::get,
        rules::list,
        runs::create,
        purchase_orders::get,
        purchase_orders::list,
        lifecycle::approve,
        lifecycle::send,
        lifecycle::cancel,
        lifecycle::close,
        lifecycle::amend,
        lifecycle::add_charge,
        lifecycle::history,
        approvals::policy,
        approvals::put_policy,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "demand", description = "Daily demand history per SKU and channel"),
        (name = "forecasts", description = "Forecasts per SKU, how they are made, and how accurate they were"),
        (name = "suppliers", description = "Suppliers and the products they supply"),
        (name = "replenishment", description = "Reorder rules and replenishment runs"),
        (name = "purchase-orders", description = "Purchase orders: drafts, approvals, receipts"),
    )
)]
pub struct ApiDoc;
