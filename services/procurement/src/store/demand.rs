//! Demand history: order lines counted per SKU × channel × day, imported
//! days, stock-out days, and the series register the forecast job works from.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use platform::db::{CachedExt, Conn};

use crate::domain::history_csv::HistoryRow;

/// One order line as demand.
pub struct DemandLine {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
}

/// Counts an order's lines as demand of `channel` on `day`, once: a line
/// already counted (a redelivered event) adds nothing.
pub async fn record_order(
    conn: &mut Conn,
    order_id: uuid::Uuid,
    channel: &str,
    day: NaiveDate,
    lines: &[DemandLine],
) -> diesel::QueryResult<()> {
    let line_nos: Vec<i32> = lines.iter().map(|l| l.line_no).collect();
    let skus: Vec<&str> = lines.iter().map(|l| l.sku.as_str()).collect();
    let quantities: Vec<i64> = lines.iter().map(|l| l.quantity).collect();
    diesel::sql_query(
        "WITH new_lines AS ( \
           INSERT INTO demand_order_lines (order_id, line_no, sku, channel_id, day, quantity) \
           SELECT $1, l.line_no, l.sku, $2, $3, l.quantity \
           FROM unnest($4::int4[], $5::text[], $6::int8[]) AS l (line_no, sku, quantity) \
           ON CONFLICT (order_id, line_no) DO NOTHING \
           RETURNING sku, quantity \
         ), per_sku AS ( \
           SELECT sku, sum(quantity)::int8 AS quantity FROM new_lines GROUP BY sku \
         ), days AS ( \
           INSERT INTO demand_days (sku, channel_id, day, quantity) \
           SELECT sku, $2, $3, quantity FROM per_sku ORDER BY sku \
           ON CONFLICT (sku, channel_id, day) \
             DO UPDATE SET quantity = demand_days.quantity + EXCLUDED.quantity \
         ) \
         INSERT INTO demand_series (sku, first_day, dirty) \
         SELECT sku, $3, true FROM per_sku ORDER BY sku \
         ON CONFLICT (sku) DO UPDATE SET first_day = EXCLUDED.first_day \
           WHERE EXCLUDED.first_day < demand_series.first_day",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(channel)
    .bind::<Date, _>(day)
    .bind::<Array<Integer>, _>(line_nos)
    .bind::<Array<Text>, _>(skus)
    .bind::<Array<BigInt>, _>(quantities)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes a cancelled order's lines back out of the demand they were counted
/// in, once.
pub async fn cancel_order(conn: &mut Conn, order_id: uuid::Uuid) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "WITH cancelled AS ( \
           UPDATE demand_order_lines SET cancelled = true \
           WHERE order_id = $1 AND NOT cancelled \
           RETURNING sku, channel_id, day, quantity \
         ), per_day AS ( \
           SELECT sku, channel_id, day, sum(quantity)::int8 AS quantity \
           FROM cancelled GROUP BY sku, channel_id, day \
         ) \
         UPDATE demand_days d SET quantity = greatest(d.quantity - p.quantity, 0) \
         FROM per_day p \
         WHERE d.sku = p.sku AND d.channel_id = p.channel_id AND d.day = p.day",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Flags `day` as a stock-out day of each of `skus`.
pub async fn mark_stock_outs(
    conn: &mut Conn,
    skus: &[String],
    day: NaiveDate,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO stock_out_days (sku, day) \
         SELECT DISTINCT s, $2 FROM unnest($1::text[]) AS s ON CONFLICT DO NOTHING",
    )
    .bind::<Array<Text>, _>(skus)
    .bind::<Date, _>(day)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Rows per statement of an import (the bind arrays stay a few hundred KB).
const IMPORT_CHUNK: usize = 10_000;

/// Writes imported days, each replacing what the day held, and marks the
/// SKUs' forecasts due. `rows` must be in SKU order, so concurrent imports
/// (and the demand projection) lock rows in one order and never deadlock.
/// Returns the number of days written.
pub async fn import(conn: &mut Conn, rows: &[HistoryRow]) -> diesel::QueryResult<i64> {
    let mut written = 0;
    for chunk in rows.chunks(IMPORT_CHUNK) {
        let skus: Vec<&str> = chunk.iter().map(|r| r.sku.as_str()).collect();
        let channels: Vec<&str> = chunk.iter().map(|r| r.channel.as_str()).collect();
        let days: Vec<NaiveDate> = chunk.iter().map(|r| r.date).collect();
        let quantities: Vec<i64> = chunk.iter().map(|r| r.quantity).collect();
        written += diesel::sql_query(
            "INSERT INTO demand_days (sku, channel_id, day, quantity, imported) \
             SELECT sku, channel_id, day, quantity, true \
             FROM unnest($1::text[], $2::text[], $3::date[], $4::int8[]) \
               AS r (sku, channel_id, day, quantity) \
             ON CONFLICT (sku, channel_id, day) \
               DO UPDATE SET quantity = EXCLUDED.quantity, imported = true",
        )
        .bind::<Array<Text>, _>(&skus)
        .bind::<Array<Text>, _>(&channels)
        .bind::<Array<Date>, _>(&days)
        .bind::<Array<BigInt>, _>(&quantities)
        .cached()
        .execute(conn)
        .await? as i64;
        diesel::sql_query(
            "INSERT INTO demand_series (sku, first_day, dirty) \
             SELECT sku, min(day), true FROM unnest($1::text[], $2::date[]) AS r (sku, day) \
             GROUP BY sku ORDER BY sku \
             ON CONFLICT (sku) DO UPDATE \
               SET first_day = least(demand_series.first_day, EXCLUDED.first_day), dirty = true",
        )
        .bind::<Array<Text>, _>(&skus)
        .bind::<Array<Date>, _>(&days)
        .cached()
        .execute(conn)
        .await?;
    }
    Ok(written)
}

#[derive(diesel::QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
}

/// A SKU's recorded demand over `from..=to`: per channel, and each channel's
/// days. `channel` narrows it to one.
pub async fn recorded(
    conn: &mut Conn,
    sku: &str,
    channel: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> diesel::QueryResult<HashMap<String, HashMap<NaiveDate, i64>>> {
    let rows: Vec<DayRow> = diesel::sql_query(
        "SELECT channel_id, day, quantity FROM demand_days \
         WHERE sku = $1 AND ($2::text IS NULL OR channel_id = $2) AND day BETWEEN $3 AND $4",
    )
    .bind::<Text, _>(sku)
    .bind::<Nullable<Text>, _>(channel)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .cached()
    .load(conn)
    .await?;
    let mut out: HashMap<String, HashMap<NaiveDate, i64>> = HashMap::new();
    for r in rows {
        out.entry(r.channel_id)
            .or_default()
            .insert(r.day, r.quantity);
    }
    Ok(out)
}

#[derive(diesel::QueryableByName)]
struct StockOutRow {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
}

/// The days of `from..=to` the SKU was out of stock.
pub async fn stock_outs(
    conn: &mut Conn,
    sku: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> diesel::QueryResult<HashSet<NaiveDate>> {
    let rows: Vec<StockOutRow> = diesel::sql_query(
        "SELECT day FROM stock_out_days WHERE sku = $1 AND day BETWEEN $2 AND $3",
    )
    .bind::<Text, _>(sku)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.day).collect())
}

/// A series the forecast job is to (re)compute.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct DueSeries {
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Date)]
    pub first_day: NaiveDate,
}

