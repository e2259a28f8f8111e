//! Order rules, free of I/O: the lifecycle state machine, intake validation
//! and normalization, the exception rules, what shipping and re-allocation do
//! to an order, webhook signatures.

pub mod fulfillment;
pub mod intake;
pub mod lifecycle;
pub mod webhook;
