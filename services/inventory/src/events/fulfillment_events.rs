//! The warehouse's fulfillment events: FulfillmentShipped consumes the
//! reservation, ShortPicked writes off and re-allocates.

use chrono::Utc;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Event, from_timestamp};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;

use crate::domain::allocation::Line;
use crate::store::fulfillment::{self, ShortPickOutcome};
use crate::store::{self, locations};

use super::FULFILLMENT_ACTOR;
use super::published::{StockChange, publish_reallocated, publish_stock_adjusted};

/// Locks the stock rows every record of a fulfillment-events batch will
/// touch (shipped lines' and short-picked SKUs), in one sorted statement.
pub(super) fn lock_fulfillment_stock<'a>(
    conn: &'a mut Conn,
    records: &'a [Record],
) -> BoxFuture<'a, anyhow::Result<()>> {
    async move {
        let mut skus = std::collections::BTreeSet::new();
        for record in records {
            match record.envelope.event_type.as_str() {
                t if t == warehouse::FulfillmentShipped::TYPE => {
                    let event: warehouse::FulfillmentShipped = record.decode()?;
                    skus.extend(event.lines.iter().filter_map(|l| sku_of(&l.sku).ok()));
                }
                t if t == warehouse::ShortPicked::TYPE => {
                    let event: warehouse::ShortPicked = record.decode()?;
                    skus.extend(sku_of(&event.sku).ok());
                }
                _ => {}
            }
        }
        store::stock::lock(conn, &skus).await?;
        Ok(())
    }
    .boxed()
}

/// A SKU as stored (upper-case), or why it isn't one.
fn sku_of(raw: &str) -> anyhow::Result<String> {
    Ok(raw
        .parse::<domain::Sku>()
        .map_err(|e| anyhow::anyhow!("invalid SKU '{raw}': {e}"))?
        .as_str()
        .to_string())
}

pub(super) async fn on_fulfillment_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    match record.envelope.event_type.as_str() {
        t if t == warehouse::FulfillmentShipped::TYPE => {
            let event: warehouse::FulfillmentShipped = record.decode()?;
            let shipped_at =
                from_timestamp(event.shipped_at.as_ref()).unwrap_or(record.envelope.occurred_at);
            fulfillment_shipped(outbox, conn, &event, shipped_at).await
        }
        t if t == warehouse::ShortPicked::TYPE => {
            short_picked(outbox, conn, &record.decode()?).await
        }
        _ => Ok(()),
    }
}

