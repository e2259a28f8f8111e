//! Purchase orders and their lines; what is on order; what suppliers offer
//! and how long their receipts took.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Date, Integer, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::Money;
use domain::contracts::procurement::{
    ChargeBasis, ChargeKind, ChargeView, LineExplanation, PurchaseOrderLineView,
    PurchaseOrderStatus, PurchaseOrderView,
};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::corrupt;
use crate::domain::landed_cost::Basis;
use crate::domain::purchase_orders as rules;

/// Statuses whose open quantities are on order (drafts too: a second run
/// must not order what a first one already drafted).
pub const OPEN: &[&str] = &["draft", "approved", "sent", "partially_received"];

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct HeadRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Text)]
    pub supplier_code: String,
    #[diesel(sql_type = Text)]
    pub location_code: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Date)]
    pub expected_on: NaiveDate,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub run_id: Option<Uuid>,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub created_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub approved_by: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub approved_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub sent_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub closed_at: Option<DateTime<Utc>>,
}

impl HeadRow {
    pub fn status(&self) -> Result<PurchaseOrderStatus, ApiError> {
        PurchaseOrderStatus::parse(&self.status)
            .ok_or_else(|| corrupt("purchase order status", &self.status))
    }
}

const HEAD_COLUMNS: &str = "id, number, supplier_code, location_code, currency, status, \
    expected_on, run_id, version, created_at, created_by, updated_at, approved_by, approved_at, \
    sent_at, closed_at";

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ChargeRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = SqlUuid)]
    pub po_id: Uuid,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Text)]
    pub basis: String,
    #[diesel(sql_type = Text)]
    pub added_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub added_at: DateTime<Utc>,
}

impl ChargeRow {
    fn view(&self) -> Result<ChargeView, ApiError> {
        Ok(ChargeView {
            id: self.id,
            kind: ChargeKind::parse(&self.kind)
                .ok_or_else(|| corrupt("charge kind", &self.kind))?,
            amount: Money::parse(&self.amount.normalize().to_string(), &self.currency)
                .map_err(|_| corrupt("charge", &self.amount.to_string()))?,
            basis: ChargeBasis::parse(&self.basis)
                .ok_or_else(|| corrupt("charge basis", &self.basis))?,
            added_by: self.added_by.clone(),
            added_at: self.added_at,
        })
    }
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct LineRow {
    #[diesel(sql_type = SqlUuid)]
    pub po_id: Uuid,
    #[diesel(sql_type = Integer)]
    pub line_no: i32,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub supplier_sku: String,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
    #[diesel(sql_type = Numeric)]
    pub unit_cost: Decimal,
    #[diesel(sql_type = BigInt)]
    pub received_good: i64,
    #[diesel(sql_type = BigInt)]
    pub received_damaged: i64,
    #[diesel(sql_type = BigInt)]
    pub cancelled: i64,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub explanation: Option<serde_json::Value>,
}

const LINE_COLUMNS: &str = "po_id, line_no, sku, supplier_sku, quantity, unit_cost, \
    received_good, received_damaged, cancelled, explanation";

/// A new order's line.
#[derive(Debug, Clone)]
pub struct NewLine {
    pub sku: String,
    pub supplier_sku: String,
    pub quantity: i64,
    pub unit_cost: Money,
    pub explanation: Option<LineExplanation>,
}

/// A new order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub supplier_code: String,
    pub location_code: String,
    pub currency: String,
    pub expected_on: NaiveDate,
    pub lines: Vec<NewLine>,
}

/// What an order's view is assembled from besides its head.
pub struct Parts<'a> {
    pub lines: &'a [LineRow],
    pub charges: &'a [ChargeRow],
    /// Catalog weight per unit, by SKU.
    pub weights: &'a HashMap<String, i64>,
}

