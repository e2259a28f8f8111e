//! Writes of a purchase order's life: status changes, amendments, charges,
//! receipts, its version history, and the approval policy.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    BigInt, Bool, Date, Double, Integer, Jsonb, Nullable, Numeric, Text, Timestamptz,
    Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::Money;
use domain::contracts::procurement::{
    ApprovalPolicyInput, ApprovalPolicyView, ChargeInput, PurchaseOrderStatus,
    PurchaseOrderVersionView, PurchaseOrderView,
};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::corrupt;

/// What a status change stamps on the order besides its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    None,
    Approved,
    Sent,
    Closed,
}

/// Moves the order to `status`, bumping its version; returns the new version.
pub async fn set_status(
    conn: &mut Conn,
    id: Uuid,
    status: PurchaseOrderStatus,
    actor: &str,
    stamp: Stamp,
) -> diesel::QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = BigInt)]
        version: i64,
    }
    let row: Version = diesel::sql_query(
        "UPDATE purchase_orders SET status = $2, version = version + 1, updated_at = now(), \
           updated_by = $3, \
           approved_by = CASE WHEN $4 THEN $3 ELSE approved_by END, \
           approved_at = CASE WHEN $4 THEN now() ELSE approved_at END, \
           sent_at = CASE WHEN $5 THEN now() ELSE sent_at END, \
           closed_at = CASE WHEN $6 THEN now() ELSE closed_at END \
         WHERE id = $1 RETURNING version",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status.as_str())
    .bind::<Text, _>(actor)
    .bind::<Bool, _>(stamp == Stamp::Approved)
    .bind::<Bool, _>(stamp == Stamp::Sent)
    .bind::<Bool, _>(stamp == Stamp::Closed)
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.version)
}

