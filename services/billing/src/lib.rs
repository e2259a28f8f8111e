//! The billing service: an invoice per shipment (gapless numbers per series,
//! sales tax by destination, UBL 2.1 documents) and credit notes, stock
//! valued at moving average landed cost, and a double-entry ledger that every
//! business event posts to once. Channel fees, settlements, bank statements
//! and margin follow (issue 14).
//! Layout: `api/` (HTTP), `domain/` (rules), `store/` (database), `events/` (Kafka).

pub mod api;
pub mod domain;
pub mod events;
pub mod store;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::ServiceDefinition;
use utoipa::OpenApi;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Everything the platform runtime needs to run billing.
pub fn service() -> ServiceDefinition {
    ServiceDefinition {
        name: "billing",
        config_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        migrations: || MIGRATIONS,
        openapi: api::ApiDoc::openapi,
        routes: api::routes,
        topics: events::TOPICS,
        subscriptions: events::subscriptions,
        tasks: events::background::tasks,
    }
}
