//! The inbound scenario: while the storm sells, buyers run replenishment,
//! a second person approves what it drafts, and the dock receives it (lines
//! 1, 11, 21, … with one unit damaged), so the invariants cover inbound goods:
//! stock conserved with receipts, and every receipt applied exactly once.
//! Rules cover the scarce SKUs (they sell out during the run) at the first
//! location: reorder at their seeded stock, up to three times it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, As, wait_for};
use crate::cli::Load;
use crate::workload::Plan;

/// Per purchase order id: line number → (good, damaged) units.
pub type OrderCounts = HashMap<String, HashMap<i64, (i64, i64)>>;

/// What the dock received, by the harness's own count.
#[derive(Default, Debug)]
pub struct Received {
    pub good: HashMap<String, i64>,
    pub damaged: HashMap<String, i64>,
    pub orders: OrderCounts,
    pub receipts: u64,
    pub runs: u64,
}

pub fn supplier_code(plan: &Plan) -> String {
    format!("LT-{}", plan.tag)
}

/// The SKUs the scenario reorders and their rules' (min, max).
fn ruled(plan: &Plan, load: &Load) -> Vec<(String, i64, i64)> {
    let units = load.scarce_stock.max(1);
    plan.skus
        .iter()
        .enumerate()
        .filter(|(i, _)| Plan::is_scarce(*i))
        .map(|(_, s)| (s.clone(), units, 3 * units))
        .collect()
}

/// The supplier, its terms for the ruled SKUs, and the rules.
pub async fn prepare(api: &Api, plan: &Plan, load: &Load) -> anyhow::Result<usize> {
    let code = supplier_code(plan);
    api.must(
        Method::PUT,
        &api.procurement(&format!("/v1/suppliers/{code}")),
        As::Buyer,
        Some(&json!({"name": format!("Load-test supplier {}", plan.tag), "currency": "EUR", "payment_terms_days": 30})),
    )
    .await
    .context("creating the load-test supplier")?;
    let rules = ruled(plan, load);
    for (sku, min, max) in &rules {
        let terms = json!({"supplier_sku": format!("{code}-{sku}"), "unit_cost": {"amount": "3.10", "currency": "EUR"},
                           "moq": 1, "pack_size": 1, "lead_time_days": 2, "preferred_rank": 1});
        // Procurement learns of the SKU from catalog's event.
        wait_for(Duration::from_secs(60), || async {
            let url = api.procurement(&format!("/v1/suppliers/{code}/products/{sku}"));
            let reply = api
                .quiet(Method::PUT, &url, As::Buyer, Some(&terms))
                .await
                .ok()?;
            reply.status.is_success().then_some(())
        })
        .await
        .with_context(|| format!("procurement never learnt SKU {sku}"))?;
        api.must(
            Method::PUT,
            &api.procurement(&format!("/v1/reorder-rules/{sku}/{}", plan.locations[0])),
            As::Buyer,
            Some(&json!({"kind": "min_max", "min_units": min, "max_units": max})),
        )
        .await?;
    }
    Ok(rules.len())
}

