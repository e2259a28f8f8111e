//! Scenario 3: the warehouse floor. Pickers are people, so each is a closed
//! loop: release a wave at a location, walk its pick lists scanning bin and
//! item per unit, then pack, close and ship each fulfillment. With churn a
//! share of tasks is reported short by one unit. Orders cancelled while on
//! the floor answer 409, which the picker accepts and moves on from.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, As};
use crate::cli::Load;
use crate::scenarios::RunState;
use crate::workload::Plan;

/// The floor statuses a cancel racing the picker can cause.
const RACED: &[u16] = &[409];

pub async fn floor(api: &Api, plan: &Plan, load: &Load, state: &Arc<RunState>, seed: u64) {
    let short_rate = if load.has("churn") {
        load.short_rate
    } else {
        0.0
    };
    let mut pickers = Vec::new();
    for p in 0..load.pickers {
        let (api, plan, state) = (api.clone(), plan.clone(), state.clone());
        let wave_size = load.wave_size;
        pickers.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed + p as u64);
            let mut idle_rounds = 0usize;
            let mut turn = p;
            loop {
                let location = &plan.locations[turn % plan.locations.len()];
                turn += 1;
                let released = wave(&api, location, wave_size, short_rate, &state, &mut rng).await;
                if released {
                    idle_rounds = 0;
                    continue;
                }
                idle_rounds += 1;
                // Nothing at any location: leave once intake is done and settled.
                if state.drain.load(Ordering::Relaxed) && idle_rounds >= plan.locations.len() {
                    return;
                }
                if idle_rounds >= plan.locations.len() {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }));
    }
    for p in pickers {
        let _ = p.await;
    }
}

/// A picked unit set per fulfillment: item barcode → (SKU, units).
type Picked = HashMap<String, HashMap<String, (String, i64)>>;

/// Releases and works one wave; false when nothing was left to release.
async fn wave(
    api: &Api,
    location: &str,
    wave_size: usize,
    short_rate: f64,
    state: &RunState,
    rng: &mut StdRng,
) -> bool {
    let Some(reply) = api
        .send(
            "POST /v1/waves",
            None,
            Method::POST,
            &api.warehouse("/v1/waves"),
            As::Ops,
            Some(&json!({"location_code": location, "max_fulfillments": wave_size})),
            &[409],
        )
        .await
    else {
        return false;
    };
    if !reply.status.is_success() {
        return false;
    }
    let mut picked: Picked = HashMap::new();
    let mut raced: Vec<String> = Vec::new();
    for list in reply.body["pick_lists"].as_array().into_iter().flatten() {
        for task in list["tasks"].as_array().into_iter().flatten() {
            let fulfillment = task["fulfillment_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if raced.contains(&fulfillment) {
                continue;
            }
            match pick_task(api, task, rng.random::<f64>() < short_rate, state).await {
                TaskResult::Picked(sku, item, units) => {
                    if units > 0 {
                        let entry = picked
                            .entry(fulfillment)
                            .or_default()
                            .entry(item)
                            .or_insert((sku, 0));
                        entry.1 += units;
                    } else {
                        picked.entry(fulfillment).or_default();
                    }
                }
                TaskResult::Raced => raced.push(fulfillment),
            }
        }
    }
    for (fulfillment, items) in picked {
        if raced.contains(&fulfillment) || items.is_empty() {
            continue;
        }
        pack_and_ship(api, &fulfillment, &items, state).await;
    }
    true
}

enum TaskResult {
    /// (SKU, item barcode, units picked)
    Picked(String, String, i64),
    /// The order was cancelled under the picker.
    Raced,
}

async fn pick_task(api: &Api, task: &Value, short: bool, state: &RunState) -> TaskResult {
    let sku = task["sku"].as_str().unwrap_or_default().to_string();
    let item = task["gtin"].as_str().unwrap_or(&sku).to_string();
    let bin = task["bin_code"].as_str().unwrap_or_default().to_string();
    let id = task["id"].as_str().unwrap_or_default();
    let quantity = task["quantity"].as_i64().unwrap_or(1);
    let scans = if short { quantity - 1 } else { quantity };
    let url = api.warehouse(&format!("/v1/pick-tasks/{id}/scans"));
    // One scan per unit, as a picker with a handheld does.
    for _ in 0..scans {
        let reply = api
            .send(
                "POST /v1/pick-tasks/{id}/scans",
                None,
                Method::POST,
                &url,
                As::Floor,
                Some(&json!({"bin": bin, "item": item})),
                RACED,
            )
            .await;
        match reply {
            Some(r) if r.status.is_success() => {}
            _ => return TaskResult::Raced,
        }
    }
    if short {
        let url = api.warehouse(&format!("/v1/pick-tasks/{id}/short"));
        let reply = api
            .send(
                "POST /v1/pick-tasks/{id}/short",
                None,
                Method::POST,
                &url,
                As::Floor,
                Some(&json!({"bin": bin, "note": "load test: one unit missing"})),
                RACED,
            )
            .await;
        match reply {
            Some(r) if r.status.is_success() => {
                *state
                    .short_units
                    .lock()
                    .expect("lock")
                    .entry(sku.clone())
                    .or_default() += quantity - scans;
            }
            _ => return TaskResult::Raced,
        }
    }
    TaskResult::Picked(sku, item, scans)
}

async fn pack_and_ship(
    api: &Api,
    fulfillment: &str,
    items: &HashMap<String, (String, i64)>,
    state: &RunState,
) {
    let url = api.warehouse(&format!("/v1/fulfillments/{fulfillment}/packages"));
    let Some(package) = api
        .send(
            "POST /v1/fulfillments/{id}/packages",
            None,
            Method::POST,
            &url,
            As::Floor,
            Some(&json!({})),
            RACED,
        )
        .await
        .filter(|r| r.status.is_success())
    else {
        return;
    };
    let id = package.body["id"].as_str().unwrap_or_default().to_string();
    for (item, (_, units)) in items {
        let ok = api
            .send(
                "POST /v1/packages/{id}/items",
                None,
                Method::POST,
                &api.warehouse(&format!("/v1/packages/{id}/items")),
                As::Floor,
                Some(&json!({"item": item, "quantity": units})),
                RACED,
            )
            .await
            .is_some_and(|r| r.status.is_success());
        if !ok {
            return;
        }
    }
    let closed = api
        .send(
            "POST /v1/packages/{id}/close",
            None,
            Method::POST,
            &api.warehouse(&format!("/v1/packages/{id}/close")),
            As::Floor,
            Some(
                &json!({"weight_grams": 800, "length_mm": 300, "width_mm": 200, "height_mm": 100}),
            ),
            RACED,
        )
        .await
        .is_some_and(|r| r.status.is_success());
    if !closed {
        return;
    }
    // The package id is unique, so is the label.
    let tracking = format!("LT{}", id.replace('-', "").to_uppercase());
    let shipped = api
        .send(
            "POST /v1/packages/{id}/ship",
            None,
            Method::POST,
            &api.warehouse(&format!("/v1/packages/{id}/ship")),
            As::Floor,
            Some(&json!({"tracking_number": tracking})),
            RACED,
        )
        .await
        .is_some_and(|r| r.status.is_success());
    if shipped {
        state.shipped_fulfillments.fetch_add(1, Ordering::Relaxed);
        let mut units = state.shipped_units.lock().expect("lock");
        for (sku, n) in items.values() {
            *units.entry(sku.clone()).or_default() += n;
        }
    }
}
