//! `crossdock-load`: Crossdock's peak-season load harness.
//!
//! `run` seeds a fresh set of SKUs and locations, offers open-model load
//! (order storm across channels, availability sync, the warehouse floor,
//! cancellation and exception churn), waits for the event pipeline to settle,
//! reads end-to-end latencies from the services' own timestamps, checks the
//! invariants and writes Markdown, JSON and SVG reports. `capacity` steps the
//! offered order rate up until p99 placed → confirmed passes a limit or
//! requests fail. See load-tests/README.md.

mod api;
mod billing;
mod cli;
mod collect;
mod floor;
mod inbound;
mod invariants;
mod plot;
mod report;
mod returns;
mod scenarios;
mod seed;
mod watch;
mod workload;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use clap::Parser;

use api::{Api, Sample};
use cli::{Cli, Command, Load, Search, Target};
use collect::OrderFact;
use report::{Dist, Report, Step};
use scenarios::RunState;
use workload::Plan;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let passed = match cli.command {
        Command::Run { target, load } => run(target, load).await?,
        Command::Capacity {
            target,
            load,
            search,
        } => capacity(target, load, search).await?,
    };
    std::process::exit(if passed { 0 } else { 1 });
}

fn run_tag(load: &Load) -> String {
    load.tag
        .clone()
        .unwrap_or_else(|| Utc::now().format("R%m%d%H%M%S").to_string())
        .to_uppercase()
}

fn targets(t: &Target) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("catalog", t.catalog_url.clone()),
        ("orders", t.orders_url.clone()),
        ("inventory", t.inventory_url.clone()),
        ("warehouse", t.warehouse_url.clone()),
        ("procurement", t.procurement_url.clone()),
        ("billing", t.billing_url.clone()),
        ("support", t.support_url.clone()),
    ])
}

/// Seeds the run and waits until every seeding event has been applied.
async fn prepare(api: &Api, plan: &Plan, load: &Load) -> anyhow::Result<seed::Seeded> {
    let since = Utc::now();
    eprintln!(
        "[{}] seeding {} SKUs × {} locations, 5 channels",
        plan.tag,
        plan.skus.len(),
        plan.locations.len()
    );
    let seeded = seed::seed(api, plan, load).await?;
    let (ledger, took, settled) = collect::settle(api, since, Duration::from_secs(120)).await?;
    anyhow::ensure!(
        settled,
        "seeding events were not all applied within 120 s: {:?}",
        ledger.pairs
    );
    eprintln!(
        "[{}] seeded; events settled in {:.1} s",
        plan.tag,
        took.as_secs_f64()
    );
    Ok(seeded)
}

