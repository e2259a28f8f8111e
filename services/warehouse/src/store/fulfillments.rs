//! Fulfillment orders: one per order and location holding its stock, with
//! their lines, progress counters and stage timestamps.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Bool, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::warehouse::{
    FulfillmentLineView, FulfillmentQuery, FulfillmentStatus, FulfillmentView, LeadTimeRow,
    StageSeconds,
};
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use super::packing;
use crate::domain::floor::{FulfillmentState, LineProgress};

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Head {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Text)]
    pub external_order_id: String,
    #[diesel(sql_type = Text)]
    pub location_code: String,
    #[diesel(sql_type = Text)]
    pub origin: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Bool)]
    pub on_hold: bool,
    #[diesel(sql_type = Text)]
    pub carrier: String,
    #[diesel(sql_type = Text)]
    pub carrier_service: String,
    #[diesel(sql_type = Timestamptz)]
    pub ship_by: DateTime<Utc>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub wave_id: Option<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    pub placed_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub confirmed_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub released_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub picked_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub packed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub shipped_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub cancelled_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
}

impl Head {
    pub fn status(&self) -> FulfillmentStatus {
        FulfillmentStatus::parse(&self.status).unwrap_or(FulfillmentStatus::Open)
    }

    pub fn state(&self) -> FulfillmentState {
        FulfillmentState {
            id: self.id,
            order_id: self.order_id,
            status: self.status(),
            on_hold: self.on_hold,
        }
    }
}

const HEAD_COLUMNS: &str = "id, order_id, channel_id, external_order_id, location_code, origin, status, \
    on_hold, carrier, carrier_service, ship_by, wave_id, placed_at, confirmed_at, created_at, \
    released_at, picked_at, packed_at, shipped_at, cancelled_at, version";

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct LineRow {
    #[diesel(sql_type = SqlUuid)]
    pub fulfillment_id: Uuid,
    #[diesel(sql_type = Integer)]
    pub line_no: i32,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
    #[diesel(sql_type = BigInt)]
    pub picked: i64,
    #[diesel(sql_type = BigInt)]
    pub packed: i64,
    #[diesel(sql_type = BigInt)]
    pub short: i64,
}

impl LineRow {
    pub fn progress(&self) -> LineProgress {
        LineProgress {
            line_no: self.line_no,
            quantity: self.quantity,
            picked: self.picked,
            packed: self.packed,
            short: self.short,
        }
    }
}

/// A fulfillment order to create.
pub struct NewFulfillment<'a> {
    pub order_id: Uuid,
    pub channel_id: &'a str,
    pub external_order_id: &'a str,
    pub location_code: &'a str,
    pub origin: &'a str,
    pub carrier: &'a str,
    pub carrier_service: &'a str,
    pub ship_by: DateTime<Utc>,
    pub placed_at: DateTime<Utc>,
    pub confirmed_at: DateTime<Utc>,
    /// (line no, SKU, quantity)
    pub lines: Vec<(i32, String, i64)>,
}

