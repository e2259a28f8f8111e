//! The returns scenario: after the floor has shipped, customers send back
//! part of their orders and the whole saga runs under load. Per return, as
//! support, the warehouse and finance would: the RMA requested through
//! support (authorised by the run's return policy), the parcel scanned in at
//! the return location and every unit graded (resellable, refurbish and
//! scrap in turn), then billing's refund awaited (and approved by finance
//! when it is above the deployment's limit). What it measures: returns
//! per second from the first request to the last refund, and each return's
//! request → refunded time. What it proves (invariants.rs): every
//! authorised return ends refunded or queued for a person, and stock is
//! conserved with the units that came back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::Method;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::api::{Api, As, wait_for};
use crate::collect::OrderFact;
use crate::workload::{CHANNELS, Plan};

/// Returns in flight at once (people at the returns desk).
const DESK: usize = 8;

/// One return as the harness drove it.
#[derive(Debug, Clone)]
pub struct ReturnFact {
    pub rma_id: String,
    pub number: String,
    pub order_id: String,
    pub sku: String,
    /// Units graded (resellable, refurbish, scrap).
    pub graded: (i64, i64, i64),
    /// Billing's refund status at the end, and support's return status.
    pub refund_status: String,
    pub support_status: String,
    /// Request → billing's refund refunded (or queued), ms.
    pub took_ms: Option<f64>,
}

/// What the scenario did.
#[derive(Debug, Default)]
pub struct Returned {
    pub returns: Vec<ReturnFact>,
    /// Requests that could not be made or driven, with why.
    pub failures: Vec<String>,
    /// First request → last refund, seconds.
    pub seconds: f64,
}

impl Returned {
    /// Units back in stock per SKU: resellable (at the return location) and
    /// refurbish (its quarantine); scrap came back and was written off.
    pub fn restocked(&self, sku: &str) -> i64 {
        self.returns
            .iter()
            .filter(|r| r.sku == sku)
            .map(|r| r.graded.0 + r.graded.1)
            .sum()
    }
}

/// The run's return policy on its channels: a long window from shipment,
/// a 10 % restocking fee and a 4.95 label on a change of mind, everything
/// auto-approved, returned to the run's first location.
pub async fn prepare(api: &Api, plan: &Plan) -> anyhow::Result<()> {
    let location = plan.locations.first().context("the plan has no location")?;
    for channel in CHANNELS {
        api.must(
            Method::PUT,
            &api.support(&format!("/v1/return-policies/{}", channel.id)),
            As::Admin,
            Some(&json!({
                "window_days": 365, "window_from": "shipment",
                "restocking_fee_percent": "10", "return_shipping_paid_by": "customer",
                "return_label_fee": {"amount": "4.95", "currency": "EUR"},
                "auto_approve_up_to": {"amount": "100000", "currency": "EUR"},
                "return_location": location, "exchange_reservation": "after_inspection"})),
        )
        .await
        .with_context(|| format!("support: the return policy of {}", channel.id))?;
    }
    Ok(())
}

/// Returns the first shipped line of up to `count` shipped orders.
pub async fn run(api: &Api, orders: &[OrderFact], count: usize, settle: Duration) -> Returned {
    let picks: Vec<(String, i32, String, i64)> = orders
        .iter()
        .filter(|o| o.status == "shipped")
        .filter_map(|o| {
            o.lines
                .iter()
                .enumerate()
                .find(|(_, l)| l.3 > 0)
                .map(|(i, l)| (o.id.clone(), i as i32 + 1, l.0.clone(), l.3))
        })
        .take(count)
        .collect();
    let gate = Arc::new(Semaphore::new(DESK));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, (order_id, line_no, sku, units)) in picks.into_iter().enumerate() {
        let (api, gate) = (api.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("semaphore");
            one(&api, &order_id, line_no, &sku, units, n, settle)
                .await
                .with_context(|| format!("return of order {order_id} line {line_no}"))
        }));
    }
    let mut out = Returned::default();
    for t in tasks {
        match t.await {
            Ok(Ok(fact)) => out.returns.push(fact),
            Ok(Err(e)) => out.failures.push(format!("{e:#}")),
            Err(e) => out.failures.push(e.to_string()),
        }
    }
    out.seconds = started.elapsed().as_secs_f64();
    out
}

