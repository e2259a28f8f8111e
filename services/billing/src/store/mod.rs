//! Billing persistence, in raw SQL like every service's store (each
//! statement is prepared against the migrated database by
//! `tests/statements.rs`). Everything runs on a connection the caller passes,
//! so handlers decide the transaction. `orders` and `catalog` are projections
//! of other services' events, `settings` how billing invoices, `shipments`
//! what it was asked to invoice, `documents` what it issued, `invoicing`
//! issues them, `valuation` values stock, `ledger` is the journal.

pub mod bank;
pub mod bills;
pub mod catalog;
pub mod documents;
pub mod fees;
pub mod invoicing;
pub mod ledger;
pub mod margin;
pub mod orders;
pub mod refunds;
pub mod settings;
pub mod settlements;
pub mod shipments;

use platform::ApiError;

/// A stored value that does not parse: the database holds what the code
/// never writes.
pub(crate) fn corrupt(what: &str, value: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!("stored {what} '{value}' is invalid"))
}

/// A stored amount as the API shows a signed one (minor units at least).
pub(crate) fn signed(
    amount: rust_decimal::Decimal,
    currency: domain::Currency,
) -> domain::contracts::billing::SignedMoney {
    let m = domain::Money { amount, currency }.canonical();
    domain::contracts::billing::SignedMoney {
        amount: m.amount,
        currency,
    }
}
