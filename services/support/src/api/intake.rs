//! How a customer's message becomes a ticket, whichever way it arrives (the
//! API, a channel connector, inbound email): the order and parcel it is
//! about are found, triage classifies it, the ticket and its first message
//! are stored, TicketCreated is published, and an auto-reply goes out where
//! an admin enabled one. Also how a later customer message joins a ticket.
//! Everything runs in the caller's transaction.

use chrono::{DateTime, Utc};
use domain::contracts::support::{
    Intent, MessageKind, ScoredIntent, TicketPriority, TicketSource, TicketStatus, TriageView,
};
use platform::db::Conn;
use platform::{ApiError, Runtime};
use uuid::Uuid;

use crate::domain::replies;
use crate::domain::tickets::{
    AutoReplyCheck, after_customer_message, category_of, initial_priority, references,
};
use crate::domain::{sla, triage};
use crate::events::published;
use crate::store::auto_replies;
use crate::store::orders::{self as order_store, OrderRow};
use crate::store::sla as sla_store;
use crate::store::tickets::{self, Changes, NewMessage, NewTicket, TicketRow};

/// Who wrote an auto-reply.
pub const AUTO_REPLY_AUTHOR: &str = "system:auto-reply";

/// What the message says about its order, besides its text.
pub enum OrderHint<'a> {
    Id(Uuid),
    Number(&'a str),
    None,
}

pub struct CustomerMessage<'a> {
    pub source: TicketSource,
    pub subject: &'a str,
    /// The whole message as stored in the thread.
    pub body: &'a str,
    /// What the customer wrote in this message (quoted history cut off):
    /// what triage reads and order references are looked for in.
    pub new_text: &'a str,
    pub customer_email: &'a str,
    pub customer_name: Option<&'a str>,
    /// The channel the ticket belongs to when the caller decides it (a
    /// channel token's own, or one staff named): only its orders link.
    pub channel: Option<&'a str>,
    pub order: OrderHint<'a>,
    pub message_id: Option<&'a str>,
    /// Who the thread shows as its author.
    pub author: &'a str,
    pub priority: Option<TicketPriority>,
    /// Sent by a machine: never auto-replied to.
    pub automated: bool,
    pub at: DateTime<Utc>,
}

/// The order a message is about, and how it was found.
pub struct Link {
    pub order_id: Option<Uuid>,
    pub order: Option<OrderRow>,
    pub tracking_number: Option<String>,
    pub linked_by: &'static str,
}

/// Finds the order a message is about: the one it names (by id or by the
/// channel's number), else a tracking number or order number in its text
/// (the sender's own order first), else the sender's latest order. A
/// channel-scoped message only links that channel's orders.
pub async fn link(conn: &mut Conn, m: &CustomerMessage<'_>) -> Result<Link, ApiError> {
    let in_channel = |o: &OrderRow| m.channel.is_none_or(|c| c == o.channel_id);
    match m.order {
        OrderHint::Id(id) => {
            let order = order_store::by_id(conn, id).await?;
            if let Some(o) = &order
                && !in_channel(o)
            {
                return Err(ApiError::field(
                    "order_id",
                    "is not an order of this channel",
                ));
            }
            return Ok(Link {
                order_id: Some(id),
                order,
                tracking_number: None,
                linked_by: "order_id",
            });
        }
        OrderHint::Number(number) => {
            let found = match m.channel {
                Some(channel) => order_store::by_number(conn, channel, number).await?,
                None => order_store::by_references(conn, &[number.to_string()], m.customer_email)
                    .await?
                    .into_iter()
                    .next(),
            };
            let Some(order) = found else {
                return Err(ApiError::field(
                    "external_order_id",
                    format!(
                        "no order {number} is known{}",
                        match m.channel {
                            Some(c) => format!(" on channel {c}"),
                            None => String::new(),
                        }
                    ),
                ));
            };
            return Ok(Link {
                order_id: Some(order.order_id),
                order: Some(order),
                tracking_number: None,
                linked_by: "order_number",
            });
        }
        OrderHint::None => {}
    }
    let words = references(&format!("{}\n{}", m.subject, m.new_text));
    if !words.is_empty() {
        for parcel in order_store::parcels_by_tracking(conn, &words).await? {
            if let Some(order) = order_store::by_id(conn, parcel.order_id).await?
                && in_channel(&order)
            {
                return Ok(Link {
                    order_id: Some(order.order_id),
                    order: Some(order),
                    tracking_number: Some(parcel.tracking_number),
                    linked_by: "tracking_number",
                });
            }
        }
        if let Some(order) = order_store::by_references(conn, &words, m.customer_email)
            .await?
            .into_iter()
            .find(|o| in_channel(o))
        {
            return Ok(Link {
                order_id: Some(order.order_id),
                order: Some(order),
                tracking_number: None,
                linked_by: "order_number",
            });
        }
    }
    if let Some(order) = order_store::latest_of_customer(conn, m.customer_email).await?
        && in_channel(&order)
    {
        return Ok(Link {
            order_id: Some(order.order_id),
            order: Some(order),
            tracking_number: None,
            linked_by: "customer_email",
        });
    }
    Ok(Link {
        order_id: None,
        order: None,
        tracking_number: None,
        linked_by: "none",
    })
}

