//! Inbound purchase orders (procurement's projection), receipts at the dock
//! scan by scan, and the receiving policy.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Date, Integer, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::events::proto::procurement::v1 as po;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct InboundRow {
    #[diesel(sql_type = SqlUuid)]
    pub po_id: Uuid,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Text)]
    pub supplier_code: String,
    #[diesel(sql_type = Text)]
    pub location_code: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Date)]
    pub expected_on: NaiveDate,
}

const INBOUND_COLUMNS: &str = "po_id, number, supplier_code, location_code, status, expected_on";

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct InboundLine {
    #[diesel(sql_type = Integer)]
    pub line_no: i32,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub gtin: Option<String>,
    #[diesel(sql_type = Text)]
    pub supplier_sku: String,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
    #[diesel(sql_type = BigInt)]
    pub cancelled: i64,
    #[diesel(sql_type = Numeric)]
    pub unit_landed_cost: Decimal,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub received_good: i64,
    #[diesel(sql_type = BigInt)]
    pub received_damaged: i64,
}

/// Applies a purchase order's state over an older one; returns whether it did.
pub async fn apply_order(conn: &mut Conn, s: &po::PurchaseOrderState) -> anyhow::Result<bool> {
    let id: Uuid = s.purchase_order_id.parse()?;
    let expected: NaiveDate = s.expected_on.parse()?;
    let applied = diesel::sql_query(
        "INSERT INTO inbound_orders (po_id, number, supplier_code, location_code, status, \
           expected_on, version) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (po_id) DO UPDATE SET status = EXCLUDED.status, \
           expected_on = EXCLUDED.expected_on, version = EXCLUDED.version, updated_at = now() \
         WHERE inbound_orders.version < EXCLUDED.version",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(&s.number)
    .bind::<Text, _>(&s.supplier_code)
    .bind::<Text, _>(&s.location_code)
    .bind::<Text, _>(&s.status)
    .bind::<Date, _>(expected)
    .bind::<BigInt, _>(s.version)
    .cached()
    .execute(conn)
    .await?;
    if applied == 0 {
        return Ok(false);
    }
    let line_nos: Vec<i32> = s.lines.iter().map(|l| l.line_no).collect();
    let skus: Vec<&str> = s.lines.iter().map(|l| l.sku.as_str()).collect();
    let supplier_skus: Vec<&str> = s.lines.iter().map(|l| l.supplier_sku.as_str()).collect();
    let quantities: Vec<i64> = s.lines.iter().map(|l| l.quantity).collect();
    let cancelled: Vec<i64> = s.lines.iter().map(|l| l.cancelled).collect();
    let mut costs = Vec::with_capacity(s.lines.len());
    let mut currencies = Vec::with_capacity(s.lines.len());
    for l in &s.lines {
        let m = l
            .unit_landed_cost
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("line {} has no landed cost", l.line_no))?;
        costs.push(m.amount.parse::<Decimal>()?);
        currencies.push(m.currency.clone());
    }
    // What was ordered comes from procurement; what arrived is the dock's own count.
    diesel::sql_query(
        "INSERT INTO inbound_lines (po_id, line_no, sku, supplier_sku, quantity, cancelled, \
           unit_landed_cost, currency) \
         SELECT $1, l.line_no, l.sku, l.supplier_sku, l.quantity, l.cancelled, l.cost, l.currency \
         FROM unnest($2::int4[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::numeric[], \
                     $8::text[]) AS l (line_no, sku, supplier_sku, quantity, cancelled, cost, currency) \
         ON CONFLICT (po_id, line_no) DO UPDATE SET quantity = EXCLUDED.quantity, \
           cancelled = EXCLUDED.cancelled, unit_landed_cost = EXCLUDED.unit_landed_cost, \
           currency = EXCLUDED.currency",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Array<Integer>, _>(line_nos)
    .bind::<Array<Text>, _>(skus)
    .bind::<Array<Text>, _>(supplier_skus)
    .bind::<Array<BigInt>, _>(quantities)
    .bind::<Array<BigInt>, _>(cancelled)
    .bind::<Array<Numeric>, _>(costs)
    .bind::<Array<Text>, _>(currencies)
    .cached()
    .execute(conn)
    .await?;
    Ok(true)
}

pub async fn by_number(conn: &mut Conn, number: &str) -> diesel::QueryResult<Option<InboundRow>> {
    diesel::sql_query(format!(
        "SELECT {INBOUND_COLUMNS} FROM inbound_orders WHERE number = $1"
    ))
    .bind::<Text, _>(number)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// The order, locked: receipts against one order take turns.
pub async fn lock_order(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<InboundRow>> {
    diesel::sql_query(format!(
        "SELECT {INBOUND_COLUMNS} FROM inbound_orders WHERE po_id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn order(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<InboundRow>> {
    diesel::sql_query(format!(
        "SELECT {INBOUND_COLUMNS} FROM inbound_orders WHERE po_id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// Orders still expected, by expected date; `location` narrows them.
pub async fn expected(
    conn: &mut Conn,
    location: Option<&str>,
) -> diesel::QueryResult<Vec<(InboundRow, i64)>> {
    use diesel::QueryableByName;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(embed)]
        head: InboundRow,
        #[diesel(sql_type = BigInt)]
        open_units: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT o.po_id, o.number, o.supplier_code, o.location_code, o.status, o.expected_on, \
           coalesce(sum(greatest(l.quantity - l.cancelled - l.received_good - l.received_damaged, 0)), 0)::int8 \
             AS open_units \
         FROM inbound_orders o LEFT JOIN inbound_lines l ON l.po_id = o.po_id \
         WHERE o.status IN ('approved', 'sent', 'partially_received') \
           AND ($1::text IS NULL OR o.location_code = $1) \
         GROUP BY o.po_id ORDER BY o.expected_on, o.number LIMIT 1000",
    )
    .bind::<Nullable<Text>, _>(location)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.head, r.open_units)).collect())
}

/// The order's lines, with each SKU's barcode.
pub async fn lines(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Vec<InboundLine>> {
    diesel::sql_query(
        "SELECT l.line_no, l.sku, s.gtin, l.supplier_sku, l.quantity, l.cancelled, \
           l.unit_landed_cost, l.currency, l.received_good, l.received_damaged \
         FROM inbound_lines l LEFT JOIN skus s ON s.sku = l.sku \
         WHERE l.po_id = $1 ORDER BY l.line_no",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .load(conn)
    .await
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ReceiptRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub po_id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub opened_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub opened_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub completed_at: Option<DateTime<Utc>>,
}

const RECEIPT_COLUMNS: &str = "id, po_id, status, opened_by, opened_at, completed_at";

pub async fn open_receipt(conn: &mut Conn, po_id: Uuid, actor: &str) -> diesel::QueryResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO receipts (id, po_id, status, opened_by) VALUES ($1, $2, 'open', $3)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(po_id)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn receipt(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<ReceiptRow>> {
    diesel::sql_query(format!(
        "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// One line, condition and bin of a receipt.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Counted {
    #[diesel(sql_type = Integer)]
    pub line_no: i32,
    #[diesel(sql_type = Text)]
    pub condition: String,
    #[diesel(sql_type = Text)]
    pub bin_code: String,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
}

pub async fn counted(conn: &mut Conn, receipt_id: Uuid) -> diesel::QueryResult<Vec<Counted>> {
    diesel::sql_query(
        "SELECT line_no, condition, bin_code, quantity FROM receipt_lines \
         WHERE receipt_id = $1 ORDER BY line_no, condition, bin_code",
    )
    .bind::<SqlUuid, _>(receipt_id)
    .cached()
    .load(conn)
    .await
}

/// Units per line in the order's open receipts (this one and others).
pub async fn in_open_receipts(
    conn: &mut Conn,
    po_id: Uuid,
) -> diesel::QueryResult<HashMap<i32, i64>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        line_no: i32,
        #[diesel(sql_type = BigInt)]
        units: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT rl.line_no, sum(rl.quantity)::int8 AS units FROM receipt_lines rl \
         JOIN receipts r ON r.id = rl.receipt_id \
         WHERE r.po_id = $1 AND r.status = 'open' GROUP BY rl.line_no",
    )
    .bind::<SqlUuid, _>(po_id)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.line_no, r.units)).collect())
}

pub async fn add_scan(
    conn: &mut Conn,
    receipt_id: Uuid,
    line_no: i32,
    condition: &str,
    bin_code: &str,
    quantity: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO receipt_lines (receipt_id, line_no, condition, bin_code, quantity) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (receipt_id, line_no, condition, bin_code) \
         DO UPDATE SET quantity = receipt_lines.quantity + EXCLUDED.quantity",
    )
    .bind::<SqlUuid, _>(receipt_id)
    .bind::<Integer, _>(line_no)
    .bind::<Text, _>(condition)
    .bind::<Text, _>(bin_code)
    .bind::<BigInt, _>(quantity)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Completes a receipt: its counts join the order's received quantities,
/// and each SKU put away to a bin is stocked there from now on.
pub async fn complete(
    conn: &mut Conn,
    receipt: &ReceiptRow,
    location_code: &str,
    actor: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE inbound_lines l SET \
           received_good = l.received_good + coalesce(c.good, 0), \
           received_damaged = l.received_damaged + coalesce(c.damaged, 0) \
         FROM (SELECT line_no, \
                 sum(quantity) FILTER (WHERE condition = 'good')::int8 AS good, \
                 sum(quantity) FILTER (WHERE condition = 'damaged')::int8 AS damaged \
               FROM receipt_lines WHERE receipt_id = $1 GROUP BY line_no) c \
         WHERE l.po_id = $2 AND l.line_no = c.line_no",
    )
    .bind::<SqlUuid, _>(receipt.id)
    .bind::<SqlUuid, _>(receipt.po_id)
    .cached()
    .execute(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO bin_skus (bin_id, sku) \
         SELECT DISTINCT b.id, l.sku FROM receipt_lines rl \
         JOIN inbound_lines l ON l.po_id = $2 AND l.line_no = rl.line_no \
         JOIN bins b ON b.location_code = $3 AND b.code = rl.bin_code \
         WHERE rl.receipt_id = $1 AND rl.condition = 'good' AND rl.bin_code <> '' \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(receipt.id)
    .bind::<SqlUuid, _>(receipt.po_id)
    .bind::<Text, _>(location_code)
    .cached()
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE receipts SET status = 'completed', completed_by = $2, completed_at = now() \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(receipt.id)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether `code` is an active bin at `location`.
pub async fn bin_active(conn: &mut Conn, location: &str, code: &str) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let row: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM bins WHERE location_code = $1 AND code = $2 AND active) \
           AS found",
    )
    .bind::<Text, _>(location)
    .bind::<Text, _>(code)
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.found)
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct PolicyRow {
    #[diesel(sql_type = Integer)]
    pub over_receipt_tolerance_pct: i32,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub updated_by: String,
}

pub async fn policy(conn: &mut Conn) -> diesel::QueryResult<PolicyRow> {
    diesel::sql_query(
        "SELECT over_receipt_tolerance_pct, version, updated_at, updated_by FROM receiving_policy",
    )
    .cached()
    .get_result(conn)
    .await
}

pub async fn set_policy(conn: &mut Conn, pct: i32, actor: &str) -> diesel::QueryResult<PolicyRow> {
    diesel::sql_query(
        "UPDATE receiving_policy SET over_receipt_tolerance_pct = $1, version = version + 1, \
           updated_at = now(), updated_by = $2 \
         RETURNING over_receipt_tolerance_pct, version, updated_at, updated_by",
    )
    .bind::<Integer, _>(pct)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await
}
