//! Supplier bills and what they are matched against: procurement's purchase
//! orders (a projection of its events), the units the warehouse received
//! per order line, the tolerances per currency; the bills and their lines.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Date, Integer, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::Currency;
use domain::contracts::billing::{
    BillStatus, BillToleranceView, SupplierBillLineView, SupplierBillView,
};
use domain::events::proto::procurement::v1 as po;
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{corrupt, signed};
use crate::domain::bills::{MatchedLine, OrderLine, Tolerance};

/// Records a purchase order's state unless a newer one is recorded.
pub async fn apply_order(conn: &mut Conn, s: &po::PurchaseOrderState) -> anyhow::Result<bool> {
    let id: Uuid = s.purchase_order_id.parse()?;
    let applied = diesel::sql_query(
        "INSERT INTO purchase_orders (id, number, supplier_code, status, version) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version \
         WHERE purchase_orders.version < EXCLUDED.version",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(&s.number)
    .bind::<Text, _>(&s.supplier_code)
    .bind::<Text, _>(&s.status)
    .bind::<BigInt, _>(s.version)
    .cached()
    .execute(conn)
    .await?;
    if applied == 0 {
        return Ok(false);
    }
    let mut line_nos = Vec::with_capacity(s.lines.len());
    let mut skus = Vec::with_capacity(s.lines.len());
    let mut quantities = Vec::with_capacity(s.lines.len());
    let mut currencies = Vec::with_capacity(s.lines.len());
    let mut costs = Vec::with_capacity(s.lines.len());
    let mut landed = Vec::with_capacity(s.lines.len());
    for l in &s.lines {
        let cost = l
            .unit_cost
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("line {} has no unit cost", l.line_no))?;
        let landed_cost = l.unit_landed_cost.as_ref().unwrap_or(cost);
        line_nos.push(l.line_no);
        skus.push(l.sku.as_str());
        quantities.push(l.quantity);
        currencies.push(cost.currency.as_str());
        costs.push(cost.amount.parse::<Decimal>()?);
        landed.push(landed_cost.amount.parse::<Decimal>()?);
    }
    diesel::sql_query(
        "INSERT INTO purchase_order_lines (purchase_order_id, line_no, sku, quantity, currency, unit_cost, \
           unit_landed_cost) \
         SELECT $1, l.* FROM unnest($2::int4[], $3::text[], $4::int8[], $5::text[], $6::numeric[], \
           $7::numeric[]) AS l \
         ON CONFLICT (purchase_order_id, line_no) DO UPDATE SET sku = EXCLUDED.sku, \
           quantity = EXCLUDED.quantity, currency = EXCLUDED.currency, unit_cost = EXCLUDED.unit_cost, \
           unit_landed_cost = EXCLUDED.unit_landed_cost",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Array<Integer>, _>(&line_nos)
    .bind::<Array<Text>, _>(&skus)
    .bind::<Array<BigInt>, _>(&quantities)
    .bind::<Array<Text>, _>(&currencies)
    .bind::<Array<Numeric>, _>(&costs)
    .bind::<Array<Numeric>, _>(&landed)
    .cached()
    .execute(conn)
    .await?;
    Ok(true)
}

/// Adds units received against a purchase order line (once per receipt:
/// the caller runs in the receipt's inbox transaction).
pub async fn add_received(
    conn: &mut Conn,
    purchase_order_id: Uuid,
    line_no: i32,
    sku: &str,
    units: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO received_quantities (purchase_order_id, line_no, sku, received) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (purchase_order_id, line_no) DO UPDATE \
           SET received = received_quantities.received + EXCLUDED.received",
    )
    .bind::<SqlUuid, _>(purchase_order_id)
    .bind::<Integer, _>(line_no)
    .bind::<Text, _>(sku)
    .bind::<BigInt, _>(units)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
pub struct OrderRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Text)]
    pub supplier_code: String,
    #[diesel(sql_type = Text)]
    pub status: String,
}

