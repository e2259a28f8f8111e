//! Warehouse persistence. Every function runs on the connection the caller
//! passes, so the caller decides the transaction.
//!
//! Lock order, everywhere, so concurrent transactions never deadlock:
//! fulfillment rows (by id) → pick task → package → exception.

pub mod bins;
mod exceptions;
pub mod fulfillments;
pub mod packing;
pub mod picking;
mod projections;
pub mod receiving;
pub mod returns;
mod setup;

pub use exceptions::{NewException, exception, exceptions, record_exception, resolve_exception};
pub use projections::{channel_known, gtin_of, unknown_skus, upsert_channel, upsert_sku};
pub use setup::{
    all_targets, create_rule, delete_rule, level_of, needs_quality_check, put_service_level, rules,
    service_level,
};

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::warehouse::AuditEntry;
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

/// Writes one audit entry.
pub async fn audit(
    conn: &mut Conn,
    actor: &str,
    action: &str,
    fulfillment_id: Option<Uuid>,
    detail: serde_json::Value,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO audit_log (actor, action, fulfillment_id, detail) VALUES ($1, $2, $3, $4)",
    )
    .bind::<Text, _>(actor)
    .bind::<Text, _>(action)
    .bind::<Nullable<SqlUuid>, _>(fulfillment_id)
    .bind::<Jsonb, _>(detail)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// The same audit entry for several fulfillments, in one statement.
pub async fn audit_each(
    conn: &mut Conn,
    actor: &str,
    action: &str,
    fulfillment_ids: &[Uuid],
    detail: serde_json::Value,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO audit_log (actor, action, fulfillment_id, detail) \
         SELECT $1, $2, f, $4 FROM unnest($3::uuid[]) f",
    )
    .bind::<Text, _>(actor)
    .bind::<Text, _>(action)
    .bind::<Array<SqlUuid>, _>(fulfillment_ids)
    .bind::<Jsonb, _>(detail)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn audit_of(
    conn: &mut Conn,
    fulfillment_id: Uuid,
) -> diesel::QueryResult<Vec<AuditEntry>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Timestamptz)]
        at: DateTime<Utc>,
        #[diesel(sql_type = Text)]
        actor: String,
        #[diesel(sql_type = Text)]
        action: String,
        #[diesel(sql_type = Jsonb)]
        detail: serde_json::Value,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id, at, actor, action, detail FROM audit_log WHERE fulfillment_id = $1 ORDER BY id",
    )
    .bind::<SqlUuid, _>(fulfillment_id)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            detail: r.detail,
        })
        .collect())
}