/// Claims up to `limit` series that are dirty, not yet forecast `today`, or
/// forecast with settings older than `settings_version`, locked for the
/// caller's transaction; rows another replica holds are skipped.
pub async fn claim_due(
    conn: &mut Conn,
    today: NaiveDate,
    settings_version: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<DueSeries>> {
    diesel::sql_query(
        "SELECT sku, first_day FROM demand_series \
         WHERE dirty OR forecast_on IS NULL OR forecast_on < $1 OR settings_version < $2 \
         ORDER BY sku LIMIT $3 FOR UPDATE SKIP LOCKED",
    )
    .bind::<Date, _>(today)
    .bind::<BigInt, _>(settings_version)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await
}

/// Whether any series is due for a forecast.
pub async fn any_due(
    conn: &mut Conn,
    today: NaiveDate,
    settings_version: i64,
) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let row: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM demand_series \
           WHERE dirty OR forecast_on IS NULL OR forecast_on < $1 OR settings_version < $2) \
           AS found",
    )
    .bind::<Date, _>(today)
    .bind::<BigInt, _>(settings_version)
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.found)
}

/// Records that a claimed series was forecast `today` with `settings_version`.
pub async fn forecast_done(
    conn: &mut Conn,
    sku: &str,
    today: NaiveDate,
    settings_version: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE demand_series SET dirty = false, forecast_on = $2, settings_version = $3 \
         WHERE sku = $1",
    )
    .bind::<Text, _>(sku)
    .bind::<Date, _>(today)
    .bind::<BigInt, _>(settings_version)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Where a SKU's history starts, if it has any.
pub async fn first_day(conn: &mut Conn, sku: &str) -> diesel::QueryResult<Option<NaiveDate>> {
    use diesel::OptionalExtension;
    let row: Option<DueSeries> =
        diesel::sql_query("SELECT sku, first_day FROM demand_series WHERE sku = $1")
            .bind::<Text, _>(sku)
            .cached()
            .get_result(conn)
            .await
            .optional()?;
    Ok(row.map(|r| r.first_day))
}
