//! The support service: tickets from the API, channel connectors and
//! inbound email, threaded and linked to the order and parcel they are
//! about (from orders' and the warehouse's events); every new ticket
//! classified by the triage model trained in the repo (`domain::triage`,
//! `make train-triage`, evaluated in docs/triage.md) with a suggested reply
//! filled with the order's facts, and auto-replies where an admin enabled
//! them; SLA timers per channel and priority in business hours, paused
//! while waiting on the customer, escalated once when missed
//! (`domain::sla`); returns (RMA) decided by each channel's return policy
//! (`domain::returns`) and published as ReturnAuthorized. The saga's
//! warehouse, inventory, billing and orders steps follow (issue 15).
//! Layout: `api/` (HTTP), `domain/` (rules), `store/` (database), `events/` (Kafka).

pub mod api;
pub mod domain;
pub mod events;
pub mod store;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::ServiceDefinition;
use utoipa::OpenApi;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Everything the platform runtime needs to run support.
pub fn service() -> ServiceDefinition {
    ServiceDefinition {
        name: "support",
        config_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        migrations: || MIGRATIONS,
        openapi: api::ApiDoc::openapi,
        routes: api::routes,
        topics: events::TOPICS,
        subscriptions: events::subscriptions,
        tasks: events::background::tasks,
    }
}
