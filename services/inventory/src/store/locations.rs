//! Locations: where stock lives.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::inventory::{LocationInput, LocationKind, LocationView};
use platform::ApiError;
use platform::db::CachedExt;
use platform::db::Conn;

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct LocationRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: uuid::Uuid,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Integer)]
    pub priority: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub region: Option<String>,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl LocationRow {
    pub fn view(&self) -> Result<LocationView, ApiError> {
        Ok(LocationView {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: LocationKind::parse(&self.kind).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!(
                    "stored location kind '{}' is invalid",
                    self.kind
                ))
            })?,
            priority: self.priority,
            region: self.region.clone(),
            active: self.active,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const COLUMNS: &str =
    "id, code, name, kind, priority, region, active, version, created_at, updated_at";

pub async fn by_code(conn: &mut Conn, code: &str) -> diesel::QueryResult<Option<LocationRow>> {
    diesel::sql_query(format!("SELECT {COLUMNS} FROM locations WHERE code = $1"))
        .bind::<Text, _>(code)
        .cached()
        .get_result(conn)
        .await
        .optional()
}

/// The location, locked until the transaction ends (a replace reads what it replaces).
pub async fn lock(conn: &mut Conn, code: &str) -> diesel::QueryResult<Option<LocationRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM locations WHERE code = $1 FOR UPDATE"
    ))
    .bind::<Text, _>(code)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn list(conn: &mut Conn) -> diesel::QueryResult<Vec<LocationRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM locations ORDER BY priority, code"
    ))
    .cached()
    .load(conn)
    .await
}

/// Creates the location or replaces its fields (bumping the version).
/// Returns the row and whether it was created.
pub async fn upsert(
    conn: &mut Conn,
    code: &str,
    input: &LocationInput,
) -> diesel::QueryResult<(LocationRow, bool)> {
    #[derive(diesel::QueryableByName)]
    struct Created {
        #[diesel(sql_type = Bool)]
        created: bool,
    }
    let created: Created = diesel::sql_query(
        "INSERT INTO locations (id, code, name, kind, priority, region, active) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, \
         priority = EXCLUDED.priority, region = EXCLUDED.region, active = EXCLUDED.active, \
         version = locations.version + 1, updated_at = now() \
         RETURNING (xmax = 0) AS created",
    )
    .bind::<SqlUuid, _>(uuid::Uuid::now_v7())
    .bind::<Text, _>(code)
    .bind::<Text, _>(input.name.trim())
    .bind::<Text, _>(input.kind.as_str())
    .bind::<Integer, _>(input.priority)
    .bind::<Nullable<Text>, _>(input.region.as_deref())
    .bind::<Bool, _>(input.active)
    .cached()
    .get_result(conn)
    .await?;
    let row = by_code(conn, code)
        .await?
        .ok_or(diesel::result::Error::NotFound)?;
    Ok((row, created.created))
}

/// The quarantine location of `location`: `<code>-Q`, created inactive
/// (never allocated or sold from) the first time damaged goods arrive.
pub async fn quarantine_of(
    conn: &mut Conn,
    location: &LocationRow,
) -> diesel::QueryResult<LocationRow> {
    let base: String = location.code.chars().take(38).collect();
    let code = format!("{base}-Q");
    diesel::sql_query(
        "INSERT INTO locations (id, code, name, kind, priority, region, active) \
         VALUES ($1, $2, $3, $4, $5, $6, false) ON CONFLICT (code) DO NOTHING",
    )
    .bind::<SqlUuid, _>(uuid::Uuid::now_v7())
    .bind::<Text, _>(&code)
    .bind::<Text, _>(format!("Quarantine of {}", location.code))
    .bind::<Text, _>(&location.kind)
    .bind::<Integer, _>(location.priority)
    .bind::<Nullable<Text>, _>(location.region.as_deref())
    .cached()
    .execute(conn)
    .await?;
    by_code(conn, &code)
        .await?
        .ok_or(diesel::result::Error::NotFound)
}