/// Creates a fulfillment order with its lines; `None` when this order already
/// has one for the location and origin (a redelivered event).
pub async fn create(conn: &mut Conn, f: &NewFulfillment<'_>) -> diesel::QueryResult<Option<Uuid>> {
    #[derive(diesel::QueryableByName)]
    struct Created {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let created: Option<Created> = diesel::sql_query(
        "INSERT INTO fulfillments (id, order_id, channel_id, external_order_id, location_code, origin, \
         status, carrier, carrier_service, ship_by, placed_at, confirmed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $11) \
         ON CONFLICT (order_id, location_code, origin) DO NOTHING RETURNING id",
    )
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<SqlUuid, _>(f.order_id)
    .bind::<Text, _>(f.channel_id)
    .bind::<Text, _>(f.external_order_id)
    .bind::<Text, _>(f.location_code)
    .bind::<Text, _>(f.origin)
    .bind::<Text, _>(f.carrier)
    .bind::<Text, _>(f.carrier_service)
    .bind::<Timestamptz, _>(f.ship_by)
    .bind::<Timestamptz, _>(f.placed_at)
    .bind::<Timestamptz, _>(f.confirmed_at)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let Some(created) = created else {
        return Ok(None);
    };
    diesel::sql_query(
        "INSERT INTO fulfillment_lines (fulfillment_id, line_no, sku, quantity) \
         SELECT $1, line_no, sku, sum(quantity) FROM unnest($2::int[], $3::text[], $4::bigint[]) \
         AS t(line_no, sku, quantity) GROUP BY line_no, sku",
    )
    .bind::<SqlUuid, _>(created.id)
    .bind::<Array<Integer>, _>(f.lines.iter().map(|l| l.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(f.lines.iter().map(|l| l.1.clone()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(f.lines.iter().map(|l| l.2).collect::<Vec<_>>())
    .cached()
    .execute(conn)
    .await?;
    Ok(Some(created.id))
}

pub async fn lock(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<Head>> {
    fetch(conn, id, true).await
}

pub async fn get(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<Head>> {
    fetch(conn, id, false).await
}

async fn fetch(conn: &mut Conn, id: Uuid, for_update: bool) -> diesel::QueryResult<Option<Head>> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    diesel::sql_query(format!(
        "SELECT {HEAD_COLUMNS} FROM fulfillments WHERE id = $1{lock}"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// Every fulfillment of an order, locked in id order.
pub async fn lock_of_order(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<Vec<Head>> {
    diesel::sql_query(format!(
        "SELECT {HEAD_COLUMNS} FROM fulfillments WHERE order_id = $1 ORDER BY id FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .load(conn)
    .await
}

pub async fn lines(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Vec<LineRow>> {
    diesel::sql_query(
        "SELECT fulfillment_id, line_no, sku, quantity, picked, packed, short \
         FROM fulfillment_lines WHERE fulfillment_id = $1 ORDER BY line_no",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .load(conn)
    .await
}

/// Moves a fulfillment to `status`, stamping the stage's time.
pub async fn set_status(
    conn: &mut Conn,
    id: Uuid,
    status: FulfillmentStatus,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE fulfillments SET status = $2, version = version + 1, updated_at = now(), \
           released_at = CASE WHEN $2 = 'released' THEN now() ELSE released_at END, \
           picked_at = CASE WHEN $2 = 'picked' THEN COALESCE(picked_at, now()) ELSE picked_at END, \
           packed_at = CASE WHEN $2 = 'packed' THEN now() ELSE packed_at END, \
           shipped_at = CASE WHEN $2 = 'shipped' THEN now() ELSE shipped_at END, \
           cancelled_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE cancelled_at END \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status.as_str())
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_on_hold(conn: &mut Conn, id: Uuid, on_hold: bool) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE fulfillments SET on_hold = $2, version = version + 1, updated_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Bool, _>(on_hold)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds to a line's picked, short or packed counter (negative undoes packing).
pub async fn count(
    conn: &mut Conn,
    id: Uuid,
    line_no: i32,
    picked: i64,
    short: i64,
    packed: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE fulfillment_lines SET picked = picked + $3, short = short + $4, packed = packed + $5 \
         WHERE fulfillment_id = $1 AND line_no = $2",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Integer, _>(line_no)
    .bind::<BigInt, _>(picked)
    .bind::<BigInt, _>(short)
    .bind::<BigInt, _>(packed)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// The lines of several fulfillments, in one query.
pub async fn lines_of(conn: &mut Conn, ids: &[Uuid]) -> diesel::QueryResult<Vec<LineRow>> {
    diesel::sql_query(
        "SELECT fulfillment_id, line_no, sku, quantity, picked, packed, short \
         FROM fulfillment_lines WHERE fulfillment_id = ANY($1) ORDER BY fulfillment_id, line_no",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .cached()
    .load(conn)
    .await
}

fn line_view(l: LineRow) -> FulfillmentLineView {
    FulfillmentLineView {
        line_no: l.line_no,
        sku: l.sku,
        quantity: l.quantity,
        picked: l.picked,
        packed: l.packed,
        short: l.short,
    }
}

/// Full views of `heads`, with lines and packages loaded in two queries.
pub async fn views(conn: &mut Conn, heads: Vec<Head>) -> diesel::QueryResult<Vec<FulfillmentView>> {
    let ids: Vec<Uuid> = heads.iter().map(|h| h.id).collect();
    let rows = lines_of(conn, &ids).await?;
    let mut lines: HashMap<Uuid, Vec<FulfillmentLineView>> = HashMap::new();
    for row in rows {
        lines
            .entry(row.fulfillment_id)
            .or_default()
            .push(line_view(row));
    }
    let mut packages = packing::views_of(conn, &ids).await?;
    Ok(heads
        .into_iter()
        .map(|h| FulfillmentView {
            status: h.status(),
            lines: lines.remove(&h.id).unwrap_or_default(),
            packages: packages.remove(&h.id).unwrap_or_default(),
            id: h.id,
            order_id: h.order_id,
            channel_id: h.channel_id,
            external_order_id: h.external_order_id,
            location_code: h.location_code,
            on_hold: h.on_hold,
            carrier: h.carrier,
            carrier_service: h.carrier_service,
            ship_by: h.ship_by,
            wave_id: h.wave_id,
            placed_at: h.placed_at,
            confirmed_at: h.confirmed_at,
            created_at: h.created_at,
            released_at: h.released_at,
            picked_at: h.picked_at,
            packed_at: h.packed_at,
            shipped_at: h.shipped_at,
            cancelled_at: h.cancelled_at,
            version: h.version,
        })
        .collect())
}

pub async fn view(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<FulfillmentView>> {
    let Some(head) = get(conn, id).await? else {
        return Ok(None);
    };
    Ok(views(conn, vec![head]).await?.pop())
}

pub async fn list(
    conn: &mut Conn,
    q: &FulfillmentQuery,
    after: Option<Uuid>,
    limit: i64,
) -> diesel::QueryResult<Vec<FulfillmentView>> {
    let heads: Vec<Head> = diesel::sql_query(format!(
        "SELECT {HEAD_COLUMNS} FROM fulfillments \
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR location_code = $2) \
           AND ($3::uuid IS NULL OR order_id = $3) AND ($4::uuid IS NULL OR id > $4) \
         ORDER BY id LIMIT $5"
    ))
    .bind::<Nullable<Text>, _>(q.status.as_deref())
    .bind::<Nullable<Text>, _>(q.location_code.as_deref())
    .bind::<Nullable<SqlUuid>, _>(q.order_id)
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await?;
    views(conn, heads).await
}

/// Work not yet shipped or cancelled, earliest ship-by first.
pub async fn in_progress(
    conn: &mut Conn,
    location: Option<&str>,
    channel: Option<&str>,
) -> diesel::QueryResult<Vec<Head>> {
    diesel::sql_query(format!(
        "SELECT {HEAD_COLUMNS} FROM fulfillments WHERE status NOT IN ('shipped', 'cancelled') \
         AND ($1::text IS NULL OR location_code = $1) AND ($2::text IS NULL OR channel_id = $2) \
         ORDER BY ship_by, created_at"
    ))
    .bind::<Nullable<Text>, _>(location)
    .bind::<Nullable<Text>, _>(channel)
    .cached()
    .load(conn)
    .await
}

/// The recent pace at each location: mean seconds per stage over the stages
/// finished in the last hour, and fulfillments picked per hour.
#[derive(Debug, Clone, Default, diesel::QueryableByName)]
pub struct Pace {
    #[diesel(sql_type = Text)]
    pub location_code: String,
    #[diesel(sql_type = Nullable<Double>)]
    pub release: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub pick: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub pack: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub ship: Option<f64>,
    #[diesel(sql_type = BigInt)]
    pub picked_last_hour: i64,
}

pub async fn pace(conn: &mut Conn) -> diesel::QueryResult<HashMap<String, Pace>> {
    let rows: Vec<Pace> = diesel::sql_query(
        "SELECT location_code, \
           avg(EXTRACT(EPOCH FROM released_at - confirmed_at)) FILTER (WHERE released_at > now() - interval '1 hour')::float8 AS release, \
           avg(EXTRACT(EPOCH FROM picked_at - released_at)) FILTER (WHERE picked_at > now() - interval '1 hour')::float8 AS pick, \
           avg(EXTRACT(EPOCH FROM packed_at - picked_at)) FILTER (WHERE packed_at > now() - interval '1 hour')::float8 AS pack, \
           avg(EXTRACT(EPOCH FROM shipped_at - packed_at)) FILTER (WHERE shipped_at > now() - interval '1 hour')::float8 AS ship, \
           count(*) FILTER (WHERE picked_at > now() - interval '1 hour') AS picked_last_hour \
         FROM fulfillments WHERE updated_at > now() - interval '1 hour' GROUP BY location_code",
    )
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|p| (p.location_code.clone(), p))
        .collect())
}

/// Lead-time percentiles per channel over fulfillments shipped in [from, to).
pub async fn lead_times(
    conn: &mut Conn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    location: Option<&str>,
) -> diesel::QueryResult<Vec<LeadTimeRow>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        channel_id: String,
        #[diesel(sql_type = BigInt)]
        shipped: i64,
        #[diesel(sql_type = BigInt)]
        on_time: i64,
        #[diesel(sql_type = Array<Double>)]
        release: Vec<f64>,
        #[diesel(sql_type = Array<Double>)]
        pick: Vec<f64>,
        #[diesel(sql_type = Array<Double>)]
        pack: Vec<f64>,
        #[diesel(sql_type = Array<Double>)]
        ship: Vec<f64>,
        #[diesel(sql_type = Array<Double>)]
        total: Vec<f64>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "WITH d AS (SELECT channel_id, shipped_at <= ship_by AS on_time, \
             EXTRACT(EPOCH FROM released_at - confirmed_at)::float8 AS release, \
             EXTRACT(EPOCH FROM picked_at - released_at)::float8 AS pick, \
             EXTRACT(EPOCH FROM packed_at - picked_at)::float8 AS pack, \
             EXTRACT(EPOCH FROM shipped_at - packed_at)::float8 AS ship, \
             EXTRACT(EPOCH FROM shipped_at - confirmed_at)::float8 AS total \
           FROM fulfillments WHERE status = 'shipped' AND shipped_at >= $1 AND shipped_at < $2 \
             AND ($3::text IS NULL OR location_code = $3)) \
         SELECT channel_id, count(*) AS shipped, count(*) FILTER (WHERE on_time) AS on_time, \
           ARRAY[percentile_cont(0.5) WITHIN GROUP (ORDER BY release), percentile_cont(0.9) WITHIN GROUP (ORDER BY release), max(release)] AS release, \
           ARRAY[percentile_cont(0.5) WITHIN GROUP (ORDER BY pick), percentile_cont(0.9) WITHIN GROUP (ORDER BY pick), max(pick)] AS pick, \
           ARRAY[percentile_cont(0.5) WITHIN GROUP (ORDER BY pack), percentile_cont(0.9) WITHIN GROUP (ORDER BY pack), max(pack)] AS pack, \
           ARRAY[percentile_cont(0.5) WITHIN GROUP (ORDER BY ship), percentile_cont(0.9) WITHIN GROUP (ORDER BY ship), max(ship)] AS ship, \
           ARRAY[percentile_cont(0.5) WITHIN GROUP (ORDER BY total), percentile_cont(0.9) WITHIN GROUP (ORDER BY total), max(total)] AS total \
         FROM d GROUP BY channel_id ORDER BY channel_id",
    )
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Nullable<Text>, _>(location)
    .cached()
    .load(conn)
    .await?;
    let stage = |v: &[f64]| StageSeconds {
        p50: v.first().copied().unwrap_or(0.0),
        p90: v.get(1).copied().unwrap_or(0.0),
        max: v.get(2).copied().unwrap_or(0.0),
    };
    Ok(rows
        .into_iter()
        .map(|r| LeadTimeRow {
            channel_id: r.channel_id.clone(),
            shipped: r.shipped,
            on_time: r.on_time,
            release: stage(&r.release),
            pick: stage(&r.pick),
            pack: stage(&r.pack),
            ship: stage(&r.ship),
            total: stage(&r.total),
        })
        .collect())
}

/// Records that an order was cancelled; a late re-allocation creates nothing.
pub async fn mark_order_cancelled(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO cancelled_orders (order_id, cancelled_at) VALUES ($1, now()) ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn order_cancelled(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    let row: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM cancelled_orders WHERE order_id = $1) AS found",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.found)
}
