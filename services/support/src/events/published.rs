//! What support publishes, through the outbox in the transaction of the
//! change, keyed by ticket id: TicketCreated, TicketReplied (for the email
//! gateway or channel to send), TicketStatusChanged and TicketEscalated.

use chrono::{DateTime, Utc};
use domain::contracts::support::{ReturnReason, ReturnView, TicketStatus};
use domain::events::proto::support::v1 as pb;
use domain::events::{Event, money_to_proto, timestamp, topics};
use platform::ApiError;
use platform::db::Conn;
use platform::outbox::Outbox;

use crate::store::tickets::TicketRow;

/// Enqueues `event` in the caller's transaction.
async fn enqueue<E: Event>(
    outbox: &Outbox,
    conn: &mut Conn,
    topic: &str,
    key: &str,
    event: &E,
) -> Result<(), ApiError> {
    outbox
        .enqueue(conn, topic, key, event)
        .await
        .map_err(ApiError::internal)?;
    Ok(())
}

pub async fn created(outbox: &Outbox, conn: &mut Conn, t: &TicketRow) -> Result<(), ApiError> {
    let view = t.view()?;
    let triage = &view.triage;
    enqueue(
        outbox,
        conn,
        topics::SUPPORT_TICKET_EVENTS,
        &t.id.to_string(),
        &pb::TicketCreated {
            ticket_id: t.id.to_string(),
            number: t.number.clone(),
            channel_id: t.channel_id.clone().unwrap_or_default(),
            order_id: t.order_id.map(|o| o.to_string()).unwrap_or_default(),
            customer_email: t.customer_email.clone(),
            subject: t.subject.clone(),
            priority: t.priority.clone(),
            source: t.source.clone(),
            triage: Some(pb::Triage {
                intent: triage.intent.as_str().to_string(),
                intent_confidence: triage.confidence,
                urgency: triage.urgency.clone(),
                sentiment: triage.sentiment.clone(),
                needs_person: triage.needs_person,
            }),
            created_at: Some(timestamp(t.created_at)),
        },
    )
    .await
}

pub struct Reply<'a> {
    pub body: &'a str,
    pub message_id: &'a str,
    pub in_reply_to: &'a str,
    pub references: Vec<String>,
    pub author: &'a str,
    pub auto_reply: bool,
    pub at: DateTime<Utc>,
}

/// The subject a reply goes out with: the ticket number in brackets, so a
/// reply that lost its headers still threads.
pub fn reply_subject(number: &str, subject: &str) -> String {
    if subject.contains(&format!("[{number}]")) {
        if subject.to_ascii_lowercase().starts_with("re:") {
            subject.to_string()
        } else {
            format!("Re: {subject}")
        }
    } else {
        let bare = subject
            .strip_prefix("Re: ")
            .or_else(|| subject.strip_prefix("RE: "))
            .unwrap_or(subject);
        format!("Re: [{number}] {bare}")
    }
}

pub async fn replied(
    outbox: &Outbox,
    conn: &mut Conn,
    t: &TicketRow,
    r: Reply<'_>,
) -> Result<(), ApiError> {
    enqueue(
        outbox,
        conn,
        topics::SUPPORT_TICKET_EVENTS,
        &t.id.to_string(),
        &pb::TicketReplied {
            ticket_id: t.id.to_string(),
            number: t.number.clone(),
            channel_id: t.channel_id.clone().unwrap_or_default(),
            to: t.customer_email.clone(),
            subject: reply_subject(&t.number, &t.subject),
            body: r.body.to_string(),
            message_id: r.message_id.to_string(),
            in_reply_to: r.in_reply_to.to_string(),
            references: r.references,
            author: r.author.to_string(),
            auto_reply: r.auto_reply,
            replied_at: Some(timestamp(r.at)),
        },
    )
    .await
}

pub async fn status_changed(
    outbox: &Outbox,
    conn: &mut Conn,
    t: &TicketRow,
    from: TicketStatus,
    by: &str,
) -> Result<(), ApiError> {
    enqueue(
        outbox,
        conn,
        topics::SUPPORT_TICKET_EVENTS,
        &t.id.to_string(),
        &pb::TicketStatusChanged {
            ticket_id: t.id.to_string(),
            number: t.number.clone(),
            channel_id: t.channel_id.clone().unwrap_or_default(),
            from_status: from.as_str().to_string(),
            to_status: t.status.clone(),
            changed_by: by.to_string(),
            changed_at: Some(timestamp(t.updated_at)),
        },
    )
    .await
}

/// A missed SLA target (`timer`: first_response or resolution).
pub async fn escalated(
    outbox: &Outbox,
    conn: &mut Conn,
    t: &TicketRow,
    timer: &str,
    policy: &str,
    due_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    enqueue(
        outbox,
        conn,
        topics::SUPPORT_TICKET_EVENTS,
        &t.id.to_string(),
        &pb::TicketEscalated {
            ticket_id: t.id.to_string(),
            number: t.number.clone(),
            channel_id: t.channel_id.clone().unwrap_or_default(),
            timer: timer.to_string(),
            priority: t.priority.clone(),
            policy: policy.to_string(),
            due_at: Some(timestamp(due_at)),
            escalated_at: Some(timestamp(at)),
            assignee: t.assignee.clone().unwrap_or_default(),
            order_id: t.order_id.map(|o| o.to_string()).unwrap_or_default(),
        },
    )
    .await
}

/// An authorised return, for the warehouse (expect it), billing (refund a
/// returnless one) and orders (an exchange's replacement).
pub async fn return_authorized(
    outbox: &Outbox,
    conn: &mut Conn,
    r: &ReturnView,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let damaged = matches!(r.reason, ReturnReason::Damaged);
    enqueue(
        outbox,
        conn,
        topics::SUPPORT_RETURN_EVENTS,
        &r.order_id.to_string(),
        &pb::ReturnAuthorized {
            return_id: r.id.to_string(),
            number: r.number.clone(),
            order_id: r.order_id.to_string(),
            channel_id: r.channel_id.clone(),
            external_order_id: r.external_order_id.clone(),
            lines: r
                .lines
                .iter()
                .map(|l| pb::ReturnLine {
                    line_no: l.line_no,
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                    unit_price: Some(money_to_proto(&l.unit_price)),
                })
                .collect(),
            reason: r.reason.as_str().to_string(),
            expected_condition: if damaged { "damaged" } else { "resellable" }.into(),
            return_location: r.terms.return_location.clone(),
            returnless: r.terms.returnless,
            resolution: r.resolution.as_str().to_string(),
            exchange_reservation: r.terms.exchange_reservation.as_str().to_string(),
            value: Some(money_to_proto(&r.terms.value)),
            restocking_fee: Some(money_to_proto(&r.terms.restocking_fee)),
            return_label_fee: Some(money_to_proto(&r.terms.return_label_fee)),
            refund: Some(money_to_proto(&r.terms.refund)),
            authorized_by: by.to_string(),
            authorized_at: Some(timestamp(at)),
            ticket_id: r.ticket_id.map(|t| t.to_string()).unwrap_or_default(),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::reply_subject;

    #[test]
    fn reply_subjects_carry_the_ticket_number_once() {
        assert_eq!(
            reply_subject("T-000042", "Where is it?"),
            "Re: [T-000042] Where is it?"
        );
        assert_eq!(
            reply_subject("T-000042", "Re: Where is it?"),
            "Re: [T-000042] Where is it?"
        );
        assert_eq!(
            reply_subject("T-000042", "Re: [T-000042] Where is it?"),
            "Re: [T-000042] Where is it?"
        );
    }
}
