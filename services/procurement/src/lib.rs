//! The procurement service: demand history per SKU × channel × day (from
//! orders' events, or imported), forecasts with intervals and backtest
//! accuracy, and suppliers with their terms. Reorder rules, purchase orders
//! and receiving follow (issue 13).
//! Layout: `api/` (HTTP), `domain/` (rules), `store/` (database), `events/` (Kafka).

pub mod api;
pub mod domain;
pub mod events;
pub mod store;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::ServiceDefinition;
use utoipa::OpenApi;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Everything the platform runtime needs to run procurement.
pub fn service() -> ServiceDefinition {
    ServiceDefinition {
        name: "procurement",
        config_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        migrations: || MIGRATIONS,
        openapi: api::ApiDoc::openapi,
        routes: api::routes,
        topics: events::TOPICS,
        subscriptions: events::subscriptions,
        tasks: events::background::tasks,
    }
}
