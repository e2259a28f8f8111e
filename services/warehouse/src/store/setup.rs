//! Floor setup: channels' service levels and the quality-check rules.

use chrono::{DateTime, NaiveTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Nullable, Text, Time, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::warehouse::{
    QualityRuleInput, QualityRuleView, QualityScope, ServiceLevelInput, ServiceLevelView,
    StageMinutes,
};
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use crate::domain::ServiceLevel;

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
