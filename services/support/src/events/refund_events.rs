//! Billing's answers to a return, the end of its saga as support shows it:
//! RefundIssued moves the RMA to refunded, records the step, tells the
//! agents on the customer's ticket and resolves it; RefundHeld records that
//! the refund waits for a finance approver or failed and is queued for a
//! person; RefundRejected records finance's refusal (the ticket stays open
//! for an agent to answer). An exchange ends when orders places its
//! replacement (`replacement_placed`, from OrderPlaced).

use chrono::{DateTime, Utc};
use domain::contracts::support::{MessageKind, ReturnStatus, TicketStatus};
use domain::events::proto::billing::v1 as billing;
use domain::events::{Event, from_timestamp, money_from_proto};
use platform::ApiError;
use platform::db::Conn;
use platform::kafka::Record;
use platform::outbox::Outbox;
use uuid::Uuid;

use super::published;
use crate::api::intake;
use crate::domain::tickets::can_move;
use crate::store::returns::{self as store, ReturnRow};
use crate::store::tickets::{self, Changes};

/// Who support's own changes on a return's ticket are made as.
const RETURNS_ACTOR: &str = "system:returns";

pub(super) async fn on_billing_event(
    outbox: &Outbox,
    conn: &mut Conn,
    record: &Record,
) -> anyhow::Result<()> {
    let at = record.envelope.occurred_at;
    let result = match record.envelope.event_type.as_str() {
        t if t == billing::RefundIssued::TYPE => {
            refund_issued(outbox, conn, record.decode()?, at).await
        }
        t if t == billing::RefundHeld::TYPE => refund_held(conn, record.decode()?, at).await,
        t if t == billing::RefundRejected::TYPE => {
            refund_rejected(conn, record.decode()?, at).await
        }
        _ => return Ok(()),
    };
    result.map_err(ApiError::into_anyhow)
}

async fn locked(conn: &mut Conn, return_id: &str) -> Result<Option<ReturnRow>, ApiError> {
    let id: Uuid = return_id.parse().map_err(ApiError::internal)?;
    let row = store::lock(conn, id).await?;
    if row.is_none() {
        tracing::warn!(%return_id, "billing answered a return support does not hold; ignored");
    }
    Ok(row)
}

async fn refund_issued(
    outbox: &Outbox,
    conn: &mut Conn,
    e: billing::RefundIssued,
    occurred: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = locked(conn, &e.return_id).await? else {
        return Ok(());
    };
    if matches!(
        row.status()?,
        ReturnStatus::Refunded | ReturnStatus::Rejected | ReturnStatus::PendingApproval
    ) {
        return Ok(());
    }
    let at = from_timestamp(e.issued_at.as_ref()).unwrap_or(occurred);
    let amount = |m: &Option<domain::events::proto::common::v1::Money>| match m {
        Some(m) => money_from_proto(m)
            .map(|m| format!("{} {}", m.canonical().amount, m.currency))
            .unwrap_or_default(),
        None => String::new(),
    };
    let units: i64 = e.lines.iter().map(|l| l.quantity).sum();
    let detail = format!(
        "{} refunded for {units} unit(s): {} credited (credit notes {}), less {} restocking and \
         {} return label; approved by {}",
        amount(&e.refund),
        amount(&e.credited),
        e.credit_note_numbers.join(", "),
        amount(&e.restocking_fee),
        amount(&e.return_label_fee),
        e.approved_by
    );
    store::add_step(conn, row.id, "refunded", "done", Some(&detail), at).await?;
    store::set_status(conn, row.id, ReturnStatus::Refunded, at).await?;
    resolve_ticket(outbox, conn, &row, &detail, at).await
}

/// Orders placed an exchange's replacement (OrderPlaced naming the return):
/// the RMA is exchanged, the agents told, the ticket resolved.
pub(super) async fn replacement_placed(
    outbox: &Outbox,
    conn: &mut Conn,
    return_id: &str,
    external_order_id: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = locked(conn, return_id).await? else {
        return Ok(());
    };
    if !matches!(
        row.status()?,
        ReturnStatus::Authorized | ReturnStatus::Received | ReturnStatus::Inspected
    ) {
        return Ok(());
    }
    let detail = format!("replacement order {external_order_id} placed at no charge");
    store::add_step(conn, row.id, "replacement", "done", Some(&detail), at).await?;
    store::set_status(conn, row.id, ReturnStatus::Exchanged, at).await?;
    resolve_ticket(outbox, conn, &row, &detail, at).await
}

/// Notes the saga's end on the return's ticket and resolves it (a new
/// message from the customer reopens it).
async fn resolve_ticket(
    outbox: &Outbox,
    conn: &mut Conn,
    row: &ReturnRow,
    detail: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(ticket_id) = row.ticket_id else {
        return Ok(());
    };
    let Some(ticket) = tickets::lock(conn, ticket_id).await? else {
        return Ok(());
    };
    let body = format!("{}: {detail}.", row.number);
    tickets::append(
        conn,
        ticket_id,
        &tickets::NewMessage {
            kind: MessageKind::Note,
            author: RETURNS_ACTOR,
            body: &body,
            message_id: None,
            created_at: at,
        },
    )
    .await?;
    let from = ticket.status()?;
    if from != TicketStatus::Resolved && can_move(from, TicketStatus::Resolved) {
        let ticket = tickets::lock(conn, ticket_id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("ticket {ticket_id} vanished")))?;
        let mut changes = Changes::of(&ticket)?;
        changes.status = TicketStatus::Resolved;
        changes.resolved_at = Some(at);
        let updated = intake::save(conn, &ticket, changes, at).await?;
        published::status_changed(outbox, conn, &updated, from, RETURNS_ACTOR).await?;
    }
    Ok(())
}

async fn refund_held(
    conn: &mut Conn,
    e: billing::RefundHeld,
    occurred: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = locked(conn, &e.return_id).await? else {
        return Ok(());
    };
    if matches!(
        row.status()?,
        ReturnStatus::Refunded | ReturnStatus::Rejected
    ) {
        return Ok(());
    }
    let at = from_timestamp(e.held_at.as_ref()).unwrap_or(occurred);
    let status = if e.status == "awaiting_approval" {
        "waiting"
    } else {
        "failed"
    };
    store::add_step(conn, row.id, "refund", status, Some(&e.reason), at).await?;
    Ok(())
}

async fn refund_rejected(
    conn: &mut Conn,
    e: billing::RefundRejected,
    occurred: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = locked(conn, &e.return_id).await? else {
        return Ok(());
    };
    if row.status()? == ReturnStatus::Refunded {
        return Ok(());
    }
    let at = from_timestamp(e.rejected_at.as_ref()).unwrap_or(occurred);
    let detail = format!("refused by {}: {}", e.rejected_by, e.reason);
    store::add_step(conn, row.id, "refund", "failed", Some(&detail), at).await?;
    if let Some(ticket_id) = row.ticket_id
        && tickets::lock(conn, ticket_id).await?.is_some()
    {
        let body = format!("{}: the refund was {detail}", row.number);
        tickets::append(
            conn,
            ticket_id,
            &tickets::NewMessage {
                kind: MessageKind::Note,
                author: RETURNS_ACTOR,
                body: &body,
                message_id: None,
                created_at: at,
            },
        )
        .await?;
    }
    Ok(())
}
