//! Tickets and their message threads.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{BigInt, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::support::{
    Intent, MessageKind, MessageView, SlaView, TicketPriority, TicketSource, TicketStatus,
    TicketView, TriageView,
};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use super::corrupt;
use crate::domain::sla::{Clock, Terms};

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct TicketRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub channel_id: Option<String>,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub priority: String,
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub assignee: Option<String>,
    #[diesel(sql_type = Text)]
    pub customer_email: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub customer_name: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub order_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub tracking_number: Option<String>,
    #[diesel(sql_type = Text)]
    pub linked_by: String,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Jsonb)]
    pub triage: serde_json::Value,
    #[diesel(sql_type = Integer)]
    pub messages: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub first_response_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub resolved_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub sla: Option<serde_json::Value>,
    #[diesel(sql_type = BigInt)]
    pub sla_used_seconds: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub sla_running_since: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub first_response_due_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub resolution_due_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub first_response_breached_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub resolution_breached_at: Option<DateTime<Utc>>,
}

impl TicketRow {
    /// The SLA terms the ticket is held to, if any.
    pub fn terms(&self) -> Result<Option<Terms>, ApiError> {
        self.sla
            .as_ref()
            .map(|v| {
                serde_json::from_value::<Terms>(v.clone())
                    .map_err(|_| corrupt("ticket SLA terms", &v.to_string()))
            })
            .transpose()
    }

    pub fn clock(&self) -> Clock {
        Clock {
            used_seconds: self.sla_used_seconds,
            running_since: self.sla_running_since,
        }
    }

    fn sla_view(&self, now: DateTime<Utc>) -> Result<Option<SlaView>, ApiError> {
        Ok(self.terms()?.map(|terms| SlaView {
            business_minutes_used: self.clock().used_at(&terms, now) / 60,
            policy: terms.policy,
            first_response_due_at: self.first_response_due_at,
            resolution_due_at: self.resolution_due_at,
            paused: self.sla_running_since.is_none(),
            first_response_breached_at: self.first_response_breached_at,
            resolution_breached_at: self.resolution_breached_at,
        }))
    }

    pub fn status(&self) -> Result<TicketStatus, ApiError> {
        TicketStatus::parse(&self.status).ok_or_else(|| corrupt("ticket status", &self.status))
    }

    pub fn view(&self) -> Result<TicketView, ApiError> {
        Ok(TicketView {
            id: self.id,
            number: self.number.clone(),
            channel_id: self.channel_id.clone(),
            subject: self.subject.clone(),
            status: self.status()?,
            priority: TicketPriority::parse(&self.priority)
                .ok_or_else(|| corrupt("ticket priority", &self.priority))?,
            category: Intent::parse(&self.category)
                .ok_or_else(|| corrupt("ticket category", &self.category))?,
            assignee: self.assignee.clone(),
            customer_email: self.customer_email.clone(),
            customer_name: self.customer_name.clone(),
            order_id: self.order_id,
            tracking_number: self.tracking_number.clone(),
            linked_by: self.linked_by.clone(),
            source: TicketSource::parse(&self.source)
                .ok_or_else(|| corrupt("ticket source", &self.source))?,
            triage: serde_json::from_value::<TriageView>(self.triage.clone())
                .map_err(|_| corrupt("ticket triage", &self.triage.to_string()))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            first_response_at: self.first_response_at,
            resolved_at: self.resolved_at,
            sla: self.sla_view(Utc::now())?,
            version: self.version,
        })
    }
}

pub(crate) const TICKET_COLUMNS: &str = "id, number, channel_id, subject, status, priority, category, \
     assignee, customer_email, customer_name, order_id, tracking_number, linked_by, source, \
     triage, messages, created_at, updated_at, first_response_at, resolved_at, version, sla, \
     sla_used_seconds, sla_running_since, first_response_due_at, resolution_due_at, \
     first_response_breached_at, resolution_breached_at";

pub struct NewTicket<'a> {
    pub id: Uuid,
    pub channel_id: Option<&'a str>,
    pub subject: &'a str,
    pub priority: TicketPriority,
    pub category: Intent,
    pub customer_email: &'a str,
    pub customer_name: Option<&'a str>,
    pub order_id: Option<Uuid>,
    pub tracking_number: Option<&'a str>,
    pub linked_by: &'a str,
    pub source: TicketSource,
    pub triage: &'a TriageView,
    pub created_at: DateTime<Utc>,
    /// The SLA terms and the due times they give from `created_at`.
    pub sla: Option<&'a Terms>,
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
}

