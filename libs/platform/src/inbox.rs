//! The idempotent inbox: a consumer records each event id in the same
//! transaction that applies the event, so a redelivered record applies nothing.

use crate::db::CachedExt;
use std::collections::HashSet;

use diesel::sql_types::{Array, Text, Uuid};
use diesel_async::RunQueryDsl;

use crate::db::Conn;
use crate::kafka::Record;

/// Records `record`'s event id for `consumer`. Returns false if it was already
/// recorded; the caller then applies nothing. Must run inside the handler's
/// transaction: a concurrent duplicate blocks on the primary key until this
/// transaction ends, then sees the conflict.
pub async fn claim(conn: &mut Conn, consumer: &str, record: &Record) -> diesel::QueryResult<bool> {
    let inserted = diesel::sql_query(
        "INSERT INTO inbox (consumer, event_id, topic, event_type) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (consumer, event_id) DO NOTHING",
    )
    .bind::<Text, _>(consumer)
    .bind::<Uuid, _>(record.envelope.event_id.as_uuid())
    .bind::<Text, _>(&record.topic)
    .bind::<Text, _>(&record.envelope.event_type)
    .cached()
    .execute(conn)
    .await?;
    Ok(inserted == 1)
}

/// Claims every record of a batch in one statement. Returns, per record,
/// whether it is new (true) or already applied; of two records with the same
/// event id in one batch only the first is new. Same transaction rule as
/// [`claim`].
pub async fn claim_all(
    conn: &mut Conn,
    consumer: &str,
    records: &[Record],
) -> diesel::QueryResult<Vec<bool>> {
    #[derive(diesel::QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = Uuid)]
        event_id: uuid::Uuid,
    }
    let claimed: Vec<Claimed> = diesel::sql_query(
        "INSERT INTO inbox (consumer, event_id, topic, event_type) \
         SELECT $1, e, t, y FROM unnest($2::uuid[], $3::text[], $4::text[]) AS u(e, t, y) \
         ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id",
    )
    .bind::<Text, _>(consumer)
    .bind::<Array<Uuid>, _>(
        records
            .iter()
            .map(|r| r.envelope.event_id.as_uuid())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(records.iter().map(|r| r.topic.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        records
            .iter()
            .map(|r| r.envelope.event_type.as_str())
            .collect::<Vec<_>>(),
    )
    .cached()
    .load(conn)
    .await?;
    let mut fresh: HashSet<uuid::Uuid> = claimed.into_iter().map(|c| c.event_id).collect();
    Ok(records
        .iter()
        .map(|r| fresh.remove(&r.envelope.event_id.as_uuid()))
        .collect())
}
