//! The open-model scenarios: the order storm (with churn: cancels, invalid
//! and resent orders) and marketplace availability sync.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, As, Outcome, Sample};
use crate::cli::Load;
use crate::workload::{Plan, invalid_order_body, order_body};

/// An order the orders service accepted (201).
#[derive(Clone, Debug)]
pub struct Accepted {
    pub id: String,
    pub channel: &'static str,
}

impl RunState {
    /// Accepted orders per channel.
    pub fn accepted_by_channel(&self) -> std::collections::BTreeMap<&'static str, usize> {
        let mut out = std::collections::BTreeMap::new();
        for a in self.accepted.lock().expect("lock").iter() {
            *out.entry(a.channel).or_default() += 1;
        }
        out
    }
}

/// What the scenarios did, for the invariants: the harness's own ledger of
/// inputs, compared afterwards with what the services say.
#[derive(Default)]
pub struct RunState {
    pub accepted: Mutex<Vec<Accepted>>,
    /// Recent accepted bodies (for resends) with the id they got.
    resendable: Mutex<Vec<(Value, String, &'static str)>>,
    /// A resend answered with another order id than the original's.
    pub resend_mismatches: AtomicU64,
    /// Orders the harness cancelled successfully.
    pub cancelled: Mutex<Vec<String>>,
    /// Units reported short, per SKU (written off by inventory).
    pub short_units: Mutex<HashMap<String, i64>>,
    /// Units the floor shipped, per SKU.
    pub shipped_units: Mutex<HashMap<String, i64>>,
    pub shipped_fulfillments: AtomicU64,
    pub feed_changes_seen: AtomicU64,
    /// Set once intake is done and settled: pickers leave when no wave is left.
    pub drain: AtomicBool,
    /// Set to stop the feed pollers.
    pub stop: AtomicBool,
}

/// The offered rate at `t`: linear ramp from zero, then flat.
fn rate_at(rate: f64, ramp: Duration, t: Duration) -> f64 {
    if ramp.is_zero() || t >= ramp {
        return rate;
    }
    (rate * t.as_secs_f64() / ramp.as_secs_f64()).max(rate.min(1.0))
}

/// Fires `fire(seq, due)` at Poisson arrivals of the offered rate for
/// `duration`, each on its own task, never waiting for earlier requests
/// (open model). When `max_in_flight` requests are open an arrival is
/// dropped and recorded as such under `endpoint`. Returns after every
/// request ended.
#[allow(clippy::too_many_arguments)]
pub async fn open_loop<F, Fut>(
    api: &Api,
    endpoint: &'static str,
    rate: f64,
    ramp: Duration,
    duration: Duration,
    max_in_flight: usize,
    seed: u64,
    mut fire: F,
) where
    F: FnMut(u64, Instant, &mut StdRng) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut rng = StdRng::seed_from_u64(seed);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let begin = Instant::now();
    let mut offset = Duration::ZERO;
    let mut seq = 0u64;
    loop {
        let gap: f64 = Exp1.sample(&mut rng);
        offset += Duration::from_secs_f64(gap / rate_at(rate, ramp, offset));
        if offset >= duration {
            break;
        }
        let due = begin + offset;
        tokio::time::sleep_until(due.into()).await;
        seq += 1;
        if in_flight.load(Ordering::Relaxed) >= max_in_flight {
            api.recorder.record(Sample {
                endpoint,
                due: due.saturating_duration_since(api.started),
                latency: Duration::ZERO,
                outcome: Outcome::Dropped,
            });
            continue;
        }
        in_flight.fetch_add(1, Ordering::Relaxed);
        let request = fire(seq, due, &mut rng);
        let counter = in_flight.clone();
        tokio::spawn(async move {
            request.await;
            counter.fetch_sub(1, Ordering::Relaxed);
        });
    }
    let until = Instant::now() + Duration::from_secs(api.target.timeout_secs + 5);
    while in_flight.load(Ordering::Relaxed) > 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Scenario 1 (+ churn): orders from every channel of the mix.
pub async fn storm(
    api: &Api,
    plan: &Plan,
    load: &Load,
    state: &Arc<RunState>,
    seq_base: u64,
    seed: u64,
) {
    let churn = load.has("churn");
    let (invalid_rate, resend_rate, cancel_rate) = if churn {
        (load.invalid_rate, load.duplicate_rate, load.cancel_rate)
    } else {
        (0.0, 0.0, 0.0)
    };
    open_loop(
        api,
        "POST /v1/orders",
        load.rate,
        Duration::from_secs(load.ramp),
        Duration::from_secs(load.duration),
        load.max_in_flight,
        seed,
        |seq, due, rng| {
            let seq = seq_base + seq;
            let channel = plan.mix.pick(rng);
            let roll: f64 = rng.random();
            let (api, state) = (api.clone(), state.clone());
            let url = api.orders("/v1/orders");
            if roll < invalid_rate {
                let body = invalid_order_body(plan, channel, seq);
                return Box::pin(async move {
                    api.send(
                        "POST /v1/orders (invalid on purpose)",
                        Some(due),
                        Method::POST,
                        &url,
                        As::Channel(channel.id),
                        Some(&body),
                        &[422],
                    )
                    .await;
                }) as std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;
            }
            let resend = if roll < invalid_rate + resend_rate {
                let bodies = state.resendable.lock().expect("lock");
                (!bodies.is_empty()).then(|| bodies[rng.random_range(0..bodies.len())].clone())
            } else {
                None
            };
            if let Some((body, id, sent_by)) = resend {
                return Box::pin(async move {
                    let reply = api
                        .send(
                            "POST /v1/orders (resent)",
                            Some(due),
                            Method::POST,
                            &url,
                            As::Channel(sent_by),
                            Some(&body),
                            &[],
                        )
                        .await;
                    if let Some(r) = reply
                        && r.status.is_success()
                        && r.body["id"].as_str() != Some(id.as_str())
                    {
                        state.resend_mismatches.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            let lines = plan.order_lines(rng);
            let body = order_body(plan, channel, seq, &lines);
            let cancel_after = (rng.random::<f64>() < cancel_rate)
                .then(|| Duration::from_millis(rng.random_range(200..3000)));
            Box::pin(async move {
                let Some(reply) = api
                    .send(
                        "POST /v1/orders",
                        Some(due),
                        Method::POST,
                        &url,
                        As::Channel(channel.id),
                        Some(&body),
                        &[],
                    )
                    .await
                else {
                    return;
                };
                if reply.status.as_u16() != 201 {
                    return;
                }
                let Some(id) = reply.body["id"].as_str().map(str::to_string) else {
                    return;
                };
                state.accepted.lock().expect("lock").push(Accepted {
                    id: id.clone(),
                    channel: channel.id,
                });
                {
                    let mut bodies = state.resendable.lock().expect("lock");
                    if bodies.len() >= 256 {
                        bodies.remove(0);
                    }
                    bodies.push((body, id.clone(), channel.id));
                }
                if let Some(after) = cancel_after {
                    tokio::time::sleep(after).await;
                    let url = api.orders(&format!("/v1/orders/{id}/cancel"));
                    // 409: it shipped (or was cancelled) first; a fair race.
                    let reply = api
                        .send(
                            "POST /v1/orders/{id}/cancel",
                            None,
                            Method::POST,
                            &url,
                            As::Ops,
                            Some(&json!({"reason": "customer changed their mind (load test)"})),
                            &[409],
                        )
                        .await;
                    if reply.is_some_and(|r| r.status.is_success()) {
                        state.cancelled.lock().expect("lock").push(id);
                    }
                }
            })
        },
    )
    .await;
}

/// Scenario 2: connectors read single-SKU availability at an open-model
/// rate, and each channel polls its change feed.
pub async fn sync(api: &Api, plan: &Plan, load: &Load, state: &Arc<RunState>, seed: u64) {
    let mut pollers = Vec::new();
    for channel in plan.mix.channels() {
        let (api, state) = (api.clone(), state.clone());
        let interval = Duration::from_millis(load.feed_interval_ms);
        pollers.push(tokio::spawn(async move {
            // Start at the feed's head, as a connector that is in sync does.
            let mut cursor = catch_up(&api, channel.id).await;
            while !state.stop.load(Ordering::Relaxed) {
                loop {
                    let url = api.inventory(&format!(
                        "/v1/availability/changes?channel={}&limit=500{}",
                        channel.id,
                        cursor
                            .as_deref()
                            .map(|c| format!("&cursor={c}"))
                            .unwrap_or_default()
                    ));
                    let Some(reply) = api
                        .send(
                            "GET /v1/availability/changes",
                            None,
                            Method::GET,
                            &url,
                            As::Channel(channel.id),
                            None,
                            &[],
                        )
                        .await
                    else {
                        break;
                    };
                    let items = reply.body["items"].as_array().map_or(0, Vec::len);
                    state
                        .feed_changes_seen
                        .fetch_add(items as u64, Ordering::Relaxed);
                    match reply.body["next_cursor"].as_str() {
                        Some(c) if items > 0 => cursor = Some(c.to_string()),
                        _ => break,
                    }
                }
                tokio::time::sleep(interval).await;
            }
        }));
    }
    open_loop(
        api,
        "GET /v1/availability",
        load.sync_rate,
        Duration::from_secs(load.ramp),
        Duration::from_secs(load.duration),
        load.max_in_flight,
        seed,
        |_, due, rng| {
            let channel = plan.mix.pick(rng);
            let sku = &plan.skus[plan.sku_index(rng)];
            let url = api.inventory(&format!(
                "/v1/availability?channel={}&sku={sku}",
                channel.id
            ));
            let api = api.clone();
            async move {
                api.send(
                    "GET /v1/availability",
                    Some(due),
                    Method::GET,
                    &url,
                    As::Channel(channel.id),
                    None,
                    &[],
                )
                .await;
            }
        },
    )
    .await;
    state.stop.store(true, Ordering::Relaxed);
    for p in pollers {
        let _ = p.await;
    }
}

/// Pages a channel's feed to its end (unrecorded); the cursor to poll from.
async fn catch_up(api: &Api, channel: &str) -> Option<String> {
    let mut cursor: Option<String> = None;
    loop {
        let url = api.inventory(&format!(
            "/v1/availability/changes?channel={channel}&limit=1000{}",
            cursor
                .as_deref()
                .map(|c| format!("&cursor={c}"))
                .unwrap_or_default()
        ));
        let reply = api
            .quiet(Method::GET, &url, As::Channel(channel), None)
            .await
            .ok()?;
        let items = reply.body["items"].as_array().map_or(0, Vec::len);
        match reply.body["next_cursor"].as_str() {
            Some(c) if items > 0 => cursor = Some(c.to_string()),
            _ => return cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ramp_rises_linearly_then_holds() {
        let ramp = Duration::from_secs(10);
        assert_eq!(rate_at(100.0, ramp, Duration::from_secs(5)), 50.0);
        assert_eq!(rate_at(100.0, ramp, Duration::from_secs(10)), 100.0);
        assert_eq!(rate_at(100.0, ramp, Duration::from_secs(30)), 100.0);
        assert_eq!(
            rate_at(100.0, ramp, Duration::ZERO),
            1.0,
            "never zero: the first arrival comes"
        );
        assert_eq!(rate_at(100.0, Duration::ZERO, Duration::ZERO), 100.0);
    }
}
