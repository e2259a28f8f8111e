//! Available-to-sell per channel: computed live for a single read, and
//! published (coalesced) into the feed table and AvailabilityChanged events by
//! one writer at a time.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use domain::contracts::inventory::AvailabilityChange;
use platform::db::CachedExt;
use platform::db::Conn;

use super::ChannelRow;
use super::stock::StockRow;
use crate::domain::available_to_sell;

/// (available-to-sell, eligible available, buffer) of `sku` for `channel`.
pub fn for_channel(channel: &ChannelRow, sku: &str, rows: &[StockRow]) -> (i64, i64, i64) {
    let eligible: i64 = rows
        .iter()
        .filter(|r| {
            r.sku == sku
                && r.active
                && (channel.ship_from.is_empty() || channel.ship_from.contains(&r.code))
        })
        .map(|r| (r.on_hand - r.reserved).max(0))
        .sum();
    let (ats, buffer) = available_to_sell(
        eligible,
        channel.safety_buffer_units,
        channel.safety_buffer_percent,
    );
    (ats, eligible, buffer)
}

/// Advisory lock key of the availability publisher ("avail" in ASCII).
const PUBLISHER_LOCK: i64 = 0x617661696c;

/// A changed feed row, to publish as AvailabilityChanged.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Changed {
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = BigInt)]
    pub available_to_sell: i64,
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Timestamptz)]
    pub changed_at: DateTime<Utc>,
}

/// Takes up to `batch` dirty marks and writes their SKUs' changed
/// availability into the feed. Must run in a transaction; returns how many
/// marks it took and the rows that changed, or None when another replica's
/// publisher holds the lock.
pub async fn publish_dirty(
    conn: &mut Conn,
    batch: i64,
) -> diesel::QueryResult<Option<(usize, Vec<Changed>)>> {
    if !platform::db::try_xact_lock(conn, PUBLISHER_LOCK).await? {
        return Ok(None);
    }
    #[derive(diesel::QueryableByName)]
    struct Dirty {
        #[diesel(sql_type = Text)]
        sku: String,
    }
    let dirty: Vec<Dirty> = diesel::sql_query(
        "DELETE FROM availability_marks WHERE id IN \
         (SELECT id FROM availability_marks ORDER BY id LIMIT $1) RETURNING sku",
    )
    .bind::<BigInt, _>(batch)
    .cached()
    .load(conn)
    .await?;
    if dirty.is_empty() {
        return Ok(Some((0, Vec::new())));
    }
    let taken = dirty.len();
    let skus: Vec<String> = dirty
        .into_iter()
        .map(|d| d.sku)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let channels = super::active_channels(conn).await?;
    let rows = super::stock::read(conn, &skus).await?;
    let (mut ch, mut sk, mut ats) = (Vec::new(), Vec::new(), Vec::new());
    for channel in &channels {
        for sku in &skus {
            ch.push(channel.id.clone());
            sk.push(sku.clone());
            ats.push(for_channel(channel, sku, &rows).0);
        }
    }
    // Only rows whose value moved get a new sequence number: that is the
    // coalescing, and it keeps the feed free of no-op entries.
    diesel::sql_query(
        "INSERT INTO availability (channel_id, sku, available_to_sell, seq, changed_at) \
         SELECT c, s, a, nextval('availability_seq'), now() \
         FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(c, s, a) ORDER BY c, s \
         ON CONFLICT (channel_id, sku) DO UPDATE SET available_to_sell = EXCLUDED.available_to_sell, \
         seq = EXCLUDED.seq, changed_at = EXCLUDED.changed_at \
         WHERE availability.available_to_sell <> EXCLUDED.available_to_sell \
         RETURNING channel_id, sku, available_to_sell, seq, changed_at",
    )
    .bind::<Array<Text>, _>(ch)
    .bind::<Array<Text>, _>(sk)
    .bind::<Array<BigInt>, _>(ats)
    .cached()
    .load(conn)
    .await
    .map(|changed| Some((taken, changed)))
}

/// Marks every known SKU dirty (a channel's or location's rules changed).
pub async fn mark_all_dirty(conn: &mut Conn) -> diesel::QueryResult<()> {
    diesel::sql_query("INSERT INTO availability_marks (sku) SELECT DISTINCT sku FROM stock")
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

/// The channel's feed after `after`, in sequence order.
pub async fn changes(
    conn: &mut Conn,
    channel: &str,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<AvailabilityChange>> {
    let rows: Vec<Changed> = diesel::sql_query(
        "SELECT channel_id, sku, available_to_sell, seq, changed_at FROM availability \
         WHERE channel_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind::<Text, _>(channel)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AvailabilityChange {
            sequence: r.seq,
            sku: r.sku,
            channel_id: r.channel_id,
            available_to_sell: r.available_to_sell,
            changed_at: r.changed_at,
        })
        .collect())
}

/// SKUs of a set, for `mark_dirty`.
pub fn set_of<'a>(skus: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    skus.into_iter().map(str::to_string).collect()
}
