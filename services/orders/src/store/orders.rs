//! Orders as written at intake and read back: insert (with lines, history
//! row and channel update in one statement), duplicates, the full view, the
//! list, and what OrderPlaced carries. Status changes are `history`, where
//! inventory reserved each line `allocations`.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::orders::{
    AllocationView, Customer, HoldInfo, HoldReason, OrderLineView, OrderStatus, OrderView,
    PaymentStatus,
};
use domain::{Address, Currency, Money};
use platform::ApiError;
use platform::db::CachedExt;
use platform::db::Conn;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::history::Head;
use crate::domain::intake;

pub(super) fn corrupt(what: &str, value: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!("stored {what} '{value}' is invalid"))
}

/// A new order to insert.
pub struct NewOrder<'a> {
    pub id: Uuid,
    pub channel_id: &'a str,
    pub order: &'a intake::Order,
    pub hold: Option<&'a (HoldReason, String)>,
    pub raw_payload: &'a serde_json::Value,
    pub request_hash: &'a str,
    pub actor: &'a str,
    /// When it was received (microseconds, as stored).
    pub at: DateTime<Utc>,
}

/// Inserts the order (received, or on hold) with its lines, history row and
/// channel update in one statement. Returns false when (channel, external id)
/// already exists: nothing was written.
pub async fn insert(conn: &mut Conn, n: &NewOrder<'_>) -> diesel::QueryResult<bool> {
    let o = n.order;
    let reason = n.hold.map(|h| format!("{}: {}", h.0.as_str(), h.1));
    let inserted = diesel::sql_query(
        "WITH o AS ( \
           INSERT INTO orders (id, channel_id, external_order_id, status, hold_reason, hold_detail, \
             hold_since, customer, customer_email, shipping_address, billing_address, currency, subtotal, \
             shipping_total, tax_total, discount_total, total, payment_status, checkout_hold_id, placed_at, \
             raw_payload, request_hash, received_at, updated_at) \
           VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $5 IS NULL THEN NULL ELSE $22 END, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22) \
           ON CONFLICT (channel_id, external_order_id) DO NOTHING RETURNING id), \
         l AS ( \
           INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price) \
           SELECT o.id, t.* FROM o, unnest($23::int[], $24::text[], $25::bigint[], $26::numeric[]) t), \
         h AS ( \
           INSERT INTO order_status_history (order_id, from_status, to_status, reason, actor, at) \
           SELECT o.id, NULL, $4, $27, $28, $22 FROM o) \
         INSERT INTO channel_update_queue (channel_id, order_id, external_order_id, status, hold_reason, detail, at) \
         SELECT $2, o.id, $3, $4, $5, $27, $22 FROM o",
    )
    .bind::<SqlUuid, _>(n.id)
    .bind::<Text, _>(n.channel_id)
    .bind::<Text, _>(&o.external_order_id)
    .bind::<Text, _>(n.status().as_str())
    .bind::<Nullable<Text>, _>(n.hold.map(|h| h.0.as_str()))
    .bind::<Nullable<Text>, _>(n.hold.map(|h| h.1.as_str()))
    .bind::<Jsonb, _>(serde_json::to_value(&o.customer).expect("serializes"))
    .bind::<Text, _>(o.customer.email.to_lowercase())
    .bind::<Jsonb, _>(serde_json::to_value(&o.shipping_address).expect("serializes"))
    .bind::<Jsonb, _>(serde_json::to_value(&o.billing_address).expect("serializes"))
    .bind::<Text, _>(o.total.currency.code())
    .bind::<Numeric, _>(o.subtotal.amount)
    .bind::<Numeric, _>(o.shipping_total.amount)
    .bind::<Numeric, _>(o.tax_total.amount)
    .bind::<Numeric, _>(o.discount_total.amount)
    .bind::<Numeric, _>(o.total.amount)
    .bind::<Text, _>(o.payment_status.as_str())
    .bind::<Nullable<SqlUuid>, _>(o.checkout_hold_id)
    .bind::<Timestamptz, _>(o.placed_at)
    .bind::<Jsonb, _>(n.raw_payload)
    .bind::<Text, _>(n.request_hash)
    .bind::<Timestamptz, _>(n.at)
    .bind::<Array<Integer>, _>(o.lines.iter().map(|l| l.line_no).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(o.lines.iter().map(|l| l.sku.to_string()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(o.lines.iter().map(|l| l.quantity).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(o.lines.iter().map(|l| l.unit_price.amount).collect::<Vec<_>>())
    .bind::<Nullable<Text>, _>(reason)
    .bind::<Text, _>(n.actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(inserted == 1)
}

impl NewOrder<'_> {
    pub fn status(&self) -> OrderStatus {
        if self.hold.is_some() {
            OrderStatus::OnHold
        } else {
            OrderStatus::Received
        }
    }

    /// The order as just inserted, without reading it back.
    pub fn view(&self) -> Result<OrderView, ApiError> {
        let o = self.order;
        Ok(OrderView {
            id: self.id,
            channel_id: self
                .channel_id
                .parse()
                .map_err(|_| corrupt("channel", self.channel_id))?,
            external_order_id: o.external_order_id.clone(),
            status: self.status(),
            hold: self.hold.map(|(reason, detail)| HoldInfo {
                reason: *reason,
                detail: detail.clone(),
                since: self.at,
            }),
            customer: o.customer.clone(),
            shipping_address: o.shipping_address.clone(),
            billing_address: o.billing_address.clone(),
            lines: o
                .lines
                .iter()
                .map(|l| {
                    Ok(OrderLineView {
                        line_no: l.line_no,
                        sku: l.sku.to_string(),
                        quantity: l.quantity,
                        unit_price: l.unit_price,
                        line_total: l
                            .unit_price
                            .times(l.quantity)
                            .map_err(ApiError::internal)?
                            .canonical(),
                        allocations: Vec::new(),
                        short_quantity: 0,
                        shipped_quantity: 0,
                        returned_quantity: 0,
                        refunded: Money {
                            amount: Decimal::ZERO,
                            currency: l.unit_price.currency,
                        }
                        .canonical(),
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            subtotal: o.subtotal,
            shipping_total: o.shipping_total,
            tax_total: o.tax_total,
            discount_total: o.discount_total,
            total: o.total,
            payment_status: o.payment_status,
            placed_at: o.placed_at,
            received_at: self.at,
            confirmed_at: None,
            cancelled_at: None,
            shipments: Vec::new(),
            refunds: Vec::new(),
            version: 1,
            updated_at: self.at,
        })
    }

    pub fn head(&self) -> Head {
        Head {
            id: self.id,
            channel_id: self.channel_id.to_string(),
            external_order_id: self.order.external_order_id.clone(),
            status: self.status(),
            hold_reason: self.hold.map(|h| h.0),
            payment_status: self.order.payment_status,
            placed_at: self.order.placed_at,
        }
    }
}

/// The id and request hash of the order a channel already sent under an external id.
pub async fn existing(
    conn: &mut Conn,
    channel: &str,
    external_id: &str,
) -> diesel::QueryResult<Option<(Uuid, String)>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = Text)]
        request_hash: String,
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT id, request_hash FROM orders WHERE channel_id = $1 AND external_order_id = $2",
    )
    .bind::<Text, _>(channel)
    .bind::<Text, _>(external_id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| (r.id, r.request_hash)))
}

/// Whether `email` has no order other than `except`.
pub async fn first_time_customer(conn: &mut Conn, email: &str) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Bool)]
        seen: bool,
    }
    let row: Row =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM orders WHERE customer_email = $1) AS seen")
            .bind::<Text, _>(email.to_lowercase())
            .cached()
            .get_result(conn)
            .await?;
    Ok(!row.seen)
}

