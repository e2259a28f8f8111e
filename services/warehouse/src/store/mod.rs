//! Warehouse persistence. Every function runs on the connection the caller
//! passes, so the caller decides the transaction.
//!
//! Lock order, everywhere, so concurrent transactions never deadlock:
//! fulfillment rows (by id) → pick task → package → exception.

pub mod bins;
pub mod fulfillments;
pub mod packing;
pub mod picking;

use chrono::{DateTime, NaiveTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Jsonb, Nullable, Text, Time, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::warehouse::{
    AuditEntry, ExceptionQuery, ExceptionView, QualityRuleInput, QualityRuleView, QualityScope,
    ServiceLevelInput, ServiceLevelView, StageMinutes,
};
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use crate::domain::ServiceLevel;

/// Records a SKU and its barcode from a catalog event; an older event never
/// overwrites a newer one.
pub async fn upsert_sku(
    conn: &mut Conn,
    sku: &str,
    product_id: Uuid,
    title: &str,
    gtin: Option<&str>,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO skus (sku, product_id, title, gtin, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (sku) DO UPDATE SET product_id = EXCLUDED.product_id, title = EXCLUDED.title, \
         gtin = EXCLUDED.gtin, updated_at = EXCLUDED.updated_at WHERE skus.updated_at <= EXCLUDED.updated_at",
    )
    .bind::<Text, _>(sku)
    .bind::<SqlUuid, _>(product_id)
    .bind::<Text, _>(title)
    .bind::<Nullable<Text>, _>(gtin)
    .bind::<Timestamptz, _>(at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Of `skus`, those the catalog has not announced.
pub async fn unknown_skus(conn: &mut Conn, skus: &[String]) -> diesel::QueryResult<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Unknown {
        #[diesel(sql_type = Text)]
        sku: String,
    }
    let rows: Vec<Unknown> = diesel::sql_query(
        "SELECT s AS sku FROM unnest($1::text[]) s WHERE NOT EXISTS (SELECT 1 FROM skus WHERE sku = s)",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.sku).collect())
}

/// A SKU's normalized GTIN, if the catalog gave it one.
pub async fn gtin_of(conn: &mut Conn, sku: &str) -> diesel::QueryResult<Option<String>> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = Nullable<Text>)]
        gtin: Option<String>,
    }
    let row: Option<Found> = diesel::sql_query("SELECT gtin FROM skus WHERE sku = $1")
        .bind::<Text, _>(sku)
        .cached()
        .get_result(conn)
        .await
        .optional()?;
    Ok(row.and_then(|r| r.gtin))
}

/// Applies a ChannelUpserted unless a newer version is already recorded.
pub async fn upsert_channel(
    conn: &mut Conn,
    e: &domain::events::proto::orders::v1::ChannelUpserted,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO channels (id, kind, name, version) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, \
         version = EXCLUDED.version WHERE channels.version < EXCLUDED.version",
    )
    .bind::<Text, _>(&e.channel_id)
    .bind::<Text, _>(&e.kind)
    .bind::<Text, _>(&e.name)
    .bind::<BigInt, _>(e.version)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn channel_known(conn: &mut Conn, id: &str) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Known {
        #[diesel(sql_type = Bool)]
        known: bool,
    }
    let row: Known =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM channels WHERE id = $1) AS known")
            .bind::<Text, _>(id)
            .cached()
            .get_result(conn)
            .await?;
    Ok(row.known)
}

#[derive(diesel::QueryableByName)]
struct ServiceLevelRow {
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Time)]
    cutoff_time: NaiveTime,
    #[diesel(sql_type = Time)]
    ship_by_time: NaiveTime,
    #[diesel(sql_type = Integer)]
    handling_days: i32,
    #[diesel(sql_type = Text)]
    carrier: String,
    #[diesel(sql_type = Text)]
    carrier_service: String,
    #[diesel(sql_type = Integer)]
    release_minutes: i32,
    #[diesel(sql_type = Integer)]
    pick_minutes: i32,
    #[diesel(sql_type = Integer)]
    pack_minutes: i32,
    #[diesel(sql_type = Integer)]
    ship_minutes: i32,
    #[diesel(sql_type = BigInt)]
    version: i64,
}

impl ServiceLevelRow {
    fn level(&self) -> ServiceLevel {
        ServiceLevel {
            cutoff_time: self.cutoff_time,
            ship_by_time: self.ship_by_time,
            handling_days: self.handling_days,
            carrier: self.carrier.clone(),
            carrier_service: self.carrier_service.clone(),
            targets: StageMinutes {
                release: self.release_minutes,
                pick: self.pick_minutes,
                pack: self.pack_minutes,
                ship: self.ship_minutes,
            },
        }
    }
}

fn level_view(
    channel_id: &str,
    level: ServiceLevel,
    configured: bool,
    version: i64,
) -> ServiceLevelView {
    ServiceLevelView {
        channel_id: channel_id.to_string(),
        cutoff_time: level.cutoff_time,
        ship_by_time: level.ship_by_time,
        handling_days: level.handling_days,
        carrier: level.carrier,
        carrier_service: level.carrier_service,
        targets: level.targets,
        configured,
        version,
    }
}

const LEVEL_COLUMNS: &str = "channel_id, cutoff_time, ship_by_time, handling_days, carrier, \
    carrier_service, release_minutes, pick_minutes, pack_minutes, ship_minutes, version";

