//! Forecast and backtest time, and accuracy per demand class, over a
//! generated catalog: `cargo bench -p procurement --bench forecast [-- SKUS]`
//! (default 10,000 SKUs × 730 days). The generator is this file, seeded, so
//! the figures in docs/benchmarks.md can be made again.
//!
//! Classes are generated in a merchant-like mix: 40 % smooth (a weekly shape
//! around a level, some with a trend), 15 % erratic (the same with large
//! log-normal size swings), 30 % intermittent (Bernoulli days, small sizes), 15 % lumpy
//! (Bernoulli days, log-normal sizes).

use std::collections::BTreeMap;
use std::time::Instant;

use procurement::domain::forecast::{DemandClass, forecast};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const DAYS: usize = 730;

/// exp(σ·N(0, 1)) by Box–Muller: sizes with a long right tail.
fn lognormal(rng: &mut StdRng, sigma: f64) -> f64 {
    let (u1, u2): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (sigma * z).exp()
}

fn generate(rng: &mut StdRng) -> Vec<f64> {
    let kind = rng.random_range(0..100);
    let level = rng.random_range(2.0..60.0_f64);
    let weekly: [f64; 7] = std::array::from_fn(|d| if d >= 5 { 1.6 } else { 0.85 });
    let trend = if rng.random_bool(0.3) {
        rng.random_range(-0.002..0.004_f64)
    } else {
        0.0
    };
    (0..DAYS)
        .map(|d| {
            let base = level * weekly[d % 7] * (1.0 + trend * d as f64);
            let v = match kind {
                0..40 => base * rng.random_range(0.8..1.2),
                40..55 => base * lognormal(rng, 1.0),
                55..85 => {
                    if rng.random_bool(0.12) {
                        rng.random_range(1..=3) as f64
                    } else {
                        0.0
                    }
                }
                _ => {
                    if rng.random_bool(0.1) {
                        (5.0 * lognormal(rng, 1.2)).ceil()
                    } else {
                        0.0
                    }
                }
            };
            v.round().max(0.0)
        })
        .collect()
}

/// What one class came to: SKUs, backtest scores, methods chosen.
#[derive(Default)]
struct ClassFigures {
    skus: usize,
    mase: Vec<f64>,
    rmsse: Vec<f64>,
    methods: BTreeMap<&'static str, usize>,
}

fn main() {
    let skus: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let mut rng = StdRng::seed_from_u64(20_261_202);
    let series: Vec<Vec<f64>> = (0..skus).map(|_| generate(&mut rng)).collect();
    let started = Instant::now();
    let mut by_class: BTreeMap<&str, ClassFigures> = BTreeMap::new();
    for s in &series {
        let f = forecast(s, 90, 0.95);
        let class = f.classification.map_or("none", |c| c.class.as_str());
        let entry = by_class.entry(class).or_default();
        entry.skus += 1;
        entry.mase.extend(f.backtest.mase);
        entry.rmsse.extend(f.backtest.rmsse);
        *entry.methods.entry(f.method.as_str()).or_default() += 1;
    }
    let took = started.elapsed();
    println!(
        "{skus} SKUs × {DAYS} days: forecast (90 days) with backtest (4 folds × 28 days) in {:.1} s, {:.2} ms per SKU (one core)",
        took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / skus as f64
    );
    println!();
    println!("| class | SKUs | methods | mean MASE | median MASE | mean RMSSE | median RMSSE |");
    println!("|---|---:|---|---:|---:|---:|---:|");
    for class in [
        DemandClass::Smooth,
        DemandClass::Erratic,
        DemandClass::Intermittent,
        DemandClass::Lumpy,
    ]
    .map(|c| c.as_str())
    .into_iter()
    .chain(["none"])
    {
        let Some(figures) = by_class.get_mut(class) else {
            continue;
        };
        let stats = |v: &mut Vec<f64>| {
            if v.is_empty() {
                return (f64::NAN, f64::NAN);
            }
            v.sort_by(f64::total_cmp);
            (v.iter().sum::<f64>() / v.len() as f64, v[v.len() / 2])
        };
        let (mm, md) = stats(&mut figures.mase);
        let (rm, rd) = stats(&mut figures.rmsse);
        let n = figures.skus;
        let methods: Vec<String> = figures
            .methods
            .iter()
            .map(|(m, k)| format!("{m} {k}"))
            .collect();
        println!(
            "| {class} | {n} | {} | {mm:.3} | {md:.3} | {rm:.3} | {rd:.3} |",
            methods.join(", ")
        );
    }
}
