//! The warehouse's GoodsReceived: good units join the SKU's stock value at
//! their landed cost (inventory against goods received not invoiced);
//! damaged units are written off at it. One entry per receipt. The units
//! received per purchase order line are what supplier bills match against.

use domain::Money;
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Event, from_timestamp, money_from_proto};
use platform::db::Conn;
use platform::kafka::Record;
use rust_decimal::{Decimal, RoundingStrategy};

use super::RECEIVING_ACTOR;
use crate::domain::ledger::{Postings, Tags, accounts};
use crate::store::{bills, catalog, ledger};

pub(super) async fn on_receiving_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != warehouse::GoodsReceived::TYPE {
        return Ok(());
    }
    let e: warehouse::GoodsReceived = record.decode()?;
    let mut lines: Vec<&warehouse::ReceivedLine> = e.lines.iter().collect();
    lines.sort_by(|a, b| a.sku.cmp(&b.sku));
    let tags = Tags {
        channel_id: None,
        order_id: None,
    };
    let mut postings = Postings::default();
    // What arrived is what a supplier's bill is matched against.
    let purchase_order_id = e.purchase_order_id.parse::<uuid::Uuid>().ok();
    for l in lines {
        let unit = l
            .unit_landed_cost
            .as_ref()
            .and_then(|m| money_from_proto(m).ok());
        let value = |units: i64| {
            unit.map(|unit| Money {
                amount: (unit.amount * Decimal::from(units)).round_dp_with_strategy(
                    unit.currency.minor_units(),
                    RoundingStrategy::MidpointAwayFromZero,
                ),
                currency: unit.currency,
            })
        };
        match purchase_order_id {
            Some(po) => {
                let landed = [value(l.good), value(l.damaged)]
                    .into_iter()
                    .flatten()
                    .map(|m| m.amount)
                    .sum();
                bills::add_received(conn, po, l.line_no, &l.sku, l.good + l.damaged, landed).await?
            }
            None => tracing::warn!(receipt = %e.receipt_id, purchase_order = %e.purchase_order_id,
                "receipt against a purchase order id that is no UUID: not matchable to bills"),
        }
        if unit.is_none() {
            tracing::warn!(receipt = %e.receipt_id, sku = %l.sku, "received line without a landed cost: not valued");
            continue;
        }
        let value = |units: i64| value(units).expect("a unit landed cost");
        if l.good > 0 {
            let good = value(l.good);
            catalog::receive(conn, &l.sku, l.good, &good).await?;
            postings.add(
                accounts::INVENTORY,
                &tags,
                Some(&l.sku),
                good.currency,
                good.amount,
            );
            postings.add(
                accounts::GOODS_RECEIVED_NOT_INVOICED,
                &tags,
                Some(&l.sku),
                good.currency,
                -good.amount,
            );
        }
        if l.damaged > 0 {
            let damaged = value(l.damaged);
            postings.add(
                accounts::WRITE_OFFS,
                &tags,
                Some(&l.sku),
                damaged.currency,
                damaged.amount,
            );
            postings.add(
                accounts::GOODS_RECEIVED_NOT_INVOICED,
                &tags,
                Some(&l.sku),
                damaged.currency,
                -damaged.amount,
            );
        }
    }
    if postings.0.is_empty() {
        return Ok(());
    }
    let received_at = from_timestamp(e.received_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    ledger::post(
        conn,
        &ledger::NewEntry {
            source: "goods_received",
            source_id: &e.receipt_id,
            occurred_on: received_at.date_naive(),
            memo: &format!(
                "receipt {} against purchase order {} from {}",
                e.receipt_id, e.purchase_order_number, e.supplier_code
            ),
            created_by: RECEIVING_ACTOR,
            postings: &postings,
        },
    )
    .await
    .map_err(platform::ApiError::into_anyhow)?;
    Ok(())
}
