//! Procurement rules, free of I/O.

pub mod forecast;