async fn run(target: Target, load: Load) -> anyhow::Result<bool> {
    load.validate()?;
    let tag = run_tag(&load);
    let plan = Plan::new(&load, &tag)?;
    let mut api = Api::new(target.clone(), Instant::now())?;
    let seeded = prepare(&api, &plan, &load).await?;
    if load.has("inbound") {
        let rules = inbound::prepare(&api, &plan, &load).await?;
        eprintln!("[{tag}] inbound: {rules} SKUs under reorder rules");
    }
    // The run's entity may also invoice shipments of earlier runs that
    // waited for billing settings: its series counts from before the load.
    let entity = if api.bills() {
        let since = Utc::now();
        let entity = billing::prepare(&api, &plan).await?;
        eprintln!("[{tag}] billing: invoices by {entity}");
        Some((entity, since))
    } else {
        None
    };
    let returning = load.has("returns") && load.has("floor") && api.returns();
    if returning {
        returns::prepare(&api, &plan).await?;
        eprintln!("[{tag}] returns: the run's return policy is set on its channels");
    }

    let state = Arc::new(RunState::default());
    let started_at = Utc::now();
    api.started = Instant::now();
    let watcher = watch::Watcher::start(&target.watch)?;
    eprintln!(
        "[{tag}] load: {} for {} s at {:.0} orders/s",
        load.scenarios.join(", "),
        load.duration,
        load.rate
    );

    let floor_task = load.has("floor").then(|| {
        let (api, plan, load, state) = (api.clone(), plan.clone(), load.clone(), state.clone());
        tokio::spawn(async move { floor::floor(&api, &plan, &load, &state, load.seed + 300).await })
    });
    let storm = async {
        if load.has("storm") || load.has("churn") {
            scenarios::storm(&api, &plan, &load, &state, 0, load.seed).await;
        }
    };
    let sync = async {
        if load.has("sync") {
            scenarios::sync(&api, &plan, &load, &state, load.seed + 100).await;
        }
    };
    let received = Arc::new(std::sync::Mutex::new(inbound::Received::default()));
    let inbound_run = async {
        if load.has("inbound") {
            inbound::inbound(&api, &plan, &load, &received).await;
        }
    };
    tokio::join!(storm, sync, inbound_run);
    let load_seconds = api.started.elapsed().as_secs_f64();
    let load_ended = Instant::now();
    let settle_limit = Duration::from_secs(load.settle);
    // Intake first (the floor's events keep flowing while pickers work).
    let (_, intake_settled, _) = collect::settle_intake(&api, started_at, settle_limit).await?;
    state.drain.store(true, Ordering::Relaxed);
    if let Some(task) = floor_task {
        eprintln!(
            "[{tag}] intake settled after {:.1} s; pickers finish the open waves",
            intake_settled.as_secs_f64()
        );
        task.await.context("floor")?;
    }
    let (ledger, _, settled) = collect::settle(&api, started_at, settle_limit).await?;
    let drained = load_ended.elapsed();
    let resources = watcher.finish();
    let samples = api.recorder.take();

    eprintln!("[{tag}] collecting what the services say");
    let accepted: Vec<String> = state
        .accepted
        .lock()
        .expect("lock")
        .iter()
        .map(|a| a.id.clone())
        .collect();
    let (orders, missing) = collect::orders(&api, &accepted).await;
    // Customers send back part of what shipped; the saga runs before stock
    // and billing are read, so both include it.
    let returned = if returning {
        let r = returns::run(&api, &orders, load.returns, settle_limit).await;
        eprintln!(
            "[{tag}] returns: {} driven in {:.1} s ({:?}), {} failed",
            r.returns.len(),
            r.seconds,
            returns::by_status(&r),
            r.failures.len()
        );
        Some(r)
    } else {
        None
    };
    // Restocked units may fill backorders (inventory reserves, orders
    // confirm): the pipeline settles again and orders are read again, so
    // every count compares the same moment.
    let (ledger, settled, orders, missing) = if returned.is_some() {
        let (ledger, _, settled) = collect::settle(&api, started_at, settle_limit).await?;
        let (orders, missing) = collect::orders(&api, &accepted).await;
        (ledger, settled, orders, missing)
    } else {
        (ledger, settled, orders, missing)
    };
    let stock = collect::stock(&api, &plan).await?;
    let fulfillments = collect::fulfillments(&api, &plan).await?;
    let billed = match &entity {
        Some((entity, since)) => {
            Some(billing::collect(&api, entity, *since, &fulfillments.shipped, settle_limit).await?)
        }
        None => None,
    };
    let short_units = state.short_units.lock().expect("lock").clone();
    let shipped_units = state.shipped_units.lock().expect("lock").clone();
    let cancelled = state.cancelled.lock().expect("lock").clone();
    let received = std::mem::take(&mut *received.lock().expect("lock"));
    let procurement_counts = if load.has("inbound") {
        Some(inbound::procurement_counts(&api, &received).await?)
    } else {
        None
    };
    eprintln!(
        "[{tag}] inbound: {} runs, {} receipts, {} good and {} damaged units",
        received.runs,
        received.receipts,
        received.good.values().sum::<i64>(),
        received.damaged.values().sum::<i64>()
    );
    let checks = invariants::run_all(&invariants::Evidence {
        inbound: procurement_counts.as_ref().map(|c| (&received, c)),
        seeded: &seeded,
        accepted: accepted.len(),
        orders: &orders,
        missing_orders: &missing,
        cancelled_by_harness: &cancelled,
        resend_mismatches: state.resend_mismatches.load(Ordering::Relaxed),
        stock: &stock,
        fulfillments: &fulfillments.by_order,
        ledger: &ledger,
        settled,
        short_units: &short_units,
        shipped_units: &shipped_units,
        shipped_fulfillments: state.shipped_fulfillments.load(Ordering::Relaxed),
        floor_ran: load.has("floor"),
        billing: billed.as_ref().map(|b| (b, &fulfillments.shipped)),
        returns: returned.as_ref(),
    });
    let mut timeline = report::timeline(&samples, &orders, started_at);
    report::count_per_second(
        &mut timeline,
        started_at,
        fulfillments.shipped.values().filter_map(|f| f.shipped_at),
        |s| &mut s.shipped,
    );
    let billing_figures = billed.as_ref().map(|b| {
        report::count_per_second(
            &mut timeline,
            started_at,
            b.invoices.iter().map(|i| i.issued_at),
            |s| &mut s.invoiced,
        );
        report::billing_figures(b, &fulfillments.shipped, &timeline, load_seconds)
    });

    let endpoints = report::endpoints(&samples, load_seconds);
    let unexpected_errors = endpoints.iter().map(|e| e.errors).sum();
    let passed = unexpected_errors == 0 && checks.iter().all(|c| c.passed);
    let offered = samples.iter().filter(|s| is_intake(s)).count();
    let report = Report {
        kind: "run",
        tag: tag.clone(),
        started_at,
        finished_at: Utc::now(),
        targets: targets(&target),
        load_seconds,
        offered_orders_per_s: offered as f64 / load_seconds,
        accepted_orders: accepted.len(),
        accepted_orders_per_s: accepted.len() as f64 / load_seconds,
        accepted_by_channel: state.accepted_by_channel(),
        endpoints,
        unexpected_errors,
        placed_to_confirmed_ms: report::placed_to_confirmed(&orders),
        confirmed_to_shipped_ms: report::confirmed_to_shipped(&orders),
        billing: billing_figures,
        returns: returned.as_ref().map(report::returns_figures),
        orders_by_status: by_status(&orders),
        shipped_fulfillments: state.shipped_fulfillments.load(Ordering::Relaxed),
        short_units: short_units.values().sum(),
        feed_changes_seen: state.feed_changes_seen.load(Ordering::Relaxed),
        intake_settle_seconds: intake_settled.as_secs_f64(),
        settle_seconds: drained.as_secs_f64(),
        ledger,
        resources,
        invariants: checks,
        steps: vec![],
        highest_sustainable_per_s: None,
        p99_limit_ms: None,
        timeline,
        passed,
        load,
    };
    finish(&report)
}

