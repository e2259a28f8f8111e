//! SLA policies, and the tickets whose timers fall due.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use super::corrupt;
use super::tickets::{TICKET_COLUMNS, TicketRow};
use crate::domain::sla::{Calendar, Terms};

/// The `channel_id` of the policy for channels without their own.
pub const DEFAULT_CHANNEL: &str = "default";

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct PolicyRow {
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Text)]
    pub priority: String,
    #[diesel(sql_type = BigInt)]
    pub first_response_seconds: i64,
    #[diesel(sql_type = BigInt)]
    pub resolution_seconds: i64,
    #[diesel(sql_type = Jsonb)]
    pub calendar: serde_json::Value,
    #[diesel(sql_type = Text)]
    pub updated_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl PolicyRow {
    pub fn calendar(&self) -> Result<Calendar, ApiError> {
        serde_json::from_value(self.calendar.clone())
            .map_err(|_| corrupt("SLA calendar", &self.calendar.to_string()))
    }

    pub fn terms(&self) -> Result<Terms, ApiError> {
        Ok(Terms {
            policy: format!("{}/{}", self.channel_id, self.priority),
            first_response_seconds: self.first_response_seconds,
            resolution_seconds: self.resolution_seconds,
            calendar: self.calendar()?,
        })
    }
}

const POLICY_COLUMNS: &str = "channel_id, priority, first_response_seconds, resolution_seconds, \
     calendar, updated_by, updated_at";

pub async fn policies(conn: &mut Conn) -> diesel::QueryResult<Vec<PolicyRow>> {
    diesel::sql_query(format!(
        "SELECT {POLICY_COLUMNS} FROM sla_policies ORDER BY channel_id, priority"
    ))
    .cached()
    .load(conn)
    .await
}

pub async fn policy(
    conn: &mut Conn,
    channel_id: &str,
    priority: &str,
) -> diesel::QueryResult<Option<PolicyRow>> {
    diesel::sql_query(format!(
        "SELECT {POLICY_COLUMNS} FROM sla_policies WHERE channel_id = $1 AND priority = $2"
    ))
    .bind::<Text, _>(channel_id)
    .bind::<Text, _>(priority)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// The terms a ticket of `channel` (None: no channel) and `priority` is held
/// to: its channel's policy, else the default one, else none.
pub async fn terms_for(
    conn: &mut Conn,
    channel: Option<&str>,
    priority: &str,
) -> Result<Option<Terms>, ApiError> {
    let row: Option<PolicyRow> = diesel::sql_query(format!(
        "SELECT {POLICY_COLUMNS} FROM sla_policies \
         WHERE priority = $2 AND (channel_id = $1 OR channel_id = 'default') \
         ORDER BY (channel_id = 'default') LIMIT 1"
    ))
    .bind::<Nullable<Text>, _>(channel)
    .bind::<Text, _>(priority)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    row.map(|r| r.terms()).transpose()
}

pub async fn put(
    conn: &mut Conn,
    channel_id: &str,
    priority: &str,
    first_response_seconds: i64,
    resolution_seconds: i64,
    calendar: &Calendar,
    actor: &str,
) -> Result<PolicyRow, ApiError> {
    let calendar = serde_json::to_value(calendar).map_err(ApiError::internal)?;
    Ok(diesel::sql_query(format!(
        "INSERT INTO sla_policies (channel_id, priority, first_response_seconds, \
           resolution_seconds, calendar, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, now()) \
         ON CONFLICT (channel_id, priority) DO UPDATE SET \
           first_response_seconds = EXCLUDED.first_response_seconds, \
           resolution_seconds = EXCLUDED.resolution_seconds, calendar = EXCLUDED.calendar, \
           updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at \
         RETURNING {POLICY_COLUMNS}"
    ))
    .bind::<Text, _>(channel_id)
    .bind::<Text, _>(priority)
    .bind::<BigInt, _>(first_response_seconds)
    .bind::<BigInt, _>(resolution_seconds)
    .bind::<Jsonb, _>(calendar)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await?)
}

/// Tickets with a timer past due and not yet escalated, locked (others'
/// sweeps skip them).
pub async fn claim_breached(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: i64,
) -> diesel::QueryResult<Vec<TicketRow>> {
    diesel::sql_query(format!(
        "SELECT {TICKET_COLUMNS} FROM tickets \
         WHERE (first_response_due_at <= $1 AND first_response_breached_at IS NULL) \
            OR (resolution_due_at <= $1 AND resolution_breached_at IS NULL) \
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED"
    ))
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await
}

/// Records that a ticket's timer was missed (once: only where not yet).
pub async fn mark_breached(
    conn: &mut Conn,
    id: Uuid,
    first_response: bool,
    resolution: bool,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE tickets SET \
           first_response_breached_at = CASE WHEN $2 THEN coalesce(first_response_breached_at, $4) \
             ELSE first_response_breached_at END, \
           resolution_breached_at = CASE WHEN $3 THEN coalesce(resolution_breached_at, $4) \
             ELSE resolution_breached_at END \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<diesel::sql_types::Bool, _>(first_response)
    .bind::<diesel::sql_types::Bool, _>(resolution)
    .bind::<Timestamptz, _>(at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Tickets with a live timer due by `by` (breached ones included), the
/// soonest first; each timer found through its own index of live timers.
pub async fn at_risk(
    conn: &mut Conn,
    by: DateTime<Utc>,
    channel: Option<&str>,
    limit: i64,
) -> diesel::QueryResult<Vec<TicketRow>> {
    diesel::sql_query(format!(
        "SELECT {TICKET_COLUMNS} FROM tickets \
         WHERE id IN (SELECT id FROM tickets WHERE first_response_due_at <= $1 \
                      UNION SELECT id FROM tickets WHERE resolution_due_at <= $1) \
           AND ($2::text IS NULL OR channel_id = $2) \
         ORDER BY least(first_response_due_at, resolution_due_at), id LIMIT $3"
    ))
    .bind::<Timestamptz, _>(by)
    .bind::<Nullable<Text>, _>(channel)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await
}
