//! Tickets: open one, list, read with its thread and order facts, change
//! status, priority, category or assignee, and add messages (replies, notes,
//! a customer's message).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::Page;
use domain::contracts::support::{
    AttachmentView, MessageInput, MessageKind, TicketDetailView, TicketInput, TicketListQuery,
    TicketSource, TicketStatus, TicketUpdate, TicketView,
};
use platform::db::Conn;
use platform::error::Problem;
use platform::http::{Json, check_version, etag, if_match};
use platform::idempotency::{self, IdempotencyKey};
use platform::{ApiError, Authorized, Caller, Runtime, audit};
use uuid::Uuid;

use super::intake::{self, CustomerMessage, OrderHint};
use super::{Agents, DEFAULT_PAGE, MAX_PAGE, TicketUsers};
use crate::domain::email::is_address;
use crate::domain::replies;
use crate::domain::tickets::{after_reply, can_move};
use crate::events::published;
use crate::store::attachments as attachment_store;
use crate::store::orders as order_store;
use crate::store::tickets::{self as store, Changes, NewMessage, TicketRow};

pub(super) fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("ticket {id} does not exist"))
}

/// The ticket if the caller may see it: staff with a ticket role see all; a
/// channel token only its channel's (another's is 404, so it learns nothing).
pub(super) fn visible(
    caller: &Caller,
    row: Option<TicketRow>,
    id: Uuid,
) -> Result<TicketRow, ApiError> {
    let row = row.ok_or_else(|| not_found(id))?;
    match caller.channel() {
        None => Ok(row),
        Some(own) if row.channel_id.as_deref() == Some(own.as_str()) => Ok(row),
        Some(_) => Err(not_found(id)),
    }
}

/// A ticket with its thread, attachments, order facts and suggested reply;
/// internal notes for staff only.
pub(super) async fn detail(
    conn: &mut Conn,
    row: &TicketRow,
    caller: &Caller,
) -> Result<TicketDetailView, ApiError> {
    let ticket = row.view()?;
    let staff = caller.channel().is_none();
    let messages = store::messages(conn, row.id)
        .await?
        .iter()
        .map(|m| m.view())
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|m| staff || m.kind != MessageKind::Note)
        .collect::<Vec<_>>();
    let shown: Vec<i32> = messages.iter().map(|m| m.seq).collect();
    let attachments = attachment_store::of_ticket(conn, row.id)
        .await?
        .into_iter()
        .filter(|a| a.message_seq.is_none_or(|s| shown.contains(&s)))
        .map(|a| attachment_view(row.id, a))
        .collect();
    let order = match row.order_id {
        Some(id) => order_store::facts(conn, id)
            .await
            .map_err(ApiError::internal)?
            // A ticket of one channel never shows another channel's order.
            .filter(|o| row.channel_id.as_deref().is_none_or(|c| c == o.channel_id)),
        None => None,
    };
    let suggested_reply = replies::suggest(
        ticket.category,
        row.customer_name.as_deref(),
        order.as_ref(),
    );
    Ok(TicketDetailView {
        ticket,
        messages,
        attachments,
        order,
        suggested_reply,
    })
}

pub(super) fn attachment_view(
    ticket_id: Uuid,
    a: attachment_store::AttachmentRow,
) -> AttachmentView {
    AttachmentView {
        url: format!("/v1/tickets/{ticket_id}/attachments/{}", a.sha256),
        sha256: a.sha256,
        filename: a.filename,
        content_type: a.content_type,
        size_bytes: a.size_bytes,
        message_seq: a.message_seq,
    }
}

fn detail_response(
    mut builder: actix_web::HttpResponseBuilder,
    view: TicketDetailView,
) -> HttpResponse {
    builder
        .insert_header((header::ETAG, etag(view.ticket.version)))
        .json(view)
}