fn is_intake(s: &Sample) -> bool {
    s.endpoint.starts_with("POST /v1/orders") && !s.endpoint.contains("{id}")
}

fn by_status(orders: &[OrderFact]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for o in orders {
        *out.entry(o.status.clone()).or_default() += 1;
    }
    out
}

fn finish(report: &Report) -> anyhow::Result<bool> {
    let path = report.write(&report.load.out)?;
    for c in &report.invariants {
        println!(
            "{} {}: {}",
            if c.passed { "PASS" } else { "FAIL" },
            c.name,
            c.detail
        );
    }
    println!(
        "{}: {} accepted orders ({:.1}/s), placed → confirmed p50 {:.1} / p99 {:.1} ms, {} unexpected errors; report {}",
        if report.passed { "PASS" } else { "FAIL" },
        report.accepted_orders,
        report.accepted_orders_per_s,
        report.placed_to_confirmed_ms.p50,
        report.placed_to_confirmed_ms.p99,
        report.unexpected_errors,
        path.display()
    );
    Ok(report.passed)
}

/// Storm steps at rising rates on one seeded catalog; each step drains
/// before the next, and is sustainable when its p99 placed → confirmed is
/// within the limit, no request failed and intake kept up with the offer.
async fn capacity(target: Target, mut load: Load, search: Search) -> anyhow::Result<bool> {
    load.validate()?;
    // Steps measure throughput: the order storm (with availability reads if
    // asked), stock deep enough that nothing sells out.
    load.scenarios.retain(|s| s == "storm" || s == "sync");
    if !load.has("storm") {
        load.scenarios.push("storm".into());
    }
    load.scarce_stock = 0;
    let tag = run_tag(&load);
    let plan = Plan::new(&load, &tag)?;
    let mut api = Api::new(target.clone(), Instant::now())?;
    let seeded = prepare(&api, &plan, &load).await?;
    let state = Arc::new(RunState::default());
    let started_at = Utc::now();
    api.started = Instant::now();
    let watcher = watch::Watcher::start(&target.watch)?;

    let mut steps = Vec::new();
    let mut all_orders = Vec::new();
    let mut all_samples = Vec::new();
    if search.warmup > 0 {
        let mut warm = load.clone();
        warm.rate = search.start_rate;
        warm.duration = search.warmup;
        eprintln!(
            "[{tag}] warm-up: {:.0} orders/s for {} s (not measured)",
            warm.rate, warm.duration
        );
        scenarios::storm(&api, &plan, &warm, &state, 900_000_000_000, load.seed + 900).await;
        collect::settle(&api, started_at, Duration::from_secs(load.settle)).await?;
        api.recorder.take();
        // Its orders hold stock: the invariants count them.
        let ids: Vec<String> = state
            .accepted
            .lock()
            .expect("lock")
            .iter()
            .map(|a| a.id.clone())
            .collect();
        all_orders.extend(collect::orders(&api, &ids).await.0);
    }
    let mut rate = search.start_rate;
    let mut index = 0u64;
    let mut load_seconds = 0.0;
    while rate <= search.max_rate + f64::EPSILON {
        let mut step_load = load.clone();
        step_load.rate = rate;
        step_load.ramp = load.ramp.min(5);
        let step_since = Utc::now();
        watcher.lap();
        let before = state.accepted.lock().expect("lock").len();
        eprintln!(
            "[{tag}] step {}: {rate:.0} orders/s for {} s",
            index + 1,
            load.duration
        );
        let t0 = Instant::now();
        let storm = scenarios::storm(
            &api,
            &plan,
            &step_load,
            &state,
            index * 1_000_000_000,
            load.seed + index,
        );
        let sync = async {
            if step_load.has("sync") {
                state.stop.store(false, Ordering::Relaxed);
                scenarios::sync(&api, &plan, &step_load, &state, load.seed + 100 + index).await;
            }
        };
        tokio::join!(storm, sync);
        let seconds = t0.elapsed().as_secs_f64();
        let resources = watcher.lap();
        load_seconds += seconds;
        let (_, drained, settled) =
            collect::settle(&api, step_since, Duration::from_secs(load.settle)).await?;
        let samples = api.recorder.take();
        let ids: Vec<String> = state.accepted.lock().expect("lock")[before..]
            .iter()
            .map(|a| a.id.clone())
            .collect();
        let (orders, _) = collect::orders(&api, &ids).await;
        let intake: Vec<&Sample> = samples.iter().filter(|s| is_intake(s)).collect();
        let errors = samples.iter().filter(|s| s.outcome.is_error()).count();
        let p2c = report::placed_to_confirmed(&orders);
        let step = Step {
            offered_per_s: rate,
            accepted_per_s: ids.len() as f64 / seconds,
            intake_ms: Dist::of(
                intake
                    .iter()
                    .map(|s| s.latency.as_secs_f64() * 1000.0)
                    .collect(),
            ),
            placed_to_confirmed_ms: p2c,
            errors,
            drained_in_s: drained.as_secs_f64(),
            sustainable: settled && errors == 0 && p2c.n > 0 && p2c.p99 <= search.p99_limit_ms,
            resources,
        };
        eprintln!(
            "[{tag}]   accepted {:.1}/s, intake p99 {:.1} ms, placed → confirmed p50 {:.1} / p99 {:.1} ms, {} errors: {}",
            step.accepted_per_s,
            step.intake_ms.p99,
            p2c.p50,
            p2c.p99,
            errors,
            if step.sustainable {
                "sustainable"
            } else {
                "NOT sustainable"
            }
        );
        let stop = !step.sustainable;
        steps.push(step);
        all_orders.extend(orders);
        all_samples.extend(samples);
        if stop {
            break;
        }
        rate += search.step_rate;
        index += 1;
    }
    let resources = watcher.finish();
    let (ledger, _, settled) =
        collect::settle(&api, started_at, Duration::from_secs(load.settle)).await?;
    let accepted: Vec<String> = state
        .accepted
        .lock()
        .expect("lock")
        .iter()
        .map(|a| a.id.clone())
        .collect();
    let found: std::collections::HashSet<&str> = all_orders.iter().map(|o| o.id.as_str()).collect();
    let missing: Vec<String> = accepted
        .iter()
        .filter(|id| !found.contains(id.as_str()))
        .cloned()
        .collect();
    let stock = collect::stock(&api, &plan).await?;
    let fulfillments = collect::fulfillments(&api, &plan).await?;
    let empty = Default::default();
    let checks = invariants::run_all(&invariants::Evidence {
        seeded: &seeded,
        accepted: accepted.len(),
        orders: &all_orders,
        missing_orders: &missing,
        cancelled_by_harness: &[],
        resend_mismatches: 0,
        stock: &stock,
        fulfillments: &fulfillments.by_order,
        ledger: &ledger,
        settled,
        short_units: &empty,
        shipped_units: &empty,
        shipped_fulfillments: 0,
        floor_ran: false,
        inbound: None,
        billing: None,
        returns: None,
    });
    let highest = steps
        .iter()
        .filter(|s| s.sustainable)
        .map(|s| s.offered_per_s)
        .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
    let endpoints = report::endpoints(&all_samples, load_seconds);
    let unexpected_errors = endpoints.iter().map(|e| e.errors).sum();
    // The search itself passes when the invariants hold; the failing last
    // step is the finding, not a failure.
    let passed = checks.iter().all(|c| c.passed);
    let offered = all_samples.iter().filter(|s| is_intake(s)).count();
    let report = Report {
        kind: "capacity",
        tag,
        started_at,
        finished_at: Utc::now(),
        targets: targets(&target),
        load_seconds,
        offered_orders_per_s: offered as f64 / load_seconds,
        accepted_orders: accepted.len(),
        accepted_orders_per_s: accepted.len() as f64 / load_seconds,
        accepted_by_channel: state.accepted_by_channel(),
        endpoints,
        unexpected_errors,
        placed_to_confirmed_ms: report::placed_to_confirmed(&all_orders),
        confirmed_to_shipped_ms: Dist::default(),
        billing: None,
        returns: None,
        orders_by_status: by_status(&all_orders),
        shipped_fulfillments: 0,
        short_units: 0,
        feed_changes_seen: state.feed_changes_seen.load(Ordering::Relaxed),
        intake_settle_seconds: steps.iter().map(|s| s.drained_in_s).sum(),
        settle_seconds: steps.iter().map(|s| s.drained_in_s).sum(),
        ledger,
        resources,
        invariants: checks,
        highest_sustainable_per_s: highest,
        p99_limit_ms: Some(search.p99_limit_ms),
        steps,
        timeline: vec![],
        passed,
        load,
    };
    finish(&report)
}
