//! Waves, their pick lists (one per zone) and pick tasks in bin walking order.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::warehouse::{PickListView, PickTaskStatus, PickTaskView, WaveView};
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use super::fulfillments::Head;
use crate::domain::picking::{PlannedTask, TaskState};

/// Open fulfillments at a location that a wave may take, earliest ship-by
/// first. Rows another release is taking are skipped, so two concurrent
/// releases never take the same fulfillment.
pub async fn releasable(
    conn: &mut Conn,
    location: &str,
    carrier: Option<&str>,
    ship_by_before: Option<DateTime<Utc>>,
    limit: i64,
) -> diesel::QueryResult<Vec<Head>> {
    diesel::sql_query(
        "SELECT id, order_id, channel_id, external_order_id, location_code, origin, status, \
         on_hold, carrier, carrier_service, ship_by, wave_id, placed_at, confirmed_at, created_at, \
         released_at, picked_at, packed_at, shipped_at, cancelled_at, version \
         FROM fulfillments WHERE status = 'open' AND NOT on_hold AND location_code = $1 \
           AND ($2::text IS NULL OR carrier = $2) AND ($3::timestamptz IS NULL OR ship_by <= $3) \
         ORDER BY ship_by, created_at, id LIMIT $4 FOR UPDATE SKIP LOCKED",
    )
    .bind::<Text, _>(location)
    .bind::<Nullable<Text>, _>(carrier)
    .bind::<Nullable<Timestamptz>, _>(ship_by_before)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await
}

pub struct NewWave<'a> {
    pub id: Uuid,
    pub location: &'a str,
    pub kind: &'a str,
    pub carrier: Option<&'a str>,
    pub ship_by_before: Option<DateTime<Utc>>,
    pub actor: &'a str,
}