fn validate_input(input: &TicketInput) -> Result<(), ApiError> {
    let mut v = Validator::new();
    v.require_text("subject", &input.subject, 300);
    v.require_text("body", &input.body, 100_000);
    let email = input.customer_email.trim();
    if !is_address(&email.to_lowercase()) {
        v.push("customer_email", "must be a mailbox address (local@domain)");
    }
    if let Some(name) = &input.customer_name {
        v.require_text("customer_name", name, 200);
    }
    if let Some(number) = &input.external_order_id {
        v.require_text("external_order_id", number, 100);
    }
    if input.order_id.is_some() && input.external_order_id.is_some() {
        v.push(
            "external_order_id",
            "name the order by order_id or by external_order_id, not both",
        );
    }
    Ok(v.finish()?)
}

/// Open a ticket: a customer's message that reached staff (phone, chat), or
/// a marketplace buyer's message relayed by the channel's connector. It is
/// linked to its order, triaged, and (where an admin enabled it for the
/// category) answered by an auto-reply.
#[utoipa::path(
    post, path = "/v1/tickets", tag = "tickets",
    request_body = TicketInput,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body return the first response")),
    responses(
        (status = 201, description = "Created", body = TicketDetailView, headers(("ETag" = String), ("Location" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (an order that is not known, or not of this channel, among them); nothing created", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    rt: web::Data<Runtime>,
    caller: Authorized<TicketUsers>,
    key: IdempotencyKey,
    Json(input): Json<TicketInput>,
) -> Result<HttpResponse, ApiError> {
    validate_input(&input)?;
    let channel = match (caller.channel(), input.channel_id.as_deref()) {
        (None, None) => None,
        (_, named) => Some(
            caller
                .acting_channel(
                    named,
                    "channel_id",
                    <Agents as platform::auth::Access>::STAFF,
                )?
                .to_string(),
        ),
    };
    let source = if caller.channel().is_some() {
        TicketSource::Channel
    } else {
        TicketSource::Api
    };
    let actor = caller.actor();
    let email = input.customer_email.trim().to_lowercase();
    let scope = format!("support.create-ticket:{actor}");
    let hash = idempotency::request_hash(&input);
    let mut conn = rt.conn().await?;
    let (view, replayed) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            if let Some(key) = &key.0
                && let Some(stored) =
                    idempotency::claim::<TicketDetailView>(tx, &scope, key, &hash).await?
            {
                return Ok((stored, true));
            }
            let order = match (input.order_id, input.external_order_id.as_deref()) {
                (Some(id), _) => OrderHint::Id(id),
                (None, Some(number)) => OrderHint::Number(number.trim()),
                (None, None) => OrderHint::None,
            };
            let message = CustomerMessage {
                source,
                subject: input.subject.trim(),
                body: &input.body,
                new_text: &input.body,
                customer_email: &email,
                customer_name: input.customer_name.as_deref().map(str::trim),
                channel: channel.as_deref(),
                order,
                message_id: None,
                author: if source == TicketSource::Channel {
                    &actor
                } else {
                    &email
                },
                priority: input.priority,
                automated: false,
                at: Utc::now(),
            };
            let (row, _) = intake::open_ticket(&rt, tx, &message).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "ticket",
                    entity_id: &row.id.to_string(),
                    action: "created",
                    before: None,
                    after: Some(audit::snapshot(&row.view()?)),
                },
            )
            .await?;
            let view = detail(tx, &row, &caller).await?;
            if let Some(key) = &key.0 {
                idempotency::record(tx, &scope, key, 201, &view).await?;
            }
            Ok((view, false))
        })
        .await?;
    if !replayed {
        rt.outbox.notify();
    }
    let mut builder = HttpResponse::Created();
    builder
        .insert_header((header::LOCATION, format!("/v1/tickets/{}", view.ticket.id)))
        .insert_header(("Idempotent-Replayed", replayed.to_string()));
    Ok(detail_response(builder, view))
}

