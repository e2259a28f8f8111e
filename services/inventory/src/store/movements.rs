//! The movement log: one row per change to a stock row's on hand or
//! reserved, written with the change, so the log reconciles with the rows.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::inventory::MovementView;
use platform::db::CachedExt;
use platform::db::Conn;
use uuid::Uuid;

/// A movement to write: the row's values before and after.
pub struct Movement<'a> {
    pub sku: &'a str,
    pub location_id: Uuid,
    pub kind: &'a str,
    pub on_hand: (i64, i64),
    pub reserved: (i64, i64),
    pub reference: Option<String>,
    pub actor: &'a str,
    pub note: Option<&'a str>,
}

pub async fn record_movement(conn: &mut Conn, m: Movement<'_>) -> diesel::QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Id = diesel::sql_query(
        "INSERT INTO movements (sku, location_id, kind, on_hand_before, on_hand_after, \
         reserved_before, reserved_after, reference, actor, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind::<Text, _>(m.sku)
    .bind::<SqlUuid, _>(m.location_id)
    .bind::<Text, _>(m.kind)
    .bind::<BigInt, _>(m.on_hand.0)
    .bind::<BigInt, _>(m.on_hand.1)
    .bind::<BigInt, _>(m.reserved.0)
    .bind::<BigInt, _>(m.reserved.1)
    .bind::<Nullable<Text>, _>(m.reference)
    .bind::<Text, _>(m.actor)
    .bind::<Nullable<Text>, _>(m.note)
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.id)
}

#[derive(diesel::QueryableByName)]
struct MovementRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    on_hand_before: i64,
    #[diesel(sql_type = BigInt)]
    on_hand_after: i64,
    #[diesel(sql_type = BigInt)]
    reserved_before: i64,
    #[diesel(sql_type = BigInt)]
    reserved_after: i64,
    #[diesel(sql_type = Nullable<Text>)]
    reference: Option<String>,
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Nullable<Text>)]
    note: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

/// Movements in id order after `after`, optionally for one SKU and/or location.
pub async fn movements(
    conn: &mut Conn,
    sku: Option<&str>,
    location: Option<&str>,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<MovementView>> {
    let rows: Vec<MovementRow> = diesel::sql_query(
        "SELECT m.id, m.sku, l.code, m.kind, m.on_hand_before, m.on_hand_after, m.reserved_before, \
         m.reserved_after, m.reference, m.actor, m.note, m.at \
         FROM movements m JOIN locations l ON l.id = m.location_id \
         WHERE ($1::text IS NULL OR m.sku = $1) AND ($2::text IS NULL OR l.code = $2) AND m.id > $3 \
         ORDER BY m.id LIMIT $4",
    )
    .bind::<Nullable<Text>, _>(sku)
    .bind::<Nullable<Text>, _>(location)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .cached().load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MovementView {
            id: r.id,
            sku: r.sku,
            location: r.code,
            kind: r.kind,
            on_hand_before: r.on_hand_before,
            on_hand_after: r.on_hand_after,
            reserved_before: r.reserved_before,
            reserved_after: r.reserved_after,
            reference: r.reference,
            actor: r.actor,
            note: r.note,
            at: r.at,
        })
        .collect())
}
