//! Inventory's background work: publishing coalesced availability and stock
//! levels, filling
//! backorders (whole orders, and short-picked units waiting for stock) when
//! stock arrives, and expiring storefront holds. Each step is
//! safe to run on several replicas at once (advisory or row locks).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use diesel_async::AsyncConnection;
use futures_util::FutureExt;
use platform::Runtime;
use platform::tasks::{Task, periodic};
use tokio::sync::Notify;

use crate::domain::placement::Outcome;
use crate::store::{availability, backorders, fulfillment, holds, levels, stock};

/// Woken after a commit that freed or added stock (adjustments, releases), so
/// backorders fill at once instead of at the next sweep.
pub static STOCK_FREED: LazyLock<Arc<Notify>> = LazyLock::new(|| Arc::new(Notify::new()));

/// Woken after a commit that marked availability dirty.
pub static AVAILABILITY_DIRTY: LazyLock<Arc<Notify>> = LazyLock::new(|| Arc::new(Notify::new()));

/// The backorder filler's task name (its steps are counted under it).
pub const BACKORDER_FILLER: &str = "backorder-filler";

const ACTOR_FILL: &str = "system:inventory.backorders";
const ACTOR_EXPIRY: &str = "system:inventory.holds";

/// The stock-level publisher's task name.
pub const LEVEL_PUBLISHER: &str = "stock-level-publisher";

pub fn tasks(rt: &Runtime) -> Vec<Task> {
    let (a, b, c, d) = (rt.clone(), rt.clone(), rt.clone(), rt.clone());
    vec![
        periodic(
            &rt.metrics,
            LEVEL_PUBLISHER,
            // Planning reads levels, it does not race orders for them: five
            // seconds of coalescing keeps a busy SKU to one event per
            // location per window (at 2 s a 100 orders/s storm published
            // ~170 level events a second through inventory's outbox).
            Duration::from_secs(5),
            None,
            move || {
                let rt = d.clone();
                async move { publish_stock_levels(&rt).await }.boxed()
            },
        ),
        periodic(
            &rt.metrics,
            "availability-publisher",
            // Coalescing window: a busy SKU yields one event per channel per
            // quarter second, not one per order.
            Duration::from_millis(250),
            Some(AVAILABILITY_DIRTY.clone()),
            move || {
                let rt = a.clone();
                async move { publish_availability(&rt).await }.boxed()
            },
        ),
        periodic(
            &rt.metrics,
            BACKORDER_FILLER,
            Duration::from_secs(1),
            Some(STOCK_FREED.clone()),
            move || {
                let rt = b.clone();
                async move { fill_backorders(&rt).await.map(|_| ()) }.boxed()
            },
        ),
        periodic(
            &rt.metrics,
            "hold-expiry",
            Duration::from_millis(500),
            None,
            move || {
                let rt = c.clone();
                async move { expire_holds(&rt).await.map(|_| ()) }.boxed()
            },
        ),
    ]
}

/// Publishes the stock levels that moved since the last publication.
pub async fn publish_stock_levels(rt: &Runtime) -> anyhow::Result<()> {
    let mut conn = rt.db.get().await?;
    let outbox = rt.outbox.clone();
    let published = conn
        .transaction::<_, anyhow::Error, _>(async |tx| {
            let Some(changed) = levels::publish_changed(tx).await? else {
                return Ok(0);
            };
            super::publish_stock_levels(&outbox, tx, &changed).await?;
            Ok(changed.len())
        })
        .await?;
    if published > 0 {
        rt.outbox.notify();
    }
    Ok(())
}

/// Dirty marks taken per publishing transaction.
const PUBLISH_BATCH: i64 = 10_000;

/// Publishes what is dirty now, once per tick: marks that arrive meanwhile
/// wait for the next tick, so a busy SKU yields one event per channel per
/// window however many orders touch it. Only a backlog larger than one
/// transaction's worth (e.g. every SKU after a channel change) is worked off
/// at once.
pub async fn publish_availability(rt: &Runtime) -> anyhow::Result<()> {
    loop {
        let mut conn = rt.db.get().await?;
        let outbox = rt.outbox.clone();
        let published = conn
            .transaction::<_, anyhow::Error, _>(async |tx| {
                let Some((taken, changed)) = availability::publish_dirty(tx, PUBLISH_BATCH).await?
                else {
                    return Ok(None);
                };
                super::publish_availability(&outbox, tx, &changed).await?;
                Ok(Some((taken, changed.len())))
            })
            .await?;
        // None: another replica is publishing.
        let Some((taken, changed)) = published else {
            return Ok(());
        };
        if changed > 0 {
            rt.outbox.notify();
        }
        if (taken as i64) < PUBLISH_BATCH {
            return Ok(());
        }
    }
}

