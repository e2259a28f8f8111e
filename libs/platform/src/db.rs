//! PostgreSQL: connection pool, embedded migrations and readiness checks.
//!
//! diesel-async over tokio-postgres (no libpq). Migrations are diesel's embedded
//! ones: the platform's own (outbox, inbox, idempotency keys) first, then the
//! service's, run at start-up when configured and by the `migrate` subcommand.

use std::time::Duration;

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseSettings;

pub type DbPool = diesel_async::pooled_connection::deadpool::Pool<AsyncPgConnection>;
pub type PoolError = diesel_async::pooled_connection::deadpool::PoolError;
pub type Conn = AsyncPgConnection;
pub type PooledConn = diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>;

/// The platform's own tables: outbox, inbox, idempotency keys.
pub const PLATFORM_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub fn pool(settings: &DatabaseSettings) -> anyhow::Result<DbPool> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(&settings.url);
    let timeout = Duration::from_secs(settings.acquire_timeout_secs);
    Ok(DbPool::builder(manager)
        .max_size(settings.max_connections)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?)
}

/// Runs pending platform and service migrations on a blocking thread.
pub async fn migrate(url: &str, service: EmbeddedMigrations) -> anyhow::Result<Vec<String>> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        let mut applied = Vec::new();
        for source in [PLATFORM_MIGRATIONS, service] {
            let done = conn
                .run_pending_migrations(source)
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
            applied.extend(done.into_iter().map(|v| v.to_string()));
        }
        Ok(applied)
    })
    .await?
}

/// Versions every migration set defines: what "migrations applied" means.
pub fn expected_versions(service: &EmbeddedMigrations) -> Vec<String> {
    let mut versions = Vec::new();
    for source in [&PLATFORM_MIGRATIONS, service] {
        let migrations: Vec<_> =
            MigrationSource::<Pg>::migrations(source).expect("embedded migrations load");
        versions.extend(migrations.iter().map(|m| m.name().version().to_string()));
    }
    versions
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Readiness: the database answers and every expected migration is applied.
pub async fn check(pool: &DbPool, expected: &[String]) -> Result<(), String> {
    let mut conn = pool.get().await.map_err(|e| format!("unreachable: {e}"))?;
    let has_table: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_tables WHERE tablename = '__diesel_schema_migrations'",
    )
    .get_result(&mut conn)
    .await
    .map_err(|e| format!("query failed: {e}"))?;
    if has_table.n == 0 {
        return Err(format!("0 of {} migrations applied", expected.len()));
    }
    let applied: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM __diesel_schema_migrations WHERE version = ANY($1)",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(expected)
    .get_result(&mut conn)
    .await
    .map_err(|e| format!("query failed: {e}"))?;
    if applied.n as usize == expected.len() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} migrations applied",
            applied.n,
            expected.len()
        ))
    }
}

/// One replica at a time: takes the transaction-scoped advisory lock `key`
/// if it is free and answers whether it did. The lock ends with the
/// transaction, so a crashed holder never blocks the others. Background work
/// that must not run twice at once (the outbox relay, a dispatcher, a
/// publisher) starts its transaction with it and returns when it is taken.
pub async fn try_xact_lock(conn: &mut Conn, key: i64) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    let locked: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
        .bind::<diesel::sql_types::BigInt, _>(key)
        .cached()
        .get_result(conn)
        .await?;
    Ok(locked.locked)
}

/// A raw SQL query (`diesel::sql_query(...).bind(...)`) whose prepared
/// statement is cached per connection, keyed by its SQL text and bind types.
///
/// diesel never caches `sql_query`, because the text could be built from
/// values; then every execution is a Parse and Describe round trip plus
/// planning in PostgreSQL. Our SQL texts are constants with `$n` parameters, so
/// caching is safe, and it halves the round trips of the hot paths (order
/// intake, reservations, outbox, inbox). Never use it on text that embeds values.
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q>(Q);

/// Adds `.cached()` to raw SQL queries.
pub trait CachedExt: Sized {
    fn cached(self) -> Cached<Self> {
        Cached(self)
    }
}

impl<Q: diesel::query_builder::QueryFragment<Pg>> CachedExt for Q {}

impl<Q: diesel::query_builder::QueryFragment<Pg>> diesel::query_builder::QueryFragment<Pg>
    for Cached<Q>
{
    fn walk_ast<'b>(
        &'b self,
        pass: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> diesel::QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> diesel::QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> diesel::query_builder::QueryId for Cached<Q> {
    type QueryId = ();
    // No static id: the cache keys on the SQL text and bind types instead.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

/// Reads in one snapshot: `platform::snapshot!(conn, |tx| body)` runs the
/// async `body` (a `Result<_, ApiError>`) in a read-only REPEATABLE READ
/// transaction, so a view assembled from several statements (a head, its
/// lines, its packages) never shows a change that committed between them.
/// A macro, because diesel-async's transaction closure bound cannot be
/// named in a helper's signature.
#[macro_export]
macro_rules! snapshot {
    ($conn:expr, |$tx:ident| $body:expr) => {
        $conn
            .build_transaction()
            .read_only()
            .repeatable_read()
            .run::<_, $crate::ApiError, _>(async |$tx| $body)
            .await
    };
}
