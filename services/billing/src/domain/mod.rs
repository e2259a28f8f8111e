//! Billing rules, free of I/O.

pub mod amounts;
pub mod bank;
pub mod bills;
pub mod fees;
pub mod invoicing;
pub mod ledger;
pub mod payouts;
pub mod refunds;
pub mod settings;
pub mod settlement;
pub mod tax;
pub mod ubl;
