//! Order rules, free of I/O: the lifecycle state machine, intake validation
//! and normalization, the exception rules, webhook signatures.

pub mod intake;
pub mod lifecycle;
pub mod webhook;
