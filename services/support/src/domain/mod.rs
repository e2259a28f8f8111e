//! Support's rules, free of I/O: inbound email, attachments, ticket
//! statuses and linking, suggested replies, SLA timers in business hours,
//! and triage.

pub mod attachments;
pub mod email;
pub mod replies;
pub mod returns;
pub mod sla;
pub mod tickets;
pub mod triage;
