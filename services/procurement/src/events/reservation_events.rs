//! Inventory's reservation outcomes as stock-outs: any shortfall (an order
//! rejected or backordered, a partial reservation, a short pick that could
//! not be reallocated) flags its SKUs' day, so forecasting does not read the
//! day's sales as the day's demand.

use domain::events::proto::inventory::v1 as inventory;
use domain::events::{Event, from_timestamp};
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::demand;

pub(super) async fn on_reservation_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    let (shortfalls, at) = match record.envelope.event_type.as_str() {
        t if t == inventory::ReservationFailed::TYPE => {
            let e: inventory::ReservationFailed = record.decode()?;
            (e.shortfalls, from_timestamp(e.failed_at.as_ref()))
        }
        t if t == inventory::StockReserved::TYPE => {
            let e: inventory::StockReserved = record.decode()?;
            (e.shortfalls, from_timestamp(e.reserved_at.as_ref()))
        }
        t if t == inventory::StockReallocated::TYPE => {
            let e: inventory::StockReallocated = record.decode()?;
            (e.shortfalls, from_timestamp(e.reallocated_at.as_ref()))
        }
        _ => return Ok(()),
    };
    let mut skus: Vec<String> = shortfalls
        .into_iter()
        .filter(|s| s.missing > 0)
        .map(|s| s.sku)
        .collect();
    if skus.is_empty() {
        return Ok(());
    }
    skus.sort();
    skus.dedup();
    let day = at.unwrap_or(record.envelope.occurred_at).date_naive();
    demand::mark_stock_outs(conn, &skus, day).await?;
    Ok(())
}
