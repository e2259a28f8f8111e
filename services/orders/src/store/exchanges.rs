//! Exchanges: the returned lines to send again for a return, and the
//! replacement order placed for them (or why it could not be).

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::orders::corrupt;

/// A unit to send again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExchangeLine {
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ExchangeRow {
    #[diesel(sql_type = SqlUuid)]
    pub return_id: Uuid,
    #[diesel(sql_type = Text)]
    pub return_number: String,
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Jsonb)]
    lines: serde_json::Value,
    #[diesel(sql_type = Text)]
    pub reservation: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub replacement_order_id: Option<Uuid>,
}

impl ExchangeRow {
    pub fn lines(&self) -> Result<Vec<ExchangeLine>, ApiError> {
        serde_json::from_value(self.lines.clone()).map_err(|_| corrupt("exchange lines", "json"))
    }
}

const COLUMNS: &str =
    "return_id, return_number, order_id, lines, reservation, replacement_order_id";

/// Records an exchange once; false when it was recorded before.
pub async fn insert(
    conn: &mut Conn,
    return_id: Uuid,
    return_number: &str,
    order_id: Uuid,
    lines: &[ExchangeLine],
    reservation: &str,
) -> Result<bool, ApiError> {
    let n = diesel::sql_query(
        "INSERT INTO exchanges (return_id, return_number, order_id, lines, reservation) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (return_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Text, _>(return_number)
    .bind::<SqlUuid, _>(order_id)
    .bind::<Jsonb, _>(serde_json::to_value(lines).map_err(ApiError::internal)?)
    .bind::<Text, _>(reservation)
    .cached()
    .execute(conn)
    .await?;
    Ok(n == 1)
}

pub async fn lock(conn: &mut Conn, return_id: Uuid) -> diesel::QueryResult<Option<ExchangeRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM exchanges WHERE return_id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(return_id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// The replacement placed, or why it could not be.
pub async fn settle(
    conn: &mut Conn,
    return_id: Uuid,
    replacement: Option<Uuid>,
    failure: Option<&str>,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE exchanges SET replacement_order_id = $2, failure = $3, \
           placed_at = CASE WHEN $2 IS NULL THEN NULL ELSE $4 END WHERE return_id = $1",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Nullable<SqlUuid>, _>(replacement)
    .bind::<Nullable<Text>, _>(failure)
    .bind::<diesel::sql_types::Timestamptz, _>(at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