/// Consumes the shipped units' reservation and on hand at the shipping
/// location. Units no longer reserved (a cancellation raced the shipment)
/// still left the building: they come off on hand only, as far as stock
/// allows, with a warning.
async fn fulfillment_shipped(
    outbox: &Outbox,
    conn: &mut Conn,
    e: &warehouse::FulfillmentShipped,
    shipped_at: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        !e.fulfillment_id.is_empty(),
        "FulfillmentShipped without a fulfillment id"
    );
    let order_id: uuid::Uuid = e.order_id.parse()?;
    let location = locations::by_code(conn, &e.location_code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("unknown location '{}'", e.location_code))?;
    // One entry per line (parcels may have been summed by line already).
    let mut lines: Vec<Line> = Vec::new();
    for l in e.lines.iter().filter(|l| l.quantity > 0) {
        let sku = sku_of(&l.sku)?;
        match lines.iter_mut().find(|x| x.line_no == l.line_no) {
            Some(x) if x.sku == sku => x.quantity += l.quantity,
            Some(_) => anyhow::bail!("line {} is shipped under two SKUs", l.line_no),
            None => lines.push(Line {
                line_no: l.line_no,
                sku,
                quantity: l.quantity,
            }),
        }
    }
    let fresh = fulfillment::record_shipment(
        conn,
        &e.fulfillment_id,
        order_id,
        location.id,
        &lines,
        shipped_at,
    )
    .await?;
    if fresh.is_empty() {
        tracing::debug!(fulfillment_id = %e.fulfillment_id, "fulfillment already shipped; nothing to do");
        return Ok(());
    }
    let skus: std::collections::BTreeSet<String> = fresh.iter().map(|l| l.sku.clone()).collect();
    store::stock::lock(conn, &skus).await?;
    let note = format!(
        "fulfillment {} shipped by {}",
        e.fulfillment_id,
        if e.shipped_by.is_empty() {
            "the warehouse"
        } else {
            &e.shipped_by
        }
    );
    for line in &fresh {
        let shipped =
            fulfillment::ship_line(conn, order_id, line, location.id, &note, FULFILLMENT_ACTOR)
                .await?;
        let split = shipped.split;
        if split.reserved < line.quantity {
            tracing::warn!(
                %order_id, fulfillment_id = %e.fulfillment_id, line_no = line.line_no,
                sku = %line.sku, location = %location.code, shipped = line.quantity,
                from_reservation = split.reserved, unreserved = split.unreserved,
                unaccounted = split.unaccounted,
                "shipped more than the order had reserved there (released by a cancellation?);                  the rest came off on hand only"
            );
        }
        if let Some(taken) = shipped.taken {
            publish_stock_adjusted(
                outbox,
                conn,
                StockChange {
                    sku: &line.sku,
                    location_code: &location.code,
                    reason: "ship",
                    on_hand: taken.on_hand,
                    movement_id: taken.movement_id,
                    note: &note,
                    actor: FULFILLMENT_ACTOR,
                },
            )
            .await?;
        }
    }
    store::stock::mark_dirty(conn, &skus).await?;
    Ok(())
}

/// Writes the missing units off at the short location and re-allocates them;
/// answers with StockReallocated (and StockAdjusted for the write-off).
async fn short_picked(
    outbox: &Outbox,
    conn: &mut Conn,
    e: &warehouse::ShortPicked,
) -> anyhow::Result<()> {
    let order_id: uuid::Uuid = e.order_id.parse()?;
    let sku = sku_of(&e.sku)?;
    let location = locations::by_code(conn, &e.location_code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("unknown location '{}'", e.location_code))?;
    let note = format!(
        "short pick in bin {} reported by {} (fulfillment {})",
        if e.bin_code.is_empty() {
            "?"
        } else {
            &e.bin_code
        },
        if e.reported_by.is_empty() {
            "the warehouse"
        } else {
            &e.reported_by
        },
        e.fulfillment_id
    );
    let outcome = fulfillment::short_pick(
        conn,
        &fulfillment::ShortPick {
            order_id,
            line_no: e.line_no,
            sku: &sku,
            location_id: location.id,
            location_code: &location.code,
            missing: e.missing,
            fulfillment_id: &e.fulfillment_id,
            note: &note,
        },
        FULFILLMENT_ACTOR,
    )
    .await?;
    let (reallocated, written_off, movement) = match outcome {
        ShortPickOutcome::Applied {
            reallocated,
            written_off,
            movement,
        } => (reallocated, written_off, movement),
        other => {
            tracing::warn!(%order_id, fulfillment_id = %e.fulfillment_id, line_no = e.line_no,
                %sku, location = %location.code, missing = e.missing, outcome = ?other,
                "short pick not applied: nothing reserved for the line there");
            return Ok(());
        }
    };
    if written_off < e.missing {
        tracing::warn!(%order_id, fulfillment_id = %e.fulfillment_id, line_no = e.line_no,
            %sku, location = %location.code, missing = e.missing, written_off,
            "short pick clamped to what the line had reserved there");
    }
    publish_stock_adjusted(
        outbox,
        conn,
        StockChange {
            sku: &sku,
            location_code: &location.code,
            reason: "short_pick",
            on_hand: movement.on_hand,
            movement_id: movement.movement_id,
            note: &note,
            actor: FULFILLMENT_ACTOR,
        },
    )
    .await?;
    publish_reallocated(outbox, conn, &reallocated, "short_pick").await?;
    Ok(())
}