fn rounded(p: f64) -> f64 {
    (p * 1000.0).round() / 1000.0
}

/// Triage of a message (subject and what the customer wrote).
pub fn classify(subject: &str, text: &str) -> TriageView {
    let t = triage::model().classify(&format!("{subject}\n{text}"));
    TriageView {
        intent: category_of(&t.intent.label),
        confidence: rounded(t.intent.confidence),
        intents: t
            .intents
            .iter()
            .map(|s| ScoredIntent {
                intent: category_of(&s.label),
                confidence: rounded(s.confidence),
            })
            .collect(),
        urgency: t.urgency.label.clone(),
        urgency_confidence: rounded(t.urgency.confidence),
        sentiment: t.sentiment.label.clone(),
        sentiment_confidence: rounded(t.sentiment.confidence),
        needs_person: t.needs_person,
    }
}

/// A new ticket from a customer's message; returns it after any auto-reply.
pub async fn open_ticket(
    rt: &Runtime,
    conn: &mut Conn,
    m: &CustomerMessage<'_>,
) -> Result<(TicketRow, i32), ApiError> {
    let link = link(conn, m).await?;
    let triage = classify(m.subject, m.new_text);
    let channel = m
        .channel
        .map(str::to_string)
        .or_else(|| link.order.as_ref().map(|o| o.channel_id.clone()));
    let category = if triage.needs_person {
        Intent::Other
    } else {
        triage.intent
    };
    let priority = m
        .priority
        .unwrap_or_else(|| initial_priority(&triage.urgency, &triage.sentiment));
    let terms = sla_store::terms_for(conn, channel.as_deref(), priority.as_str()).await?;
    let started = sla::Clock {
        used_seconds: 0,
        running_since: Some(m.at),
    };
    let (first_response_due_at, resolution_due_at) = match &terms {
        Some(t) => sla::dues(t, started, None),
        None => (None, None),
    };
    let row = tickets::insert(
        conn,
        &NewTicket {
            id: Uuid::now_v7(),
            channel_id: channel.as_deref(),
            subject: m.subject,
            priority,
            category,
            customer_email: m.customer_email,
            customer_name: m.customer_name,
            order_id: link.order_id,
            tracking_number: link.tracking_number.as_deref(),
            linked_by: link.linked_by,
            source: m.source,
            triage: &triage,
            created_at: m.at,
            sla: terms.as_ref(),
            first_response_due_at,
            resolution_due_at,
        },
    )
    .await?;
    let seq = tickets::append(
        conn,
        row.id,
        &NewMessage {
            kind: MessageKind::Customer,
            author: m.author,
            body: m.body,
            message_id: m.message_id,
            created_at: m.at,
        },
    )
    .await?;
    published::created(&rt.outbox, conn, &row).await?;
    let row = tickets::by_id(conn, row.id).await?.expect("inserted above");
    let sender_owns_order = link
        .order
        .as_ref()
        .and_then(|o| o.customer_email.as_deref())
        .is_some_and(|e| e == m.customer_email);
    let setting = auto_replies::of(conn, triage.intent.as_str()).await?;
    let check = AutoReplyCheck {
        enabled: setting.as_ref().is_some_and(|s| s.enabled),
        min_confidence: setting.as_ref().map_or(1.0, |s| s.min_confidence),
        confidence: triage.confidence,
        needs_person: triage.needs_person,
        automated_sender: m.automated,
        sender_owns_order,
    };
    if !check.allows() {
        return Ok((row, seq));
    }
    let facts = match link.order_id {
        Some(id) => order_store::facts(conn, id)
            .await
            .map_err(ApiError::internal)?,
        None => None,
    };
    let suggestion = replies::suggest(triage.intent, m.customer_name, facts.as_ref());
    let row = send_reply(
        rt,
        conn,
        &row,
        &suggestion.body,
        AUTO_REPLY_AUTHOR,
        MessageKind::AutoReply,
        TicketStatus::PendingCustomer,
        m.at,
    )
    .await?;
    Ok((row, seq))
}

