//! Support's rules, free of I/O: inbound email, attachments, ticket
//! statuses and linking, suggested replies, and triage.

pub mod attachments;
pub mod email;
pub mod replies;
pub mod tickets;
pub mod triage;