#[derive(diesel::QueryableByName)]
struct OrderRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Text)]
    external_order_id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    hold_reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    hold_detail: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    hold_since: Option<DateTime<Utc>>,
    #[diesel(sql_type = Jsonb)]
    customer: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    shipping_address: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    billing_address: serde_json::Value,
    #[diesel(sql_type = Text)]
    currency: String,
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
    #[diesel(sql_type = Text)]
    payment_status: String,
    #[diesel(sql_type = Timestamptz)]
    placed_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    received_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    confirmed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    cancelled_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    version: i64,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

const ORDER_COLUMNS: &str = "id, channel_id, external_order_id, status, hold_reason, hold_detail, \
    hold_since, customer, shipping_address, billing_address, currency, subtotal, shipping_total, \
    tax_total, discount_total, total, payment_status, placed_at, received_at, confirmed_at, \
    cancelled_at, version, updated_at";

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
    #[diesel(sql_type = BigInt)]
    short_quantity: i64,
    #[diesel(sql_type = BigInt)]
    shipped_quantity: i64,
    #[diesel(sql_type = BigInt)]
    returned_quantity: i64,
    #[diesel(sql_type = Numeric)]
    refunded_amount: Decimal,
}

#[derive(diesel::QueryableByName)]
struct AllocationRow {
    #[diesel(sql_type = Integer)]
    line_no: i32,
    #[diesel(sql_type = Text)]
    location_code: String,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
}

