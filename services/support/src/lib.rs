//! The support service (issue 15, in progress). So far: triage, the model
//! that classifies every new ticket's intent, urgency and sentiment
//! (`domain::triage`, trained by `make train-triage`, evaluated in
//! docs/triage.md). Tickets, SLA timers and the returns saga follow, on the
//! template: `api/` (HTTP), `domain/` (rules), `store/` (database),
//! `events/` (Kafka).

pub mod domain;