/// The purchase order by its number, locked: bills of one order are
/// matched one at a time, so two never bill the same open units.
pub async fn lock_order(conn: &mut Conn, number: &str) -> diesel::QueryResult<Option<OrderRow>> {
    diesel::sql_query(
        "SELECT id, number, supplier_code, status FROM purchase_orders WHERE number = $1 FOR UPDATE",
    )
    .bind::<Text, _>(number)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

#[derive(diesel::QueryableByName)]
struct OrderLineRow {
    #[diesel(sql_type = Integer)]
    line_no: i32,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Numeric)]
    unit_cost: Decimal,
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = BigInt)]
    billed: i64,
}

/// The order's lines with the units received and those on bills that are
/// not rejected, and the order's currency.
pub async fn order_lines(
    conn: &mut Conn,
    purchase_order_id: Uuid,
) -> Result<(Vec<OrderLine>, Option<Currency>), ApiError> {
    let rows: Vec<OrderLineRow> = diesel::sql_query(
        "SELECT l.line_no, l.sku, l.currency, l.unit_cost, COALESCE(r.received, 0) AS received, \
           COALESCE((SELECT sum(bl.quantity) FROM supplier_bill_lines bl \
             JOIN supplier_bills b ON b.id = bl.bill_id \
             WHERE b.purchase_order_id = l.purchase_order_id AND b.status <> 'rejected' \
               AND bl.purchase_order_line = l.line_no), 0)::int8 AS billed \
         FROM purchase_order_lines l \
         LEFT JOIN received_quantities r ON r.purchase_order_id = l.purchase_order_id AND r.line_no = l.line_no \
         WHERE l.purchase_order_id = $1 ORDER BY l.line_no",
    )
    .bind::<SqlUuid, _>(purchase_order_id)
    .cached()
    .load(conn)
    .await?;
    let currency = match <[OrderLineRow]>::first(&rows) {
        Some(r) => Some(
            r.currency
                .parse::<Currency>()
                .map_err(|_| corrupt("currency", &r.currency))?,
        ),
        None => None,
    };
    let lines = rows
        .into_iter()
        .map(|r| OrderLine {
            line_no: r.line_no,
            sku: r.sku,
            unit_cost: r.unit_cost,
            received: r.received,
            billed_before: r.billed,
        })
        .collect();
    Ok((lines, currency))
}

#[derive(diesel::QueryableByName)]
struct ToleranceRow {
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Numeric)]
    price_percent: Decimal,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Text)]
    updated_by: String,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

impl ToleranceRow {
    fn view(self) -> Result<BillToleranceView, ApiError> {
        let currency: Currency = self
            .currency
            .parse()
            .map_err(|_| corrupt("currency", &self.currency))?;
        Ok(BillToleranceView {
            currency,
            price_percent: self.price_percent.normalize(),
            amount: domain::Money {
                amount: self.amount,
                currency,
            }
            .canonical(),
            updated_by: self.updated_by,
            updated_at: self.updated_at,
        })
    }
}

const TOLERANCE_COLUMNS: &str = "currency, price_percent, amount, updated_by, updated_at";

/// The tolerance of a currency; none set is an exact match.
pub async fn tolerance(conn: &mut Conn, currency: Currency) -> diesel::QueryResult<Tolerance> {
    let row: Option<ToleranceRow> = diesel::sql_query(format!(
        "SELECT {TOLERANCE_COLUMNS} FROM bill_tolerances WHERE currency = $1"
    ))
    .bind::<Text, _>(currency.code())
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map_or_else(Tolerance::default, |r| Tolerance {
        price_percent: r.price_percent,
        amount: r.amount,
    }))
}