/// List tickets, newest first. A channel token sees its own channel's.
#[utoipa::path(
    get, path = "/v1/tickets", tag = "tickets",
    params(TicketListQuery),
    responses(
        (status = 200, body = Page<TicketView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    caller: Authorized<TicketUsers>,
    query: web::Query<TicketListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let limit = platform::http::page_limit(&mut v, query.limit, DEFAULT_PAGE, MAX_PAGE);
    if query
        .assignee
        .as_ref()
        .is_some_and(|a| a.chars().count() > 200)
    {
        v.push("assignee", "must be at most 200 characters");
    }
    if query
        .customer_email
        .as_ref()
        .is_some_and(|e| e.chars().count() > 254)
    {
        v.push("customer_email", "must be at most 254 characters");
    }
    v.finish()?;
    let channel = caller.channel_filter(query.channel.as_deref(), "channel")?;
    let email = query
        .customer_email
        .as_deref()
        .map(|e| e.trim().to_lowercase());
    let mut conn = rt.conn().await?;
    let rows = store::list(
        &mut conn,
        &store::Filter {
            status: query.status,
            channel: channel.as_ref().map(|c| c.as_str()),
            assignee: query.assignee.as_deref(),
            order_id: query.order_id,
            customer_email: email.as_deref(),
            before: query.cursor,
            limit,
        },
    )
    .await?;
    let views = rows
        .iter()
        .map(|r| r.view())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page::list(views, limit, |t| t.id.to_string())))
}

/// A ticket with its thread, attachments, the order's facts and the reply
/// suggested for its category.
#[utoipa::path(
    get, path = "/v1/tickets/{id}", tag = "tickets",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TicketDetailView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    caller: Authorized<TicketUsers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let row = visible(&caller, store::by_id(&mut conn, id).await?, id)?;
    let view = detail(&mut conn, &row, &caller).await?;
    Ok(detail_response(HttpResponse::Ok(), view))
}

fn validate_update(u: &TicketUpdate) -> Result<(), ApiError> {
    let mut v = Validator::new();
    if let Some(Some(assignee)) = &u.assignee {
        v.require_text("assignee", assignee, 200);
    }
    Ok(v.finish()?)
}

/// Change a ticket's status, priority, category or assignee (`If-Match`
/// optional). Statuses move new → open → pending_customer → resolved →
/// closed; a resolved or closed ticket may be reopened.
#[utoipa::path(
    patch, path = "/v1/tickets/{id}", tag = "tickets",
    request_body = TicketUpdate,
    params(
        ("id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Change only this version"),
    ),
    responses(
        (status = 200, body = TicketDetailView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The status can't move that way", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    rt: web::Data<Runtime>,
    caller: Authorized<Agents>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    Json(input): Json<TicketUpdate>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    validate_update(&input)?;
    let expected = if_match(&req)?;
    let actor = caller.actor();
    let now = Utc::now();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let row = store::lock(tx, id).await?.ok_or_else(|| not_found(id))?;
            check_version(expected, row.version, "the ticket")?;
            if input.status.is_none()
                && input.priority.is_none()
                && input.category.is_none()
                && input.assignee.is_none()
            {
                // Nothing to change: the ticket as it is.
                return detail(tx, &row, &caller).await;
            }
            let from = row.status()?;
            let mut changes = Changes::of(&row)?;
            if let Some(to) = input.status {
                if !can_move(from, to) {
                    return Err(ApiError::Conflict(format!(
                        "a {from} ticket can't move to {to}"
                    )));
                }
                changes.status = to;
                changes.resolved_at = match to {
                    TicketStatus::Resolved => Some(now),
                    TicketStatus::Closed => row.resolved_at.or(Some(now)),
                    _ => None,
                };
            } else if from == TicketStatus::New {
                // A person touching a new ticket has opened it.
                changes.status = TicketStatus::Open;
            }
            if let Some(p) = input.priority {
                changes.priority = p;
            }
            if let Some(c) = input.category {
                changes.category = c;
            }
            if let Some(a) = &input.assignee {
                changes.assignee = a.as_deref().map(str::trim);
            }
            let to = changes.status;
            let updated = intake::save(tx, &row, changes, now).await?;
            if from != to {
                published::status_changed(&rt.outbox, tx, &updated, from, &actor).await?;
            }
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "ticket",
                    entity_id: &id.to_string(),
                    action: "updated",
                    before: Some(audit::snapshot(&row.view()?)),
                    after: Some(audit::snapshot(&updated.view()?)),
                },
            )
            .await?;
            detail(tx, &updated, &caller).await
        })
        .await?;
    rt.outbox.notify();
    Ok(detail_response(HttpResponse::Ok(), view))
}

