//! Attachment content, stored once per SHA-256, and which tickets hold it.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{BigInt, Binary, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

/// Stores the content unless it is stored already (the same photo sent
/// twice, or to two tickets, is kept once).
pub async fn store_blob(
    conn: &mut Conn,
    sha256: &str,
    content_type: &str,
    content: &[u8],
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO attachment_blobs (sha256, content_type, size_bytes, content) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind::<Text, _>(sha256)
    .bind::<Text, _>(content_type)
    .bind::<BigInt, _>(content.len() as i64)
    .bind::<Binary, _>(content)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Attaches stored content to a ticket (once per ticket and content).
pub async fn attach(
    conn: &mut Conn,
    ticket_id: Uuid,
    sha256: &str,
    filename: &str,
    message_seq: Option<i32>,
    added_by: &str,
) -> diesel::QueryResult<bool> {
    let n = diesel::sql_query(
        "INSERT INTO ticket_attachments (ticket_id, sha256, filename, message_seq, added_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ticket_id, sha256) DO NOTHING",
    )
    .bind::<SqlUuid, _>(ticket_id)
    .bind::<Text, _>(sha256)
    .bind::<Text, _>(filename)
    .bind::<Nullable<Integer>, _>(message_seq)
    .bind::<Text, _>(added_by)
    .cached()
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Ties attachments already on the ticket to the message that carries them.
pub async fn set_message(
    conn: &mut Conn,
    ticket_id: Uuid,
    sha256: &[String],
    message_seq: i32,
) -> diesel::QueryResult<usize> {
    diesel::sql_query(
        "UPDATE ticket_attachments SET message_seq = $3 \
         WHERE ticket_id = $1 AND sha256 = ANY($2) AND message_seq IS NULL",
    )
    .bind::<SqlUuid, _>(ticket_id)
    .bind::<diesel::sql_types::Array<Text>, _>(sha256)
    .bind::<Integer, _>(message_seq)
    .cached()
    .execute(conn)
    .await
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct AttachmentRow {
    #[diesel(sql_type = Text)]
    pub sha256: String,
    #[diesel(sql_type = Text)]
    pub filename: String,
    #[diesel(sql_type = Text)]
    pub content_type: String,
    #[diesel(sql_type = BigInt)]
    pub size_bytes: i64,
    #[diesel(sql_type = Nullable<Integer>)]
    pub message_seq: Option<i32>,
    #[diesel(sql_type = Timestamptz)]
    pub added_at: DateTime<Utc>,
}

pub async fn of_ticket(
    conn: &mut Conn,
    ticket_id: Uuid,
) -> diesel::QueryResult<Vec<AttachmentRow>> {
    diesel::sql_query(
        "SELECT a.sha256, a.filename, b.content_type, b.size_bytes, a.message_seq, a.added_at \
         FROM ticket_attachments a JOIN attachment_blobs b USING (sha256) \
         WHERE a.ticket_id = $1 ORDER BY a.added_at, a.sha256",
    )
    .bind::<SqlUuid, _>(ticket_id)
    .cached()
    .load(conn)
    .await
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Content {
    #[diesel(sql_type = Text)]
    pub filename: String,
    #[diesel(sql_type = Text)]
    pub content_type: String,
    #[diesel(sql_type = Binary)]
    pub content: Vec<u8>,
}

/// The content of an attachment the ticket holds (none if it holds no such).
pub async fn content(
    conn: &mut Conn,
    ticket_id: Uuid,
    sha256: &str,
) -> diesel::QueryResult<Option<Content>> {
    diesel::sql_query(
        "SELECT a.filename, b.content_type, b.content \
         FROM ticket_attachments a JOIN attachment_blobs b USING (sha256) \
         WHERE a.ticket_id = $1 AND a.sha256 = $2",
    )
    .bind::<SqlUuid, _>(ticket_id)
    .bind::<Text, _>(sha256)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// Whether the attachment came with an internal note (staff only).
pub async fn on_note(conn: &mut Conn, ticket_id: Uuid, sha256: &str) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        note: bool,
    }
    let found: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM ticket_attachments a JOIN ticket_messages m \
           ON m.ticket_id = a.ticket_id AND m.seq = a.message_seq \
         WHERE a.ticket_id = $1 AND a.sha256 = $2 AND m.kind = 'note') AS note",
    )
    .bind::<SqlUuid, _>(ticket_id)
    .bind::<Text, _>(sha256)
    .cached()
    .get_result(conn)
    .await?;
    Ok(found.note)
}