fn json<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    what: &str,
) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|_| corrupt(what, "json"))
}

/// The full order as the API shows it.
pub async fn load(conn: &mut Conn, id: Uuid) -> Result<Option<OrderView>, ApiError> {
    let row: Option<OrderRow> =
        diesel::sql_query(format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"))
            .bind::<SqlUuid, _>(id)
            .cached()
            .get_result(conn)
            .await
            .optional()?;
    let Some(row) = row else { return Ok(None) };
    let lines: Vec<LineRow> = diesel::sql_query(
        "SELECT line_no, sku, quantity, unit_price, short_quantity, shipped_quantity, returned_quantity, \
           refunded_amount FROM order_lines \
         WHERE order_id = $1 ORDER BY line_no",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .load(conn)
    .await?;
    let allocations: Vec<AllocationRow> = diesel::sql_query(
        "SELECT line_no, location_code, quantity FROM order_allocations \
         WHERE order_id = $1 ORDER BY line_no, location_code",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .load(conn)
    .await?;
    let currency: Currency = row
        .currency
        .parse()
        .map_err(|_| corrupt("currency", &row.currency))?;
    let money = |amount: Decimal| Money { amount, currency }.canonical();
    let status = OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?;
    let hold = match (
        row.hold_reason.as_deref().and_then(HoldReason::parse),
        row.hold_since,
    ) {
        (Some(reason), Some(since)) => Some(HoldInfo {
            reason,
            detail: row.hold_detail.clone().unwrap_or_default(),
            since,
        }),
        _ => None,
    };
    let lines = lines
        .into_iter()
        .map(|l| {
            let unit_price = money(l.unit_price);
            OrderLineView {
                line_no: l.line_no,
                line_total: money(l.unit_price * Decimal::from(l.quantity)),
                sku: l.sku,
                quantity: l.quantity,
                unit_price,
                allocations: allocations
                    .iter()
                    .filter(|a| a.line_no == l.line_no)
                    .map(|a| AllocationView {
                        location: a.location_code.clone(),
                        quantity: a.quantity,
                    })
                    .collect(),
                short_quantity: l.short_quantity,
                shipped_quantity: l.shipped_quantity,
                returned_quantity: l.returned_quantity,
                refunded: money(l.refunded_amount),
            }
        })
        .collect();
    let shipments = super::shipments::list(conn, id).await?;
    let refunds = super::refunds::list(conn, id).await?;
    Ok(Some(OrderView {
        id: row.id,
        channel_id: row
            .channel_id
            .parse()
            .map_err(|_| corrupt("channel", &row.channel_id))?,
        external_order_id: row.external_order_id,
        status,
        hold,
        customer: json(row.customer, "customer")?,
        shipping_address: json(row.shipping_address, "address")?,
        billing_address: json(row.billing_address, "address")?,
        lines,
        subtotal: money(row.subtotal),
        shipping_total: money(row.shipping_total),
        tax_total: money(row.tax_total),
        discount_total: money(row.discount_total),
        total: money(row.total),
        payment_status: PaymentStatus::parse(&row.payment_status)
            .ok_or_else(|| corrupt("payment status", &row.payment_status))?,
        placed_at: row.placed_at,
        received_at: row.received_at,
        confirmed_at: row.confirmed_at,
        cancelled_at: row.cancelled_at,
        shipments,
        refunds,
        version: row.version,
        updated_at: row.updated_at,
    }))
}

/// What OrderPlaced carries of an order: its lines (line no, SKU, quantity,
/// unit price), the storefront hold, and what billing invoices from.
#[derive(Debug, Clone)]
pub struct Placement {
    pub lines: Vec<(i32, String, i64, Decimal)>,
    pub hold_id: Option<Uuid>,
    pub currency: Currency,
    pub customer: Customer,
    pub billing_address: Address,
    pub ship_to_country: String,
    pub subtotal: Decimal,
    pub shipping_total: Decimal,
    pub tax_total: Decimal,
    pub discount_total: Decimal,
    pub total: Decimal,
    /// An exchange's replacement: the return it replaces.
    pub replaces_return_id: Option<Uuid>,
}

impl Placement {
    /// An order just validated at intake.
    pub fn of(order: &intake::Order) -> Placement {
        Placement {
            lines: order
                .lines
                .iter()
                .map(|l| {
                    (
                        l.line_no,
                        l.sku.to_string(),
                        l.quantity,
                        l.unit_price.amount,
                    )
                })
                .collect(),
            hold_id: order.checkout_hold_id,
            currency: order.total.currency,
            customer: order.customer.clone(),
            billing_address: order.billing_address.clone(),
            ship_to_country: order.shipping_address.country.clone(),
            subtotal: order.subtotal.amount,
            shipping_total: order.shipping_total.amount,
            tax_total: order.tax_total.amount,
            discount_total: order.discount_total.amount,
            total: order.total.amount,
            replaces_return_id: None,
        }
    }
}

/// A stored order's placement (a release or a retry publishes it again).
pub async fn placement(conn: &mut Conn, id: Uuid) -> Result<Placement, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<SqlUuid>)]
        checkout_hold_id: Option<Uuid>,
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
    }
    let lines: Vec<LineRow> = diesel::sql_query(
        "SELECT line_no, sku, quantity, unit_price, short_quantity, shipped_quantity, returned_quantity, \
           refunded_amount FROM order_lines \
         WHERE order_id = $1 ORDER BY line_no",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .load(conn)
    .await?;
    let row: Row = diesel::sql_query(
        "SELECT checkout_hold_id, currency, customer, billing_address, \
           shipping_address ->> 'country' AS ship_to_country, subtotal, shipping_total, \
           tax_total, discount_total, total FROM orders WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await?;
    Ok(Placement {
        lines: lines
            .into_iter()
            .map(|l| (l.line_no, l.sku, l.quantity, l.unit_price))
            .collect(),
        hold_id: row.checkout_hold_id,
        currency: row
            .currency
            .parse()
            .map_err(|_| corrupt("currency", &row.currency))?,
        customer: json(row.customer, "customer")?,
        billing_address: json(row.billing_address, "address")?,
        ship_to_country: row.ship_to_country,
        subtotal: row.subtotal,
        shipping_total: row.shipping_total,
        tax_total: row.tax_total,
        discount_total: row.discount_total,
        total: row.total,
        replaces_return_id: None,
    })
}

/// A filter over orders: status, hold reason, channel; UUIDv7 id cursor.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub hold_reason: Option<String>,
    pub channel: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// Order ids matching `filter` in id (creation) order.
pub async fn list(conn: &mut Conn, filter: &ListFilter) -> Result<Vec<OrderView>, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT id FROM orders WHERE ($1::text IS NULL OR status = $1) \
         AND ($2::text IS NULL OR hold_reason = $2) AND ($3::text IS NULL OR channel_id = $3) \
         AND ($4::uuid IS NULL OR id > $4) ORDER BY id LIMIT $5",
    )
    .bind::<Nullable<Text>, _>(filter.status.as_deref())
    .bind::<Nullable<Text>, _>(filter.hold_reason.as_deref())
    .bind::<Nullable<Text>, _>(filter.channel.as_deref())
    .bind::<Nullable<SqlUuid>, _>(filter.after)
    .bind::<BigInt, _>(filter.limit)
    .cached()
    .load(conn)
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(view) = load(conn, id.id).await? {
            out.push(view);
        }
    }
    Ok(out)
}
