//! Inventory's REST API under `/v1`. Staff roles read stock; admin and ops
//! manage locations; admin, ops and warehouse adjust stock. Channel tokens read
//! only their own channel's availability and hold stock for their checkouts.

pub mod availability;
pub mod holds;
pub mod locations;
pub mod stock;

use actix_web::web;
use platform::http::BearerAuth;
use platform::{Access, ApiError, Caller};
use utoipa::OpenApi;

platform::access!(
    /// Who manages locations.
    pub LocationAdmins: [Admin, Ops]
);
platform::access!(
    /// Who adjusts stock.
    pub Adjusters: [Admin, Ops, Warehouse]
);
platform::access!(
    /// Staff who read stock, movements and reservations.
    pub Staff: [Admin, Ops, Warehouse, Buyer, Finance, Support, Approver]
);
platform::access!(
    /// Availability and holds: any staff, or a channel for itself.
    pub StaffOrChannel: [Admin, Ops, Warehouse, Buyer, Finance, Support, Approver], channels
);

pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 1000;

/// The page size from `limit`, or a field error.
pub fn page_limit(v: &mut domain::Validator, limit: Option<i64>) -> i64 {
    platform::http::page_limit(v, limit, DEFAULT_PAGE, MAX_PAGE)
}

/// The channel a request acts for: a channel token's own, or the one a staff
/// caller names in `field`.
pub fn acting_channel(
    caller: &Caller,
    named: Option<&str>,
    field: &str,
) -> Result<String, ApiError> {
    caller
        .acting_channel(named, field, Staff::STAFF)
        .map(|c| c.to_string())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .service(web::resource("/locations").route(web::get().to(locations::list)))
            .service(
                web::resource("/locations/{code}")
                    .route(web::put().to(locations::put))
                    .route(web::get().to(locations::get)),
            )
            .service(web::resource("/adjustments").route(web::post().to(stock::adjust)))
            .service(web::resource("/stock/{sku}").route(web::get().to(stock::get)))
            .service(web::resource("/movements").route(web::get().to(stock::movements)))
            .service(
                web::resource("/reservations/{order_id}").route(web::get().to(stock::reservation)),
            )
            .service(web::resource("/holds").route(web::post().to(holds::create)))
            .service(
                web::resource("/holds/{id}")
                    .route(web::get().to(holds::get))
                    .route(web::delete().to(holds::release)),
            )
            .service(web::resource("/availability").route(web::get().to(availability::get)))
            .service(
                web::resource("/availability/changes").route(web::get().to(availability::changes)),
            ),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Crossdock inventory API",
        version = "1.0.0",
        description = "Locations, stock per SKU and location, audited adjustments, reservations, \
                       storefront holds and per-channel availability. Errors are RFC 9457 \
                       application/problem+json."
    ),
    paths(
        locations::put,
        locations::get,
        locations::list,
        stock::adjust,
        stock::get,
        stock::movements,
        stock::reservation,
        holds::create,
        holds::get,
        holds::release,
        availability::get,
        availability::changes,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "locations", description = "Where stock lives"),
        (name = "stock", description = "Stock levels, adjustments, movements and reservations"),
        (name = "holds", description = "Storefront checkout holds with a time to live"),
        (name = "availability", description = "Available-to-sell per channel, single and as a change feed"),
    )
)]
pub struct ApiDoc;
