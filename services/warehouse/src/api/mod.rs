//! The warehouse REST API under `/v1`. Warehouse staff scan, pick, pack, check
//! and ship; ops (and admin) also configure bins, service levels and quality
//! rules, release waves and resolve exceptions; support reads. Channel tokens
//! have no business on the floor and are refused. Every change is audited.

pub mod exceptions;
pub mod fulfillments;
pub mod packing;
pub mod picking;
pub mod receiving;
pub mod returns;
pub mod setup;

use actix_web::web;
use platform::ApiError;
use platform::http::BearerAuth;
use utoipa::OpenApi;
use uuid::Uuid;

use crate::domain::floor::Refusal;
use crate::store::NewException;
use crate::store::fulfillments::{self as store_fulfillments, Head};

platform::access!(
    /// Floor work: scans, short picks, packing, quality checks, shipping.
    pub Floor: [Admin, Ops, Warehouse]
);
platform::access!(
    /// Planning and exceptions: bins, service levels, rules, waves, resolutions.
    pub Planners: [Admin, Ops]
);
platform::access!(
    /// Reading fulfillment state.
    pub Readers: [Admin, Ops, Warehouse, Support]
);

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 500;

pub fn page_limit(v: &mut domain::Validator, limit: Option<i64>) -> i64 {
    platform::http::page_limit(v, limit, DEFAULT_PAGE, MAX_PAGE)
}

pub fn fulfillment_not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("fulfillment {id} does not exist"))
}

/// Locks a fulfillment that must exist.
pub async fn lock_fulfillment(conn: &mut platform::db::Conn, id: Uuid) -> Result<Head, ApiError> {
    store_fulfillments::lock(conn, id)
        .await?
        .ok_or_else(|| fulfillment_not_found(id))
}

/// Work on a fulfillment must stop once it is cancelled, shipped or on hold.
pub fn require_workable(head: &Head) -> Result<(), ApiError> {
    head.state().check_workable().map_err(ApiError::Conflict)
}

/// A floor rule's refusal, as the API answers it.
pub fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Conflict(message) => ApiError::Conflict(message),
        Refusal::Field(error) => ApiError::Validation(vec![error]),
    }
}

/// Checks a scan's fields up front: the bin label (picking only), the item
/// barcode, and the units scanned at once (default 1). Returns the quantity.
pub fn validate_scan(
    bin: Option<&str>,
    item: &str,
    quantity: Option<i64>,
) -> Result<i64, ApiError> {
    let mut v = domain::Validator::new();
    if let Some(bin) = bin {
        v.require_text("bin", bin, 64);
    }
    v.require_text("item", item, 64);
    let quantity = v.check(
        "quantity",
        crate::domain::scan_quantity(quantity).map_err(|e| e.message),
    );
    v.finish()?;
    Ok(quantity.expect("validated"))
}

