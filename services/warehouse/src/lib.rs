//! The warehouse service: bins and their walking order, fulfillment orders
//! created from confirmed orders, waves and pick lists, scan-validated picking,
//! packing, quality checks and shipping, whose events close the order loop in
//! inventory and orders.
//! Layout: `api/` (HTTP), `domain/` (rules), `store/` (database), `events/` (Kafka).

pub mod api;
pub mod domain;
pub mod events;
pub mod store;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::ServiceDefinition;
use utoipa::OpenApi;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Everything the platform runtime needs to run the warehouse.
pub fn service() -> ServiceDefinition {
    ServiceDefinition {
        name: "warehouse",
        config_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        migrations: || MIGRATIONS,
        openapi: api::ApiDoc::openapi,
        routes: api::routes,
        topics: events::TOPICS,
        subscriptions: events::subscriptions,
        tasks: |_| Vec::new(),
    }
}
