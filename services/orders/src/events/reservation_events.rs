//! Inventory's reservation events: StockReserved and ReservationFailed move
//! orders to reserved, confirmed, backordered or on hold; StockReallocated
//! moves allocations after a short pick.

use domain::contracts::orders::{HoldReason, OrderStatus};
use domain::events::Event;
use domain::events::proto::inventory::v1 as inventory;
use platform::ApiError;
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;

use super::RESERVATIONS_ACTOR;
use super::published::{confirm_if_paid, hold};
use crate::domain::fulfillment::{reallocation, shipping_status};
use crate::store::allocations;
use crate::store::history::{self};
use crate::store::shipments::{self};

pub(super) async fn on_reservation_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    let result = match record.envelope.event_type.as_str() {
        t if t == inventory::StockReserved::TYPE => {
            stock_reserved(outbox, conn, record.decode()?).await
        }
        t if t == inventory::ReservationFailed::TYPE => {
            reservation_failed(outbox, conn, record.decode()?).await
        }
        t if t == inventory::StockReallocated::TYPE => {
            stock_reallocated(conn, record.decode()?).await
        }
        _ => Ok(()),
    };
    result.map_err(ApiError::into_anyhow)
}

/// Inventory's answer to a short pick: the units come off the short
/// location's allocation and onto the new ones; what waits is remembered per
/// fulfillment line, what is cut joins the line's short quantity. A cut may
/// leave nothing more to ship: the order is then shipped.
async fn stock_reallocated(
    conn: &mut Conn,
    e: inventory::StockReallocated,
) -> Result<(), ApiError> {
    let id: uuid::Uuid = e.order_id.parse().map_err(ApiError::internal)?;
    let Some(mut head) = history::lock(conn, id).await? else {
        tracing::warn!(order_id = %id, "StockReallocated for an unknown order; ignored");
        return Ok(());
    };
    if head.status == OrderStatus::Cancelled {
        // Inventory releases everything the order holds on OrderCancelled.
        return Ok(());
    }
    if !matches!(e.outcome.as_str(), "reallocated" | "backordered" | "cut") {
        tracing::warn!(order_id = %id, outcome = %e.outcome, "unknown re-allocation outcome");
    }
    let mut line_nos: Vec<i32> = e
        .lines
        .iter()
        .map(|l| l.line_no)
        .chain(e.shortfalls.iter().map(|s| s.line_no))
        .collect();
    line_nos.sort_unstable();
    line_nos.dedup();
    let (mut moved, mut filled, mut waiting, mut cut) = (0, 0, 0, 0);
    for line_no in line_nos {
        let to: Vec<(String, i64)> = e
            .lines
            .iter()
            .filter(|l| l.line_no == line_no)
            .map(|l| (l.location_code.clone(), l.quantity))
            .collect();
        let reallocated: i64 = to.iter().map(|t| t.1).sum();
        let missing: i64 = e
            .shortfalls
            .iter()
            .filter(|s| s.line_no == line_no)
            .map(|s| s.missing)
            .sum();
        let waited = shipments::waiting(conn, id, &e.fulfillment_id, line_no).await?;
        let r = reallocation(
            &e.outcome,
            reallocated,
            missing,
            waited,
            !e.shortfalls.is_empty(),
        );
        shipments::move_allocation(
            conn,
            id,
            line_no,
            &e.from_location_code,
            r.off_short_location,
            &to,
        )
        .await?;
        shipments::add_waiting(
            conn,
            id,
            &e.fulfillment_id,
            line_no,
            r.waiting - r.from_waiting,
        )
        .await?;
        if r.cut > 0 {
            shipments::cut(conn, id, line_no, r.cut).await?;
        }
        if r.from_waiting > 0 {
            filled += r.from_waiting;
        } else {
            moved += reallocated;
        }
        waiting += r.waiting;
        cut += r.cut;
    }
    let places = e
        .lines
        .iter()
        .map(|l| l.location_code.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(", ");
    let mut parts = Vec::new();
    if filled > 0 {
        parts.push(format!(
            "stock arrived: {filled} unit(s) reserved at {places}"
        ));
    }
    if moved > 0 {
        parts.push(format!("{moved} unit(s) re-allocated to {places}"));
    }
    if waiting > 0 {
        parts.push(format!("{waiting} unit(s) wait for stock"));
    }
    if cut > 0 {
        parts.push(format!("{cut} unit(s) cut: no stock elsewhere"));
    }
    let reason = format!(
        "short pick at {} (fulfillment {}): {}",
        e.from_location_code,
        e.fulfillment_id,
        parts.join("; ")
    );
    // The channel hears of cuts (fewer units will ship); moves are internal.
    history::note(conn, &head, &reason, RESERVATIONS_ACTOR, cut > 0, None).await?;
    if cut > 0
        && matches!(
            head.status,
            OrderStatus::Confirmed | OrderStatus::PartiallyShipped
        )
        && shipping_status(&shipments::progress(conn, id).await?) == Some(OrderStatus::Shipped)
    {
        history::transition(
            conn,
            &mut head,
            OrderStatus::Shipped,
            None,
            Some("everything else has shipped; the rest was cut"),
            RESERVATIONS_ACTOR,
        )
        .await?;
    }
    Ok(())
}

async fn stock_reserved(
    outbox: &Outbox,
    conn: &mut Conn,
    e: inventory::StockReserved,
) -> Result<(), ApiError> {
    let id: uuid::Uuid = e.order_id.parse().map_err(ApiError::internal)?;
    let Some(mut head) = history::lock(conn, id).await? else {
        tracing::warn!(order_id = %id, "StockReserved for an unknown order; ignored");
        return Ok(());
    };
    if matches!(
        head.status,
        OrderStatus::Cancelled
            | OrderStatus::Reserved
            | OrderStatus::Confirmed
            | OrderStatus::PartiallyShipped
            | OrderStatus::Shipped
    ) {
        // Cancelled: inventory releases on OrderCancelled. Reserved, confirmed
        // or shipping: a repeated answer to a retry.
        return Ok(());
    }
    let allocations: Vec<(i32, String, i64)> = e
        .lines
        .iter()
        .map(|l| (l.line_no, l.location_code.clone(), l.quantity))
        .collect();
    let shorts: Vec<(i32, i64)> = e
        .shortfalls
        .iter()
        .map(|s| (s.line_no, s.missing))
        .collect();
    allocations::set_allocations(conn, id, &allocations, &shorts).await?;
    if head.status == OrderStatus::OnHold {
        // Held meanwhile (e.g. payment failed): keep the stock, decide on release.
        return Ok(());
    }
    let mut reason = match e.trigger.as_str() {
        "backorder_fill" => "backorder filled: stock arrived".to_string(),
        _ => "stock reserved".to_string(),
    };
    let cut: i64 = e.shortfalls.iter().map(|s| s.missing).sum();
    if cut > 0 {
        reason.push_str(&format!("; {cut} unit(s) cut under the partial policy"));
    }
    history::transition(
        conn,
        &mut head,
        OrderStatus::Reserved,
        None,
        Some(&reason),
        RESERVATIONS_ACTOR,
    )
    .await?;
    confirm_if_paid(outbox, conn, &mut head, RESERVATIONS_ACTOR).await
}

async fn reservation_failed(
    outbox: &Outbox,
    conn: &mut Conn,
    e: inventory::ReservationFailed,
) -> Result<(), ApiError> {
    let id: uuid::Uuid = e.order_id.parse().map_err(ApiError::internal)?;
    let Some(mut head) = history::lock(conn, id).await? else {
        return Ok(());
    };
    if !matches!(
        head.status,
        OrderStatus::Received | OrderStatus::Backordered
    ) {
        return Ok(());
    }
    let missing = e
        .shortfalls
        .iter()
        .map(|s| format!("{} short by {}", s.sku, s.missing))
        .collect::<Vec<_>>()
        .join(", ");
    if e.outcome == "backordered" {
        if head.status != OrderStatus::Backordered {
            let reason = format!("waiting for stock: {missing}");
            history::transition(
                conn,
                &mut head,
                OrderStatus::Backordered,
                None,
                Some(&reason),
                RESERVATIONS_ACTOR,
            )
            .await?;
        }
        return Ok(());
    }
    let detail = format!("not enough stock: {missing}");
    hold(
        outbox,
        conn,
        &mut head,
        HoldReason::StockConflict,
        &detail,
        RESERVATIONS_ACTOR,
    )
    .await
}
