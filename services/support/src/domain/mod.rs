//! Support's rules, free of I/O.

pub mod triage;
