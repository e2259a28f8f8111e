//! Procurement persistence, in raw SQL like every service's store (each
//! statement is prepared against the migrated database by
//! `tests/statements.rs`). Everything runs on a connection the caller passes,
//! so handlers decide the transaction. `skus` is the catalog projection,
//! `demand` the demand history and stock-out days, `forecasts` the computed
//! forecasts and their settings, `suppliers` suppliers and their products.

pub mod demand;
pub mod forecasts;
pub mod lifecycle;
pub mod purchase_orders;
pub mod rules;
pub mod runs;
pub mod scorecard;
pub mod skus;
pub mod suppliers;

use platform::ApiError;

/// A stored value that does not parse: the database holds what the code
/// never writes.
pub(crate) fn corrupt(what: &str, value: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!("stored {what} '{value}' is invalid"))
}
