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
    AllocationBasis, BillKind, BillStatus, BillToleranceView, ChargeAllocationView,
    SupplierBillLineView, SupplierBillView,
};
use domain::events::proto::procurement::v1 as po;
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{corrupt, signed};
use crate::domain::bills::{Allocation, MatchedLine, OrderLine, ReceivedLine, Tolerance};

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

/// Adds units received against a purchase order line, and the landed value
/// they were received at (once per receipt:
/// the caller runs in the receipt's inbox transaction).
pub async fn add_received(
    conn: &mut Conn,
    purchase_order_id: Uuid,
    line_no: i32,
    sku: &str,
    units: i64,
    landed_value: Decimal,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO received_quantities (purchase_order_id, line_no, sku, received, landed_value) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (purchase_order_id, line_no) DO UPDATE \
           SET received = received_quantities.received + EXCLUDED.received, \
             landed_value = received_quantities.landed_value + EXCLUDED.landed_value",
    )
    .bind::<SqlUuid, _>(purchase_order_id)
    .bind::<Integer, _>(line_no)
    .bind::<Text, _>(sku)
    .bind::<BigInt, _>(units)
    .bind::<Numeric, _>(landed_value)
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
    kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    allocation: Option<String>,
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

const BILL_COLUMNS: &str = "b.id, b.kind, b.allocation, b.supplier_code, b.bill_number, b.purchase_order_id, \
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

#[derive(diesel::QueryableByName)]
struct AllocationRow {
    #[diesel(sql_type = Integer)]
    purchase_order_line: i32,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = Numeric)]
    allocated: Decimal,
    #[diesel(sql_type = Numeric)]
    estimate_cleared: Decimal,
    #[diesel(sql_type = Numeric)]
    to_inventory: Decimal,
    #[diesel(sql_type = Numeric)]
    to_cogs: Decimal,
}

/// A stored bill: what the API shows, and what its entry is made from.
pub struct Bill {
    pub view: SupplierBillView,
    pub currency: Currency,
    pub request_hash: String,
    pub lines: Vec<MatchedLine>,
    /// Charges bills: what each received line took.
    pub allocations: Vec<Allocation>,
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
    let kind = BillKind::parse(&row.kind).ok_or_else(|| corrupt("bill kind", &row.kind))?;
    let allocation = match &row.allocation {
        Some(a) => Some(AllocationBasis::parse(a).ok_or_else(|| corrupt("allocation", a))?),
        None => None,
    };
    let money = |amount: Decimal| domain::Money { amount, currency }.canonical();
    let allocations: Vec<AllocationRow> = if kind == BillKind::Charges {
        diesel::sql_query(
            "SELECT purchase_order_line, sku, received, allocated, estimate_cleared, to_inventory, to_cogs \
             FROM charge_allocations WHERE bill_id = $1 ORDER BY purchase_order_line",
        )
        .bind::<SqlUuid, _>(row.id)
        .cached()
        .load(conn)
        .await?
    } else {
        Vec::new()
    };
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
        kind,
        allocation,
        allocations: allocations
            .iter()
            .map(|a| ChargeAllocationView {
                purchase_order_line: a.purchase_order_line,
                sku: a.sku.clone(),
                received: a.received,
                allocated: money(a.allocated),
                estimate_cleared: money(a.estimate_cleared),
                to_inventory: signed(a.to_inventory, currency),
                to_cost_of_goods: signed(a.to_cogs, currency),
            })
            .collect(),
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
        allocations: allocations
            .into_iter()
            .map(|a| Allocation {
                line_no: a.purchase_order_line,
                sku: a.sku,
                received: a.received,
                allocated: a.allocated,
                estimate_cleared: a.estimate_cleared,
                to_inventory: a.to_inventory,
                to_cogs: a.to_cogs,
            })
            .collect(),
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
    pub kind: BillKind,
    pub allocation: Option<AllocationBasis>,
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
           currency, net, tax, gross, expected_net, status, hold_reasons, request_hash, entered_by, kind, \
           allocation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8 + $9, $10, $11, $12, $13, $14, $15, $16)",
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
    .bind::<Text, _>(b.kind.as_str())
    .bind::<Nullable<Text>, _>(b.allocation.map(|a| a.as_str()))
    .cached()
    .execute(conn)
    .await?;
    let l = b.lines;
    if l.is_empty() {
        return Ok(());
    }
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

#[derive(diesel::QueryableByName)]
struct ReceivedRow {
    #[diesel(sql_type = Integer)]
    line_no: i32,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = Numeric)]
    unit_cost: Decimal,
    #[diesel(sql_type = BigInt)]
    weight_grams: i64,
    #[diesel(sql_type = Numeric)]
    landed_value: Decimal,
    #[diesel(sql_type = Numeric)]
    charges_cleared: Decimal,
}

#[derive(diesel::QueryableByName)]
struct StockRow {
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = Numeric)]
    value: Decimal,
}

