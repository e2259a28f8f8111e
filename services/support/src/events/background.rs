//! Support's background work: the SLA sweeper, which escalates every ticket
//! whose timer passed its due time (publishing TicketEscalated once per
//! timer: the breach is recorded in the same transaction). It claims tickets
//! with SKIP LOCKED, so replicas share the work; the timers are columns of
//! the ticket, so a restart loses none.

use std::time::Duration;

use chrono::Utc;
use diesel_async::AsyncConnection;
use futures_util::FutureExt;
use platform::tasks::{Task, periodic};
use platform::{ApiError, Runtime};

use crate::events::published;
use crate::store::sla;

/// The sweeper's task name (its steps are counted under it).
pub const SLA_SWEEPER: &str = "sla-sweeper";

/// Tickets per transaction.
const CLAIM: i64 = 100;

pub fn tasks(rt: &Runtime) -> Vec<Task> {
    let rt = rt.clone();
    vec![periodic(
        &rt.metrics.clone(),
        SLA_SWEEPER,
        // Escalations go out within this of the due time.
        Duration::from_secs(15),
        Some(rt.waker(SLA_SWEEPER)),
        move || {
            let rt = rt.clone();
            async move { escalate_due(&rt).await.map(|_| ()) }.boxed()
        },
    )]
}

/// Escalates every ticket past due; returns how many timers.
pub async fn escalate_due(rt: &Runtime) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let mut conn = rt.db.get().await?;
        let now = Utc::now();
        let (claimed, escalated) = conn
            .transaction::<_, ApiError, _>(async |tx| {
                let due = sla::claim_breached(tx, now, CLAIM).await?;
                let mut escalated = 0;
                for t in &due {
                    let policy = t.terms()?.map(|terms| terms.policy).unwrap_or_default();
                    let first = t
                        .first_response_due_at
                        .filter(|d| *d <= now && t.first_response_breached_at.is_none());
                    let resolution = t
                        .resolution_due_at
                        .filter(|d| *d <= now && t.resolution_breached_at.is_none());
                    for (timer, due_at) in [("first_response", first), ("resolution", resolution)] {
                        if let Some(due_at) = due_at {
                            published::escalated(&rt.outbox, tx, t, timer, &policy, due_at, now)
                                .await?;
                            escalated += 1;
                        }
                    }
                    sla::mark_breached(tx, t.id, first.is_some(), resolution.is_some(), now)
                        .await?;
                }
                Ok((due.len(), escalated))
            })
            .await
            .map_err(ApiError::into_anyhow)?;
        if escalated > 0 {
            rt.outbox.notify();
        }
        total += escalated;
        if (claimed as i64) < CLAIM {
            return Ok(total);
        }
    }
}
