//! Housekeeping deletes only what has aged out: unpublished outbox rows are never
//! touched, however old.

use diesel_async::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::testing::{TestDatabase, scalar, test_settings};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("tests/migrations");

#[tokio::test]
async fn prune_removes_aged_rows_and_keeps_pending_events() {
    let db = TestDatabase::create("housekeeping").await;
    platform::db::migrate(&db.url, MIGRATIONS).await.unwrap();
    let pool = platform::db::pool(&test_settings(&db.url, "").database).unwrap();
    let mut conn = pool.get().await.unwrap();
    for sql in [
        // outbox: old published (goes), recent published (stays), old pending (stays)
        "INSERT INTO outbox (event_id, topic, key, event_type, headers, payload, created_at, published_at) VALUES \
         (gen_random_uuid(), 't', 'k', 'e', '[]', '', now() - interval '9 days', now() - interval '8 days'), \
         (gen_random_uuid(), 't', 'k', 'e', '[]', '', now() - interval '1 day', now() - interval '1 day'), \
         (gen_random_uuid(), 't', 'k', 'e', '[]', '', now() - interval '40 days', NULL)",
        "INSERT INTO idempotency_keys (scope, key, request_hash, response_status, response_body, created_at) VALUES \
         ('s', 'old', 'h', 201, '{}', now() - interval '25 hours'), ('s', 'new', 'h', 201, '{}', now())",
        "INSERT INTO inbox (consumer, event_id, topic, event_type, received_at) VALUES \
         ('c', gen_random_uuid(), 't', 'e', now() - interval '31 days'), ('c', gen_random_uuid(), 't', 'e', now())",
    ] {
        diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    }
    platform::outbox::prune(&pool).await.unwrap();
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) AS n FROM outbox WHERE published_at IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
        )
        .await,
        1,
        "pending rows are never pruned"
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) AS n FROM idempotency_keys WHERE key = 'new'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(&pool, "SELECT count(*) AS n FROM idempotency_keys").await,
        1
    );
    assert_eq!(scalar(&pool, "SELECT count(*) AS n FROM inbox").await, 1);
}
