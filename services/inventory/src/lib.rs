//! The inventory service: locations, stock per SKU and location, audited
//! adjustments, order reservations with no oversell, backorders, storefront
//! holds and per-channel availability.
//! Layout: `api/` (HTTP), `domain/` (rules), `store/` (database), `events/` (Kafka).

pub mod api;
pub mod domain;
pub mod events;
pub mod store;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::ServiceDefinition;
use utoipa::OpenApi;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Everything the platform runtime needs to run inventory.
pub fn service() -> ServiceDefinition {
    ServiceDefinition {
        name: "inventory",
        config_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        migrations: || MIGRATIONS,
        openapi: api::ApiDoc::openapi,
        routes: api::routes,
        topics: events::TOPICS,
        subscriptions: events::subscriptions,
        tasks: events::background::tasks,
    }
}
