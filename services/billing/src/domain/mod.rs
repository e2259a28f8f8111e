//! Billing rules, free of I/O.

pub mod amounts;
pub mod invoicing;
pub mod ledger;
pub mod settings;
pub mod settlement;
pub mod tax;
pub mod ubl;