/// A customer's later message on a ticket: appended to the thread, and the
/// ticket reopened if it was waiting on them or done.
pub async fn customer_message(
    rt: &Runtime,
    conn: &mut Conn,
    ticket: &TicketRow,
    body: &str,
    author: &str,
    message_id: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(TicketRow, i32), ApiError> {
    let seq = tickets::append(
        conn,
        ticket.id,
        &NewMessage {
            kind: MessageKind::Customer,
            author,
            body,
            message_id,
            created_at: at,
        },
    )
    .await?;
    let from = ticket.status()?;
    let to = after_customer_message(from);
    let mut changes = Changes::of(ticket)?;
    changes.status = to;
    if to == TicketStatus::Open {
        changes.resolved_at = None;
    }
    let row = save(conn, ticket, changes, at).await?;
    if from != to {
        published::status_changed(&rt.outbox, conn, &row, from, author).await?;
    }
    Ok((row, seq))
}

/// Saves a person's or the customer's change of a locked ticket, with its
/// SLA timers moved along: a new priority takes that priority's terms (the
/// business time used so far carries over); a move to waiting on the
/// customer, or done, pauses the clock, and back to open resumes it.
pub async fn save(
    conn: &mut Conn,
    row: &TicketRow,
    mut changes: Changes<'_>,
    now: DateTime<Utc>,
) -> Result<TicketRow, ApiError> {
    let from = row.status()?;
    if changes.priority.as_str() != row.priority {
        changes.sla =
            sla_store::terms_for(conn, row.channel_id.as_deref(), changes.priority.as_str())
                .await?;
    }
    match &changes.sla {
        Some(terms) => {
            changes.clock = changes.clock.after(terms, from, changes.status, now);
            let (first, resolution) = sla::dues(terms, changes.clock, changes.first_response_at);
            changes.first_response_due_at = first;
            changes.resolution_due_at = resolution;
        }
        None => {
            changes.clock = sla::Clock::default();
            changes.first_response_due_at = None;
            changes.resolution_due_at = None;
        }
    }
    tickets::update(conn, row.id, &changes, now).await
}

/// The RFC 5322 Message-ID a reply is sent with.
pub fn reply_message_id(ticket_id: Uuid, seq: i32) -> String {
    format!("{ticket_id}.{seq}@support.crossdock")
}

/// Records a reply on a locked ticket and publishes it for sending; moves
/// the ticket to `status`. A person's first reply is the first response.
#[allow(clippy::too_many_arguments)]
pub async fn send_reply(
    rt: &Runtime,
    conn: &mut Conn,
    ticket: &TicketRow,
    body: &str,
    author: &str,
    kind: MessageKind,
    status: TicketStatus,
    at: DateTime<Utc>,
) -> Result<TicketRow, ApiError> {
    let thread = tickets::messages(conn, ticket.id).await?;
    let seq = ticket.messages + 1;
    let message_id = reply_message_id(ticket.id, seq);
    let appended = tickets::append(
        conn,
        ticket.id,
        &NewMessage {
            kind,
            author,
            body,
            message_id: Some(&message_id),
            created_at: at,
        },
    )
    .await?;
    debug_assert_eq!(appended, seq);
    let from = ticket.status()?;
    let mut changes = Changes::of(ticket)?;
    changes.status = status;
    if kind == MessageKind::Reply && changes.first_response_at.is_none() {
        changes.first_response_at = Some(at);
    }
    changes.resolved_at = match status {
        TicketStatus::Resolved => Some(at),
        _ => None,
    };
    let row = save(conn, ticket, changes, at).await?;
    let references: Vec<String> = thread.iter().filter_map(|m| m.message_id.clone()).collect();
    let in_reply_to = thread
        .iter()
        .rev()
        .find(|m| m.kind == MessageKind::Customer.as_str())
        .and_then(|m| m.message_id.clone())
        .unwrap_or_default();
    published::replied(
        &rt.outbox,
        conn,
        &row,
        published::Reply {
            body,
            message_id: &message_id,
            in_reply_to: &in_reply_to,
            references,
            author,
            auto_reply: kind == MessageKind::AutoReply,
            at,
        },
    )
    .await?;
    if from != status {
        published::status_changed(&rt.outbox, conn, &row, from, author).await?;
    }
    Ok(row)
}
