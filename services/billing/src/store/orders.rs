//! Orders as OrderPlaced describes them: who buys, where to, the lines and
//! their prices and discounts, and how much of each line has been invoiced.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Jsonb, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::invoicing::OrderLine;

/// An order's facts as billing invoices from them.
#[derive(Debug, Clone)]
pub struct OrderFacts {
    pub order_id: Uuid,
    pub channel_id: String,
    pub external_order_id: String,
    pub currency: String,
    pub customer: serde_json::Value,
    pub billing_address: serde_json::Value,
    pub ship_to_country: String,
    pub subtotal: Decimal,
    pub shipping_total: Decimal,
    pub tax_total: Decimal,
    pub discount_total: Decimal,
    pub total: Decimal,
    pub placed_at: DateTime<Utc>,
}

/// A line of OrderPlaced with its share of the discount.
pub struct NewLine<'a> {
    pub line_no: i32,
    pub sku: &'a str,
    pub quantity: i64,
    pub unit_price: Decimal,
    pub discount: Decimal,
}

/// Records (or refreshes) an order's facts. Lines, once recorded, keep what
/// has been invoiced of them: a placement published again changes nothing
/// about them.
pub async fn upsert(
    conn: &mut Conn,
    o: &OrderFacts,
    lines: &[NewLine<'_>],
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO orders (order_id, channel_id, external_order_id, currency, customer, \
           billing_address, ship_to_country, subtotal, shipping_total, tax_total, discount_total, \
           total, placed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (order_id) DO UPDATE SET customer = EXCLUDED.customer, \
           billing_address = EXCLUDED.billing_address, ship_to_country = EXCLUDED.ship_to_country, \
           updated_at = now()",
    )
    .bind::<SqlUuid, _>(o.order_id)
    .bind::<Text, _>(&o.channel_id)
    .bind::<Text, _>(&o.external_order_id)
    .bind::<Text, _>(&o.currency)
    .bind::<Jsonb, _>(&o.customer)
    .bind::<Jsonb, _>(&o.billing_address)
    .bind::<Text, _>(&o.ship_to_country)
    .bind::<Numeric, _>(o.subtotal)
    .bind::<Numeric, _>(o.shipping_total)
    .bind::<Numeric, _>(o.tax_total)
    .bind::<Numeric, _>(o.discount_total)
    .bind::<Numeric, _>(o.total)
    .bind::<Timestamptz, _>(o.placed_at)
    .cached()
    .execute(conn)
    .await?;
    let line_nos: Vec<i32> = lines.iter().map(|l| l.line_no).collect();
    let skus: Vec<&str> = lines.iter().map(|l| l.sku).collect();
    let quantities: Vec<i64> = lines.iter().map(|l| l.quantity).collect();
    let prices: Vec<Decimal> = lines.iter().map(|l| l.unit_price).collect();
    let discounts: Vec<Decimal> = lines.iter().map(|l| l.discount).collect();
    diesel::sql_query(
        "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price, discount) \
         SELECT $1, l.line_no, l.sku, l.quantity, l.unit_price, l.discount \
           FROM unnest($2::int[], $3::text[], $4::bigint[], $5::numeric[], $6::numeric[]) \
             AS l (line_no, sku, quantity, unit_price, discount) \
         ON CONFLICT (order_id, line_no) DO NOTHING",
    )
    .bind::<SqlUuid, _>(o.order_id)
    .bind::<Array<Integer>, _>(&line_nos)
    .bind::<Array<Text>, _>(&skus)
    .bind::<Array<BigInt>, _>(&quantities)
    .bind::<Array<Numeric>, _>(&prices)
    .bind::<Array<Numeric>, _>(&discounts)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct FactsRow {
    #[diesel(sql_type = SqlUuid)]
    order_id: Uuid,
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Text)]
    external_order_id: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Jsonb)]
    customer: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    billing_address: serde_json::Value,
    #[diesel(sql_type = Text)]
    ship_to_country: String,
    #[diesel(sql_type = Numeric)]
    subtotal: Decimal,
    #[diesel(sql_type = Numeric)]
    shipping_total: Decimal,
    #[diesel(sql_type = Numeric)]
    tax_total: Decimal,
    #[diesel(sql_type = Numeric)]
    discount_total: Decimal,
    #[diesel(sql_type = Numeric)]
    total: Decimal,
    #[diesel(sql_type = Timestamptz)]
    placed_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    shipping_invoiced: bool,
}

