//! Billing rules, free of I/O.

pub mod amounts;
pub mod settlement;
pub mod tax;
