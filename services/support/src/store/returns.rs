//! Returns (RMA), their lines and saga steps; the return policies and the
//! return category of each SKU.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::support::{
    ReturnLineView, ReturnPolicyInput, ReturnReason, ReturnResolution, ReturnStatus,
    ReturnStepView, ReturnTermsView, ReturnView,
};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::corrupt;

pub const DEFAULT_CHANNEL: &str = "default";

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct PolicyRow {
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Jsonb)]
    pub policy: serde_json::Value,
    #[diesel(sql_type = Text)]
    pub updated_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl PolicyRow {
    pub fn policy(&self) -> Result<ReturnPolicyInput, ApiError> {
        serde_json::from_value(self.policy.clone())
            .map_err(|_| corrupt("return policy", &self.policy.to_string()))
    }
}

/// The channel's return policy, else the default one.
pub async fn policy_for(conn: &mut Conn, channel: &str) -> diesel::QueryResult<Option<PolicyRow>> {
    diesel::sql_query(
        "SELECT channel_id, policy, updated_by, updated_at FROM return_policies \
         WHERE channel_id = $1 OR channel_id = 'default' \
         ORDER BY (channel_id = 'default') LIMIT 1",
    )
    .bind::<Text, _>(channel)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn policies(conn: &mut Conn) -> diesel::QueryResult<Vec<PolicyRow>> {
    diesel::sql_query(
        "SELECT channel_id, policy, updated_by, updated_at FROM return_policies ORDER BY channel_id",
    )
    .cached()
    .load(conn)
    .await
}

pub async fn policy_of(conn: &mut Conn, channel: &str) -> diesel::QueryResult<Option<PolicyRow>> {
    diesel::sql_query(
        "SELECT channel_id, policy, updated_by, updated_at FROM return_policies \
         WHERE channel_id = $1",
    )
    .bind::<Text, _>(channel)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn put_policy(
    conn: &mut Conn,
    channel: &str,
    policy: &ReturnPolicyInput,
    actor: &str,
) -> Result<PolicyRow, ApiError> {
    let value = serde_json::to_value(policy).map_err(ApiError::internal)?;
    Ok(diesel::sql_query(
        "INSERT INTO return_policies (channel_id, policy, updated_by, updated_at) \
         VALUES ($1, $2, $3, now()) ON CONFLICT (channel_id) DO UPDATE SET \
           policy = EXCLUDED.policy, updated_by = EXCLUDED.updated_by, \
           updated_at = EXCLUDED.updated_at \
         RETURNING channel_id, policy, updated_by, updated_at",
    )
    .bind::<Text, _>(channel)
    .bind::<Jsonb, _>(value)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await?)
}

pub async fn put_category(conn: &mut Conn, sku: &str, category: &str) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO product_return_categories (sku, category) VALUES ($1, $2) \
         ON CONFLICT (sku) DO UPDATE SET category = EXCLUDED.category, updated_at = now()",
    )
    .bind::<Text, _>(sku)
    .bind::<Text, _>(category)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn categories(
    conn: &mut Conn,
    skus: &[String],
) -> diesel::QueryResult<HashMap<String, String>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = Text)]
        category: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT sku, category FROM product_return_categories WHERE sku = ANY($1)",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.sku, r.category)).collect())
}

/// Units of each line of the order that returns (not rejected) already take.
pub async fn returned(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<HashMap<i32, i64>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        line_no: i32,
        #[diesel(sql_type = BigInt)]
        quantity: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT l.line_no, sum(l.quantity)::bigint AS quantity FROM return_lines l \
         JOIN returns r ON r.id = l.return_id \
         WHERE l.order_id = $1 AND r.status <> 'rejected' GROUP BY l.line_no",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.line_no, r.quantity)).collect())
}

/// Serialises return requests for one order, so two at once can't return
/// the same unit twice.
pub async fn lock_order(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 11))")
        .bind::<SqlUuid, _>(order_id)
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ReturnRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Text)]
    pub external_order_id: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub ticket_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub external_return_id: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Text)]
    pub resolution: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Jsonb)]
    pub terms: serde_json::Value,
    #[diesel(sql_type = Bool)]
    pub auto_approved: bool,
    #[diesel(sql_type = Text)]
    pub requested_by: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub authorized_by: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
}

impl ReturnRow {
    pub fn status(&self) -> Result<ReturnStatus, ApiError> {
        ReturnStatus::parse(&self.status).ok_or_else(|| corrupt("return status", &self.status))
    }

