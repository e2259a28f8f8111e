//! The returns saga as support hears of it: the warehouse's ReturnInspected
//! moves the RMA to inspected, records its receipt and grades as steps, and
//! notes them on the customer's ticket (a redelivery changes nothing: only
//! an authorised return moves, or an exchange whose replacement left first).

use domain::contracts::support::{MessageKind, ReturnStatus};
use domain::events::proto::warehouse::v1 as warehouse;
use domain::events::{Event, from_timestamp};
use platform::db::Conn;
use platform::kafka::Record;

use crate::store::returns as store;
use crate::store::tickets;

pub(super) async fn on_warehouse_return_event(
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    if record.envelope.event_type != warehouse::ReturnInspected::TYPE {
        return Ok(());
    }
    let e: warehouse::ReturnInspected = record.decode()?;
    let id = e.return_id.parse()?;
    let Some(row) = store::lock(conn, id).await? else {
        anyhow::bail!(
            "return {} inspected, but support holds no such return",
            e.number
        );
    };
    // An exchange reserved at once may be exchanged before its parcel is
    // in: its receipt and grades are still steps of its saga (once).
    let status = row.status().map_err(|e| e.into_anyhow())?;
    match status {
        ReturnStatus::Authorized => {}
        ReturnStatus::Exchanged if !store::has_step(conn, id, "inspected").await? => {}
        _ => return Ok(()),
    }
    let received_at = from_timestamp(e.received_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    let inspected_at =
        from_timestamp(e.inspected_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    let units: i64 = e
        .lines
        .iter()
        .map(|l| l.resellable + l.refurbish + l.scrap)
        .sum();
    let (resellable, refurbish, scrap) = e.lines.iter().fold((0, 0, 0), |(a, b, c), l| {
        (a + l.resellable, b + l.refurbish, c + l.scrap)
    });
    store::add_step(
        conn,
        id,
        "received",
        "done",
        Some(&format!(
            "{units} unit(s) at {} by {}",
            e.location_code, e.received_by
        )),
        received_at,
    )
    .await?;
    store::add_step(
        conn,
        id,
        "inspected",
        "done",
        Some(&format!(
            "{resellable} resellable, {refurbish} to refurbish, {scrap} scrap, by {}",
            e.inspected_by
        )),
        inspected_at,
    )
    .await?;
    if status == ReturnStatus::Authorized {
        store::set_status(conn, id, ReturnStatus::Inspected, inspected_at).await?;
    }
    // The agents on the customer's ticket see it arrive.
    if let Some(ticket_id) = row.ticket_id
        && tickets::lock(conn, ticket_id).await?.is_some()
    {
        let body = format!(
            "{} received at {} and inspected: {resellable} resellable, {refurbish} to \
             refurbish, {scrap} scrap.",
            e.number, e.location_code
        );
        tickets::append(
            conn,
            ticket_id,
            &tickets::NewMessage {
                kind: MessageKind::Note,
                author: "system:returns",
                body: &body,
                message_id: None,
                created_at: inspected_at,
            },
        )
        .await
        .map_err(|e| e.into_anyhow())?;
    }
    Ok(())
}
