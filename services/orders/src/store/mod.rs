//! Orders persistence. Every function runs on the connection the caller
//! passes, so the caller decides the transaction.

pub mod allocations;
pub mod catalog;
pub mod channels;
pub mod exchanges;
pub mod feed;
pub mod history;
pub mod orders;
pub mod refunds;
pub mod shipments;
