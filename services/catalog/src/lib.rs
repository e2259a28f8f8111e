//! The catalog service: products, variants, barcodes and channel listings.
//! Layout: `api/` (HTTP), `domain/` (rules), `store/` (database), `events/` (Kafka).

pub mod api;
pub mod domain;
pub mod events;
pub mod store;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::ServiceDefinition;
use utoipa::OpenApi;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Everything the platform runtime needs to run the catalog.
pub fn service() -> ServiceDefinition {
    ServiceDefinition {
        name: "catalog",
        config_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        migrations: || MIGRATIONS,
        openapi: api::ApiDoc::openapi,
        routes: api::routes,
        topics: events::TOPICS,
        // The catalog reacts to no other service's events.
        subscriptions: |_| Vec::new(),
        tasks: |_| Vec::new(),
    }
}