/// The order's lines with what was received of them, the estimate of
/// charges still in goods received not invoiced, and their SKUs' stock
/// (locked in SKU order, as shipments lock it, so the value a negative
/// difference takes is the value it is taken from).
pub async fn received_lines(
    conn: &mut Conn,
    purchase_order_id: Uuid,
    currency: Currency,
) -> Result<Vec<ReceivedLine>, ApiError> {
    let rows: Vec<ReceivedRow> = diesel::sql_query(
        "SELECT l.line_no, l.sku, COALESCE(r.received, 0)::int8 AS received, l.unit_cost, \
           COALESCE(c.weight_grams, 0)::int8 AS weight_grams, \
           COALESCE(r.landed_value, 0) AS landed_value, COALESCE(r.charges_cleared, 0) AS charges_cleared \
         FROM purchase_order_lines l \
         LEFT JOIN received_quantities r ON r.purchase_order_id = l.purchase_order_id AND r.line_no = l.line_no \
         LEFT JOIN sku_costs c ON c.sku = l.sku \
         WHERE l.purchase_order_id = $1 ORDER BY l.line_no",
    )
    .bind::<SqlUuid, _>(purchase_order_id)
    .cached()
    .load(conn)
    .await?;
    let mut skus: Vec<&str> = rows.iter().map(|r| r.sku.as_str()).collect();
    skus.sort_unstable();
    skus.dedup();
    let stock: Vec<StockRow> = diesel::sql_query(
        "SELECT sku, quantity, value FROM stock_values WHERE sku = ANY($1) AND currency = $2 \
         ORDER BY sku FOR UPDATE",
    )
    .bind::<Array<Text>, _>(&skus)
    .bind::<Text, _>(currency.code())
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let s = stock.iter().find(|s| s.sku == r.sku);
            let cost = (r.unit_cost * Decimal::from(r.received)).round_dp_with_strategy(
                currency.minor_units(),
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            );
            ReceivedLine {
                line_no: r.line_no,
                sku: r.sku.clone(),
                received: r.received,
                unit_cost: r.unit_cost,
                weight_grams: r.weight_grams,
                estimate_left: r.landed_value - cost - r.charges_cleared,
                on_hand: s.map_or(0, |s| s.quantity),
                stock_value: s.map_or(Decimal::ZERO, |s| s.value),
            }
        })
        .collect())
}

/// Records a charges bill's allocations: the estimate each line cleared,
/// and the stock value the units on hand took.
pub async fn record_charges(
    conn: &mut Conn,
    bill_id: Uuid,
    purchase_order_id: Uuid,
    currency: Currency,
    a: &[Allocation],
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO charge_allocations (bill_id, purchase_order_line, sku, received, allocated, \
           estimate_cleared, to_inventory, to_cogs) \
         SELECT $1, l.* FROM unnest($2::int4[], $3::text[], $4::int8[], $5::numeric[], $6::numeric[], \
           $7::numeric[], $8::numeric[]) AS l",
    )
    .bind::<SqlUuid, _>(bill_id)
    .bind::<Array<Integer>, _>(a.iter().map(|l| l.line_no).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(a.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(a.iter().map(|l| l.received).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(a.iter().map(|l| l.allocated).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(a.iter().map(|l| l.estimate_cleared).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(a.iter().map(|l| l.to_inventory).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(a.iter().map(|l| l.to_cogs).collect::<Vec<_>>())
    .cached()
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE received_quantities r SET charges_cleared = r.charges_cleared + c.cleared \
         FROM unnest($2::int4[], $3::numeric[]) AS c (line_no, cleared) \
         WHERE r.purchase_order_id = $1 AND r.line_no = c.line_no",
    )
    .bind::<SqlUuid, _>(purchase_order_id)
    .bind::<Array<Integer>, _>(a.iter().map(|l| l.line_no).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(a.iter().map(|l| l.estimate_cleared).collect::<Vec<_>>())
    .cached()
    .execute(conn)
    .await?;
    // Per SKU (two lines of one SKU add up), in SKU order.
    let mut by_sku: Vec<(&str, Decimal)> = Vec::new();
    for l in a.iter().filter(|l| !l.to_inventory.is_zero()) {
        match by_sku.iter_mut().find(|(s, _)| *s == l.sku) {
            Some((_, v)) => *v += l.to_inventory,
            None => by_sku.push((&l.sku, l.to_inventory)),
        }
    }
    by_sku.sort_unstable();
    diesel::sql_query(
        "UPDATE stock_values v SET value = v.value + c.delta, updated_at = now() \
         FROM unnest($1::text[], $2::numeric[]) AS c (sku, delta) \
         WHERE v.sku = c.sku AND v.currency = $3",
    )
    .bind::<Array<Text>, _>(by_sku.iter().map(|(s, _)| *s).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(by_sku.iter().map(|(_, v)| *v).collect::<Vec<_>>())
    .bind::<Text, _>(currency.code())
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
