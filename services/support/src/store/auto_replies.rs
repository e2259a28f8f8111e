//! The categories an admin lets auto-reply, and above which confidence.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Bool, Double, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use platform::db::{CachedExt, Conn};

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct AutoReplyRow {
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Bool)]
    pub enabled: bool,
    #[diesel(sql_type = Double)]
    pub min_confidence: f64,
    #[diesel(sql_type = Text)]
    pub updated_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

pub async fn all(conn: &mut Conn) -> diesel::QueryResult<Vec<AutoReplyRow>> {
    diesel::sql_query(
        "SELECT category, enabled, min_confidence, updated_by, updated_at FROM auto_replies \
         ORDER BY category",
    )
    .cached()
    .load(conn)
    .await
}

pub async fn of(conn: &mut Conn, category: &str) -> diesel::QueryResult<Option<AutoReplyRow>> {
    diesel::sql_query(
        "SELECT category, enabled, min_confidence, updated_by, updated_at FROM auto_replies \
         WHERE category = $1",
    )
    .bind::<Text, _>(category)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn put(
    conn: &mut Conn,
    category: &str,
    enabled: bool,
    min_confidence: f64,
    actor: &str,
) -> diesel::QueryResult<AutoReplyRow> {
    diesel::sql_query(
        "INSERT INTO auto_replies (category, enabled, min_confidence, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, now()) \
         ON CONFLICT (category) DO UPDATE SET enabled = EXCLUDED.enabled, \
           min_confidence = EXCLUDED.min_confidence, updated_by = EXCLUDED.updated_by, \
           updated_at = EXCLUDED.updated_at \
         RETURNING category, enabled, min_confidence, updated_by, updated_at",
    )
    .bind::<Text, _>(category)
    .bind::<Bool, _>(enabled)
    .bind::<Double, _>(min_confidence)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await
}
