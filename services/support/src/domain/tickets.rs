//! Ticket rules: how a ticket moves through its statuses, what its priority
//! starts as, what in a message may name an order or a parcel, and when an
//! auto-reply may go out.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use domain::contracts::support::{Intent, StatusAfterMessage, TicketPriority, TicketStatus};

/// Whether a person may move a ticket from `from` to `to`. A ticket is
/// reopened (to open) by a new customer message whatever its status.
pub fn can_move(from: TicketStatus, to: TicketStatus) -> bool {
    use TicketStatus::*;
    match (from, to) {
        (a, b) if a == b => true,
        (_, New) => false,
        (New | Open | PendingCustomer, Open | PendingCustomer | Resolved | Closed) => true,
        (Resolved, Open | Closed) => true,
        (Closed, Open) => true,
        _ => false,
    }
}

/// Where a customer's new message leaves a ticket: anything waiting on
/// them or finished opens again; a new ticket stays new.
pub fn after_customer_message(status: TicketStatus) -> TicketStatus {
    match status {
        TicketStatus::New => TicketStatus::New,
        _ => TicketStatus::Open,
    }
}

/// Where a staff reply leaves a ticket: where the agent said, else waiting
/// for the customer.
pub fn after_reply(requested: Option<StatusAfterMessage>) -> TicketStatus {
    requested.map_or(TicketStatus::PendingCustomer, TicketStatus::from)
}

/// A ticket's starting priority when none is given: from triage's urgency
/// (and an angry customer with an urgent message is urgent).
pub fn initial_priority(urgency: &str, sentiment: &str) -> TicketPriority {
    match (urgency, sentiment) {
        ("high", "negative") => TicketPriority::Urgent,
        ("high", _) => TicketPriority::High,
        ("low", _) => TicketPriority::Low,
        _ => TicketPriority::Normal,
    }
}

pub fn ticket_number(seq: i64) -> String {
    format!("T-{seq:06}")
}

/// The ticket number in a subject line such as "Re: [T-000042] ...".
pub fn number_in_subject(subject: &str) -> Option<String> {
    let start = subject.find("[T-")?;
    let rest = &subject[start + 1..];
    let end = rest.find(']')?;
    let number = &rest[..end];
    (number.len() > 2 && number[2..].chars().all(|c| c.is_ascii_digit()))
        .then(|| number.to_string())
}

/// Words of a message that could be an order number, an order id or a
/// tracking number: 4–64 characters of letters, digits, dashes and
/// underscores with at least one digit ("#1001", "WEB-1001", a UUID,
/// "1Z999AA10123456784"). Both as written and upper-cased, at most 100.
pub fn references(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        let word = word.trim_matches(|c| c == '-' || c == '_');
        if (4..=64).contains(&word.len()) && word.chars().any(|c| c.is_ascii_digit()) {
            for w in [word.to_string(), word.to_ascii_uppercase()] {
                if !out.contains(&w) {
                    out.push(w);
                }
            }
        }
        if out.len() >= 100 {
            break;
        }
    }
    out
}

/// Whether an auto-reply may answer a new ticket: the admin enabled it for
/// the category at this confidence; triage is sure enough; the sender is a
/// person (not an auto-responder); and the order it would talk about is the
/// sender's own (a stranger quoting an order number learns nothing).
pub struct AutoReplyCheck {
    pub enabled: bool,
    pub min_confidence: f64,
    pub confidence: f64,
    pub needs_person: bool,
    pub automated_sender: bool,
    pub sender_owns_order: bool,
}

impl AutoReplyCheck {
    pub fn allows(&self) -> bool {
        self.enabled
            && !self.needs_person
            && !self.automated_sender
            && self.sender_owns_order
            && self.confidence >= self.min_confidence
    }
}

/// Working days a carrier usually takes (express services overnight).
pub fn transit_days(carrier: &str, service: &str) -> i64 {
    let s = format!("{carrier} {service}").to_ascii_lowercase();
    if s.contains("express") || s.contains("overnight") || s.contains("next") {
        1
    } else if s.contains("economy") || s.contains("freight") {
        5
    } else {
        3
    }
}