/// Runs replenishment every `--inbound-interval` seconds for the load's
/// duration and receives what it orders.
pub async fn inbound(api: &Api, plan: &Plan, load: &Load, received: &Mutex<Received>) {
    let duration = Duration::from_secs(load.duration);
    let interval = Duration::from_secs(load.inbound_interval.max(1));
    // Let the storm sell first.
    tokio::time::sleep(interval.min(duration / 2)).await;
    while api.started.elapsed() < duration {
        let Some(run) = api
            .send(
                "procurement: replenishment run",
                None,
                Method::POST,
                &api.procurement("/v1/replenishment-runs"),
                As::Buyer,
                Some(&json!({})),
                &[],
            )
            .await
        else {
            tokio::time::sleep(interval).await;
            continue;
        };
        received.lock().expect("lock").runs += 1;
        let orders: Vec<Value> = run.body["purchase_orders"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for po in orders {
            if po["supplier_code"].as_str() != Some(supplier_code(plan).as_str()) {
                continue;
            }
            receive_order(api, &po, received).await;
        }
        tokio::time::sleep(interval).await;
    }
}

async fn receive_order(api: &Api, po: &Value, received: &Mutex<Received>) {
    let id = po["id"].as_str().unwrap_or_default().to_string();
    let number = po["number"].as_str().unwrap_or_default().to_string();
    let location = po["location_code"].as_str().unwrap_or_default().to_string();
    if po["status"] == "draft" {
        let url = api.procurement(&format!("/v1/purchase-orders/{id}/approve"));
        if api
            .send(
                "procurement: approve",
                None,
                Method::POST,
                &url,
                As::Approver,
                Some(&json!({})),
                &[],
            )
            .await
            .is_none_or(|r| !r.status.is_success())
        {
            return;
        }
    }
    let url = api.procurement(&format!("/v1/purchase-orders/{id}/send"));
    api.send(
        "procurement: send",
        None,
        Method::POST,
        &url,
        As::Buyer,
        Some(&json!({})),
        &[],
    )
    .await;
    // The warehouse learns of the order from procurement's event.
    let expected = wait_for(Duration::from_secs(60), || async {
        let url = api.warehouse(&format!("/v1/inbound-orders?location={location}"));
        let reply = api.quiet(Method::GET, &url, As::Floor, None).await.ok()?;
        reply
            .body
            .as_array()?
            .iter()
            .any(|o| o["number"] == number.as_str())
            .then_some(())
    })
    .await;
    if expected.is_none() {
        return;
    }
    let Some(receipt) = api
        .send(
            "warehouse: open receipt",
            None,
            Method::POST,
            &api.warehouse("/v1/receipts"),
            As::Floor,
            Some(&json!({"purchase_order": number})),
            &[],
        )
        .await
        .filter(|r| r.status.is_success())
    else {
        return;
    };
    let receipt_id = receipt.body["id"].as_str().unwrap_or_default().to_string();
    let scans_url = api.warehouse(&format!("/v1/receipts/{receipt_id}/scans"));
    let mut counted: HashMap<i64, (i64, i64, String)> = HashMap::new();
    for line in po["lines"].as_array().into_iter().flatten() {
        let (line_no, sku) = (
            line["line_no"].as_i64().unwrap_or(0),
            line["sku"].as_str().unwrap_or_default(),
        );
        let quantity = line["quantity"].as_i64().unwrap_or(0);
        let damaged = i64::from(line_no % 10 == 1 && quantity > 1);
        for (units, condition) in [(quantity - damaged, "good"), (damaged, "damaged")] {
            if units == 0 {
                continue;
            }
            let ok = api
                .send(
                    "warehouse: receipt scan",
                    None,
                    Method::POST,
                    &scans_url,
                    As::Floor,
                    Some(&json!({"item": sku, "quantity": units, "condition": condition})),
                    &[],
                )
                .await
                .is_some_and(|r| r.status.is_success());
            if ok {
                let c = counted.entry(line_no).or_insert((0, 0, sku.to_string()));
                if condition == "good" {
                    c.0 += units
                } else {
                    c.1 += units
                }
            }
        }
    }
    let done = api
        .send(
            "warehouse: complete receipt",
            None,
            Method::POST,
            &api.warehouse(&format!("/v1/receipts/{receipt_id}/complete")),
            As::Floor,
            Some(&json!({})),
            &[],
        )
        .await
        .is_some_and(|r| r.status.is_success());
    if done {
        let mut r = received.lock().expect("lock");
        r.receipts += 1;
        let lines = r.orders.entry(id).or_default();
        let mut by_sku = Vec::new();
        for (line_no, (good, damaged, sku)) in counted {
            let l = lines.entry(line_no).or_default();
            l.0 += good;
            l.1 += damaged;
            by_sku.push((sku, good, damaged));
        }
        for (sku, good, damaged) in by_sku {
            *r.good.entry(sku.clone()).or_default() += good;
            *r.damaged.entry(sku).or_default() += damaged;
        }
    }
}

/// What procurement says each order received, per line: (good, damaged).
pub async fn procurement_counts(api: &Api, received: &Received) -> anyhow::Result<OrderCounts> {
    let mut out = HashMap::new();
    for id in received.orders.keys() {
        let po = api
            .must(
                Method::GET,
                &api.procurement(&format!("/v1/purchase-orders/{id}")),
                As::Buyer,
                None,
            )
            .await?;
        let lines = po["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| {
                (
                    l["line_no"].as_i64().unwrap_or(0),
                    (
                        l["received_good"].as_i64().unwrap_or(0),
                        l["received_damaged"].as_i64().unwrap_or(0),
                    ),
                )
            })
            .filter(|(_, (g, d))| g + d > 0)
            .collect();
        out.insert(id.clone(), lines);
    }
    Ok(out)
}
