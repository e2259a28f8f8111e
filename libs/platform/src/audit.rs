//! The audit trail: every write a person or a channel makes is recorded in
//! the transaction that makes it — who (`Caller::actor()`), when, which
//! entity, and the entity before and after (`None` before a create, after a
//! delete). Secrets never enter it: record views, and say that a secret
//! changed rather than what it is. `GET /v1/audit?entity=<type>:<id>` (admin,
//! ops) reads one entity's trail, newest first, in every service.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use domain::contracts::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::db::{CachedExt, Conn};
use crate::{ApiError, Authorized, Runtime};

/// One change to record.
pub struct Change<'a> {
    /// What kind of entity, e.g. `channel`, `product`, `location`.
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    /// What was done, e.g. `created`, `replaced`, `archived`.
    pub action: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Records `change` by `actor` in the caller's transaction.
pub async fn record(
    conn: &mut Conn,
    actor: &str,
    change: Change<'_>,
) -> Result<(), diesel::result::Error> {
    diesel::sql_query(
        "INSERT INTO audit_trail (actor, action, entity_type, entity_id, before, after) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<Text, _>(actor)
    .bind::<Text, _>(change.action)
    .bind::<Text, _>(change.entity_type)
    .bind::<Text, _>(change.entity_id)
    .bind::<Nullable<Jsonb>, _>(change.before)
    .bind::<Nullable<Jsonb>, _>(change.after)
    .cached()
    .execute(conn)
    .await
    .map(|_| ())
}

/// A serializable value as audit JSON (views always serialize).
pub fn snapshot(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

crate::access!(
    /// Who reads audit trails.
    pub Auditors: [Admin, Ops]
);

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// `<entity type>:<id>`, e.g. `channel:amazon-de`.
    #[param(pattern = "^[a-z_]+:.+$")]
    pub entity: String,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[1-9][0-9]{0,17}$")]
    pub cursor: Option<String>,
}

/// One recorded change.
#[derive(Debug, Serialize, Deserialize, ToSchema, diesel::QueryableByName)]
pub struct AuditEntry {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    /// `user:<subject>`, `channel:<id>` or `system:<component>`.
    #[diesel(sql_type = Text)]
    pub actor: String,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Text)]
    pub entity_type: String,
    #[diesel(sql_type = Text)]
    pub entity_id: String,
    #[diesel(sql_type = Nullable<Jsonb>)]
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// One entity's audit trail, newest first.
#[utoipa::path(
    get, path = "/v1/audit", tag = "operations",
    params(AuditQuery),
    responses(
        (status = 200, body = inline(Page<AuditEntry>)),
    )
)]
pub async fn trail(
    rt: web::Data<Runtime>,
    _caller: Authorized<Auditors>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = domain::Validator::new();
    let entity = q
        .entity
        .split_once(':')
        .filter(|(t, i)| !t.is_empty() && !i.is_empty());
    if entity.is_none() {
        v.push(
            "entity",
            "must be <entity type>:<id>, e.g. channel:amazon-de",
        );
    }
    let limit = crate::http::page_limit(&mut v, q.limit, 50, 200);
    let before = match q.cursor.as_deref() {
        None => i64::MAX,
        Some(c) => v
            .check(
                "cursor",
                c.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("not a cursor from this API"),
            )
            .unwrap_or(i64::MAX),
    };
    v.finish()?;
    let (entity_type, entity_id) = entity.expect("validated");
    let mut conn = rt.conn().await?;
    let items: Vec<AuditEntry> = diesel::sql_query(
        "SELECT id, at, actor, action, entity_type, entity_id, before, after FROM audit_trail \
          WHERE entity_type = $1 AND entity_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4",
    )
    .bind::<Text, _>(entity_type)
    .bind::<Text, _>(entity_id)
    .bind::<BigInt, _>(before)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(&mut conn)
    .await?;
    Ok(HttpResponse::Ok().json(Page::list(items, limit, |e| e.id.to_string())))
}

#[derive(OpenApi)]
#[openapi(paths(trail), components(schemas(AuditEntry)))]
pub struct ApiDoc;