async fn one(
    api: &Api,
    order_id: &str,
    line_no: i32,
    sku: &str,
    units: i64,
    n: usize,
    settle: Duration,
) -> anyhow::Result<ReturnFact> {
    let asked = Instant::now();
    // Support hears of the shipment over Kafka: a moment after the floor, a
    // return may still be refused as not shipped.
    let body = json!({"order_id": order_id, "lines": [{"line_no": line_no, "quantity": units}],
                      "reason": "no_longer_needed", "resolution": "refund"});
    let rma = wait_for(settle, || async {
        let reply = api
            .quiet(
                Method::POST,
                &api.support("/v1/returns"),
                As::Ops,
                Some(&body),
            )
            .await
            .ok()?;
        reply.status.is_success().then_some(reply.body)
    })
    .await
    .context("support never accepted the return")?;
    anyhow::ensure!(rma["status"] == "authorized", "not authorised: {rma}");
    let rma_id = rma["id"].as_str().unwrap_or_default().to_string();
    let number = rma["number"].as_str().unwrap_or_default().to_string();
    // The warehouse: the parcel is expected, scanned in unit by unit, graded.
    wait_for(settle, || async {
        let reply = api
            .quiet(
                Method::GET,
                &api.warehouse(&format!("/v1/returns?number={number}")),
                As::Floor,
                None,
            )
            .await
            .ok()?;
        reply
            .body
            .as_array()
            .is_some_and(|l| l.len() == 1)
            .then_some(())
    })
    .await
    .with_context(|| format!("the warehouse never expected {number}"))?;
    for _ in 0..units {
        api.must(
            Method::POST,
            &api.warehouse(&format!("/v1/returns/{rma_id}/scans")),
            As::Floor,
            Some(&json!({"item": sku})),
        )
        .await?;
    }
    let mut graded = (0, 0, 0);
    let mut grades = Vec::new();
    for u in 0..units {
        let grade = match (n as i64 + u) % 3 {
            0 => {
                graded.0 += 1;
                "resellable"
            }
            1 => {
                graded.1 += 1;
                "refurbish"
            }
            _ => {
                graded.2 += 1;
                "scrap"
            }
        };
        grades.push(json!({"line_no": 1, "grade": grade, "quantity": 1}));
    }
    api.must(
        Method::POST,
        &api.warehouse(&format!("/v1/returns/{rma_id}/inspection")),
        As::Floor,
        Some(&json!({ "grades": grades })),
    )
    .await?;
    // Billing refunds it (or queues it for a person).
    let refund = wait_for(settle, || async {
        let reply = api
            .quiet(
                Method::GET,
                &api.billing(&format!("/v1/refunds/{rma_id}")),
                As::Finance,
                None,
            )
            .await
            .ok()?;
        matches!(
            reply.body["status"].as_str(),
            Some("refunded" | "awaiting_approval" | "failed")
        )
        .then_some(reply.body)
    })
    .await;
    // Above the deployment's approval limit a finance person approves it
    // (someone other than who authorised the return: the policy).
    let refund = match refund {
        Some(r) if r["status"] == "awaiting_approval" => api
            .must(
                Method::POST,
                &api.billing(&format!("/v1/refunds/{rma_id}/approve")),
                As::Finance,
                Some(&json!({"note": "load test: approved at the returns desk"})),
            )
            .await
            .ok(),
        other => other,
    };
    let took_ms = refund
        .as_ref()
        .map(|_| asked.elapsed().as_secs_f64() * 1000.0);
    let refund_status = refund
        .as_ref()
        .and_then(|r| r["status"].as_str())
        .unwrap_or("missing")
        .to_string();
    // Support ends the saga when billing's answer reaches it.
    let support_status = wait_for(Duration::from_secs(30), || async {
        let reply = api
            .quiet(
                Method::GET,
                &api.support(&format!("/v1/returns/{rma_id}")),
                As::Ops,
                None,
            )
            .await
            .ok()?;
        let status = reply.body["status"].as_str()?.to_string();
        (refund_status != "refunded" || status == "refunded").then_some(status)
    })
    .await
    .unwrap_or_else(|| "not refunded".into());
    Ok(ReturnFact {
        rma_id,
        number,
        order_id: order_id.to_string(),
        sku: sku.to_string(),
        graded,
        refund_status,
        support_status,
        took_ms,
    })
}

/// Per status, how many.
pub fn by_status(r: &Returned) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for f in &r.returns {
        *out.entry(f.refund_status.clone()).or_default() += 1;
    }
    out
}
