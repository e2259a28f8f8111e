//! The warehouse's GoodsReceived: good units raise on hand at the receiving
//! location (movement `receipt`, referencing the purchase order), damaged
//! units go on hand at that location's quarantine location (inactive, so
//! never allocated or sold), each published as StockAdjusted. Waiting
//! backorders then fill by the usual rules (the filler is woken).

use std::collections::BTreeSet;

use domain::events::Event;
use domain::events::proto::warehouse::v1 as warehouse;
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;

use super::{RECEIVING_ACTOR, StockChange, publish_stock_adjusted};
use crate::store::{self, locations, stock};

pub(super) async fn on_receiving_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    if record.envelope.event_type != warehouse::GoodsReceived::TYPE {
        return Ok(());
    }
    let e: warehouse::GoodsReceived = record.decode()?;
    let Some(location) = locations::by_code(conn, &e.location_code).await? else {
        anyhow::bail!(
            "goods received at {}, a location inventory does not know",
            e.location_code
        );
    };
    let mut lines: Vec<&warehouse::ReceivedLine> = e.lines.iter().collect();
    // Stock rows are locked in SKU order, as every writer here does.
    lines.sort_by(|a, b| a.sku.cmp(&b.sku));
    let quarantine = if lines.iter().any(|l| l.damaged > 0) {
        Some(locations::quarantine_of(conn, &location).await?)
    } else {
        None
    };
    let note = format!("receipt {} of {}", e.receipt_id, e.purchase_order_number);
    let mut touched = BTreeSet::new();
    for line in lines {
        if !store::sku_known(conn, &line.sku).await? {
            // The catalog's event is on its way; the consumer retries.
            anyhow::bail!(
                "goods received of SKU {}, not yet known to inventory",
                line.sku
            );
        }
        let targets = [
            (line.good, &location),
            (line.damaged, quarantine.as_ref().unwrap_or(&location)),
        ];
        for (units, at) in targets {
            if units <= 0 {
                continue;
            }
            let (on_hand, reserved) = stock::lock_one(conn, &line.sku, at.id).await?;
            let after = on_hand + units;
            stock::set_on_hand(conn, &line.sku, at.id, after).await?;
            let movement_id = stock::record_movement(
                conn,
                stock::Movement {
                    sku: &line.sku,
                    location_id: at.id,
                    kind: "receipt",
                    on_hand: (on_hand, after),
                    reserved: (reserved, reserved),
                    reference: Some(e.purchase_order_number.clone()),
                    actor: RECEIVING_ACTOR,
                    note: Some(&note),
                },
            )
            .await?;
            publish_stock_adjusted(
                outbox,
                conn,
                StockChange {
                    sku: &line.sku,
                    location_code: &at.code,
                    reason: "receipt",
                    on_hand: (on_hand, after),
                    movement_id,
                    note: &note,
                    actor: RECEIVING_ACTOR,
                },
            )
            .await?;
            touched.insert(line.sku.clone());
        }
    }
    stock::mark_dirty(conn, &touched).await?;
    // Committed with the batch a moment later; the filler's next step
    // (at most a second on) sees it either way.
    super::background::STOCK_FREED.notify_one();
    Ok(())
}