/// Cancels every line's open remainder.
pub async fn cancel_remainder(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE purchase_order_lines \
         SET cancelled = greatest(quantity - received_good - received_damaged, 0) \
         WHERE po_id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a line's quantity (checked by the caller).
pub async fn set_quantity(
    conn: &mut Conn,
    id: Uuid,
    line_no: i32,
    quantity: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE purchase_order_lines SET quantity = $3 WHERE po_id = $1 AND line_no = $2",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Integer, _>(line_no)
    .bind::<BigInt, _>(quantity)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the expected date and bumps the version (an amendment).
pub async fn amend_head(
    conn: &mut Conn,
    id: Uuid,
    expected_on: Option<NaiveDate>,
    actor: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE purchase_orders SET expected_on = coalesce($2, expected_on), \
           version = version + 1, updated_at = now(), updated_by = $3 WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<Date>, _>(expected_on)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn add_charge(
    conn: &mut Conn,
    id: Uuid,
    charge: &ChargeInput,
    actor: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO purchase_order_charges (po_id, kind, amount, currency, basis, added_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(charge.kind.as_str())
    .bind::<Numeric, _>(charge.amount.amount)
    .bind::<Text, _>(charge.amount.currency.code())
    .bind::<Text, _>(charge.basis.as_str())
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE purchase_orders SET version = version + 1, updated_at = now(), updated_by = $2 \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the order as it is now under its version.
pub async fn record_version(
    conn: &mut Conn,
    order: &PurchaseOrderView,
    change: &str,
    actor: &str,
    note: Option<&str>,
) -> diesel::QueryResult<()> {
    let mut snapshot = platform::audit::snapshot(order);
    if let Some(note) = note {
        snapshot["note"] = serde_json::Value::String(note.to_string());
    }
    diesel::sql_query(
        "INSERT INTO purchase_order_history (po_id, version, change, actor, snapshot) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind::<SqlUuid, _>(order.id)
    .bind::<BigInt, _>(order.version)
    .bind::<Text, _>(change)
    .bind::<Text, _>(actor)
    .bind::<Jsonb, _>(snapshot)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Every version of the order, oldest first.
pub async fn history(conn: &mut Conn, id: Uuid) -> Result<Vec<PurchaseOrderVersionView>, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        version: i64,
        #[diesel(sql_type = Text)]
        change: String,
        #[diesel(sql_type = Text)]
        actor: String,
        #[diesel(sql_type = Timestamptz)]
        at: DateTime<Utc>,
        #[diesel(sql_type = Jsonb)]
        snapshot: serde_json::Value,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT version, change, actor, at, snapshot FROM purchase_order_history \
         WHERE po_id = $1 ORDER BY version",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .load(conn)
    .await?;
    rows.into_iter()
        .map(|mut r| {
            let note = r
                .snapshot
                .as_object_mut()
                .and_then(|o| o.remove("note"))
                .and_then(|n| n.as_str().map(str::to_string));
            Ok(PurchaseOrderVersionView {
                version: r.version,
                change: r.change,
                actor: r.actor,
                at: r.at,
                note,
                order: serde_json::from_value(r.snapshot)
                    .map_err(|_| corrupt("order version", &r.version.to_string()))?,
            })
        })
        .collect()
}

/// One line's receipt.
pub struct ReceivedLine {
    pub line_no: i32,
    pub good: i64,
    pub damaged: i64,
}

/// Records a receipt once; false when it was already applied.
#[allow(clippy::too_many_arguments)]
pub async fn record_receipt(
    conn: &mut Conn,
    receipt_id: &str,
    id: Uuid,
    received_at: DateTime<Utc>,
    lines: &[ReceivedLine],
    on_time: bool,
    lead_days: f64,
) -> diesel::QueryResult<bool> {
    let inserted = diesel::sql_query(
        "INSERT INTO receipts (receipt_id, po_id, received_at, good, damaged, on_time, lead_days) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (receipt_id) DO NOTHING",
    )
    .bind::<Text, _>(receipt_id)
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(received_at)
    .bind::<BigInt, _>(lines.iter().map(|l| l.good).sum::<i64>())
    .bind::<BigInt, _>(lines.iter().map(|l| l.damaged).sum::<i64>())
    .bind::<Bool, _>(on_time)
    .bind::<Double, _>(lead_days)
    .cached()
    .execute(conn)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    for l in lines {
        diesel::sql_query(
            "UPDATE purchase_order_lines SET received_good = received_good + $3, \
               received_damaged = received_damaged + $4 WHERE po_id = $1 AND line_no = $2",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<Integer, _>(l.line_no)
        .bind::<BigInt, _>(l.good)
        .bind::<BigInt, _>(l.damaged)
        .cached()
        .execute(conn)
        .await?;
    }
    Ok(true)
}

/// A receipt's lead time per SKU, for learning the supplier's lead time.
pub async fn record_lead_time(
    conn: &mut Conn,
    supplier: &str,
    sku: &str,
    id: Uuid,
    days: f64,
    received_at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO lead_time_samples (supplier_code, sku, po_id, days, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(supplier)
    .bind::<Text, _>(sku)
    .bind::<SqlUuid, _>(id)
    .bind::<Double, _>(days)
    .bind::<Timestamptz, _>(received_at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// The approval threshold of `currency`, if one is set.
pub async fn threshold(conn: &mut Conn, currency: &str) -> Result<Option<Money>, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Numeric)]
        amount: Decimal,
    }
    let row: Option<Row> =
        diesel::sql_query("SELECT amount FROM approval_thresholds WHERE currency = $1")
            .bind::<Text, _>(currency)
            .cached()
            .get_result(conn)
            .await
            .optional()?;
    row.map(|r| {
        Money::parse(&r.amount.normalize().to_string(), currency)
            .map_err(|_| corrupt("threshold", &r.amount.to_string()))
    })
    .transpose()
}

/// The approval policy; `lock` holds it for the transaction.
pub async fn policy(conn: &mut Conn, lock: bool) -> Result<ApprovalPolicyView, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Head {
        #[diesel(sql_type = Bool)]
        auto_approve_below: bool,
        #[diesel(sql_type = BigInt)]
        version: i64,
        #[diesel(sql_type = Timestamptz)]
        updated_at: DateTime<Utc>,
        #[diesel(sql_type = Text)]
        updated_by: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Threshold {
        #[diesel(sql_type = Text)]
        currency: String,
        #[diesel(sql_type = Numeric)]
        amount: Decimal,
    }
    let query = if lock {
        diesel::sql_query(
            "SELECT auto_approve_below, version, updated_at, updated_by FROM approval_policy \
             FOR UPDATE",
        )
    } else {
        diesel::sql_query(
            "SELECT auto_approve_below, version, updated_at, updated_by FROM approval_policy",
        )
    };
    let head: Head = query.cached().get_result(conn).await?;
    let thresholds: Vec<Threshold> =
        diesel::sql_query("SELECT currency, amount FROM approval_thresholds ORDER BY currency")
            .cached()
            .load(conn)
            .await?;
    Ok(ApprovalPolicyView {
        thresholds: thresholds
            .into_iter()
            .map(|t| {
                Money::parse(&t.amount.normalize().to_string(), &t.currency)
                    .map_err(|_| corrupt("threshold", &t.currency))
            })
            .collect::<Result<_, _>>()?,
        auto_approve_below: head.auto_approve_below,
        version: head.version,
        updated_at: head.updated_at,
        updated_by: head.updated_by,
    })
}

/// Replaces the policy (validated by the caller).
pub async fn set_policy(
    conn: &mut Conn,
    input: &ApprovalPolicyInput,
    actor: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query("DELETE FROM approval_thresholds")
        .cached()
        .execute(conn)
        .await?;
    for t in &input.thresholds {
        diesel::sql_query("INSERT INTO approval_thresholds (currency, amount) VALUES ($1, $2)")
            .bind::<Text, _>(t.currency.code())
            .bind::<Numeric, _>(t.amount)
            .cached()
            .execute(conn)
            .await?;
    }
    diesel::sql_query(
        "UPDATE approval_policy SET auto_approve_below = $1, version = version + 1, \
           updated_at = now(), updated_by = $2",
    )
    .bind::<Bool, _>(input.auto_approve_below)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
