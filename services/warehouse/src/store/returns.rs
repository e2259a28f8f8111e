//! Returns the warehouse expects, their lines, what was scanned in and how
//! it was graded.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::warehouse::{
    ExpectedReturnLineView, ExpectedReturnView, ReturnReceiptStatus,
};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use crate::domain::returns::{Grades, ReturnLine};

pub struct NewReturn<'a> {
    pub return_id: Uuid,
    pub number: &'a str,
    pub order_id: Uuid,
    pub channel_id: &'a str,
    pub location_code: &'a str,
    pub expected_condition: &'a str,
}

/// Records an expected return (a redelivery changes nothing); true when new.
pub async fn expect(conn: &mut Conn, r: &NewReturn<'_>) -> diesel::QueryResult<bool> {
    let n = diesel::sql_query(
        "INSERT INTO expected_returns (return_id, number, order_id, channel_id, location_code, \
           expected_condition, status) VALUES ($1, $2, $3, $4, $5, $6, 'expected') \
         ON CONFLICT (return_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(r.return_id)
    .bind::<Text, _>(r.number)
    .bind::<SqlUuid, _>(r.order_id)
    .bind::<Text, _>(r.channel_id)
    .bind::<Text, _>(r.location_code)
    .bind::<Text, _>(r.expected_condition)
    .cached()
    .execute(conn)
    .await?;
    Ok(n == 1)
}

pub async fn expect_line(
    conn: &mut Conn,
    return_id: Uuid,
    line_no: i32,
    sku: &str,
    quantity: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO expected_return_lines (return_id, line_no, sku, expected) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (return_id, line_no) DO NOTHING",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Integer, _>(line_no)
    .bind::<Text, _>(sku)
    .bind::<BigInt, _>(quantity)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ReturnRow {
    #[diesel(sql_type = SqlUuid)]
    pub return_id: Uuid,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Text)]
    pub location_code: String,
    #[diesel(sql_type = Text)]
    pub expected_condition: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub received_by: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub received_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub inspected_by: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub inspected_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
}

impl ReturnRow {
    pub fn status(&self) -> Result<ReturnReceiptStatus, ApiError> {
        ReturnReceiptStatus::parse(&self.status).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("stored return status '{}'", self.status))
        })
    }
}

const RETURN_COLUMNS: &str = "return_id, number, order_id, channel_id, location_code, \
     expected_condition, status, received_by, received_at, inspected_by, inspected_at, version";

pub async fn by_id(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<ReturnRow>> {
    diesel::sql_query(format!(
        "SELECT {RETURN_COLUMNS} FROM expected_returns WHERE return_id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn lock(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<ReturnRow>> {
    diesel::sql_query(format!(
        "SELECT {RETURN_COLUMNS} FROM expected_returns WHERE return_id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn list(
    conn: &mut Conn,
    number: Option<&str>,
    location: Option<&str>,
    status: Option<ReturnReceiptStatus>,
    limit: i64,
) -> diesel::QueryResult<Vec<ReturnRow>> {
    diesel::sql_query(format!(
        "SELECT {RETURN_COLUMNS} FROM expected_returns \
         WHERE ($1::text IS NULL OR number = $1) AND ($2::text IS NULL OR location_code = $2) \
           AND ($3::text IS NULL OR status = $3) \
         ORDER BY created_at, return_id LIMIT $4"
    ))
    .bind::<Nullable<Text>, _>(number)
    .bind::<Nullable<Text>, _>(location)
    .bind::<Nullable<Text>, _>(status.map(|s| s.as_str()))
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct LineRow {
    #[diesel(sql_type = Integer)]
    pub line_no: i32,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub gtin: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub expected: i64,
    #[diesel(sql_type = BigInt)]
    pub received: i64,
    #[diesel(sql_type = BigInt)]
    pub resellable: i64,
    #[diesel(sql_type = BigInt)]
    pub refurbish: i64,
    #[diesel(sql_type = BigInt)]
    pub scrap: i64,
}

impl LineRow {
    pub fn counted(&self) -> ReturnLine {
        ReturnLine {
            line_no: self.line_no,
            sku: self.sku.clone(),
            gtin: self.gtin.clone(),
            expected: self.expected,
            received: self.received,
        }
    }
}

pub async fn lines(conn: &mut Conn, return_id: Uuid) -> diesel::QueryResult<Vec<LineRow>> {
    diesel::sql_query(
        "SELECT l.line_no, l.sku, s.gtin, l.expected, l.received, l.resellable, l.refurbish, \
           l.scrap FROM expected_return_lines l LEFT JOIN skus s ON s.sku = l.sku \
         WHERE l.return_id = $1 ORDER BY l.line_no",
    )
    .bind::<SqlUuid, _>(return_id)
    .cached()
    .load(conn)
    .await
}

/// Counts units in on a line of a locked return, and marks it receiving.
pub async fn receive(
    conn: &mut Conn,
    return_id: Uuid,
    line_no: i32,
    quantity: i64,
    by: &str,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE expected_return_lines SET received = received + $3 \
         WHERE return_id = $1 AND line_no = $2",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Integer, _>(line_no)
    .bind::<BigInt, _>(quantity)
    .cached()
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE expected_returns SET status = 'receiving', \
           received_by = coalesce(received_by, $2), received_at = coalesce(received_at, $3), \
           version = version + 1 WHERE return_id = $1",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Text, _>(by)
    .bind::<Timestamptz, _>(at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the grades of a locked return and marks it inspected.
pub async fn inspected(
    conn: &mut Conn,
    return_id: Uuid,
    grades: &Grades,
    by: &str,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    for (line_no, g) in grades {
        diesel::sql_query(
            "UPDATE expected_return_lines SET resellable = $3, refurbish = $4, scrap = $5 \
             WHERE return_id = $1 AND line_no = $2",
        )
        .bind::<SqlUuid, _>(return_id)
        .bind::<Integer, _>(*line_no)
        .bind::<BigInt, _>(g.resellable)
        .bind::<BigInt, _>(g.refurbish)
        .bind::<BigInt, _>(g.scrap)
        .cached()
        .execute(conn)
        .await?;
    }
    diesel::sql_query(
        "UPDATE expected_returns SET status = 'inspected', inspected_by = $2, inspected_at = $3, \
           version = version + 1 WHERE return_id = $1",
    )
    .bind::<SqlUuid, _>(return_id)
    .bind::<Text, _>(by)
    .bind::<Timestamptz, _>(at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn view(conn: &mut Conn, row: &ReturnRow) -> Result<ExpectedReturnView, ApiError> {
    let lines = lines(conn, row.return_id).await?;
    Ok(ExpectedReturnView {
        return_id: row.return_id,
        number: row.number.clone(),
        order_id: row.order_id,
        channel_id: row.channel_id.clone(),
        location_code: row.location_code.clone(),
        expected_condition: row.expected_condition.clone(),
        status: row.status()?,
        lines: lines
            .into_iter()
            .map(|l| ExpectedReturnLineView {
                line_no: l.line_no,
                sku: l.sku,
                expected: l.expected,
                received: l.received,
                resellable: l.resellable,
                refurbish: l.refurbish,
                scrap: l.scrap,
            })
            .collect(),
        inspected_by: row.inspected_by.clone(),
        inspected_at: row.inspected_at,
        version: row.version,
    })
}
