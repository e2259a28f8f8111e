//! The idempotent inbox: a consumer records each event id in the same
//! transaction that applies the event, so a redelivered record applies nothing.

use crate::db::CachedExt;
use diesel::sql_types::{Text, Uuid};
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
