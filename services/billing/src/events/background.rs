//! Billing's background work: the invoicer, which tries again every
//! shipment still waiting for its invoice (its order's placement arrived,
//! a channel's billing settings or a tax rule was set), each in its own
//! transaction; woken by those changes, and every 10 s regardless.

use std::time::Duration;

use diesel_async::AsyncConnection;
use futures_util::FutureExt;
use platform::tasks::{Task, periodic};
use platform::{ApiError, Runtime};

use crate::store::invoicing::{self, Outcome};
use crate::store::shipments;

/// The invoicer's wake-up (`rt.waker(INVOICING_DUE)`).
pub const INVOICING_DUE: &str = "invoicing-due";
/// The invoicer's task name (its steps are counted under it).
pub const INVOICER: &str = "invoicer";

const PAGE: i64 = 200;

pub fn tasks(rt: &Runtime) -> Vec<Task> {
    let a = rt.clone();
    vec![periodic(
        &rt.metrics,
        INVOICER,
        Duration::from_secs(10),
        Some(rt.waker(INVOICING_DUE)),
        move || {
            let rt = a.clone();
            async move { invoice_pending(&rt).await.map(|_| ()) }.boxed()
        },
    )]
}

/// Tries every waiting shipment once; returns how many were invoiced.
pub async fn invoice_pending(rt: &Runtime) -> anyhow::Result<usize> {
    let mut conn = rt.db.get().await?;
    let mut after = String::new();
    let mut issued = 0;
    loop {
        let page = shipments::pending(&mut conn, &after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.fulfillment_id.clone();
        for s in &page {
            let outbox = rt.outbox.clone();
            let id = s.fulfillment_id.clone();
            let outcome = conn
                .transaction::<_, ApiError, _>(async |tx| {
                    invoicing::invoice_shipment(&outbox, tx, &id).await
                })
                .await?;
            if matches!(outcome, Outcome::Issued(_)) {
                issued += 1;
                rt.outbox.notify();
            }
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok(issued)
}
