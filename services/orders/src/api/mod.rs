//! The orders REST API under `/v1`. Channel tokens place, read, pay and cancel
//! their own channel's orders (another channel's order is 404) and read their
//! own updates feed; staff roles manage channels and work the exception queue.

pub mod channels;
pub mod exceptions;
pub mod feed;
pub mod orders;

use actix_web::web;
use platform::http::BearerAuth;
use platform::{ApiError, Caller, Role};
use utoipa::OpenApi;
use uuid::Uuid;

use crate::store::history::Head;

platform::access!(
    /// Who manages the channel registry.
    pub ChannelAdmins: [Admin, Ops]
);
platform::access!(
    /// Who places orders: a channel for itself, or staff on a channel's behalf (phone orders).
    pub IntakeStaff: [Admin, Ops], channels
);
platform::access!(
    /// Who reads orders and feeds: staff, or a channel its own.
    pub Readers: [Admin, Ops, Support, Finance, Warehouse], channels
);
platform::access!(
    /// Staff who read across channels (the channel registry).
    pub StaffReaders: [Admin, Ops, Support, Finance, Warehouse]
);
platform::access!(
    /// Who may cancel: staff, or a channel its own orders.
    pub Cancellers: [Admin, Ops, Support], channels
);
platform::access!(
    /// Who records payment changes: staff, or a channel for its own orders.
    pub PaymentStaff: [Admin, Ops, Finance], channels
);
platform::access!(
    /// Who works the exception queue (release, retry).
    pub ExceptionStaff: [Admin, Ops]
);
platform::access!(
    /// Who reads the exception queue.
    pub ExceptionReaders: [Admin, Ops, Support]
);

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 500;

pub fn page_limit(v: &mut domain::Validator, limit: Option<i64>) -> i64 {
    platform::http::page_limit(v, limit, DEFAULT_PAGE, MAX_PAGE)
}

pub fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("order {id} does not exist"))
}

/// After a commit that changed orders: publish their events and channel
/// updates now rather than at the next poll.
pub fn committed(rt: &platform::Runtime) {
    rt.outbox.notify();
    crate::events::background::UPDATES_QUEUED.notify_one();
}

/// A channel token sees only its channel's orders: another's is 404, so it
/// can't even learn that the order exists. Staff need one of `roles`.
pub fn check_access(
    caller: &Caller,
    channel_id: &str,
    id: Uuid,
    roles: &[Role],
) -> Result<(), ApiError> {
    caller.require_channel(channel_id, roles, || not_found(id))
}

/// Locks an order the caller may act on.
pub async fn lock_visible(
    conn: &mut platform::db::Conn,
    caller: &Caller,
    id: Uuid,
    roles: &[Role],
) -> Result<Head, ApiError> {
    let head = crate::store::history::lock(conn, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    check_access(caller, &head.channel_id, id, roles)?;
    Ok(head)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .service(web::resource("/channels").route(web::get().to(channels::list)))
            .service(
                web::resource("/channels/{id}")
                    .route(web::put().to(channels::put))
                    .route(web::get().to(channels::get)),
            )
            .service(web::resource("/channels/{id}/updates").route(web::get().to(feed::updates)))
            .service(
                web::resource("/channels/{id}/webhook-deliveries")
                    .route(web::get().to(feed::deliveries)),
            )
            .service(
                web::resource("/orders")
                    .route(web::post().to(orders::create))
                    .route(web::get().to(orders::list)),
            )
            .service(web::resource("/orders/{id}").route(web::get().to(orders::get)))
            .service(web::resource("/orders/{id}/history").route(web::get().to(orders::history)))
            .service(web::resource("/orders/{id}/cancel").route(web::post().to(orders::cancel)))
            .service(web::resource("/orders/{id}/payment").route(web::post().to(orders::payment)))
            .service(
                web::resource("/orders/{id}/release").route(web::post().to(exceptions::release)),
            )
            .service(
                web::resource("/orders/{id}/retry-reservation")
                    .route(web::post().to(exceptions::retry)),
            )
            .service(web::resource("/exceptions").route(web::get().to(exceptions::list))),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Crossdock orders API",
        version = "1.0.0",
        description = "The channel registry, order intake from every channel (idempotent on channel + \
                       external order id), the order lifecycle with its history, the exception \
                       queue, and each channel's updates feed and signed webhooks. Errors are \
                       RFC 9457 application/problem+json."
    ),
    paths(
        channels::put,
        channels::get,
        channels::list,
        orders::create,
        orders::get,
        orders::list,
        orders::history,
        orders::cancel,
        orders::payment,
        exceptions::list,
        exceptions::release,
        exceptions::retry,
        feed::updates,
        feed::deliveries,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "channels", description = "The channel registry"),
        (name = "orders", description = "Order intake and lifecycle"),
        (name = "exceptions", description = "Orders on hold and what ops do about them"),
        (name = "feed", description = "Status updates for a channel: a cursor feed and webhooks"),
    )
)]
pub struct ApiDoc;