/// Writes a wave, one pick list per zone with its tasks, and moves the
/// fulfillments onto it.
pub async fn create_wave(
    conn: &mut Conn,
    wave: &NewWave<'_>,
    fulfillment_ids: &[Uuid],
    tasks: &[PlannedTask],
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO waves (id, location_code, kind, status, carrier, ship_by_before, released_by) \
         VALUES ($1, $2, $3, 'released', $4, $5, $6)",
    )
    .bind::<SqlUuid, _>(wave.id)
    .bind::<Text, _>(wave.location)
    .bind::<Text, _>(wave.kind)
    .bind::<Nullable<Text>, _>(wave.carrier)
    .bind::<Nullable<Timestamptz>, _>(wave.ship_by_before)
    .bind::<Text, _>(wave.actor)
    .cached()
    .execute(conn)
    .await?;
    let mut lists: HashMap<&str, Uuid> = HashMap::new();
    for t in tasks {
        lists.entry(t.zone.as_str()).or_insert_with(Uuid::now_v7);
    }
    let (zones, list_ids): (Vec<&str>, Vec<Uuid>) = lists.iter().map(|(z, id)| (*z, *id)).unzip();
    diesel::sql_query(
        "INSERT INTO pick_lists (id, wave_id, zone, status) \
         SELECT id, $1, zone, 'open' FROM unnest($2::uuid[], $3::text[]) AS t(id, zone)",
    )
    .bind::<SqlUuid, _>(wave.id)
    .bind::<Array<SqlUuid>, _>(&list_ids)
    .bind::<Array<Text>, _>(&zones)
    .cached()
    .execute(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO pick_tasks (id, pick_list_id, fulfillment_id, line_no, sku, bin_id, bin_code, \
         walk_sequence, quantity, status) \
         SELECT id, list, f, line_no, sku, bin, code, walk, quantity, 'open' \
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::uuid[], \
                     $7::text[], $8::int[], $9::bigint[]) \
           AS t(id, list, f, line_no, sku, bin, code, walk, quantity)",
    )
    .bind::<Array<SqlUuid>, _>(tasks.iter().map(|_| Uuid::now_v7()).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(
        tasks
            .iter()
            .map(|t| lists[t.zone.as_str()])
            .collect::<Vec<_>>(),
    )
    .bind::<Array<SqlUuid>, _>(tasks.iter().map(|t| t.fulfillment_id).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(tasks.iter().map(|t| t.line_no).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(tasks.iter().map(|t| t.sku.clone()).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(tasks.iter().map(|t| t.bin_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(tasks.iter().map(|t| t.bin_code.clone()).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(tasks.iter().map(|t| t.walk_sequence).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(tasks.iter().map(|t| t.quantity).collect::<Vec<_>>())
    .cached()
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE fulfillments SET status = 'released', wave_id = $1, released_at = now(), \
         version = version + 1, updated_at = now() WHERE id = ANY($2)",
    )
    .bind::<SqlUuid, _>(wave.id)
    .bind::<Array<SqlUuid>, _>(fulfillment_ids)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct TaskRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub pick_list_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub fulfillment_id: Uuid,
    #[diesel(sql_type = Integer)]
    pub line_no: i32,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub gtin: Option<String>,
    #[diesel(sql_type = Text)]
    pub bin_code: String,
    #[diesel(sql_type = Integer)]
    pub walk_sequence: i32,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
    #[diesel(sql_type = BigInt)]
    pub picked: i64,
    #[diesel(sql_type = BigInt)]
    pub short: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
}

impl TaskRow {
    pub fn open(&self) -> i64 {
        self.quantity - self.picked - self.short
    }

    pub fn status(&self) -> PickTaskStatus {
        PickTaskStatus::parse(&self.status).unwrap_or(PickTaskStatus::Open)
    }

    pub fn state(&self) -> TaskState<'_> {
        TaskState {
            id: self.id,
            status: self.status(),
            sku: &self.sku,
            gtin: self.gtin.as_deref(),
            bin_code: &self.bin_code,
            to_pick: self.open(),
        }
    }

    pub fn view(self) -> PickTaskView {
        let status = self.status();
        PickTaskView {
            id: self.id,
            fulfillment_id: self.fulfillment_id,
            line_no: self.line_no,
            sku: self.sku,
            gtin: self.gtin,
            bin_code: self.bin_code,
            walk_sequence: self.walk_sequence,
            quantity: self.quantity,
            picked: self.picked,
            short: self.short,
            status,
        }
    }
}

const TASK_SELECT: &str = "SELECT t.id, t.pick_list_id, t.fulfillment_id, t.line_no, t.sku, s.gtin, \
    t.bin_code, t.walk_sequence, t.quantity, t.picked, t.short, t.status \
    FROM pick_tasks t LEFT JOIN skus s ON s.sku = t.sku";

pub async fn task(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<TaskRow>> {
    diesel::sql_query(format!("{TASK_SELECT} WHERE t.id = $1"))
        .bind::<SqlUuid, _>(id)
        .cached()
        .get_result(conn)
        .await
        .optional()
}

/// Locks a task (its fulfillment is locked first, by the caller).
pub async fn lock_task(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<TaskRow>> {
    diesel::sql_query(format!("{TASK_SELECT} WHERE t.id = $1 FOR UPDATE OF t"))
        .bind::<SqlUuid, _>(id)
        .cached()
        .get_result(conn)
        .await
        .optional()
}

/// Records picked or short units on a task, then closes its pick list and
/// wave when nothing is left open on them.
pub async fn progress(
    conn: &mut Conn,
    task: &TaskRow,
    picked: i64,
    short: i64,
    actor: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE pick_tasks SET picked = picked + $2, short = short + $3, picked_by = $4, updated_at = now(), \
           status = CASE WHEN picked + $2 + short + $3 < quantity THEN 'open' \
                         WHEN short + $3 > 0 THEN 'short' ELSE 'done' END \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(task.id)
    .bind::<BigInt, _>(picked)
    .bind::<BigInt, _>(short)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    close_finished(conn, task.pick_list_id).await
}

async fn close_finished(conn: &mut Conn, pick_list_id: Uuid) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "WITH list AS ( \
           UPDATE pick_lists SET status = CASE WHEN EXISTS (SELECT 1 FROM pick_tasks \
               WHERE pick_list_id = $1 AND status IN ('done', 'short')) THEN 'done' ELSE 'withdrawn' END \
           WHERE id = $1 AND status = 'open' \
             AND NOT EXISTS (SELECT 1 FROM pick_tasks WHERE pick_list_id = $1 AND status = 'open') \
           RETURNING wave_id) \
         UPDATE waves w SET status = 'completed' FROM list \
         WHERE w.id = list.wave_id AND w.status = 'released' \
           AND NOT EXISTS (SELECT 1 FROM pick_lists p WHERE p.wave_id = w.id AND p.status = 'open' AND p.id <> $1)",
    )
    .bind::<SqlUuid, _>(pick_list_id)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Withdraws a cancelled fulfillment's open tasks. Returns the units picked
/// already (they go back to their bins).
pub async fn withdraw(conn: &mut Conn, fulfillment_id: Uuid) -> diesel::QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Withdrawn {
        #[diesel(sql_type = SqlUuid)]
        pick_list_id: Uuid,
    }
    let lists: Vec<Withdrawn> = diesel::sql_query(
        "UPDATE pick_tasks SET status = 'withdrawn', updated_at = now() \
         WHERE fulfillment_id = $1 AND status = 'open' RETURNING pick_list_id",
    )
    .bind::<SqlUuid, _>(fulfillment_id)
    .cached()
    .load(conn)
    .await?;
    let mut seen = std::collections::BTreeSet::new();
    for list in lists {
        if seen.insert(list.pick_list_id) {
            close_finished(conn, list.pick_list_id).await?;
        }
    }
    #[derive(diesel::QueryableByName)]
    struct Picked {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let picked: Picked = diesel::sql_query(
        "SELECT COALESCE(sum(picked), 0)::bigint AS n FROM pick_tasks WHERE fulfillment_id = $1",
    )
    .bind::<SqlUuid, _>(fulfillment_id)
    .cached()
    .get_result(conn)
    .await?;
    Ok(picked.n)
}

#[derive(diesel::QueryableByName)]
struct ListRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    wave_id: Uuid,
    #[diesel(sql_type = Text)]
    zone: String,
    #[diesel(sql_type = Text)]
    status: String,
}

async fn lists_with_tasks(
    conn: &mut Conn,
    lists: Vec<ListRow>,
) -> diesel::QueryResult<Vec<PickListView>> {
    let ids: Vec<Uuid> = lists.iter().map(|l| l.id).collect();
    let tasks: Vec<TaskRow> = diesel::sql_query(format!(
        "{TASK_SELECT} WHERE t.pick_list_id = ANY($1) ORDER BY t.walk_sequence, t.bin_code, t.fulfillment_id, t.line_no"
    ))
    .bind::<Array<SqlUuid>, _>(&ids)
    .cached()
    .load(conn)
    .await?;
    let mut by_list: HashMap<Uuid, Vec<PickTaskView>> = HashMap::new();
    for t in tasks {
        by_list.entry(t.pick_list_id).or_default().push(t.view());
    }
    Ok(lists
        .into_iter()
        .map(|l| PickListView {
            tasks: by_list.remove(&l.id).unwrap_or_default(),
            id: l.id,
            wave_id: l.wave_id,
            zone: l.zone,
            status: l.status,
        })
        .collect())
}

pub async fn pick_list(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<PickListView>> {
    let list: Option<ListRow> =
        diesel::sql_query("SELECT id, wave_id, zone, status FROM pick_lists WHERE id = $1")
            .bind::<SqlUuid, _>(id)
            .cached()
            .get_result(conn)
            .await
            .optional()?;
    let Some(list) = list else { return Ok(None) };
    Ok(lists_with_tasks(conn, vec![list]).await?.pop())
}

pub async fn wave(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<WaveView>> {
    #[derive(diesel::QueryableByName)]
    struct WaveRow {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = Text)]
        location_code: String,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = Nullable<Text>)]
        carrier: Option<String>,
        #[diesel(sql_type = Text)]
        released_by: String,
        #[diesel(sql_type = Timestamptz)]
        released_at: DateTime<Utc>,
        #[diesel(sql_type = Array<SqlUuid>)]
        fulfillment_ids: Vec<Uuid>,
    }
    let row: Option<WaveRow> = diesel::sql_query(
        "SELECT w.id, w.location_code, w.kind, w.status, w.carrier, w.released_by, w.released_at, \
         COALESCE(ARRAY(SELECT f.id FROM fulfillments f WHERE f.wave_id = w.id ORDER BY f.ship_by, f.id), '{}') \
           AS fulfillment_ids \
         FROM waves w WHERE w.id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let Some(row) = row else { return Ok(None) };
    let lists: Vec<ListRow> = diesel::sql_query(
        "SELECT id, wave_id, zone, status FROM pick_lists WHERE wave_id = $1 ORDER BY zone",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .load(conn)
    .await?;
    Ok(Some(WaveView {
        pick_lists: lists_with_tasks(conn, lists).await?,
        id: row.id,
        location_code: row.location_code,
        kind: row.kind,
        status: row.status,
        carrier: row.carrier,
        fulfillment_ids: row.fulfillment_ids,
        skipped: Vec::new(),
        released_by: row.released_by,
        released_at: row.released_at,
    }))
}