fn validate_message(input: &MessageInput, caller: &Caller) -> Result<(), ApiError> {
    let mut v = Validator::new();
    v.require_text("body", &input.body, 100_000);
    if caller.channel().is_some() && input.kind != MessageKind::Customer {
        v.push(
            "kind",
            "a channel token relays the customer's messages only (kind customer)",
        );
    }
    match input.kind {
        MessageKind::AutoReply => v.push("kind", "auto_reply is sent by the service, not posted"),
        MessageKind::Customer if input.status.is_some() => v.push(
            "status",
            "a customer's message reopens the ticket: no status with it",
        ),
        _ => {}
    }
    if input.attachments.len() > 20 {
        v.push("attachments", "at most 20 per message");
    }
    for (i, sha) in input.attachments.iter().enumerate() {
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            v.push(
                format!("attachments[{i}]"),
                "must be an attachment's sha256 (64 hex digits)",
            );
        }
    }
    Ok(v.finish()?)
}

/// Add a message to the thread: a reply to the customer (published for the
/// email gateway or channel to send; default next status pending_customer),
/// an internal note, or a customer's message (reopens the ticket).
#[utoipa::path(
    post, path = "/v1/tickets/{id}/messages", tag = "tickets",
    request_body = MessageInput,
    params(("id" = Uuid, Path)),
    responses(
        (status = 201, description = "Added", body = TicketDetailView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or an attachment the ticket does not hold", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_message(
    rt: web::Data<Runtime>,
    caller: Authorized<TicketUsers>,
    id: web::Path<Uuid>,
    Json(input): Json<MessageInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    validate_message(&input, &caller)?;
    let actor = caller.actor();
    let now = Utc::now();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let row = visible(&caller, store::lock(tx, id).await?, id)?;
            let held: Vec<String> = attachment_store::of_ticket(tx, id)
                .await?
                .into_iter()
                .map(|a| a.sha256)
                .collect();
            for (i, sha) in input.attachments.iter().enumerate() {
                if !held.contains(&sha.to_ascii_lowercase()) {
                    return Err(ApiError::field(
                        format!("attachments[{i}]"),
                        "is not an attachment of this ticket: upload it first",
                    ));
                }
            }
            let updated = match input.kind {
                MessageKind::Customer => {
                    let author = if caller.channel().is_some() {
                        actor.clone()
                    } else {
                        row.customer_email.clone()
                    };
                    intake::customer_message(&rt, tx, &row, &input.body, &author, None, now)
                        .await?
                        .0
                }
                MessageKind::Reply => {
                    let status = after_reply(input.status);
                    intake::send_reply(
                        &rt,
                        tx,
                        &row,
                        &input.body,
                        &actor,
                        MessageKind::Reply,
                        status,
                        now,
                    )
                    .await?
                }
                _ => {
                    store::append(
                        tx,
                        id,
                        &NewMessage {
                            kind: MessageKind::Note,
                            author: &actor,
                            body: &input.body,
                            message_id: None,
                            created_at: now,
                        },
                    )
                    .await?;
                    let mut changes = Changes::of(&row)?;
                    let from = changes.status;
                    let to = match input.status {
                        Some(s) => s.into(),
                        // A person writing on a new ticket has opened it.
                        None if from == TicketStatus::New => TicketStatus::Open,
                        None => from,
                    };
                    if !can_move(from, to) {
                        return Err(ApiError::Conflict(format!(
                            "a {from} ticket can't move to {to}"
                        )));
                    }
                    changes.status = to;
                    if to != from {
                        changes.resolved_at = (to == TicketStatus::Resolved).then_some(now);
                    }
                    let updated = intake::save(tx, &row, changes, now).await?;
                    if row.status != updated.status {
                        published::status_changed(&rt.outbox, tx, &updated, row.status()?, &actor)
                            .await?;
                    }
                    updated
                }
            };
            if !input.attachments.is_empty() {
                let shas: Vec<String> = input
                    .attachments
                    .iter()
                    .map(|s| s.to_ascii_lowercase())
                    .collect();
                attachment_store::set_message(tx, id, &shas, updated.messages).await?;
            }
            detail(tx, &updated, &caller).await
        })
        .await?;
    rt.outbox.notify();
    Ok(detail_response(HttpResponse::Created(), view))
}