/// Creates a ticket (status new, no messages yet) with the next number.
pub async fn insert(conn: &mut Conn, t: &NewTicket<'_>) -> Result<TicketRow, ApiError> {
    let triage = serde_json::to_value(t.triage).map_err(ApiError::internal)?;
    let sla = t
        .sla
        .map(serde_json::to_value)
        .transpose()
        .map_err(ApiError::internal)?;
    Ok(diesel::sql_query(format!(
        "INSERT INTO tickets (id, number, channel_id, subject, status, priority, category, \
           customer_email, customer_name, order_id, tracking_number, linked_by, source, triage, \
           created_at, updated_at, sla, sla_running_since, first_response_due_at, \
           resolution_due_at) \
         VALUES ($1, 'T-' || lpad(nextval('ticket_numbers')::text, 6, '0'), $2, $3, 'new', $4, \
           $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, \
           CASE WHEN $14 IS NULL THEN NULL ELSE $13 END, $15, $16) \
         RETURNING {TICKET_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(t.id)
    .bind::<Nullable<Text>, _>(t.channel_id)
    .bind::<Text, _>(t.subject)
    .bind::<Text, _>(t.priority.as_str())
    .bind::<Text, _>(t.category.as_str())
    .bind::<Text, _>(t.customer_email)
    .bind::<Nullable<Text>, _>(t.customer_name)
    .bind::<Nullable<SqlUuid>, _>(t.order_id)
    .bind::<Nullable<Text>, _>(t.tracking_number)
    .bind::<Text, _>(t.linked_by)
    .bind::<Text, _>(t.source.as_str())
    .bind::<Jsonb, _>(triage)
    .bind::<Timestamptz, _>(t.created_at)
    .bind::<Nullable<Jsonb>, _>(sla)
    .bind::<Nullable<Timestamptz>, _>(t.first_response_due_at)
    .bind::<Nullable<Timestamptz>, _>(t.resolution_due_at)
    .cached()
    .get_result(conn)
    .await?)
}

pub async fn by_id(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<TicketRow>> {
    diesel::sql_query(format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// The ticket, locked until the transaction ends.
pub async fn lock(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<TicketRow>> {
    diesel::sql_query(format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn id_by_number(conn: &mut Conn, number: &str) -> diesel::QueryResult<Option<Uuid>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let found: Option<Id> = diesel::sql_query("SELECT id FROM tickets WHERE number = $1")
        .bind::<Text, _>(number)
        .cached()
        .get_result(conn)
        .await
        .optional()?;
    Ok(found.map(|f| f.id))
}

/// The ticket holding a message with one of these RFC 5322 ids (the
/// message's In-Reply-To and References), the first id's first.
pub async fn threaded(conn: &mut Conn, ids: &[String]) -> diesel::QueryResult<Option<Uuid>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        ticket_id: Uuid,
    }
    let found: Option<Id> = diesel::sql_query(
        "SELECT m.ticket_id FROM ticket_messages m \
         JOIN unnest($1::text[]) WITH ORDINALITY AS r(id, n) ON r.id = m.message_id \
         ORDER BY r.n LIMIT 1",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(ids)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    Ok(found.map(|f| f.ticket_id))
}

/// The ticket and place of a message already stored under this Message-ID.
pub async fn message_by_id(
    conn: &mut Conn,
    message_id: &str,
) -> diesel::QueryResult<Option<(Uuid, i32)>> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = SqlUuid)]
        ticket_id: Uuid,
        #[diesel(sql_type = Integer)]
        seq: i32,
    }
    let found: Option<Found> =
        diesel::sql_query("SELECT ticket_id, seq FROM ticket_messages WHERE message_id = $1")
            .bind::<Text, _>(message_id)
            .cached()
            .get_result(conn)
            .await
            .optional()?;
    Ok(found.map(|f| (f.ticket_id, f.seq)))
}

pub struct Filter<'a> {
    pub status: Option<TicketStatus>,
    pub channel: Option<&'a str>,
    pub assignee: Option<&'a str>,
    pub order_id: Option<Uuid>,
    pub customer_email: Option<&'a str>,
    /// Newest first, before this id.
    pub before: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(conn: &mut Conn, f: &Filter<'_>) -> diesel::QueryResult<Vec<TicketRow>> {
    diesel::sql_query(format!(
        "SELECT {TICKET_COLUMNS} FROM tickets \
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR channel_id = $2) \
           AND ($3::text IS NULL OR assignee = $3) AND ($4::uuid IS NULL OR order_id = $4) \
           AND ($5::text IS NULL OR customer_email = $5) AND ($6::uuid IS NULL OR id < $6) \
         ORDER BY id DESC LIMIT $7"
    ))
    .bind::<Nullable<Text>, _>(f.status.map(|s| s.as_str()))
    .bind::<Nullable<Text>, _>(f.channel)
    .bind::<Nullable<Text>, _>(f.assignee)
    .bind::<Nullable<SqlUuid>, _>(f.order_id)
    .bind::<Nullable<Text>, _>(f.customer_email)
    .bind::<Nullable<SqlUuid>, _>(f.before)
    .bind::<BigInt, _>(f.limit)
    .cached()
    .load(conn)
    .await
}

/// What changes on a locked ticket; the version goes up by one.
pub struct Changes<'a> {
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub category: Intent,
    pub assignee: Option<&'a str>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// SLA: the terms, the clock, the due times (recomputed on save).
    pub sla: Option<Terms>,
    pub clock: Clock,
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
}

impl<'a> Changes<'a> {
    pub fn of(row: &'a TicketRow) -> Result<Self, ApiError> {
        let view = row.view()?;
        Ok(Self {
            status: view.status,
            priority: view.priority,
            category: view.category,
            assignee: row.assignee.as_deref(),
            first_response_at: row.first_response_at,
            resolved_at: row.resolved_at,
            sla: row.terms()?,
            clock: row.clock(),
            first_response_due_at: row.first_response_due_at,
            resolution_due_at: row.resolution_due_at,
        })
    }
}

pub async fn update(
    conn: &mut Conn,
    id: Uuid,
    c: &Changes<'_>,
    at: DateTime<Utc>,
) -> Result<TicketRow, ApiError> {
    let sla = c
        .sla
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(ApiError::internal)?;
    Ok(diesel::sql_query(format!(
        "UPDATE tickets SET status = $2, priority = $3, category = $4, assignee = $5, \
           first_response_at = $6, resolved_at = $7, updated_at = $8, sla = $9, \
           sla_used_seconds = $10, sla_running_since = $11, first_response_due_at = $12, \
           resolution_due_at = $13, version = version + 1 \
         WHERE id = $1 RETURNING {TICKET_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(c.status.as_str())
    .bind::<Text, _>(c.priority.as_str())
    .bind::<Text, _>(c.category.as_str())
    .bind::<Nullable<Text>, _>(c.assignee)
    .bind::<Nullable<Timestamptz>, _>(c.first_response_at)
    .bind::<Nullable<Timestamptz>, _>(c.resolved_at)
    .bind::<Timestamptz, _>(at)
    .bind::<Nullable<Jsonb>, _>(sla)
    .bind::<BigInt, _>(c.clock.used_seconds)
    .bind::<Nullable<Timestamptz>, _>(c.clock.running_since)
    .bind::<Nullable<Timestamptz>, _>(c.first_response_due_at)
    .bind::<Nullable<Timestamptz>, _>(c.resolution_due_at)
    .cached()
    .get_result(conn)
    .await?)
}

pub struct NewMessage<'a> {
    pub kind: MessageKind,
    pub author: &'a str,
    pub body: &'a str,
    pub message_id: Option<&'a str>,
    pub created_at: DateTime<Utc>,
}

/// Appends a message to a locked ticket's thread; returns its seq.
pub async fn append(conn: &mut Conn, ticket_id: Uuid, m: &NewMessage<'_>) -> Result<i32, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Seq {
        #[diesel(sql_type = Integer)]
        messages: i32,
    }
    let seq: Seq = diesel::sql_query(
        "UPDATE tickets SET messages = messages + 1 WHERE id = $1 RETURNING messages",
    )
    .bind::<SqlUuid, _>(ticket_id)
    .cached()
    .get_result(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO ticket_messages (ticket_id, seq, kind, author, body, message_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind::<SqlUuid, _>(ticket_id)
    .bind::<Integer, _>(seq.messages)
    .bind::<Text, _>(m.kind.as_str())
    .bind::<Text, _>(m.author)
    .bind::<Text, _>(m.body)
    .bind::<Nullable<Text>, _>(m.message_id)
    .bind::<Timestamptz, _>(m.created_at)
    .cached()
    .execute(conn)
    .await?;
    Ok(seq.messages)
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct MessageRow {
    #[diesel(sql_type = Integer)]
    pub seq: i32,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub author: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub message_id: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

impl MessageRow {
    pub fn view(&self) -> Result<MessageView, ApiError> {
        Ok(MessageView {
            seq: self.seq,
            kind: MessageKind::parse(&self.kind)
                .ok_or_else(|| corrupt("message kind", &self.kind))?,
            author: self.author.clone(),
            body: self.body.clone(),
            message_id: self.message_id.clone(),
            created_at: self.created_at,
        })
    }
}

pub async fn messages(conn: &mut Conn, ticket_id: Uuid) -> diesel::QueryResult<Vec<MessageRow>> {
    diesel::sql_query(
        "SELECT seq, kind, author, body, message_id, created_at FROM ticket_messages \
         WHERE ticket_id = $1 ORDER BY seq",
    )
    .bind::<SqlUuid, _>(ticket_id)
    .cached()
    .load(conn)
    .await
}