/// `days` working days (Monday–Friday) after `from`.
pub fn add_working_days(from: NaiveDate, days: i64) -> NaiveDate {
    let mut d = from;
    let mut left = days;
    while left > 0 {
        d += Duration::days(1);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    d
}

/// When a parcel shipped at `shipped_at` is expected.
pub fn expected_delivery(shipped_at: DateTime<Utc>, carrier: &str, service: &str) -> NaiveDate {
    add_working_days(shipped_at.date_naive(), transit_days(carrier, service))
}

/// Days a customer is usually given to ask for a return, from shipment
/// (a channel's return policy decides the real window for an RMA).
pub const RETURN_WINDOW_DAYS: i64 = 30;

pub fn return_days_left(last_shipped: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (RETURN_WINDOW_DAYS - (now - last_shipped).num_days()).max(0)
}

/// The intent a ticket is filed under until a person changes it.
pub fn category_of(intent: &str) -> Intent {
    Intent::parse(intent).unwrap_or(Intent::Other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    #[test]
    fn statuses_move_forward_and_reopen_but_never_back_to_new() {
        assert!(can_move(New, Open));
        assert!(can_move(Open, PendingCustomer));
        assert!(can_move(PendingCustomer, Resolved));
        assert!(can_move(Resolved, Closed));
        assert!(can_move(Resolved, Open));
        assert!(can_move(Closed, Open));
        assert!(!can_move(Closed, Resolved));
        assert!(!can_move(Open, New));
        assert!(!can_move(Closed, PendingCustomer));
    }

    #[test]
    fn a_customer_message_reopens_what_waits_or_is_done() {
        assert_eq!(after_customer_message(PendingCustomer), Open);
        assert_eq!(after_customer_message(Resolved), Open);
        assert_eq!(after_customer_message(Closed), Open);
        assert_eq!(after_customer_message(New), New);
    }

    #[test]
    fn replies_leave_the_ticket_waiting_unless_told() {
        assert_eq!(after_reply(None), PendingCustomer);
        assert_eq!(after_reply(Some(StatusAfterMessage::Resolved)), Resolved);
        assert_eq!(after_reply(Some(StatusAfterMessage::Open)), Open);
    }

    #[test]
    fn references_find_order_numbers_ids_and_tracking_numbers() {
        let refs = references(
            "Hi, order #web-1001 (id 0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b) tracking 1Z999AA10123456784, thanks!",
        );
        assert!(refs.contains(&"web-1001".to_string()));
        assert!(refs.contains(&"WEB-1001".to_string()));
        assert!(refs.contains(&"0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b".to_string()));
        assert!(refs.contains(&"1Z999AA10123456784".to_string()));
        assert!(
            !refs
                .iter()
                .any(|r| r == "thanks" || r == "order" || r == "Hi")
        );
    }

    #[test]
    fn ticket_numbers_are_found_in_reply_subjects() {
        assert_eq!(ticket_number(42), "T-000042");
        assert_eq!(
            number_in_subject("Re: [T-000042] Where is it?").as_deref(),
            Some("T-000042")
        );
        assert_eq!(number_in_subject("Re: [T-abc] x"), None);
        assert_eq!(number_in_subject("no number"), None);
    }

    #[test]
    fn priority_follows_urgency_and_anger() {
        assert_eq!(initial_priority("high", "negative"), TicketPriority::Urgent);
        assert_eq!(initial_priority("high", "neutral"), TicketPriority::High);
        assert_eq!(
            initial_priority("normal", "negative"),
            TicketPriority::Normal
        );
        assert_eq!(initial_priority("low", "positive"), TicketPriority::Low);
    }

    #[test]
    fn auto_replies_need_every_condition() {
        let ok = AutoReplyCheck {
            enabled: true,
            min_confidence: 0.8,
            confidence: 0.9,
            needs_person: false,
            automated_sender: false,
            sender_owns_order: true,
        };
        assert!(ok.allows());
        assert!(
            !AutoReplyCheck {
                confidence: 0.79,
                ..ok
            }
            .allows()
        );
        assert!(
            !AutoReplyCheck {
                enabled: false,
                ..ok
            }
            .allows()
        );
        assert!(
            !AutoReplyCheck {
                needs_person: true,
                ..ok
            }
            .allows()
        );
        assert!(
            !AutoReplyCheck {
                automated_sender: true,
                ..ok
            }
            .allows()
        );
        assert!(
            !AutoReplyCheck {
                sender_owns_order: false,
                ..ok
            }
            .allows()
        );
    }

    #[test]
    fn deliveries_skip_weekends() {
        // Friday + 3 working days = Wednesday.
        let fri = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(
            add_working_days(fri, 3),
            NaiveDate::from_ymd_opt(2026, 12, 9).unwrap()
        );
        assert_eq!(
            add_working_days(fri, 1),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
        assert_eq!(transit_days("dhl", "express"), 1);
        assert_eq!(transit_days("dpd", "classic"), 3);
    }
}
