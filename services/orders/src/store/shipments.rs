//! Shipments (from the warehouse's FulfillmentShipped) and re-allocations
//! (inventory's StockReallocated after a short pick): what they record on the
//! order's lines and allocations. The caller holds the order's row lock.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Integer, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::orders::{ParcelView, ShipmentView, ShippedLineView};
use platform::ApiError;
use platform::db::CachedExt;
use platform::db::Conn;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::fulfillment::LineProgress;

/// A parcel as stored: what the channel sees plus what returns will need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredParcel {
    pub package_id: String,
    pub carrier: String,
    pub service: String,
    pub tracking_number: String,
    pub weight_grams: i64,
    pub lines: Vec<ShippedLineView>,
}

impl StoredParcel {
    fn view(self) -> ParcelView {
        ParcelView {
            carrier: self.carrier,
            service: self.service,
            tracking_number: self.tracking_number,
            lines: self.lines,
        }
    }
}

/// A shipment to record.
pub struct NewShipment<'a> {
    pub fulfillment_id: &'a str,
    pub order_id: Uuid,
    pub location_code: &'a str,
    pub parcels: &'a [StoredParcel],
    /// Per order line: the sums of the parcels.
    pub lines: &'a [ShippedLineView],
    pub shipped_by: &'a str,
    pub shipped_at: DateTime<Utc>,
}

impl NewShipment<'_> {
    pub fn view(&self) -> ShipmentView {
        ShipmentView {
            fulfillment_id: self.fulfillment_id.to_string(),
            location_code: self.location_code.to_string(),
            parcels: self
                .parcels
                .iter()
                .cloned()
                .map(StoredParcel::view)
                .collect(),
            shipped_at: self.shipped_at,
        }
    }
}

/// Records a shipment and adds its units to the lines' shipped quantities.
/// Returns false (and changes nothing) when the fulfillment was recorded
/// before. Lines the order doesn't have are returned for the caller to report.
pub async fn record(conn: &mut Conn, s: &NewShipment<'_>) -> diesel::QueryResult<Option<Vec<i32>>> {
    let inserted = diesel::sql_query(
        "INSERT INTO order_shipments (fulfillment_id, order_id, location_code, parcels, lines, \
         shipped_by, shipped_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (fulfillment_id) DO NOTHING",
    )
    .bind::<Text, _>(s.fulfillment_id)
    .bind::<SqlUuid, _>(s.order_id)
    .bind::<Text, _>(s.location_code)
    .bind::<Jsonb, _>(serde_json::to_value(s.parcels).expect("serializes"))
    .bind::<Jsonb, _>(serde_json::to_value(s.lines).expect("serializes"))
    .bind::<Text, _>(s.shipped_by)
    .bind::<Timestamptz, _>(s.shipped_at)
    .cached()
    .execute(conn)
    .await?;
    if inserted == 0 {
        return Ok(None);
    }
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = Integer)]
        line_no: i32,
    }
    let known: Vec<Line> = diesel::sql_query(
        "UPDATE order_lines o SET shipped_quantity = o.shipped_quantity + t.q \
         FROM (SELECT l, sum(q)::bigint AS q FROM unnest($2::int[], $3::bigint[]) AS u(l, q) GROUP BY l) t \
         WHERE o.order_id = $1 AND o.line_no = t.l RETURNING o.line_no",
    )
    .bind::<SqlUuid, _>(s.order_id)
    .bind::<Array<Integer>, _>(s.lines.iter().map(|l| l.line_no).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(s.lines.iter().map(|l| l.quantity).collect::<Vec<_>>())
    .cached()
    .load(conn)
    .await?;
    let unknown = s
        .lines
        .iter()
        .map(|l| l.line_no)
        .filter(|no| !known.iter().any(|k| k.line_no == *no))
        .collect();
    Ok(Some(unknown))
}

/// Each line's quantity, cut and shipped units.
pub async fn progress(conn: &mut Conn, order_id: Uuid) -> diesel::QueryResult<Vec<LineProgress>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        quantity: i64,
        #[diesel(sql_type = BigInt)]
        short_quantity: i64,
        #[diesel(sql_type = BigInt)]
        shipped_quantity: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT quantity, short_quantity, shipped_quantity FROM order_lines WHERE order_id = $1 \
         ORDER BY line_no",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LineProgress {
            quantity: r.quantity,
            short: r.short_quantity,
            shipped: r.shipped_quantity,
        })
        .collect())
}