    pub fn terms(&self) -> Result<ReturnTermsView, ApiError> {
        serde_json::from_value(self.terms.clone())
            .map_err(|_| corrupt("return terms", &self.terms.to_string()))
    }
}

const RETURN_COLUMNS: &str = "id, number, order_id, channel_id, external_order_id, ticket_id, \
     external_return_id, status, reason, resolution, currency, terms, auto_approved, \
     requested_by, authorized_by, created_at, updated_at, version";

pub struct NewReturn<'a> {
    pub id: Uuid,
    pub order_id: Uuid,
    pub channel_id: &'a str,
    pub external_order_id: &'a str,
    pub ticket_id: Option<Uuid>,
    pub external_return_id: Option<&'a str>,
    pub status: ReturnStatus,
    pub reason: ReturnReason,
    pub resolution: ReturnResolution,
    pub currency: &'a str,
    pub terms: &'a ReturnTermsView,
    pub auto_approved: bool,
    pub requested_by: &'a str,
    pub authorized_by: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub async fn insert(conn: &mut Conn, r: &NewReturn<'_>) -> Result<ReturnRow, ApiError> {
    let terms = serde_json::to_value(r.terms).map_err(ApiError::internal)?;
    Ok(diesel::sql_query(format!(
        "INSERT INTO returns (id, number, order_id, channel_id, external_order_id, ticket_id, \
           external_return_id, status, reason, resolution, currency, terms, auto_approved, \
           requested_by, authorized_by, created_at, updated_at) \
         VALUES ($1, 'RMA-' || lpad(nextval('return_numbers')::text, 6, '0'), $2, $3, $4, $5, \
           $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
         RETURNING {RETURN_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(r.id)
    .bind::<SqlUuid, _>(r.order_id)
    .bind::<Text, _>(r.channel_id)
    .bind::<Text, _>(r.external_order_id)
    .bind::<Nullable<SqlUuid>, _>(r.ticket_id)
    .bind::<Nullable<Text>, _>(r.external_return_id)
    .bind::<Text, _>(r.status.as_str())
    .bind::<Text, _>(r.reason.as_str())
    .bind::<Text, _>(r.resolution.as_str())
    .bind::<Text, _>(r.currency)
    .bind::<Jsonb, _>(terms)
    .bind::<Bool, _>(r.auto_approved)
    .bind::<Text, _>(r.requested_by)
    .bind::<Nullable<Text>, _>(r.authorized_by)
    .bind::<Timestamptz, _>(r.at)
    .cached()
    .get_result(conn)
    .await?)
}

pub async fn insert_line(
    conn: &mut Conn,
    return_id: Uuid,
    order_id: Uuid,
    line_no: i32,
    sku: &str,
    quantity: i64,
    unit_price: Decimal,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO return_lines (return_id, line_no, order_id, sku, quantity, unit_price) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Integer, _>(line_no)
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(sku)
    .bind::<BigInt, _>(quantity)
    .bind::<Numeric, _>(unit_price)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a step of the saga (`status`: done, waiting, failed).
pub async fn add_step(
    conn: &mut Conn,
    return_id: Uuid,
    step: &str,
    status: &str,
    detail: Option<&str>,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO return_steps (return_id, seq, step, status, detail, at) \
         SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5 FROM return_steps \
         WHERE return_id = $1",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Text, _>(step)
    .bind::<Text, _>(status)
    .bind::<Nullable<Text>, _>(detail)
    .bind::<Timestamptz, _>(at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the return's saga already has `step`.
pub async fn has_step(conn: &mut Conn, return_id: Uuid, step: &str) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let f: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM return_steps WHERE return_id = $1 AND step = $2) AS found",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Text, _>(step)
    .cached()
    .get_result(conn)
    .await?;
    Ok(f.found)
}

pub async fn by_id(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<ReturnRow>> {
    diesel::sql_query(format!(
        "SELECT {RETURN_COLUMNS} FROM returns WHERE id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn lock(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<ReturnRow>> {
    diesel::sql_query(format!(
        "SELECT {RETURN_COLUMNS} FROM returns WHERE id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// A channel's return by its own id (a marketplace's retry).
pub async fn by_external(
    conn: &mut Conn,
    channel: &str,
    external_return_id: &str,
) -> diesel::QueryResult<Option<ReturnRow>> {
    diesel::sql_query(format!(
        "SELECT {RETURN_COLUMNS} FROM returns WHERE channel_id = $1 AND external_return_id = $2"
    ))
    .bind::<Text, _>(channel)
    .bind::<Text, _>(external_return_id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn decide(
    conn: &mut Conn,
    id: Uuid,
    status: ReturnStatus,
    authorized_by: Option<&str>,
    at: DateTime<Utc>,
) -> diesel::QueryResult<ReturnRow> {
    diesel::sql_query(format!(
        "UPDATE returns SET status = $2, authorized_by = $3, updated_at = $4, \
           version = version + 1 WHERE id = $1 RETURNING {RETURN_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status.as_str())
    .bind::<Nullable<Text>, _>(authorized_by)
    .bind::<Timestamptz, _>(at)
    .cached()
    .get_result(conn)
    .await
}

pub struct Filter<'a> {
    pub order_id: Option<Uuid>,
    pub status: Option<ReturnStatus>,
    pub channel: Option<&'a str>,
    pub before: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(conn: &mut Conn, f: &Filter<'_>) -> diesel::QueryResult<Vec<ReturnRow>> {
    diesel::sql_query(format!(
        "SELECT {RETURN_COLUMNS} FROM returns \
         WHERE ($1::uuid IS NULL OR order_id = $1) AND ($2::text IS NULL OR status = $2) \
           AND ($3::text IS NULL OR channel_id = $3) AND ($4::uuid IS NULL OR id < $4) \
         ORDER BY id DESC LIMIT $5"
    ))
    .bind::<Nullable<SqlUuid>, _>(f.order_id)
    .bind::<Nullable<Text>, _>(f.status.map(|s| s.as_str()))
    .bind::<Nullable<Text>, _>(f.channel)
    .bind::<Nullable<SqlUuid>, _>(f.before)
    .bind::<BigInt, _>(f.limit)
    .cached()
    .load(conn)
    .await
}

/// The return with its lines and steps.
pub async fn view(conn: &mut Conn, row: &ReturnRow) -> Result<ReturnView, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = Integer)]
        line_no: i32,
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = BigInt)]
        quantity: i64,
        #[diesel(sql_type = Numeric)]
        unit_price: Decimal,
    }
    #[derive(diesel::QueryableByName)]
    struct Step {
        #[diesel(sql_type = Text)]
        step: String,
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = Timestamptz)]
        at: DateTime<Utc>,
        #[diesel(sql_type = Nullable<Text>)]
        detail: Option<String>,
    }
    let lines: Vec<Line> = diesel::sql_query(
        "SELECT line_no, sku, quantity, unit_price FROM return_lines WHERE return_id = $1 \
         ORDER BY line_no",
    )
    .bind::<SqlUuid, _>(row.id)
    .cached()
    .load(conn)
    .await?;
    let steps: Vec<Step> = diesel::sql_query(
        "SELECT step, status, at, detail FROM return_steps WHERE return_id = $1 ORDER BY seq",
    )
    .bind::<SqlUuid, _>(row.id)
    .cached()
    .load(conn)
    .await?;
    let currency = &row.currency;
    Ok(ReturnView {
        id: row.id,
        number: row.number.clone(),
        order_id: row.order_id,
        channel_id: row.channel_id.clone(),
        external_order_id: row.external_order_id.clone(),
        ticket_id: row.ticket_id,
        external_return_id: row.external_return_id.clone(),
        status: row.status()?,
        reason: ReturnReason::parse(&row.reason)
            .ok_or_else(|| corrupt("return reason", &row.reason))?,
        resolution: ReturnResolution::parse(&row.resolution)
            .ok_or_else(|| corrupt("return resolution", &row.resolution))?,
        lines: lines
            .into_iter()
            .map(|l| {
                Ok(ReturnLineView {
                    line_no: l.line_no,
                    sku: l.sku,
                    quantity: l.quantity,
                    unit_price: domain::Money::parse(
                        &l.unit_price.normalize().to_string(),
                        currency,
                    )
                    .map_err(|_| corrupt("return line price", &l.unit_price.to_string()))?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        terms: row.terms()?,
        auto_approved: row.auto_approved,
        requested_by: row.requested_by.clone(),
        authorized_by: row.authorized_by.clone(),
        steps: steps
            .into_iter()
            .map(|s| ReturnStepView {
                step: s.step,
                status: s.status,
                at: s.at,
                detail: s.detail,
            })
            .collect(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}

/// Moves a return along its saga (consumers of the downstream steps).
pub async fn set_status(
    conn: &mut Conn,
    id: Uuid,
    status: ReturnStatus,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE returns SET status = $2, updated_at = $3, version = version + 1 WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status.as_str())
    .bind::<Timestamptz, _>(at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