/// Assembles the view of an order: totals, and each line's landed unit cost
/// from the charges.
pub fn view(head: &HeadRow, parts: Parts<'_>) -> Result<PurchaseOrderView, ApiError> {
    let currency: domain::Currency = head
        .currency
        .parse()
        .map_err(|_| corrupt("currency", &head.currency))?;
    let money = |amount: Decimal| {
        Money::new(amount.normalize(), currency).map_err(|_| corrupt("amount", &amount.to_string()))
    };
    let charges = parts
        .charges
        .iter()
        .map(ChargeRow::view)
        .collect::<Result<Vec<_>, _>>()?;
    let costed: Vec<(i64, i64, Money)> = parts
        .lines
        .iter()
        .map(|l| {
            Ok((
                l.quantity,
                parts.weights.get(&l.sku).copied().unwrap_or(0),
                money(l.unit_cost)?,
            ))
        })
        .collect::<Result<_, ApiError>>()?;
    let landed = rules::landed_unit_costs(
        &costed,
        &charges
            .iter()
            .map(|c| rules::Charge {
                amount: c.amount,
                basis: match c.basis {
                    ChargeBasis::Quantity => Basis::Quantity,
                    ChargeBasis::Weight => Basis::Weight,
                    ChargeBasis::Value => Basis::Value,
                },
            })
            .collect::<Vec<_>>(),
    );
    let mut total = Decimal::ZERO;
    let mut views = Vec::with_capacity(parts.lines.len());
    for (l, unit_landed_cost) in parts.lines.iter().zip(landed) {
        let line_total = l.unit_cost * Decimal::from(l.quantity);
        total += line_total;
        views.push(PurchaseOrderLineView {
            line_no: l.line_no,
            sku: l.sku.clone(),
            supplier_sku: l.supplier_sku.clone(),
            quantity: l.quantity,
            unit_cost: money(l.unit_cost)?,
            line_total: money(line_total)?,
            received_good: l.received_good,
            received_damaged: l.received_damaged,
            cancelled: l.cancelled,
            unit_landed_cost,
            explanation: l
                .explanation
                .clone()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|_| corrupt("line explanation", &l.sku))?,
        });
    }
    Ok(PurchaseOrderView {
        id: head.id,
        number: head.number.clone(),
        supplier_code: head.supplier_code.clone(),
        location_code: head.location_code.clone(),
        status: head.status()?,
        total: money(total)?,
        expected_on: head.expected_on,
        run_id: head.run_id,
        lines: views,
        charges,
        version: head.version,
        created_at: head.created_at,
        created_by: head.created_by.clone(),
        updated_at: head.updated_at,
        approved_by: head.approved_by.clone(),
        approved_at: head.approved_at,
        sent_at: head.sent_at,
        closed_at: head.closed_at,
    })
}

