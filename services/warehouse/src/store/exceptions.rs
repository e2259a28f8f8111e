//! Floor exceptions: refused scans (recorded), and short picks, failed
//! quality checks and cancelled picked work (open until ops resolve them).

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::warehouse::{ExceptionQuery, ExceptionView};
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

/// A floor exception to record.
pub struct NewException<'a> {
    pub kind: &'a str,
    /// recorded (a rejected scan) or open (needs ops).
    pub status: &'a str,
    pub fulfillment_id: Option<Uuid>,
    pub pick_task_id: Option<Uuid>,
    pub package_id: Option<Uuid>,
    pub detail: &'a str,
    pub actor: &'a str,
}

pub async fn record_exception(conn: &mut Conn, e: NewException<'_>) -> diesel::QueryResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO floor_exceptions (id, kind, status, fulfillment_id, pick_task_id, package_id, \
         detail, reported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(e.kind)
    .bind::<Text, _>(e.status)
    .bind::<Nullable<SqlUuid>, _>(e.fulfillment_id)
    .bind::<Nullable<SqlUuid>, _>(e.pick_task_id)
    .bind::<Nullable<SqlUuid>, _>(e.package_id)
    .bind::<Text, _>(e.detail)
    .bind::<Text, _>(e.actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(id)
}

#[derive(diesel::QueryableByName)]
pub struct ExceptionRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub fulfillment_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub pick_task_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub package_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub detail: String,
    #[diesel(sql_type = Text)]
    pub reported_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub reported_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub resolution: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub resolved_by: Option<String>,
}

impl ExceptionRow {
    pub fn view(self) -> ExceptionView {
        ExceptionView {
            id: self.id,
            kind: self.kind,
            status: self.status,
            fulfillment_id: self.fulfillment_id,
            pick_task_id: self.pick_task_id,
            package_id: self.package_id,
            detail: self.detail,
            reported_by: self.reported_by,
            reported_at: self.reported_at,
            resolution: self.resolution,
            resolved_by: self.resolved_by,
        }
    }
}

const EXCEPTION_COLUMNS: &str = "id, kind, status, fulfillment_id, pick_task_id, package_id, detail, \
    reported_by, reported_at, resolution, resolved_by";

pub async fn exceptions(
    conn: &mut Conn,
    q: &ExceptionQuery,
    after: Option<Uuid>,
    limit: i64,
) -> diesel::QueryResult<Vec<ExceptionView>> {
    let rows: Vec<ExceptionRow> = diesel::sql_query(format!(
        "SELECT {EXCEPTION_COLUMNS} FROM floor_exceptions \
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2) \
           AND ($3::uuid IS NULL OR fulfillment_id = $3) AND ($4::uuid IS NULL OR id > $4) \
         ORDER BY id LIMIT $5"
    ))
    .bind::<Nullable<Text>, _>(q.status.as_deref())
    .bind::<Nullable<Text>, _>(q.kind.as_deref())
    .bind::<Nullable<SqlUuid>, _>(q.fulfillment_id)
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(ExceptionRow::view).collect())
}

pub async fn exception(
    conn: &mut Conn,
    id: Uuid,
    lock: bool,
) -> diesel::QueryResult<Option<ExceptionRow>> {
    let sql = if lock {
        format!("SELECT {EXCEPTION_COLUMNS} FROM floor_exceptions WHERE id = $1 FOR UPDATE")
    } else {
        format!("SELECT {EXCEPTION_COLUMNS} FROM floor_exceptions WHERE id = $1")
    };
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await
        .optional()
}

pub async fn resolve_exception(
    conn: &mut Conn,
    id: Uuid,
    resolution: &str,
    actor: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE floor_exceptions SET status = 'resolved', resolution = $2, resolved_by = $3, \
         resolved_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(resolution)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