/// One entry of the backorder queue.
enum Backorder {
    /// A whole order, reserved only in full.
    Order(backorders::Backordered),
    /// Short-picked units of one order line (its reservation otherwise stands).
    Reallocation(fulfillment::Waiting),
}

impl Backorder {
    /// Fill order: channel priority, then oldest placed, then order id.
    fn key(&self) -> (i32, chrono::DateTime<chrono::Utc>, uuid::Uuid, i64) {
        match self {
            Backorder::Order(o) => (o.channel_priority, o.placed_at, o.order_id, 0),
            Backorder::Reallocation(w) => (w.channel_priority, w.placed_at, w.order_id, w.id),
        }
    }

    /// (SKU, quantity) it needs.
    fn needs(&self) -> Vec<(&str, i64)> {
        match self {
            Backorder::Order(o) => o
                .lines
                .iter()
                .map(|l| (l.sku.as_str(), l.quantity))
                .collect(),
            Backorder::Reallocation(w) => vec![(w.sku.as_str(), w.quantity)],
        }
    }
}

/// Reserves waiting backorders that stock now covers, in fill order: whole
/// backordered orders and short-picked units waiting for stock, in one queue.
/// Returns how many were filled.
pub async fn fill_backorders(rt: &Runtime) -> anyhow::Result<usize> {
    let mut conn = rt.db.get().await?;
    let mut queue: Vec<Backorder> = backorders::backordered(&mut conn, 1000)
        .await?
        .into_iter()
        .map(Backorder::Order)
        .chain(
            fulfillment::waiting(&mut conn, 1000)
                .await?
                .into_iter()
                .map(Backorder::Reallocation),
        )
        .collect();
    if queue.is_empty() {
        return Ok(0);
    }
    queue.sort_by_key(Backorder::key);
    // A lock-free first look: skip entries that all stock together can't cover,
    // so a long backorder queue costs one read, not a transaction per entry.
    let skus: Vec<String> = queue
        .iter()
        .flat_map(|b| b.needs().into_iter().map(|(sku, _)| sku.to_string()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut budget: HashMap<String, i64> = HashMap::new();
    for row in stock::read(&mut conn, &skus).await? {
        if row.active {
            *budget.entry(row.sku).or_default() += (row.on_hand - row.reserved).max(0);
        }
    }
    let mut filled = 0;
    for entry in &queue {
        let needs = entry.needs();
        let fits = needs
            .iter()
            .all(|(sku, q)| budget.get(*sku).copied().unwrap_or(0) >= *q);
        if !fits {
            continue;
        }
        let outbox = rt.outbox.clone();
        let done = conn
            .transaction::<_, anyhow::Error, _>(async |tx| match entry {
                Backorder::Order(order) => {
                    let order_id = order.order_id;
                    let Some(picks) = backorders::fill_backorder(tx, order_id, ACTOR_FILL).await?
                    else {
                        return Ok(false);
                    };
                    super::publish_outcome(
                        &outbox,
                        tx,
                        &order_id.to_string(),
                        Outcome::Reserved {
                            picks,
                            shorts: Vec::new(),
                        },
                        "backorder_fill",
                    )
                    .await?;
                    Ok(true)
                }
                Backorder::Reallocation(w) => {
                    let Some(picks) = fulfillment::fill_waiting(tx, w, ACTOR_FILL).await? else {
                        return Ok(false);
                    };
                    super::publish_reallocated(
                        &outbox,
                        tx,
                        &fulfillment::Reallocated {
                            order_id: w.order_id,
                            channel_id: w.channel_id.clone(),
                            fulfillment_id: w.fulfillment_id.clone(),
                            from_location_code: w.from_code.clone(),
                            picks,
                            short: None,
                            outcome: "reallocated",
                        },
                        "backorder_fill",
                    )
                    .await?;
                    Ok(true)
                }
            })
            .await?;
        if done {
            filled += 1;
            for (sku, q) in needs {
                *budget.entry(sku.to_string()).or_default() -= q;
            }
        }
    }
    if filled > 0 {
        rt.outbox.notify();
        AVAILABILITY_DIRTY.notify_one();
    }
    Ok(filled)
}

/// Releases holds past their expiry. Returns how many expired.
pub async fn expire_holds(rt: &Runtime) -> anyhow::Result<usize> {
    let mut conn = rt.db.get().await?;
    let due = holds::expired(&mut conn, 200).await?;
    let mut expired = 0;
    for id in due {
        let ended = conn
            .transaction::<_, anyhow::Error, _>(async |tx| {
                Ok(holds::end(tx, id, "expired", ACTOR_EXPIRY).await?)
            })
            .await?;
        if ended {
            expired += 1;
        }
    }
    if expired > 0 {
        AVAILABILITY_DIRTY.notify_one();
        STOCK_FREED.notify_one();
    }
    Ok(expired)
}