/// A refused scan: records it as a floor exception and hands back the error
/// to answer with once that record is committed (the outer `Ok` commits).
pub async fn refuse<T>(
    tx: &mut platform::db::Conn,
    exception: NewException<'_>,
    error: ApiError,
) -> Result<Result<T, ApiError>, ApiError> {
    let detail = match &error {
        ApiError::Validation(fields) => fields
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    crate::store::record_exception(
        tx,
        NewException {
            detail: &detail,
            ..exception
        },
    )
    .await?;
    Ok(Err(error))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .service(
                web::resource("/locations/{location}/bins").route(web::get().to(setup::list_bins)),
            )
            .service(
                web::resource("/locations/{location}/bins/{code}")
                    .route(web::put().to(setup::put_bin))
                    .route(web::get().to(setup::get_bin)),
            )
            .service(
                web::resource("/service-levels/{channel_id}")
                    .route(web::put().to(setup::put_service_level))
                    .route(web::get().to(setup::get_service_level)),
            )
            .service(
                web::resource("/quality-rules")
                    .route(web::post().to(setup::create_rule))
                    .route(web::get().to(setup::list_rules)),
            )
            .service(
                web::resource("/quality-rules/{id}").route(web::delete().to(setup::delete_rule)),
            )
            .service(web::resource("/fulfillments").route(web::get().to(fulfillments::list)))
            .service(
                web::resource("/fulfillments/at-risk").route(web::get().to(fulfillments::at_risk)),
            )
            .service(web::resource("/fulfillments/{id}").route(web::get().to(fulfillments::get)))
            .service(
                web::resource("/fulfillments/{id}/history")
                    .route(web::get().to(fulfillments::history)),
            )
            .service(
                web::resource("/fulfillments/{id}/pick")
                    .route(web::post().to(picking::pick_single)),
            )
            .service(
                web::resource("/fulfillments/{id}/packages")
                    .route(web::post().to(packing::open_package)),
            )
            .service(
                web::resource("/reports/lead-times").route(web::get().to(fulfillments::lead_times)),
            )
            .service(web::resource("/waves").route(web::post().to(picking::release_wave)))
            .service(web::resource("/waves/{id}").route(web::get().to(picking::get_wave)))
            .service(web::resource("/pick-lists/{id}").route(web::get().to(picking::get_pick_list)))
            .service(web::resource("/pick-tasks/{id}/scans").route(web::post().to(picking::scan)))
            .service(web::resource("/pick-tasks/{id}/short").route(web::post().to(picking::short)))
            .service(web::resource("/packages/{id}").route(web::get().to(packing::get_package)))
            .service(
                web::resource("/packages/{id}/items").route(web::post().to(packing::pack_item)),
            )
            .service(web::resource("/packages/{id}/close").route(web::post().to(packing::close)))
            .service(
                web::resource("/packages/{id}/quality-check")
                    .route(web::post().to(packing::quality_check)),
            )
            .service(web::resource("/packages/{id}/ship").route(web::post().to(packing::ship)))
            .service(web::resource("/inbound-orders").route(web::get().to(receiving::inbound)))
            .service(web::resource("/returns").route(web::get().to(returns::list)))
            .service(web::resource("/returns/{id}").route(web::get().to(returns::get)))
            .service(web::resource("/returns/{id}/scans").route(web::post().to(returns::scan)))
            .service(
                web::resource("/returns/{id}/inspection").route(web::post().to(returns::inspect)),
            )
            .service(web::resource("/receipts").route(web::post().to(receiving::open)))
            .service(web::resource("/receipts/{id}").route(web::get().to(receiving::get)))
            .service(web::resource("/receipts/{id}/scans").route(web::post().to(receiving::scan)))
            .service(
                web::resource("/receipts/{id}/complete").route(web::post().to(receiving::complete)),
            )
            .service(
                web::resource("/receiving-policy")
                    .route(web::get().to(receiving::policy))
                    .route(web::put().to(receiving::put_policy)),
            )
            .service(web::resource("/exceptions").route(web::get().to(exceptions::list)))
            .service(
                web::resource("/exceptions/{id}/resolve")
                    .route(web::post().to(exceptions::resolve)),
            ),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Crossdock warehouse API",
        version = "1.0.0",
        description = "Bins and their walking order, fulfillment orders created from confirmed \
                       orders, waves and zone pick lists, scan-validated picking (bin label, then \
                       item barcode), packing, quality checks and shipping with carrier labels, \
                       floor exceptions, at-risk work and lead times. Errors are RFC 9457 \
                       application/problem+json."
    ),
    paths(
        returns::list,
        returns::get,
        returns::scan,
        returns::inspect,
        receiving::inbound,
        receiving::open,
        receiving::get,
        receiving::scan,
        receiving::complete,
        receiving::policy,
        receiving::put_policy,
        setup::put_bin,
        setup::get_bin,
        setup::list_bins,
        setup::put_service_level,
        setup::get_service_level,
        setup::create_rule,
        setup::list_rules,
        setup::delete_rule,
        fulfillments::list,
        fulfillments::get,
        fulfillments::history,
        fulfillments::at_risk,
        fulfillments::lead_times,
        picking::release_wave,
        picking::pick_single,
        picking::get_wave,
        picking::get_pick_list,
        picking::scan,
        picking::short,
        packing::open_package,
        packing::get_package,
        packing::pack_item,
        packing::close,
        packing::quality_check,
        packing::ship,
        exceptions::list,
        exceptions::resolve,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "receiving", description = "Inbound purchase orders, receipts at the dock and putaway"),
        (name = "setup", description = "Bins, service levels and quality-check rules"),
        (name = "fulfillments", description = "Fulfillment orders, at-risk work and lead times"),
        (name = "picking", description = "Waves, pick lists and scans"),
        (name = "packing", description = "Packages, quality checks and shipping"),
        (name = "exceptions", description = "Floor exceptions and their resolution"),
        (name = "returns", description = "Returns expected at a return location: scanned in and inspected"),
    )
)]
pub struct ApiDoc;