/// Creates a draft order with its lines; returns its id.
pub async fn insert(
    conn: &mut Conn,
    order: &NewOrder,
    run_id: Option<Uuid>,
    actor: &str,
) -> diesel::QueryResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO purchase_orders (id, number, supplier_code, location_code, currency, status, \
           expected_on, run_id, created_by, updated_by) \
         VALUES ($1, 'PO-' || lpad(nextval('purchase_order_numbers')::text, 6, '0'), \
           $2, $3, $4, 'draft', $5, $6, $7, $7)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(&order.supplier_code)
    .bind::<Text, _>(&order.location_code)
    .bind::<Text, _>(&order.currency)
    .bind::<Date, _>(order.expected_on)
    .bind::<Nullable<SqlUuid>, _>(run_id)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    let line_nos: Vec<i32> = (1..=order.lines.len() as i32).collect();
    let skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
    let supplier_skus: Vec<&str> = order
        .lines
        .iter()
        .map(|l| l.supplier_sku.as_str())
        .collect();
    let quantities: Vec<i64> = order.lines.iter().map(|l| l.quantity).collect();
    let costs: Vec<Decimal> = order.lines.iter().map(|l| l.unit_cost.amount).collect();
    let explanations: Vec<Option<serde_json::Value>> = order
        .lines
        .iter()
        .map(|l| l.explanation.as_ref().map(platform::audit::snapshot))
        .collect();
    diesel::sql_query(
        "INSERT INTO purchase_order_lines (po_id, line_no, sku, supplier_sku, quantity, \
           unit_cost, explanation) \
         SELECT $1, l.line_no, l.sku, l.supplier_sku, l.quantity, l.unit_cost, l.explanation \
         FROM unnest($2::int4[], $3::text[], $4::text[], $5::int8[], $6::numeric[], $7::jsonb[]) \
           AS l (line_no, sku, supplier_sku, quantity, unit_cost, explanation)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Array<Integer>, _>(line_nos)
    .bind::<Array<Text>, _>(skus)
    .bind::<Array<Text>, _>(supplier_skus)
    .bind::<Array<BigInt>, _>(quantities)
    .bind::<Array<Numeric>, _>(costs)
    .bind::<Array<Nullable<Jsonb>>, _>(explanations)
    .cached()
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn head(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<HeadRow>> {
    diesel::sql_query(format!(
        "SELECT {HEAD_COLUMNS} FROM purchase_orders WHERE id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// The order's head, locked for the rest of the transaction.
pub async fn lock(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<HeadRow>> {
    diesel::sql_query(format!(
        "SELECT {HEAD_COLUMNS} FROM purchase_orders WHERE id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// The lines of `ids`, in (order, line) order.
pub async fn lines_of(conn: &mut Conn, ids: &[Uuid]) -> diesel::QueryResult<Vec<LineRow>> {
    diesel::sql_query(format!(
        "SELECT {LINE_COLUMNS} FROM purchase_order_lines WHERE po_id = ANY($1) \
         ORDER BY po_id, line_no"
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .cached()
    .load(conn)
    .await
}

/// Loads orders as views, in the order of `ids`.
pub async fn views(conn: &mut Conn, ids: &[Uuid]) -> Result<Vec<PurchaseOrderView>, ApiError> {
    let heads: Vec<HeadRow> = diesel::sql_query(format!(
        "SELECT {HEAD_COLUMNS} FROM purchase_orders WHERE id = ANY($1)"
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .cached()
    .load(conn)
    .await?;
    let lines = lines_of(conn, ids).await?;
    let charges: Vec<ChargeRow> = diesel::sql_query(
        "SELECT id, po_id, kind, amount, currency, basis, added_by, added_at \
         FROM purchase_order_charges WHERE po_id = ANY($1) ORDER BY po_id, id",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .cached()
    .load(conn)
    .await?;
    let mut skus: Vec<String> = lines.iter().map(|l| l.sku.clone()).collect();
    skus.sort();
    skus.dedup();
    let weights = super::skus::weights(conn, &skus).await?;
    let mut lines_by: HashMap<Uuid, Vec<LineRow>> = HashMap::new();
    for l in lines {
        lines_by.entry(l.po_id).or_default().push(l);
    }
    let mut charges_by: HashMap<Uuid, Vec<ChargeRow>> = HashMap::new();
    for c in charges {
        charges_by.entry(c.po_id).or_default().push(c);
    }
    let heads: HashMap<Uuid, HeadRow> = heads.into_iter().map(|h| (h.id, h)).collect();
    ids.iter()
        .filter_map(|id| heads.get(id))
        .map(|h| {
            view(
                h,
                Parts {
                    lines: lines_by.get(&h.id).map(Vec::as_slice).unwrap_or(&[]),
                    charges: charges_by.get(&h.id).map(Vec::as_slice).unwrap_or(&[]),
                    weights: &weights,
                },
            )
        })
        .collect()
}

/// The one order's view (None when it does not exist).
pub async fn view_of(conn: &mut Conn, id: Uuid) -> Result<Option<PurchaseOrderView>, ApiError> {
    Ok(views(conn, &[id]).await?.pop())
}

/// Order ids, newest first, optionally of one status or supplier, after `cursor`.
pub async fn list(
    conn: &mut Conn,
    status: Option<&str>,
    supplier: Option<&str>,
    cursor: Option<Uuid>,
    limit: i64,
) -> diesel::QueryResult<Vec<Uuid>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let rows: Vec<Id> = diesel::sql_query(
        "SELECT id FROM purchase_orders \
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR supplier_code = $2) \
           AND ($3::uuid IS NULL OR id < $3) \
         ORDER BY id DESC LIMIT $4",
    )
    .bind::<Nullable<Text>, _>(status)
    .bind::<Nullable<Text>, _>(supplier)
    .bind::<Nullable<SqlUuid>, _>(cursor)
    .bind::<BigInt, _>(limit)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Units on order per (SKU, location): the open remainder of open orders' lines.
pub async fn on_order(conn: &mut Conn) -> diesel::QueryResult<HashMap<(String, String), i64>> {
    #[derive(diesel::QueryableByName)]
    struct OnOrder {
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = Text)]
        location_code: String,
        #[diesel(sql_type = BigInt)]
        units: i64,
    }
    let rows: Vec<OnOrder> = diesel::sql_query(
        "SELECT l.sku, p.location_code, \
           sum(greatest(l.quantity - l.received_good - l.received_damaged - l.cancelled, 0))::int8 \
             AS units \
         FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
         WHERE p.status = ANY($1) GROUP BY l.sku, p.location_code",
    )
    .bind::<Array<Text>, _>(OPEN)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.sku, r.location_code), r.units))
        .collect())
}
