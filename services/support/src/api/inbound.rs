//! Inbound email, as an email gateway posts it: the raw message
//! (`message/rfc822`). A reply (In-Reply-To / References naming a message of
//! a ticket, or the ticket number in the subject from the same sender)
//! joins that ticket's thread and reopens it; anything else opens a ticket.
//! A message posted twice (the same Message-ID) changes nothing the second
//! time. Attachments are kept when their type and size pass; a refused one
//! is named in the answer and the message is kept without it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::contracts::support::{InboundEmailView, TicketSource};
use platform::db::{CachedExt, Conn};
use platform::error::Problem;
use platform::{ApiError, Authorized, Runtime, audit};

use super::MailGateway;
use super::intake::{self, CustomerMessage, OrderHint};
use crate::domain::attachments::{self, clean_filename};
use crate::domain::email::{self, InboundEmail};
use crate::domain::tickets::number_in_subject;
use crate::store::attachments as attachment_store;
use crate::store::tickets as store;

/// Serialises the handling of one Message-ID (a gateway retrying while the
/// first attempt is still running), so it is applied once.
async fn lock_message(conn: &mut Conn, message_id: &str) -> Result<(), ApiError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
        .bind::<Text, _>(message_id)
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

/// The ticket an email continues: one holding a message it answers, else
/// the ticket whose number is in its subject when the sender is that
/// ticket's customer (a reply whose client dropped the headers).
async fn thread_of(
    conn: &mut Conn,
    email: &InboundEmail,
) -> Result<Option<store::TicketRow>, ApiError> {
    if !email.parents.is_empty()
        && let Some(id) = store::threaded(conn, &email.parents).await?
    {
        return Ok(store::lock(conn, id).await?);
    }
    if let Some(number) = number_in_subject(&email.subject)
        && let Some(id) = store::id_by_number(conn, &number).await?
        && let Some(row) = store::lock(conn, id).await?
        && row.customer_email == email.from
    {
        return Ok(Some(row));
    }
    Ok(None)
}

/// Take an inbound email: a new ticket, or a reply threaded onto one.
#[utoipa::path(
    post, path = "/v1/inbound-email", tag = "email",
    request_body(content = String, content_type = "message/rfc822", description = "The raw RFC 5322 message, as received"),
    responses(
        (status = 201, description = "A new ticket", body = InboundEmailView),
        (status = 200, description = "Threaded onto an existing ticket, or a duplicate (nothing changed)", body = InboundEmailView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not message/rfc822", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a message a ticket can come from; the header at fault is named with its line", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn receive(
    rt: web::Data<Runtime>,
    caller: Authorized<MailGateway>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let is_mail = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("message/rfc822")
        });
    if !is_mail {
        return Err(ApiError::UnsupportedMediaType(
            "Content-Type must be message/rfc822 (the raw message)".into(),
        ));
    }
    let email = web::block(move || email::parse(&body))
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))??;
    let mut refused = Vec::new();
    let mut kept = Vec::new();
    for a in &email.attachments {
        let name = clean_filename(&a.filename);
        match attachments::check(&a.declared_type, &a.content) {
            Ok((sha, kind)) => kept.push((sha, kind, name, &a.content)),
            Err(why) => refused.push(format!("{name}: {why}")),
        }
    }
    // A ticket's subject is at most 300 characters; the message keeps the rest.
    let subject: String = if email.subject.is_empty() {
        "(no subject)".into()
    } else {
        email.subject.chars().take(300).collect()
    };
    let actor = caller.actor();
    let now = Utc::now();
    let mut conn = rt.conn().await?;
    let (view, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            lock_message(tx, &email.message_id).await?;
            if let Some((ticket_id, seq)) = store::message_by_id(tx, &email.message_id).await? {
                let row = store::by_id(tx, ticket_id)
                    .await?
                    .expect("a message's ticket exists");
                return Ok((
                    InboundEmailView {
                        ticket_id,
                        number: row.number,
                        created: false,
                        message_seq: seq,
                        duplicate: true,
                        attachments: 0,
                        refused_attachments: Vec::new(),
                    },
                    false,
                ));
            }
            let (row, seq, created) = match thread_of(tx, &email).await? {
                Some(ticket) => {
                    let (row, seq) = intake::customer_message(
                        &rt,
                        tx,
                        &ticket,
                        &email.body,
                        &email.from,
                        Some(&email.message_id),
                        now,
                    )
                    .await?;
                    (row, seq, false)
                }
                None => {
                    let message = CustomerMessage {
                        source: TicketSource::Email,
                        subject: &subject,
                        body: &email.body,
                        new_text: &email.new_text,
                        customer_email: &email.from,
                        customer_name: email.from_name.as_deref(),
                        channel: None,
                        order: OrderHint::None,
                        message_id: Some(&email.message_id),
                        author: &email.from,
                        priority: None,
                        automated: email.automated,
                        at: now,
                    };
                    let (row, seq) = intake::open_ticket(&rt, tx, &message).await?;
                    audit::record(
                        tx,
                        &actor,
                        audit::Change {
                            entity_type: "ticket",
                            entity_id: &row.id.to_string(),
                            action: "created from email",
                            before: None,
                            after: Some(audit::snapshot(&row.view()?)),
                        },
                    )
                    .await?;
                    (row, seq, true)
                }
            };
            let mut stored = 0;
            for (sha, kind, name, content) in &kept {
                attachment_store::store_blob(tx, sha, kind, content).await?;
                if attachment_store::attach(tx, row.id, sha, name, Some(seq), &email.from).await? {
                    stored += 1;
                }
            }
            Ok((
                InboundEmailView {
                    ticket_id: row.id,
                    number: row.number.clone(),
                    created,
                    message_seq: seq,
                    duplicate: false,
                    attachments: stored,
                    refused_attachments: refused.clone(),
                },
                created,
            ))
        })
        .await?;
    if !view.duplicate {
        rt.outbox.notify();
    }
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder
        .insert_header((header::LOCATION, format!("/v1/tickets/{}", view.ticket_id)))
        .json(view))
}