/// The order's shipments, oldest first.
pub async fn list(conn: &mut Conn, order_id: Uuid) -> Result<Vec<ShipmentView>, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        fulfillment_id: String,
        #[diesel(sql_type = Text)]
        location_code: String,
        #[diesel(sql_type = Jsonb)]
        parcels: serde_json::Value,
        #[diesel(sql_type = Timestamptz)]
        shipped_at: DateTime<Utc>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT fulfillment_id, location_code, parcels, shipped_at FROM order_shipments \
         WHERE order_id = $1 ORDER BY shipped_at, fulfillment_id",
    )
    .bind::<SqlUuid, _>(order_id)
    .cached()
    .load(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let parcels: Vec<StoredParcel> = serde_json::from_value(r.parcels).map_err(|_| {
                ApiError::internal(anyhow::anyhow!(
                    "stored parcels of {} are invalid",
                    r.fulfillment_id
                ))
            })?;
            Ok(ShipmentView {
                fulfillment_id: r.fulfillment_id,
                location_code: r.location_code,
                parcels: parcels.into_iter().map(StoredParcel::view).collect(),
                shipped_at: r.shipped_at,
            })
        })
        .collect()
}

/// Units of a fulfillment line waiting for stock after a short pick.
pub async fn waiting(
    conn: &mut Conn,
    order_id: Uuid,
    fulfillment_id: &str,
    line_no: i32,
) -> diesel::QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        waiting: i64,
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT waiting FROM order_reallocations \
         WHERE order_id = $1 AND fulfillment_id = $2 AND line_no = $3",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(fulfillment_id)
    .bind::<Integer, _>(line_no)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| r.waiting).unwrap_or(0))
}

/// Adds `delta` (negative: filled) to what waits for a fulfillment line.
pub async fn add_waiting(
    conn: &mut Conn,
    order_id: Uuid,
    fulfillment_id: &str,
    line_no: i32,
    delta: i64,
) -> diesel::QueryResult<()> {
    if delta == 0 {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO order_reallocations (order_id, fulfillment_id, line_no, waiting) \
         VALUES ($1, $2, $3, GREATEST($4, 0)) ON CONFLICT (order_id, fulfillment_id, line_no) \
         DO UPDATE SET waiting = GREATEST(order_reallocations.waiting + $4, 0)",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Text, _>(fulfillment_id)
    .bind::<Integer, _>(line_no)
    .bind::<BigInt, _>(delta)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves `off` units of a line's allocation off `from` (dropping the row at
/// zero) and adds `to` (location, units).
pub async fn move_allocation(
    conn: &mut Conn,
    order_id: Uuid,
    line_no: i32,
    from: &str,
    off: i64,
    to: &[(String, i64)],
) -> diesel::QueryResult<()> {
    if off > 0 {
        diesel::sql_query(
            "WITH gone AS ( \
               DELETE FROM order_allocations WHERE order_id = $1 AND line_no = $2 \
               AND location_code = $3 AND quantity <= $4) \
             UPDATE order_allocations SET quantity = quantity - $4 WHERE order_id = $1 \
             AND line_no = $2 AND location_code = $3 AND quantity > $4",
        )
        .bind::<SqlUuid, _>(order_id)
        .bind::<Integer, _>(line_no)
        .bind::<Text, _>(from)
        .bind::<BigInt, _>(off)
        .cached()
        .execute(conn)
        .await?;
    }
    if !to.is_empty() {
        diesel::sql_query(
            "INSERT INTO order_allocations (order_id, line_no, location_code, quantity) \
             SELECT $1, $2, c, sum(q) FROM unnest($3::text[], $4::bigint[]) AS t(c, q) GROUP BY c \
             ON CONFLICT (order_id, line_no, location_code) \
             DO UPDATE SET quantity = order_allocations.quantity + EXCLUDED.quantity",
        )
        .bind::<SqlUuid, _>(order_id)
        .bind::<Integer, _>(line_no)
        .bind::<Array<Text>, _>(to.iter().map(|t| t.0.clone()).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(to.iter().map(|t| t.1).collect::<Vec<_>>())
        .cached()
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Adds cut units to a line (never beyond its quantity).
pub async fn cut(
    conn: &mut Conn,
    order_id: Uuid,
    line_no: i32,
    units: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE order_lines SET short_quantity = LEAST(quantity, short_quantity + $3) \
         WHERE order_id = $1 AND line_no = $2",
    )
    .bind::<SqlUuid, _>(order_id)
    .bind::<Integer, _>(line_no)
    .bind::<BigInt, _>(units)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
