//! The warehouse's ReturnInspected: resellable units go back on hand at the
//! return location (movement `return`, referencing the RMA), refurbish units
//! on hand at that location's quarantine location (inactive: never
//! allocated or sold), and scrap units are written off there (in with
//! `return`, out with `damage`, so the trail shows every unit that came
//! back), each movement published as StockAdjusted. Restocked units then
//! fill waiting backorders by the usual rules (the filler is woken).

use std::collections::BTreeSet;

use domain::events::Event;
use domain::events::proto::warehouse::v1 as warehouse;
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;

use super::{RETURNS_ACTOR, StockChange, publish_stock_adjusted};
use crate::store::{self, locations, stock};

/// One movement of a returned line's units.
async fn move_units(
    outbox: &Outbox,
    conn: &mut Conn,
    (sku, number): (&str, &str),
    at: &locations::LocationRow,
    delta: i64,
    kind: &str,
    note: &str,
) -> anyhow::Result<()> {
    let (on_hand, reserved) = stock::lock_one(conn, sku, at.id).await?;
    let after = on_hand + delta;
    stock::set_on_hand(conn, sku, at.id, after).await?;
    let movement_id = stock::record_movement(
        conn,
        stock::Movement {
            sku,
            location_id: at.id,
            kind,
            on_hand: (on_hand, after),
            reserved: (reserved, reserved),
            reference: Some(number.to_string()),
            actor: RETURNS_ACTOR,
            note: Some(note),
        },
    )
    .await?;
    publish_stock_adjusted(
        outbox,
        conn,
        StockChange {
            sku,
            location_code: &at.code,
            reason: kind,
            on_hand: (on_hand, after),
            movement_id,
            note,
            actor: RETURNS_ACTOR,
        },
    )
    .await?;
    Ok(())
}

pub(super) async fn on_return_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    if record.envelope.event_type != warehouse::ReturnInspected::TYPE {
        return Ok(());
    }
    let e: warehouse::ReturnInspected = record.decode()?;
    let Some(location) = locations::by_code(conn, &e.location_code).await? else {
        anyhow::bail!(
            "return {} inspected at {}, a location inventory does not know",
            e.number,
            e.location_code
        );
    };
    let mut lines: Vec<&warehouse::InspectedLine> = e.lines.iter().collect();
    // Stock rows are locked in SKU order, as every writer here does.
    lines.sort_by(|a, b| a.sku.cmp(&b.sku));
    let quarantine = if lines.iter().any(|l| l.refurbish > 0 || l.scrap > 0) {
        Some(locations::quarantine_of(conn, &location).await?)
    } else {
        None
    };
    let mut touched = BTreeSet::new();
    for line in lines {
        if line.resellable + line.refurbish + line.scrap <= 0 {
            continue;
        }
        if !store::sku_known(conn, &line.sku).await? {
            anyhow::bail!(
                "return {} of SKU {}, not yet known to inventory",
                e.number,
                line.sku
            );
        }
        let q = quarantine.as_ref().unwrap_or(&location);
        if line.resellable > 0 {
            let note = format!(
                "{}: {} resellable unit(s) restocked",
                e.number, line.resellable
            );
            move_units(
                outbox,
                conn,
                (&line.sku, &e.number),
                &location,
                line.resellable,
                "return",
                &note,
            )
            .await?;
        }
        if line.refurbish > 0 {
            let note = format!(
                "{}: {} unit(s) to refurbish, quarantined",
                e.number, line.refurbish
            );
            move_units(
                outbox,
                conn,
                (&line.sku, &e.number),
                q,
                line.refurbish,
                "return",
                &note,
            )
            .await?;
        }
        if line.scrap > 0 {
            let note = format!("{}: {} unit(s) scrapped", e.number, line.scrap);
            move_units(
                outbox,
                conn,
                (&line.sku, &e.number),
                q,
                line.scrap,
                "return",
                &note,
            )
            .await?;
            move_units(
                outbox,
                conn,
                (&line.sku, &e.number),
                q,
                -line.scrap,
                "damage",
                &note,
            )
            .await?;
        }
        touched.insert(line.sku.clone());
    }
    stock::mark_dirty(conn, &touched).await?;
    super::background::STOCK_FREED.notify_one();
    Ok(())
}