#[derive(diesel::QueryableByName)]
struct LineRow {
    #[diesel(sql_type = Integer)]
    line_no: i32,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = Numeric)]
    unit_price: Decimal,
    #[diesel(sql_type = Numeric)]
    discount: Decimal,
    #[diesel(sql_type = BigInt)]
    invoiced_quantity: i64,
    #[diesel(sql_type = Numeric)]
    invoiced_discount: Decimal,
}

/// An order locked for invoicing: its facts, whether its shipping is
/// invoiced, and its lines.
pub struct Locked {
    pub facts: OrderFacts,
    pub shipping_invoiced: bool,
    pub lines: Vec<OrderLine>,
}

/// Locks an order (one invoice of it at a time) and reads it; None when
/// OrderPlaced has not arrived yet.
pub async fn lock(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<Option<Locked>> {
    let row: Option<FactsRow> = diesel::sql_query(
        "SELECT order_id, channel_id, external_order_id, currency, customer, billing_address, \
           ship_to_country, subtotal, shipping_total, tax_total, discount_total, total, placed_at, shipping_invoiced \
         FROM orders WHERE order_id = $1 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let lines: Vec<LineRow> = diesel::sql_query(
        "SELECT line_no, sku, quantity, unit_price, discount, invoiced_quantity, invoiced_discount \
         FROM order_lines WHERE order_id = $1 ORDER BY line_no",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .load(conn)
    .await?;
    Ok(Some(Locked {
        shipping_invoiced: row.shipping_invoiced,
        facts: OrderFacts {
            order_id: row.order_id,
            channel_id: row.channel_id,
            external_order_id: row.external_order_id,
            currency: row.currency,
            customer: row.customer,
            billing_address: row.billing_address,
            ship_to_country: row.ship_to_country,
            subtotal: row.subtotal,
            shipping_total: row.shipping_total,
            tax_total: row.tax_total,
            discount_total: row.discount_total,
            total: row.total,
            placed_at: row.placed_at,
        },
        lines: lines
            .into_iter()
            .map(|l| OrderLine {
                line_no: l.line_no,
                sku: l.sku,
                quantity: l.quantity,
                unit_price: l.unit_price,
                discount: l.discount,
                invoiced_quantity: l.invoiced_quantity,
                invoiced_discount: l.invoiced_discount,
            })
            .collect(),
    }))
}

/// Counts what an invoice took: units and discount per line; the order's
/// first invoice is issued (its shipping and once-per-order fees billed).
pub async fn mark_invoiced(
    conn: &mut Conn,
    order_id: Uuid,
    taken: &[(i32, i64, Decimal)],
) -> diesel::QueryResult<()> {
    let line_nos: Vec<i32> = taken.iter().map(|t| t.0).collect();
    let quantities: Vec<i64> = taken.iter().map(|t| t.1).collect();
    let discounts: Vec<Decimal> = taken.iter().map(|t| t.2).collect();
    diesel::sql_query(
        "UPDATE order_lines o SET invoiced_quantity = o.invoiced_quantity + t.quantity, \
           invoiced_discount = o.invoiced_discount + t.discount \
         FROM unnest($2::int[], $3::bigint[], $4::numeric[]) AS t (line_no, quantity, discount) \
         WHERE o.order_id = $1 AND o.line_no = t.line_no",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Array<Integer>, _>(&line_nos)
    .bind::<Array<BigInt>, _>(&quantities)
    .bind::<Array<Numeric>, _>(&discounts)
    .cached()
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE orders SET shipping_invoiced = true WHERE order_id = $1 AND NOT shipping_invoiced",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
