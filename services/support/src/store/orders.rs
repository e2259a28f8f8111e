//! The orders and parcels tickets are about, projected from orders' order
//! events and the warehouse's FulfillmentShipped; and the order facts a
//! ticket shows.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::support::{OrderFacts, OrderLineFacts, ParcelFacts};
use platform::db::{CachedExt, Conn};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::tickets::{expected_delivery, return_days_left};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredLine {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedLine {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
}

pub struct NewOrder<'a> {
    pub order_id: Uuid,
    pub channel_id: &'a str,
    pub external_order_id: &'a str,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub currency: Option<String>,
    pub lines: Vec<StoredLine>,
    pub placed_at: DateTime<Utc>,
}

/// Records a placed order (a redelivery changes nothing).
pub async fn placed(conn: &mut Conn, o: &NewOrder<'_>) -> anyhow::Result<()> {
    diesel::sql_query(
        "INSERT INTO orders (order_id, channel_id, external_order_id, customer_email, \
           customer_name, status, currency, lines, placed_at) \
         VALUES ($1, $2, $3, $4, $5, 'placed', $6, $7, $8) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(o.order_id)
    .bind::<Text, _>(o.channel_id)
    .bind::<Text, _>(o.external_order_id)
    .bind::<Nullable<Text>, _>(o.customer_email.as_deref())
    .bind::<Nullable<Text>, _>(o.customer_name.as_deref())
    .bind::<Nullable<Text>, _>(o.currency.as_deref())
    .bind::<Jsonb, _>(serde_json::to_value(&o.lines)?)
    .bind::<Timestamptz, _>(o.placed_at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves an order to `status` (confirmed, on_hold, cancelled); a cancelled
/// order stays cancelled.
pub async fn set_status(conn: &mut Conn, order_id: Uuid, status: &str) -> anyhow::Result<()> {
    diesel::sql_query(
        "UPDATE orders SET status = $2, updated_at = now() \
         WHERE order_id = $1 AND status <> 'cancelled'",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(status)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub struct NewParcel<'a> {
    pub fulfillment_id: &'a str,
    pub package_id: &'a str,
    pub order_id: Uuid,
    pub channel_id: &'a str,
    pub location_code: &'a str,
    pub carrier: &'a str,
    pub service: &'a str,
    pub tracking_number: &'a str,
    pub lines: Vec<ShippedLine>,
    pub shipped_at: DateTime<Utc>,
}

pub async fn shipped(conn: &mut Conn, p: &NewParcel<'_>) -> anyhow::Result<()> {
    diesel::sql_query(
        "INSERT INTO parcels (fulfillment_id, package_id, order_id, channel_id, location_code, \
           carrier, service, tracking_number, lines, shipped_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (fulfillment_id, package_id) DO NOTHING",
    )
    .bind::<Text, _>(p.fulfillment_id)
    .bind::<Text, _>(p.package_id)
    .bind::<SqlUuid, _>(p.order_id)
    .bind::<Text, _>(p.channel_id)
    .bind::<Text, _>(p.location_code)
    .bind::<Text, _>(p.carrier)
    .bind::<Text, _>(p.service)
    .bind::<Text, _>(p.tracking_number)
    .bind::<Jsonb, _>(serde_json::to_value(&p.lines)?)
    .bind::<Timestamptz, _>(p.shipped_at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct OrderRow {
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel_id: String,
    #[diesel(sql_type = Text)]
    pub external_order_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub customer_email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub customer_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = Jsonb)]
    pub lines: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    pub placed_at: DateTime<Utc>,
}

const ORDER_COLUMNS: &str = "order_id, channel_id, external_order_id, customer_email, \
     customer_name, status, currency, lines, placed_at";

pub async fn by_id(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<Option<OrderRow>> {
    diesel::sql_query(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = $1"
    ))
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// A channel's order by its own number.
pub async fn by_number(
    conn: &mut Conn,
    channel_id: &str,
    external_order_id: &str,
) -> diesel::QueryResult<Option<OrderRow>> {
    diesel::sql_query(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE channel_id = $1 AND external_order_id = $2 \
         ORDER BY placed_at DESC LIMIT 1"
    ))
    .bind::<Text, _>(channel_id)
    .bind::<Text, _>(external_order_id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

/// Orders whose number or id is one of `words` (a message's references),
/// the sender's own first, then the newest.
pub async fn by_references(
    conn: &mut Conn,
    words: &[String],
    sender: &str,
) -> diesel::QueryResult<Vec<OrderRow>> {
    diesel::sql_query(format!(
        "SELECT {ORDER_COLUMNS} FROM orders \
         WHERE external_order_id = ANY($1) OR order_id::text = ANY($1) \
         ORDER BY (customer_email = $2) DESC NULLS LAST, placed_at DESC LIMIT 10"
    ))
    .bind::<Array<Text>, _>(words)
    .bind::<Text, _>(sender)
    .cached()
    .load(conn)
    .await
}

/// The sender's most recent order.
pub async fn latest_of_customer(
    conn: &mut Conn,
    email: &str,
) -> diesel::QueryResult<Option<OrderRow>> {
    diesel::sql_query(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE customer_email = $1 \
         ORDER BY placed_at DESC LIMIT 1"
    ))
    .bind::<Text, _>(email)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ParcelRow {
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Text)]
    pub location_code: String,
    #[diesel(sql_type = Text)]
    pub carrier: String,
    #[diesel(sql_type = Text)]
    pub service: String,
    #[diesel(sql_type = Text)]
    pub tracking_number: String,
    #[diesel(sql_type = Jsonb)]
    pub lines: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    pub shipped_at: DateTime<Utc>,
}

const PARCEL_COLUMNS: &str =
    "order_id, location_code, carrier, service, tracking_number, lines, shipped_at";

/// Parcels whose tracking number is one of `words`.
pub async fn parcels_by_tracking(
    conn: &mut Conn,
    words: &[String],
) -> diesel::QueryResult<Vec<ParcelRow>> {
    diesel::sql_query(format!(
        "SELECT {PARCEL_COLUMNS} FROM parcels WHERE tracking_number = ANY($1) \
         ORDER BY shipped_at DESC LIMIT 10"
    ))
    .bind::<Array<Text>, _>(words)
    .cached()
    .load(conn)
    .await
}

pub async fn parcels_of(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<Vec<ParcelRow>> {
    diesel::sql_query(format!(
        "SELECT {PARCEL_COLUMNS} FROM parcels WHERE order_id = $1 \
         ORDER BY shipped_at, tracking_number"
    ))
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .load(conn)
    .await
}

/// The order as a ticket shows it: lines with what shipped of them, parcels
/// with their expected delivery, the status including shipping, and the
/// return window left.
pub async fn facts(conn: &mut Conn, order_id: Uuid) -> anyhow::Result<Option<OrderFacts>> {
    let Some(order) = by_id(conn, order_id).await? else {
        return Ok(None);
    };
    let parcels = parcels_of(conn, order_id).await?;
    Ok(Some(facts_of(&order, &parcels, Utc::now())?))
}

pub fn facts_of(
    order: &OrderRow,
    parcels: &[ParcelRow],
    now: DateTime<Utc>,
) -> anyhow::Result<OrderFacts> {
    let lines: Vec<StoredLine> = serde_json::from_value(order.lines.clone())?;
    let mut shipped = std::collections::HashMap::<i32, i64>::new();
    for p in parcels {
        let ls: Vec<ShippedLine> = serde_json::from_value(p.lines.clone())?;
        for l in ls {
            *shipped.entry(l.line_no).or_default() += l.quantity;
        }
    }
    let lines: Vec<OrderLineFacts> = lines
        .into_iter()
        .map(|l| OrderLineFacts {
            line_no: l.line_no,
            shipped: shipped.get(&l.line_no).copied().unwrap_or(0),
            unit_price: match (&l.unit_price, &order.currency) {
                (Some(p), Some(c)) => domain::Money::parse(p, c).ok(),
                _ => None,
            },
            sku: l.sku,
            quantity: l.quantity,
        })
        .collect();
    let all_shipped = !lines.is_empty() && lines.iter().all(|l| l.shipped >= l.quantity);
    let status = match order.status.as_str() {
        "cancelled" => "cancelled",
        _ if all_shipped => "shipped",
        _ if !parcels.is_empty() => "partially_shipped",
        other => other,
    }
    .to_string();
    let last_shipped = parcels.iter().map(|p| p.shipped_at).max();
    Ok(OrderFacts {
        order_id: order.order_id,
        channel_id: order.channel_id.clone(),
        external_order_id: order.external_order_id.clone(),
        status,
        placed_at: order.placed_at,
        lines,
        parcels: parcels
            .iter()
            .map(|p| ParcelFacts {
                carrier: p.carrier.clone(),
                service: p.service.clone(),
                tracking_number: p.tracking_number.clone(),
                location_code: p.location_code.clone(),
                shipped_at: p.shipped_at,
                expected_delivery: expected_delivery(p.shipped_at, &p.carrier, &p.service),
            })
            .collect(),
        return_days_left: last_shipped.map(|at| return_days_left(at, now)),
    })
}
