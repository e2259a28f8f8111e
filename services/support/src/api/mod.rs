//! Support's REST API under `/v1`. Support staff (and ops, admins) work the
//! tickets; the email gateway posts inbound mail with a support token;
//! channel connectors open and follow their own channel's tickets (never
//! internal notes); admins decide which categories auto-reply.

pub mod attachments;
pub mod auto_replies;
pub mod inbound;
pub mod intake;
pub mod returns;
pub mod sla;
pub mod tickets;

use actix_web::web;
use platform::http::BearerAuth;
use utoipa::OpenApi;

platform::access!(
    /// Who works tickets: reads, replies, notes, assigns, changes status.
    pub Agents: [Admin, Support, Ops]
);
platform::access!(
    /// Agents, and channel connectors for their own channel's tickets.
    pub TicketUsers: [Admin, Support, Ops], channels
);
platform::access!(
    /// Who posts inbound email (the email gateway's service token).
    pub MailGateway: [Admin, Support]
);
platform::access!(
    /// Who decides which categories auto-reply.
    pub Admins: [Admin]
);

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 1000;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Loaded once at start-up, not on the first ticket.
    crate::domain::triage::model();
    cfg.service(
        web::scope("/v1")
            .service(
                web::resource("/tickets")
                    .route(web::post().to(tickets::create))
                    .route(web::get().to(tickets::list)),
            )
            // Before /tickets/{id}, which would take "at-risk" for an id.
            .service(web::resource("/tickets/at-risk").route(web::get().to(sla::at_risk)))
            .service(
                web::resource("/tickets/{id}")
                    .route(web::get().to(tickets::get))
                    .route(web::patch().to(tickets::update)),
            )
            .service(
                web::resource("/tickets/{id}/messages").route(web::post().to(tickets::add_message)),
            )
            .service(
                web::resource("/tickets/{id}/attachments")
                    .route(web::post().to(attachments::upload)),
            )
            .service(
                web::resource("/tickets/{id}/attachments/{sha256}")
                    .route(web::get().to(attachments::download)),
            )
            .service(web::resource("/inbound-email").route(web::post().to(inbound::receive)))
            .service(web::resource("/auto-replies").route(web::get().to(auto_replies::list)))
            .service(
                web::resource("/auto-replies/{category}").route(web::put().to(auto_replies::put)),
            )
            .service(
                web::resource("/returns")
                    .route(web::post().to(returns::create))
                    .route(web::get().to(returns::list)),
            )
            .service(web::resource("/returns/{id}").route(web::get().to(returns::get)))
            .service(web::resource("/returns/{id}/decision").route(web::post().to(returns::decide)))
            .service(web::resource("/return-policies").route(web::get().to(returns::policies)))
            .service(
                web::resource("/return-policies/{channel}")
                    .route(web::put().to(returns::put_policy)),
            )
            .service(
                web::resource("/return-categories/{sku}")
                    .route(web::put().to(returns::put_category)),
            )
            .service(web::resource("/sla-policies").route(web::get().to(sla::list)))
            .service(
                web::resource("/sla-policies/{channel}/{priority}").route(web::put().to(sla::put)),
            ),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Crossdock support API",
        version = "1.0.0",
        description = "Tickets from the API, channel connectors and inbound email (RFC 5322, \
                       threaded by Message-ID, In-Reply-To and References), linked to the order \
                       and parcel they are about and classified by a model trained in the repo \
                       (intent, urgency, sentiment, with a confidence); a suggested reply per \
                       intent filled with the order's facts; attachments stored once by \
                       content hash; SLA timers in business hours per channel and priority, \
                       paused while waiting on the customer, escalated once when missed. \
                       Errors are RFC 9457 application/problem+json."
    ),
    paths(
        tickets::create,
        tickets::list,
        tickets::get,
        tickets::update,
        tickets::add_message,
        attachments::upload,
        attachments::download,
        inbound::receive,
        auto_replies::list,
        auto_replies::put,
        sla::list,
        sla::put,
        sla::at_risk,
        returns::create,
        returns::list,
        returns::get,
        returns::decide,
        returns::policies,
        returns::put_policy,
        returns::put_category,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "tickets", description = "Tickets, their threads and attachments"),
        (name = "email", description = "Inbound email from the gateway"),
        (name = "returns", description = "Returns (RMA): requests decided by the channel's return policy, and their saga"),
        (name = "settings", description = "Auto-replies per category, SLA policies per channel and priority"),
    )
)]
pub struct ApiDoc;