/// Sets a currency's tolerance; returns it and the one it replaced.
pub async fn put_tolerance(
    conn: &mut Conn,
    currency: Currency,
    price_percent: Decimal,
    amount: Decimal,
    actor: &str,
) -> Result<(BillToleranceView, Option<BillToleranceView>), ApiError> {
    let before: Option<ToleranceRow> = diesel::sql_query(format!(
        "SELECT {TOLERANCE_COLUMNS} FROM bill_tolerances WHERE currency = $1 FOR UPDATE"
    ))
    .bind::<Text, _>(currency.code())
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let row: ToleranceRow = diesel::sql_query(format!(
        "INSERT INTO bill_tolerances (currency, price_percent, amount, updated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (currency) DO UPDATE SET price_percent = EXCLUDED.price_percent, \
           amount = EXCLUDED.amount, updated_by = EXCLUDED.updated_by, updated_at = now() \
         RETURNING {TOLERANCE_COLUMNS}"
    ))
    .bind::<Text, _>(currency.code())
    .bind::<Numeric, _>(price_percent)
    .bind::<Numeric, _>(amount)
    .bind::<Text, _>(actor)
    .cached()
    .get_result(conn)
    .await?;
    Ok((row.view()?, before.map(ToleranceRow::view).transpose()?))
}

pub async fn tolerances(conn: &mut Conn) -> Result<Vec<BillToleranceView>, ApiError> {
    let rows: Vec<ToleranceRow> = diesel::sql_query(format!(
        "SELECT {TOLERANCE_COLUMNS} FROM bill_tolerances ORDER BY currency"
    ))
    .cached()
    .load(conn)
    .await?;
    rows.into_iter().map(ToleranceRow::view).collect()
}

#[derive(diesel::QueryableByName)]
struct BillRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    supplier_code: String,
    #[diesel(sql_type = Text)]
    bill_number: String,
    #[diesel(sql_type = SqlUuid)]
    purchase_order_id: Uuid,
    #[diesel(sql_type = Text)]
    purchase_order_number: String,
    #[diesel(sql_type = Date)]
    bill_date: NaiveDate,
    #[diesel(sql_type = Nullable<Date>)]
    due_on: Option<NaiveDate>,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Numeric)]
    net: Decimal,
    #[diesel(sql_type = Numeric)]
    tax: Decimal,
    #[diesel(sql_type = Numeric)]
    gross: Decimal,
    #[diesel(sql_type = Numeric)]
    expected_net: Decimal,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Array<Text>)]
    hold_reasons: Vec<String>,
    #[diesel(sql_type = Text)]
    request_hash: String,
    #[diesel(sql_type = Text)]
    entered_by: String,
    #[diesel(sql_type = Timestamptz)]
    entered_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    decided_by: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    decided_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    decision_note: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    entry_id: Option<Uuid>,
}

const BILL_COLUMNS: &str = "b.id, b.supplier_code, b.bill_number, b.purchase_order_id, \
    o.number AS purchase_order_number, b.bill_date, b.due_on, b.currency, b.net, b.tax, b.gross, \
    b.expected_net, b.status, b.hold_reasons, b.request_hash, b.entered_by, b.entered_at, \
    b.decided_by, b.decided_at, b.decision_note, b.entry_id";

#[derive(diesel::QueryableByName)]
struct BillLineRow {
    #[diesel(sql_type = Integer)]
    line_no: i32,
    #[diesel(sql_type = Integer)]
    purchase_order_line: i32,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = Numeric)]
    unit_price: Decimal,
    #[diesel(sql_type = Numeric)]
    unit_cost: Decimal,
    #[diesel(sql_type = Numeric)]
    net: Decimal,
}

/// A stored bill: what the API shows, and what its entry is made from.
pub struct Bill {
    pub view: SupplierBillView,
    pub currency: Currency,
    pub request_hash: String,
    pub lines: Vec<MatchedLine>,
}

impl Bill {
    pub fn tax(&self) -> Decimal {
        self.view.tax.amount
    }
}

