//! After the load: wait until the pipeline has settled (every event produced
//! is applied by its consumers, nothing waits in an outbox), then read what
//! each service says about the run through its API.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::api::{Api, As};
use crate::workload::Plan;

/// Producer and consumer counts of one event type between two services.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerPair {
    pub event_type: String,
    pub producer: String,
    pub consumer: String,
    pub produced: i64,
    pub consumed: i64,
}

/// Events a service publishes on its own schedule (coalesced snapshots, not
/// answers to the harness's requests): one produced just before the run's
/// start may be applied just after it, so the window counts it as applied
/// but not produced. Their consumers apply the newest state (a sequence),
/// so for them "every one applied" is `consumed >= produced`.
pub const SCHEDULED_SNAPSHOTS: &[&str] = &["StockLevelChanged"];

impl LedgerPair {
    /// Every event produced in the window was applied, once (at least once
    /// for scheduled snapshots, see [`SCHEDULED_SNAPSHOTS`]).
    pub fn balanced(&self) -> bool {
        let snapshot = SCHEDULED_SNAPSHOTS
            .iter()
            .any(|t| self.event_type.rsplit('.').next() == Some(*t));
        if snapshot {
            self.consumed >= self.produced
        } else {
            self.consumed == self.produced
        }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Ledger {
    pub pairs: Vec<LedgerPair>,
    /// Outbox rows not yet published, per service.
    pub pending: Vec<(String, i64)>,
}

/// The events of the order intake path: placed → reserved or failed →
/// confirmed, on hold or cancelled (not the floor's, which keep flowing while
/// pickers work).
pub const INTAKE_EVENTS: &[&str] = &[
    "OrderPlaced",
    "StockReserved",
    "ReservationFailed",
    "OrderConfirmed",
    "OrderOnHold",
    "OrderCancelled",
    "StockReleased",
];

impl Ledger {
    /// Nothing waits in an outbox and every event produced was applied by
    /// each consumer.
    pub fn settled(&self) -> bool {
        self.pending.iter().all(|(_, n)| *n == 0) && self.pairs.iter().all(LedgerPair::balanced)
    }

    /// Every event of these types produced was applied by each consumer.
    pub fn settled_for(&self, types: &[&str]) -> bool {
        self.pairs
            .iter()
            .filter(|p| {
                types
                    .iter()
                    .any(|t| p.event_type.rsplit('.').next() == Some(*t))
            })
            .all(LedgerPair::balanced)
    }
}

/// Every service's event ledger since `since`, paired producer → consumer
/// by topic and event type.
pub async fn ledger(api: &Api, since: DateTime<Utc>) -> anyhow::Result<Ledger> {
    let since = since.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut all = Vec::new();
    let mut services = vec![
        ("catalog", api.catalog("")),
        ("orders", api.orders("")),
        ("inventory", api.inventory("")),
        ("warehouse", api.warehouse("")),
        ("procurement", api.procurement("")),
    ];
    // Support produces the returns saga's first events and consumes its
    // last: in the ledger whenever returns run.
    if api.returns() {
        services.push(("support", api.support("")));
    }
    if api.bills() {
        services.push(("billing", api.billing("")));
    }
    for (name, url) in services {
        let body = api
            .must(
                Method::GET,
                &format!("{url}/v1/ops/event-ledger?since={since}"),
                As::Ops,
                None,
            )
            .await
            .with_context(|| format!("{name}: event ledger"))?;
        all.push((name.to_string(), body));
    }
    let mut out = Ledger::default();
    for (producer, body) in &all {
        let produced = body["produced"].as_array().cloned().unwrap_or_default();
        out.pending.push((
            producer.clone(),
            produced
                .iter()
                .map(|p| p["pending"].as_i64().unwrap_or(0))
                .sum(),
        ));
        for p in &produced {
            for (consumer_service, other) in &all {
                for c in other["consumed"].as_array().into_iter().flatten() {
                    if c["topic"] == p["topic"] && c["event_type"] == p["event_type"] {
                        out.pairs.push(LedgerPair {
                            event_type: p["event_type"].as_str().unwrap_or_default().to_string(),
                            producer: producer.clone(),
                            consumer: format!(
                                "{consumer_service} ({})",
                                c["consumer"].as_str().unwrap_or_default()
                            ),
                            produced: p["events"].as_i64().unwrap_or(0),
                            consumed: c["events"].as_i64().unwrap_or(0),
                        });
                    }
                }
            }
        }
    }
    // A consumer that has consumed events only produced before `since`
    // (none here) or of a type the producer has not sent yet would be missed
    // above; consumed entries without a producer entry are listed with 0.
    for (consumer_service, other) in &all {
        for c in other["consumed"].as_array().into_iter().flatten() {
            let known = out.pairs.iter().any(|p| {
                p.event_type == c["event_type"].as_str().unwrap_or_default()
                    && p.consumer.starts_with(&format!("{consumer_service} ("))
                    && p.consumer
                        .contains(c["consumer"].as_str().unwrap_or_default())
            });
            if !known {
                out.pairs.push(LedgerPair {
                    event_type: c["event_type"].as_str().unwrap_or_default().to_string(),
                    producer: "(none since the start)".into(),
                    consumer: format!(
                        "{consumer_service} ({})",
                        c["consumer"].as_str().unwrap_or_default()
                    ),
                    produced: 0,
                    consumed: c["events"].as_i64().unwrap_or(0),
                });
            }
        }
    }
    out.pairs.sort_by(|a, b| {
        (&a.producer, &a.event_type, &a.consumer).cmp(&(&b.producer, &b.event_type, &b.consumer))
    });
    Ok(out)
}

/// Waits until the ledger is settled twice in a row (or `limit` passes);
/// returns the last ledger and how long it took.
pub async fn settle(
    api: &Api,
    since: DateTime<Utc>,
    limit: Duration,
) -> anyhow::Result<(Ledger, Duration, bool)> {
    settle_when(api, since, limit, Ledger::settled).await
}

/// As [`settle`], for the intake path only ([`INTAKE_EVENTS`]).
pub async fn settle_intake(
    api: &Api,
    since: DateTime<Utc>,
    limit: Duration,
) -> anyhow::Result<(Ledger, Duration, bool)> {
    settle_when(api, since, limit, |l| l.settled_for(INTAKE_EVENTS)).await
}

async fn settle_when(
    api: &Api,
    since: DateTime<Utc>,
    limit: Duration,
    settled: impl Fn(&Ledger) -> bool,
) -> anyhow::Result<(Ledger, Duration, bool)> {
    let t0 = Instant::now();
    let mut settled_once = false;
    loop {
        let l = ledger(api, since).await?;
        if settled(&l) {
            if settled_once {
                return Ok((l, t0.elapsed(), true));
            }
            settled_once = true;
        } else {
            settled_once = false;
        }
        if t0.elapsed() >= limit {
            return Ok((l, t0.elapsed(), false));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// One order as the orders service reports it.
#[derive(Debug, Clone)]
pub struct OrderFact {
    pub id: String,
    pub status: String,
    pub hold_reason: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub shipped_at: Vec<DateTime<Utc>>,
    /// (SKU, ordered, allocated, shipped, short)
    pub lines: Vec<(String, i64, i64, i64, i64)>,
}

fn ts(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl OrderFact {
    fn from_view(v: &Value) -> OrderFact {
        OrderFact {
            id: v["id"].as_str().unwrap_or_default().to_string(),
            status: v["status"].as_str().unwrap_or_default().to_string(),
            hold_reason: v["hold"]["reason"].as_str().map(str::to_string),
            received_at: ts(&v["received_at"]),
            confirmed_at: ts(&v["confirmed_at"]),
            shipped_at: v["shipments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| ts(&s["shipped_at"]))
                .collect(),
            lines: v["lines"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| {
                    let allocated = l["allocations"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| a["quantity"].as_i64().unwrap_or(0))
                        .sum();
                    (
                        l["sku"].as_str().unwrap_or_default().to_string(),
                        l["quantity"].as_i64().unwrap_or(0),
                        allocated,
                        l["shipped_quantity"].as_i64().unwrap_or(0),
                        l["short_quantity"].as_i64().unwrap_or(0),
                    )
                })
                .collect(),
        }
    }
}

/// Fetches each order by id, 32 at a time. Missing orders are returned by id.
pub async fn orders(api: &Api, ids: &[String]) -> (Vec<OrderFact>, Vec<String>) {
    let gate = Arc::new(Semaphore::new(32));
    let mut tasks = Vec::with_capacity(ids.len());
    for id in ids {
        let (api, gate, id) = (api.clone(), gate.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("semaphore");
            for _ in 0..3 {
                if let Ok(reply) = api
                    .quiet(
                        Method::GET,
                        &api.orders(&format!("/v1/orders/{id}")),
                        As::Ops,
                        None,
                    )
                    .await
                    && reply.status.is_success()
                {
                    return Ok(OrderFact::from_view(&reply.body));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(id)
        }));
    }
    let (mut found, mut missing) = (Vec::new(), Vec::new());
    for t in tasks {
        match t.await {
            Ok(Ok(f)) => found.push(f),
            Ok(Err(id)) => missing.push(id),
            Err(_) => {}
        }
    }
    (found, missing)
}

/// Inventory's stock of a SKU: totals and per location (on hand, reserved).
#[derive(Debug, Clone, Default)]
pub struct StockFact {
    pub on_hand: i64,
    pub reserved: i64,
    pub locations: Vec<(String, i64, i64)>,
}

pub async fn stock(api: &Api, plan: &Plan) -> anyhow::Result<HashMap<String, StockFact>> {
    let gate = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::new();
    for sku in &plan.skus {
        let (api, gate, sku) = (api.clone(), gate.clone(), sku.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("semaphore");
            let body = api
                .must(
                    Method::GET,
                    &api.inventory(&format!("/v1/stock/{sku}")),
                    As::Ops,
                    None,
                )
                .await?;
            let fact = StockFact {
                on_hand: body["on_hand"].as_i64().unwrap_or(0),
                reserved: body["reserved"].as_i64().unwrap_or(0),
                locations: body["locations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|l| {
                        (
                            l["location"].as_str().unwrap_or_default().to_string(),
                            l["on_hand"].as_i64().unwrap_or(0),
                            l["reserved"].as_i64().unwrap_or(0),
                        )
                    })
                    .collect(),
            };
            anyhow::Ok((sku, fact))
        }));
    }
    let mut out = HashMap::new();
    for t in tasks {
        let (sku, fact) = t.await??;
        out.insert(sku, fact);
    }
    Ok(out)
}

/// The warehouse's fulfillments at the run's locations: order id → statuses.
/// A shipped fulfillment, as the warehouse states it.
#[derive(Debug, Clone)]
pub struct ShippedFact {
    pub order_id: String,
    pub shipped_at: Option<DateTime<Utc>>,
}

/// The run's fulfillments: statuses per order id, and the shipped ones by
/// fulfillment id.
#[derive(Debug, Clone, Default)]
pub struct Fulfillments {
    pub by_order: HashMap<String, Vec<String>>,
    pub shipped: HashMap<String, ShippedFact>,
}

pub async fn fulfillments(api: &Api, plan: &Plan) -> anyhow::Result<Fulfillments> {
    let mut out = Fulfillments::default();
    for loc in &plan.locations {
        let mut cursor = String::new();
        loop {
            let url = api.warehouse(&format!(
                "/v1/fulfillments?location_code={loc}&limit=500{cursor}"
            ));
            let page = api.must(Method::GET, &url, As::Ops, None).await?;
            for f in page["items"].as_array().into_iter().flatten() {
                let order_id = f["order_id"].as_str().unwrap_or_default().to_string();
                let status = f["status"].as_str().unwrap_or_default().to_string();
                if status == "shipped" {
                    out.shipped.insert(
                        f["id"].as_str().unwrap_or_default().to_string(),
                        ShippedFact {
                            order_id: order_id.clone(),
                            shipped_at: serde_json::from_value(f["shipped_at"].clone()).ok(),
                        },
                    );
                }
                out.by_order.entry(order_id).or_default().push(status);
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(event_type: &str, produced: i64, consumed: i64) -> LedgerPair {
        LedgerPair {
            event_type: event_type.into(),
            producer: "p".into(),
            consumer: "c".into(),
            produced,
            consumed,
        }
    }

    #[test]
    fn intake_can_be_settled_while_the_floor_still_moves() {
        let l = Ledger {
            pairs: vec![
                pair("crossdock.orders.v1.OrderPlaced", 10, 10),
                pair("crossdock.warehouse.v1.FulfillmentShipped", 7, 6),
            ],
            pending: vec![("warehouse".into(), 1)],
        };
        assert!(l.settled_for(INTAKE_EVENTS));
        assert!(!l.settled());
        let lagging = Ledger {
            pairs: vec![pair("crossdock.orders.v1.OrderPlaced", 10, 9)],
            pending: vec![],
        };
        assert!(!lagging.settled_for(INTAKE_EVENTS));
        assert!(!lagging.settled(), "applied fewer than produced");
        let twice = Ledger {
            pairs: vec![pair("crossdock.orders.v1.OrderPlaced", 10, 11)],
            pending: vec![],
        };
        assert!(!twice.settled(), "applied more than produced");
    }
}
