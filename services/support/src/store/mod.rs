//! Support persistence, in raw SQL like every service's store (each
//! statement is prepared against the migrated database by
//! `tests/statements.rs`). Everything runs on a connection the caller passes,
//! so handlers decide the transaction. `orders` holds the order and parcel
//! projections, `tickets` tickets and their threads, `attachments` the
//! content kept once per hash, `auto_replies` what an admin enabled.

pub mod attachments;
pub mod auto_replies;
pub mod orders;
pub mod returns;
pub mod sla;
pub mod tickets;

use platform::ApiError;

/// A stored value that does not parse: the database holds what the code
/// never writes.
pub(crate) fn corrupt(what: &str, value: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!("stored {what} '{value}' is invalid"))
}
