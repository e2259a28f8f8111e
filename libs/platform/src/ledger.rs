//! The event ledger: what a service produced into its outbox and what its
//! consumers recorded in their inbox since a point in time, counted per event
//! type. Every service serves it at `GET /v1/ops/event-ledger`, so a load test
//! or an SRE can reconcile producers with consumers across services (each
//! event produced once is consumed once: no loss, nothing applied twice) and
//! see whether anything is still waiting to be published.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::db::CachedExt;
use crate::{ApiError, Authorized, Runtime};

crate::access!(
    /// Who reads the event ledger.
    pub Operators: [Admin, Ops]
);

#[derive(Debug, Deserialize, IntoParams)]
pub struct LedgerQuery {
    /// Count events created (outbox) or received (inbox) at or after this
    /// instant (RFC 3339, e.g. `2026-11-26T12:00:00Z`).
    #[param(format = DateTime)]
    pub since: String,
}

/// Outbox events of one type.
#[derive(Debug, Serialize, Deserialize, ToSchema, diesel::QueryableByName)]
pub struct Produced {
    #[diesel(sql_type = Text)]
    pub topic: String,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = BigInt)]
    pub events: i64,
    /// Not yet published to Kafka.
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
}

/// Inbox entries (events applied) of one type, per consumer.
#[derive(Debug, Serialize, Deserialize, ToSchema, diesel::QueryableByName)]
pub struct Consumed {
    #[diesel(sql_type = Text)]
    pub consumer: String,
    #[diesel(sql_type = Text)]
    pub topic: String,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = BigInt)]
    pub events: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventLedger {
    pub service: String,
    pub since: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub produced: Vec<Produced>,
    pub consumed: Vec<Consumed>,
}

/// Events produced and applied by this service since an instant, per type.
#[utoipa::path(
    get, path = "/v1/ops/event-ledger", tag = "operations",
    params(LedgerQuery),
    responses(
        (status = 200, body = EventLedger),
    )
)]
pub async fn event_ledger(
    rt: web::Data<Runtime>,
    _caller: Authorized<Operators>,
    query: web::Query<LedgerQuery>,
) -> Result<HttpResponse, ApiError> {
    let since = DateTime::parse_from_rfc3339(&query.since)
        .map_err(|_| {
            ApiError::field(
                "since",
                "must be an RFC 3339 instant, e.g. 2026-11-26T12:00:00Z",
            )
        })?
        .with_timezone(&Utc);
    let mut conn = rt.conn().await?;
    let as_of = Utc::now();
    let produced: Vec<Produced> = diesel::sql_query(
        "SELECT topic, event_type, count(*) AS events, \
                count(*) FILTER (WHERE published_at IS NULL) AS pending \
           FROM outbox WHERE created_at >= $1 GROUP BY topic, event_type ORDER BY topic, event_type",
    )
    .bind::<Timestamptz, _>(since)
    .cached()
    .load(&mut conn)
    .await?;
    let consumed: Vec<Consumed> = diesel::sql_query(
        "SELECT consumer, topic, event_type, count(*) AS events FROM inbox \
          WHERE received_at >= $1 GROUP BY consumer, topic, event_type \
          ORDER BY consumer, topic, event_type",
    )
    .bind::<Timestamptz, _>(since)
    .cached()
    .load(&mut conn)
    .await?;
    Ok(HttpResponse::Ok().json(EventLedger {
        service: rt.name.to_string(),
        since,
        as_of,
        produced,
        consumed,
    }))
}

#[derive(OpenApi)]
#[openapi(
    paths(event_ledger),
    components(schemas(EventLedger, Produced, Consumed))
)]
pub struct ApiDoc;