async fn load(conn: &mut Conn, row: BillRow) -> Result<Bill, ApiError> {
    let currency: Currency = row
        .currency
        .parse()
        .map_err(|_| corrupt("currency", &row.currency))?;
    let status =
        BillStatus::parse(&row.status).ok_or_else(|| corrupt("bill status", &row.status))?;
    let lines: Vec<BillLineRow> = diesel::sql_query(
        "SELECT line_no, purchase_order_line, sku, quantity, unit_price, unit_cost, net \
         FROM supplier_bill_lines WHERE bill_id = $1 ORDER BY line_no",
    )
    .bind::<SqlUuid, _>(row.id)
    .cached()
    .load(conn)
    .await?;
    let money = |amount: Decimal| domain::Money { amount, currency }.canonical();
    let matched: Vec<MatchedLine> = lines
        .into_iter()
        .map(|l| {
            let expected = (Decimal::from(l.quantity) * l.unit_cost).round_dp_with_strategy(
                currency.minor_units(),
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            );
            MatchedLine {
                line_no: l.line_no,
                purchase_order_line: l.purchase_order_line,
                sku: l.sku,
                quantity: l.quantity,
                unit_price: l.unit_price,
                unit_cost: l.unit_cost,
                net: l.net,
                expected,
            }
        })
        .collect();
    let view = SupplierBillView {
        id: row.id,
        supplier_code: row.supplier_code,
        bill_number: row.bill_number,
        purchase_order_id: row.purchase_order_id,
        purchase_order_number: row.purchase_order_number,
        bill_date: row.bill_date,
        due_on: row.due_on,
        status,
        hold_reasons: row.hold_reasons,
        lines: matched
            .iter()
            .map(|l| SupplierBillLineView {
                line_no: l.line_no,
                purchase_order_line: l.purchase_order_line,
                sku: l.sku.clone(),
                quantity: l.quantity,
                unit_price: money(l.unit_price),
                unit_cost: money(l.unit_cost),
                net: money(l.net),
            })
            .collect(),
        net: money(row.net),
        tax: money(row.tax),
        gross: money(row.gross),
        expected_net: money(row.expected_net),
        price_variance: signed(row.net - row.expected_net, currency),
        entered_by: row.entered_by,
        entered_at: row.entered_at,
        decided_by: row.decided_by,
        decided_at: row.decided_at,
        decision_note: row.decision_note,
        entry_id: row.entry_id,
    };
    Ok(Bill {
        view,
        currency,
        request_hash: row.request_hash,
        lines: matched,
    })
}