/// A channel's service level, or the defaults when none is configured.
pub async fn service_level(
    conn: &mut Conn,
    channel_id: &str,
) -> diesel::QueryResult<ServiceLevelView> {
    let row: Option<ServiceLevelRow> = diesel::sql_query(format!(
        "SELECT {LEVEL_COLUMNS} FROM service_levels WHERE channel_id = $1"
    ))
    .bind::<Text, _>(channel_id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    Ok(match row {
        Some(r) => level_view(channel_id, r.level(), true, r.version),
        None => level_view(channel_id, ServiceLevel::default(), false, 0),
    })
}

pub fn level_of(view: &ServiceLevelView) -> ServiceLevel {
    ServiceLevel {
        cutoff_time: view.cutoff_time,
        ship_by_time: view.ship_by_time,
        handling_days: view.handling_days,
        carrier: view.carrier.clone(),
        carrier_service: view.carrier_service.clone(),
        targets: view.targets,
    }
}

/// Every configured service level's targets, by channel (for at-risk work).
pub async fn all_targets(
    conn: &mut Conn,
) -> diesel::QueryResult<std::collections::HashMap<String, StageMinutes>> {
    let rows: Vec<ServiceLevelRow> =
        diesel::sql_query(format!("SELECT {LEVEL_COLUMNS} FROM service_levels"))
            .cached()
            .load(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.channel_id.clone(), r.level().targets))
        .collect())
}

pub async fn put_service_level(
    conn: &mut Conn,
    channel_id: &str,
    input: &ServiceLevelInput,
    actor: &str,
) -> diesel::QueryResult<ServiceLevelView> {
    let row: ServiceLevelRow = diesel::sql_query(format!(
        "INSERT INTO service_levels (channel_id, cutoff_time, ship_by_time, handling_days, carrier, \
         carrier_service, release_minutes, pick_minutes, pack_minutes, ship_minutes, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (channel_id) DO UPDATE SET cutoff_time = EXCLUDED.cutoff_time, \
           ship_by_time = EXCLUDED.ship_by_time, handling_days = EXCLUDED.handling_days, \
           carrier = EXCLUDED.carrier, carrier_service = EXCLUDED.carrier_service, \
           release_minutes = EXCLUDED.release_minutes, pick_minutes = EXCLUDED.pick_minutes, \
           pack_minutes = EXCLUDED.pack_minutes, ship_minutes = EXCLUDED.ship_minutes, \
           updated_by = EXCLUDED.updated_by, updated_at = now(), version = service_levels.version + 1 \
         RETURNING {LEVEL_COLUMNS}"
    ))
    .bind::<Text, _>(channel_id)
    .bind::<Time, _>(input.cutoff_time)
    .bind::<Time, _>(input.ship_by_time)
    .bind::<Integer, _>(input.handling_days)
    .bind::<Text, _>(input.carrier.trim())
    .bind::<Text, _>(input.carrier_service.trim())
    .bind::<Integer, _>(input.targets.release)
    .bind::<Integer, _>(input.targets.pick)
    .bind::<Integer, _>(input.targets.pack)
    .bind::<Integer, _>(input.targets.ship)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await?;
    Ok(level_view(channel_id, row.level(), true, row.version))
}

#[derive(diesel::QueryableByName)]
struct RuleRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    scope: String,
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = Nullable<Text>)]
    note: Option<String>,
    #[diesel(sql_type = Text)]
    created_by: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

impl RuleRow {
    fn view(self) -> QualityRuleView {
        QualityRuleView {
            id: self.id,
            scope: if self.scope == "sku" {
                QualityScope::Sku
            } else {
                QualityScope::Channel
            },
            value: self.value,
            note: self.note,
            created_by: self.created_by,
            created_at: self.created_at,
        }
    }
}

/// Adds a rule; `None` when the same rule already exists.
pub async fn create_rule(
    conn: &mut Conn,
    input: &QualityRuleInput,
    actor: &str,
) -> diesel::QueryResult<Option<QualityRuleView>> {
    let row: Option<RuleRow> = diesel::sql_query(
        "INSERT INTO quality_rules (id, scope, value, note, created_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (scope, value) DO NOTHING \
         RETURNING id, scope, value, note, created_by, created_at",
    )
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<Text, _>(input.scope.as_str())
    .bind::<Text, _>(input.value.trim())
    .bind::<Nullable<Text>, _>(input.note.as_deref())
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(RuleRow::view))
}

pub async fn rules(conn: &mut Conn) -> diesel::QueryResult<Vec<QualityRuleView>> {
    let rows: Vec<RuleRow> = diesel::sql_query(
        "SELECT id, scope, value, note, created_by, created_at FROM quality_rules ORDER BY scope, value",
    )
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(RuleRow::view).collect())
}

pub async fn delete_rule(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<bool> {
    let n = diesel::sql_query("DELETE FROM quality_rules WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .cached()
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Whether a package of `channel_id` holding `skus` needs a quality check.
pub async fn needs_quality_check(
    conn: &mut Conn,
    channel_id: &str,
    skus: &[String],
) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Needed {
        #[diesel(sql_type = Bool)]
        needed: bool,
    }
    let row: Needed = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM quality_rules WHERE (scope = 'channel' AND value = $1) \
         OR (scope = 'sku' AND value = ANY($2))) AS needed",
    )
    .bind::<Text, _>(channel_id)
    .bind::<Array<Text>, _>(skus)
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.needed)
}

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