/// Takes a supplier's bill number for this transaction: one entry of a
/// number at a time, so the same bill sent twice at once is entered once.
pub async fn lock_number(
    conn: &mut Conn,
    supplier_code: &str,
    bill_number: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind::<Text, _>(format!("supplier-bill:{supplier_code}:{bill_number}"))
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

/// A supplier's bill by its number, locked.
pub async fn by_number(
    conn: &mut Conn,
    supplier_code: &str,
    bill_number: &str,
) -> Result<Option<Bill>, ApiError> {
    let row: Option<BillRow> = diesel::sql_query(format!(
        "SELECT {BILL_COLUMNS} FROM supplier_bills b JOIN purchase_orders o ON o.id = b.purchase_order_id \
         WHERE b.supplier_code = $1 AND b.bill_number = $2 FOR UPDATE OF b"
    ))
    .bind::<Text, _>(supplier_code)
    .bind::<Text, _>(bill_number)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    match row {
        Some(row) => Ok(Some(load(conn, row).await?)),
        None => Ok(None),
    }
}

/// A bill by id, locked for a decision when `lock`.
pub async fn by_id(conn: &mut Conn, id: Uuid, lock: bool) -> Result<Option<Bill>, ApiError> {
    let lock = if lock { " FOR UPDATE OF b" } else { "" };
    let row: Option<BillRow> = diesel::sql_query(format!(
        "SELECT {BILL_COLUMNS} FROM supplier_bills b JOIN purchase_orders o ON o.id = b.purchase_order_id \
         WHERE b.id = $1{lock}"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    match row {
        Some(row) => Ok(Some(load(conn, row).await?)),
        None => Ok(None),
    }
}

/// Bills newest first, of one status or all.
pub async fn list(
    conn: &mut Conn,
    status: Option<BillStatus>,
    limit: i64,
) -> Result<Vec<SupplierBillView>, ApiError> {
    let rows: Vec<BillRow> = diesel::sql_query(format!(
        "SELECT {BILL_COLUMNS} FROM supplier_bills b JOIN purchase_orders o ON o.id = b.purchase_order_id \
         WHERE ($1::text IS NULL OR b.status = $1) ORDER BY b.entered_at DESC, b.id DESC LIMIT $2"
    ))
    .bind::<Nullable<Text>, _>(status.map(|s| s.as_str()))
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await?;
    let mut bills = Vec::with_capacity(rows.len());
    for row in rows {
        bills.push(load(conn, row).await?.view);
    }
    Ok(bills)
}

/// A new bill as matched.
pub struct NewBill<'a> {
    pub id: Uuid,
    pub supplier_code: &'a str,
    pub bill_number: &'a str,
    pub purchase_order_id: Uuid,
    pub bill_date: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub currency: Currency,
    pub net: Decimal,
    pub tax: Decimal,
    pub expected_net: Decimal,
    pub status: BillStatus,
    pub hold_reasons: &'a [String],
    pub request_hash: &'a str,
    pub entered_by: &'a str,
    pub lines: &'a [MatchedLine],
}

pub async fn insert(conn: &mut Conn, b: &NewBill<'_>) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO supplier_bills (id, supplier_code, bill_number, purchase_order_id, bill_date, due_on, \
           currency, net, tax, gross, expected_net, status, hold_reasons, request_hash, entered_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8 + $9, $10, $11, $12, $13, $14)",
    )
    .bind::<SqlUuid, _>(b.id)
    .bind::<Text, _>(b.supplier_code)
    .bind::<Text, _>(b.bill_number)
    .bind::<SqlUuid, _>(b.purchase_order_id)
    .bind::<Date, _>(b.bill_date)
    .bind::<Nullable<Date>, _>(b.due_on)
    .bind::<Text, _>(b.currency.code())
    .bind::<Numeric, _>(b.net)
    .bind::<Numeric, _>(b.tax)
    .bind::<Numeric, _>(b.expected_net)
    .bind::<Text, _>(b.status.as_str())
    .bind::<Array<Text>, _>(b.hold_reasons)
    .bind::<Text, _>(b.request_hash)
    .bind::<Text, _>(b.entered_by)
    .cached()
    .execute(conn)
    .await?;
    let l = b.lines;
    diesel::sql_query(
        "INSERT INTO supplier_bill_lines (bill_id, line_no, purchase_order_line, sku, quantity, unit_price, \
           unit_cost, net) \
         SELECT $1, l.* FROM unnest($2::int4[], $3::int4[], $4::text[], $5::int8[], $6::numeric[], \
           $7::numeric[], $8::numeric[]) AS l",
    )
    .bind::<SqlUuid, _>(b.id)
    .bind::<Array<Integer>, _>(l.iter().map(|l| l.line_no).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(l.iter().map(|l| l.purchase_order_line).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(l.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(l.iter().map(|l| l.quantity).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(l.iter().map(|l| l.unit_price).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(l.iter().map(|l| l.unit_cost).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(l.iter().map(|l| l.net).collect::<Vec<_>>())
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the entry a bill posted.
pub async fn set_entry(conn: &mut Conn, id: Uuid, entry_id: Uuid) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE supplier_bills SET entry_id = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(entry_id)
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

/// A held bill's decision: posted (approved) or rejected, by whom and why.
pub async fn decide(
    conn: &mut Conn,
    id: Uuid,
    status: BillStatus,
    actor: &str,
    note: Option<&str>,
    entry_id: Option<Uuid>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE supplier_bills SET status = $2, decided_by = $3, decided_at = now(), decision_note = $4, \
           entry_id = $5 WHERE id = $1 AND status = 'held'",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status.as_str())
    .bind::<Text, _>(actor)
    .bind::<Nullable<Text>, _>(note)
    .bind::<Nullable<SqlUuid>, _>(entry_id)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
