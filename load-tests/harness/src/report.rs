//! Figures from the samples and the services' timestamps, and the reports:
//! Markdown for people, JSON for machines, SVG for the eye.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::api::Sample;
use crate::cli::Load;
use crate::collect::{Ledger, OrderFact};
use crate::invariants::Check;
use crate::plot::{Panel, Series, chart};
use crate::watch::ProcessFigures;

/// Percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Serialize, Default, PartialEq)]
pub struct Dist {
    pub n: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Dist {
    /// Percentiles of `ms` through an HDR histogram (microsecond resolution,
    /// three significant digits, up to an hour): a value at a percentile is
    /// within 0.1 % of the sample there, and memory stays fixed however long
    /// the run.
    pub fn of(ms: Vec<f64>) -> Dist {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
        for v in &ms {
            h.saturating_record((v * 1000.0).round().max(1.0) as u64);
        }
        if h.is_empty() {
            return Dist::default();
        }
        let at = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Dist {
            n: ms.len(),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: h.max() as f64 / 1000.0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointFigures {
    pub endpoint: String,
    pub requests: usize,
    pub per_second: f64,
    pub latency_ms: Dist,
    /// Outcome kind → count (expected statuses included, marked as such).
    pub outcomes: BTreeMap<String, usize>,
    pub errors: usize,
}

pub fn endpoints(samples: &[Sample], seconds: f64) -> Vec<EndpointFigures> {
    let mut by: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        by.entry(s.endpoint).or_default().push(s);
    }
    by.into_iter()
        .map(|(endpoint, v)| {
            let mut outcomes = BTreeMap::new();
            for s in &v {
                *outcomes.entry(s.outcome.kind()).or_default() += 1;
            }
            EndpointFigures {
                endpoint: endpoint.to_string(),
                requests: v.len(),
                per_second: v.len() as f64 / seconds.max(0.001),
                latency_ms: Dist::of(
                    v.iter()
                        .filter(|s| !matches!(s.outcome, crate::api::Outcome::Dropped))
                        .map(|s| s.latency.as_secs_f64() * 1000.0)
                        .collect(),
                ),
                errors: v.iter().filter(|s| s.outcome.is_error()).count(),
                outcomes,
            }
        })
        .collect()
}

/// End to end, from the services' own timestamps.
pub fn placed_to_confirmed(orders: &[OrderFact]) -> Dist {
    Dist::of(
        orders
            .iter()
            .filter_map(|o| {
                Some((o.confirmed_at? - o.received_at?).num_microseconds()? as f64 / 1000.0)
            })
            .collect(),
    )
}

pub fn confirmed_to_shipped(orders: &[OrderFact]) -> Dist {
    Dist::of(
        orders
            .iter()
            .flat_map(|o| {
                let confirmed = o.confirmed_at;
                o.shipped_at.iter().filter_map(move |s| {
                    Some((*s - confirmed?).num_microseconds()? as f64 / 1000.0)
                })
            })
            .collect(),
    )
}

/// One second of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Second {
    pub t: u64,
    pub offered: usize,
    pub accepted: usize,
    pub intake_p50_ms: f64,
    pub intake_p99_ms: f64,
    /// Orders received in this second, by when they were confirmed.
    pub placed_to_confirmed_p99_ms: f64,
    pub confirmed: usize,
    /// Fulfillments shipped in this second (the warehouse's shipped_at).
    pub shipped: usize,
    /// Invoices billing issued in this second (issued_at).
    pub invoiced: usize,
}

pub fn timeline(
    samples: &[Sample],
    orders: &[OrderFact],
    started_at: DateTime<Utc>,
) -> Vec<Second> {
    let mut intake: BTreeMap<u64, Vec<&Sample>> = BTreeMap::new();
    for s in samples
        .iter()
        .filter(|s| s.endpoint.starts_with("POST /v1/orders") && !s.endpoint.contains("{id}"))
    {
        intake.entry(s.due.as_secs()).or_default().push(s);
    }
    let mut confirm: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for o in orders {
        if let (Some(r), Some(c)) = (o.received_at, o.confirmed_at)
            && let Ok(t) = u64::try_from((r - started_at).num_seconds())
        {
            confirm
                .entry(t)
                .or_default()
                .push((c - r).num_microseconds().unwrap_or(0) as f64 / 1000.0);
        }
    }
    let last = intake
        .keys()
        .chain(confirm.keys())
        .copied()
        .max()
        .unwrap_or(0);
    (0..=last)
        .map(|t| {
            let s = intake.get(&t).map(Vec::as_slice).unwrap_or(&[]);
            let d = Dist::of(s.iter().map(|x| x.latency.as_secs_f64() * 1000.0).collect());
            let c = Dist::of(confirm.get(&t).cloned().unwrap_or_default());
            Second {
                t,
                offered: s.len(),
                accepted: s.iter().filter(|x| !x.outcome.is_error()).count(),
                intake_p50_ms: d.p50,
                intake_p99_ms: d.p99,
                placed_to_confirmed_p99_ms: c.p99,
                confirmed: c.n,
                ..Second::default()
            }
        })
        .collect()
}

/// Adds one count per timestamp to its second of the timeline (growing it
/// when the events run past the load).
pub fn count_per_second(
    timeline: &mut Vec<Second>,
    started_at: DateTime<Utc>,
    times: impl Iterator<Item = DateTime<Utc>>,
    field: fn(&mut Second) -> &mut usize,
) {
    for at in times {
        let Ok(t) = u64::try_from((at - started_at).num_seconds()) else {
            continue;
        };
        while timeline.len() as u64 <= t {
            let t = timeline.len() as u64;
            timeline.push(Second {
                t,
                ..Second::default()
            });
        }
        *field(&mut timeline[t as usize]) += 1;
    }
}

/// Billing's pace against the floor's: what was shipped and invoiced per
/// second over the load window, and how long a shipment waited for its
/// invoice (billing keeps pace when that stays flat through the run).
#[derive(Debug, Clone, Default, Serialize)]
pub struct BillingFigures {
    pub legal_entity: String,
    pub invoices: usize,
    pub shipped_per_s: f64,
    pub invoiced_per_s: f64,
    /// The busiest second's invoices.
    pub peak_invoiced_per_s: usize,
    pub shipped_to_invoiced_ms: Dist,
}

/// The returns scenario: returns driven through the whole saga (support's
/// RMA, the warehouse's scan-in and grading, inventory's restock, billing's
/// refund, support's end), per second from the first request to the last
/// refund, and each return's request → refunded time.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReturnsFigures {
    pub returns: usize,
    pub refunded: usize,
    pub queued: usize,
    pub failures: usize,
    pub seconds: f64,
    pub returns_per_s: f64,
    pub request_to_refunded_ms: Dist,
}

pub fn returns_figures(r: &crate::returns::Returned) -> ReturnsFigures {
    let refunded = r
        .returns
        .iter()
        .filter(|f| f.refund_status == "refunded")
        .count();
    ReturnsFigures {
        returns: r.returns.len(),
        refunded,
        queued: r.returns.len() - refunded,
        failures: r.failures.len(),
        seconds: r.seconds,
        returns_per_s: if r.seconds > 0.0 {
            r.returns.len() as f64 / r.seconds
        } else {
            0.0
        },
        request_to_refunded_ms: Dist::of(r.returns.iter().filter_map(|f| f.took_ms).collect()),
    }
}

pub fn billing_figures(
    facts: &crate::billing::BillingFacts,
    shipped: &HashMap<String, crate::collect::ShippedFact>,
    timeline: &[Second],
    load_seconds: f64,
) -> BillingFigures {
    let window = load_seconds.ceil() as usize;
    let in_window = |f: fn(&Second) -> usize| -> f64 {
        timeline.iter().take(window).map(f).sum::<usize>() as f64 / load_seconds.max(1e-9)
    };
    let waits = facts
        .invoices
        .iter()
        .filter_map(|i| {
            let at = shipped.get(&i.fulfillment_id)?.shipped_at?;
            Some((i.issued_at - at).num_microseconds()? as f64 / 1000.0)
        })
        .collect();
    BillingFigures {
        legal_entity: facts.entity.clone(),
        invoices: facts.invoices.len(),
        shipped_per_s: in_window(|s| s.shipped),
        invoiced_per_s: in_window(|s| s.invoiced),
        peak_invoiced_per_s: timeline.iter().map(|s| s.invoiced).max().unwrap_or(0),
        shipped_to_invoiced_ms: Dist::of(waits),
    }
}

/// One capacity step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub offered_per_s: f64,
    pub accepted_per_s: f64,
    pub intake_ms: Dist,
    pub placed_to_confirmed_ms: Dist,
    pub errors: usize,
    pub drained_in_s: f64,
    pub sustainable: bool,
    /// CPU over the step's load (not its drain), memory at its end.
    pub resources: Vec<ProcessFigures>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kind: &'static str,
    pub tag: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub targets: BTreeMap<&'static str, String>,
    pub load: Load,
    pub load_seconds: f64,
    pub offered_orders_per_s: f64,
    pub accepted_orders: usize,
    pub accepted_orders_per_s: f64,
    pub accepted_by_channel: BTreeMap<&'static str, usize>,
    pub endpoints: Vec<EndpointFigures>,
    pub unexpected_errors: usize,
    pub placed_to_confirmed_ms: Dist,
    pub confirmed_to_shipped_ms: Dist,
    /// When billing took part.
    pub billing: Option<BillingFigures>,
    /// When the returns scenario ran.
    pub returns: Option<ReturnsFigures>,
    pub orders_by_status: BTreeMap<String, usize>,
    pub shipped_fulfillments: u64,
    pub short_units: i64,
    pub feed_changes_seen: u64,
    /// Load end → every intake event applied (placed … confirmed).
    pub intake_settle_seconds: f64,
    /// Load end → everything applied (the floor's open work done, if it ran).
    pub settle_seconds: f64,
    pub ledger: Ledger,
    pub resources: Vec<ProcessFigures>,
    pub invariants: Vec<Check>,
    pub steps: Vec<Step>,
    pub highest_sustainable_per_s: Option<f64>,
    pub p99_limit_ms: Option<f64>,
    pub timeline: Vec<Second>,
    pub passed: bool,
}

fn dist_row(name: &str, d: &Dist) -> String {
    format!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
        d.n, d.p50, d.p90, d.p99, d.max
    )
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let verdict = if self.passed { "PASS" } else { "FAIL" };
        let _ = writeln!(
            md,
            "# Crossdock load {} `{}`: {verdict}\n",
            self.kind, self.tag
        );
        let _ = writeln!(
            md,
            "{} → {} · scenarios {} · {:.0} s of load (ramp {} s) · seed {}\n",
            self.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
            self.finished_at.format("%H:%M:%S UTC"),
            self.load.scenarios.join(", "),
            self.load_seconds,
            self.load.ramp,
            self.load.seed
        );
        let _ = writeln!(
            md,
            "Offered {:.0} orders/s (open model, Poisson arrivals), mix {}, lines {} × up to {} units, {} SKUs (Zipf s = {}), {} locations; availability reads {:.0}/s; {} pickers; churn: cancel {:.1} %, invalid {:.1} %, resent {:.1} %, short {:.1} %.\n",
            self.load.rate,
            self.load.mix.join(" "),
            self.load.lines,
            self.load.max_quantity,
            self.load.skus,
            self.load.zipf,
            self.load.locations,
            self.load.sync_rate,
            self.load.pickers,
            self.load.cancel_rate * 100.0,
            self.load.invalid_rate * 100.0,
            self.load.duplicate_rate * 100.0,
            self.load.short_rate * 100.0,
        );
        md.push_str("## Invariants\n\n| check | result | detail |\n|---|---|---|\n");
        for c in &self.invariants {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                c.name,
                if c.passed { "pass" } else { "**FAIL**" },
                c.detail.replace('|', "\\|")
            );
        }
        let failed = self.invariants.iter().filter(|c| !c.passed).count();
        let _ = writeln!(
            md,
            "\n**{verdict}**: {} of {} invariants hold; {} unexpected request errors.\n",
            self.invariants.len() - failed,
            self.invariants.len(),
            self.unexpected_errors
        );
        if !self.steps.is_empty() {
            md.push_str("## Capacity search\n\n| offered /s | accepted /s | intake p99 ms | placed→confirmed p50 ms | p99 ms | errors | drained in s | sustainable |\n|---:|---:|---:|---:|---:|---:|---:|---|\n");
            for s in &self.steps {
                let _ = writeln!(
                    md,
                    "| {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {:.1} | {} |",
                    s.offered_per_s,
                    s.accepted_per_s,
                    s.intake_ms.p99,
                    s.placed_to_confirmed_ms.p50,
                    s.placed_to_confirmed_ms.p99,
                    s.errors,
                    s.drained_in_s,
                    if s.sustainable { "yes" } else { "no" }
                );
            }
            match self.highest_sustainable_per_s {
                Some(r) => {
                    let _ = writeln!(
                        md,
                        "\nHighest sustainable rate: **{r:.0} orders/s** (p99 placed → confirmed ≤ limit, no errors).\n"
                    );
                }
                None => md.push_str("\nNo step was sustainable.\n\n"),
            }
            if self.steps.iter().any(|s| !s.resources.is_empty()) {
                let names: Vec<&str> = self.steps[0]
                    .resources
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect();
                let _ = writeln!(
                    md,
                    "CPU cores per process during each step's load:\n\n| offered /s | {} |\n|---:|{}",
                    names.join(" | "),
                    "---:|".repeat(names.len())
                );
                for s in &self.steps {
                    let cells: Vec<String> = s
                        .resources
                        .iter()
                        .map(|r| format!("{:.2}", r.cpu_cores))
                        .collect();
                    let _ = writeln!(md, "| {:.0} | {} |", s.offered_per_s, cells.join(" | "));
                }
                md.push('\n');
            }
        }
        md.push_str("## Throughput and end to end\n\n");
        let _ = writeln!(
            md,
            "Accepted {} orders ({}): {:.1}/s over the load window (offered {:.1}/s). After the load, intake settled in {:.1} s and everything (the floor's open work included) in {:.1} s.\n",
            self.accepted_orders,
            self.accepted_by_channel
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.accepted_orders_per_s,
            self.offered_orders_per_s,
            self.intake_settle_seconds,
            self.settle_seconds
        );
        md.push_str("| from the services' timestamps | n | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n");
        md.push_str(&dist_row(
            "placed → confirmed (received_at → confirmed_at)",
            &self.placed_to_confirmed_ms,
        ));
        md.push_str(&dist_row(
            "confirmed → shipped (confirmed_at → shipment shipped_at)",
            &self.confirmed_to_shipped_ms,
        ));
        if let Some(b) = &self.billing {
            md.push_str(&dist_row(
                "shipped → invoiced (shipment shipped_at → invoice issued_at)",
                &b.shipped_to_invoiced_ms,
            ));
            let _ = writeln!(
                md,
                "\nBilling ({}): {} invoices; during the load {:.1} shipments/s and {:.1} invoices/s, busiest second {} invoices.",
                b.legal_entity,
                b.invoices,
                b.shipped_per_s,
                b.invoiced_per_s,
                b.peak_invoiced_per_s
            );
        }
        if let Some(r) = &self.returns {
            md.push_str(&dist_row(
                "return requested → refunded (support's RMA → billing's refund)",
                &r.request_to_refunded_ms,
            ));
            let _ = writeln!(
                md,
                "\nReturns: {} through the saga in {:.1} s ({:.1} returns/s, 8 at the desk at once): {} refunded, {} queued for a person, {} failed to drive.",
                r.returns, r.seconds, r.returns_per_s, r.refunded, r.queued, r.failures
            );
        }
        let statuses = self
            .orders_by_status
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            md,
            "\nOrders by status: {statuses}. Floor: {} fulfillments shipped, {} units reported short. Availability feed: {} changes read.\n",
            self.shipped_fulfillments, self.short_units, self.feed_changes_seen
        );
        md.push_str("## Requests (latency from when each request was due)\n\n| endpoint | requests | /s | p50 ms | p90 ms | p99 ms | max ms | outcomes |\n|---|---:|---:|---:|---:|---:|---:|---|\n");
        for e in &self.endpoints {
            let outcomes = e
                .outcomes
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                md,
                "| `{}` | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {outcomes} |",
                e.endpoint,
                e.requests,
                e.per_second,
                e.latency_ms.p50,
                e.latency_ms.p90,
                e.latency_ms.p99,
                e.latency_ms.max
            );
        }
        if !self.resources.is_empty() {
            md.push_str("\n## Resources (this machine)\n\n| process (with its child processes) | CPU cores (avg) | memory max MiB (PSS) |\n|---|---:|---:|\n");
            for r in &self.resources {
                let _ = writeln!(
                    md,
                    "| {} | {:.2} | {:.0} |",
                    r.name, r.cpu_cores, r.memory_mib_max
                );
            }
        }
        md.push_str("\n## Event ledger (producer → consumer, since the load began)\n\n| event | producer | consumer | produced | applied |\n|---|---|---|---:|---:|\n");
        for p in &self.ledger.pairs {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                p.event_type, p.producer, p.consumer, p.produced, p.consumed
            );
        }
        let _ = writeln!(
            md,
            "\nTargets: {}",
            self.targets
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        md
    }

    pub fn svg(&self) -> String {
        if !self.steps.is_empty() {
            let p =
                |f: fn(&Step) -> f64| self.steps.iter().map(|s| (s.offered_per_s, f(s))).collect();
            return chart(
                &format!("Capacity search {}", self.tag),
                "offered orders/s",
                &[Panel {
                    title: "placed → confirmed and intake latency per step".into(),
                    y_label: "ms".into(),
                    log: true,
                    series: vec![
                        Series {
                            name: "placed→confirmed p99".into(),
                            color: "#d62728",
                            points: p(|s| s.placed_to_confirmed_ms.p99),
                        },
                        Series {
                            name: "placed→confirmed p50".into(),
                            color: "#ff7f0e",
                            points: p(|s| s.placed_to_confirmed_ms.p50),
                        },
                        Series {
                            name: "intake p99".into(),
                            color: "#1f77b4",
                            points: p(|s| s.intake_ms.p99),
                        },
                    ],
                    limit: Some((self.load_limit(), "p99 limit".into())),
                }],
            );
        }
        let pts = |f: fn(&Second) -> f64| -> Vec<(f64, f64)> {
            self.timeline.iter().map(|s| (s.t as f64, f(s))).collect()
        };
        chart(
            &format!(
                "Load run {} ({:.0} orders/s offered)",
                self.tag, self.load.rate
            ),
            "seconds since the load began",
            &[
                Panel {
                    title: "latency (log scale)".into(),
                    y_label: "ms".into(),
                    log: true,
                    series: vec![
                        Series {
                            name: "placed→confirmed p99".into(),
                            color: "#d62728",
                            points: pts(|s| s.placed_to_confirmed_p99_ms),
                        },
                        Series {
                            name: "intake p99".into(),
                            color: "#1f77b4",
                            points: pts(|s| s.intake_p99_ms),
                        },
                        Series {
                            name: "intake p50".into(),
                            color: "#9ecae1",
                            points: pts(|s| s.intake_p50_ms),
                        },
                    ],
                    limit: None,
                },
                Panel {
                    title: "orders per second".into(),
                    y_label: "orders/s".into(),
                    log: false,
                    series: vec![
                        Series {
                            name: "offered".into(),
                            color: "#7f7f7f",
                            points: pts(|s| s.offered as f64),
                        },
                        Series {
                            name: "accepted".into(),
                            color: "#2ca02c",
                            points: pts(|s| s.accepted as f64),
                        },
                        Series {
                            name: "confirmed (by arrival)".into(),
                            color: "#d62728",
                            points: pts(|s| s.confirmed as f64),
                        },
                    ],
                    limit: None,
                },
            ],
        )
    }

    fn load_limit(&self) -> f64 {
        self.p99_limit_ms.unwrap_or(500.0)
    }

    /// Writes `<out>/load-<tag>.{md,json,svg}`; returns the Markdown path.
    pub fn write(&self, out: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(out)?;
        let base = out.join(format!("load-{}-{}", self.kind, self.tag));
        let md = base.with_extension("md");
        std::fs::write(&md, self.markdown())?;
        std::fs::write(
            base.with_extension("json"),
            serde_json::to_string_pretty(self)?,
        )?;
        std::fs::write(base.with_extension("svg"), self.svg())?;
        Ok(md)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HDR histograms keep three significant digits: within 0.1 %.
    fn close(got: f64, want: f64) -> bool {
        (got - want).abs() <= want * 0.001
    }

    #[test]
    fn percentiles_are_nearest_rank_within_a_tenth_of_a_percent() {
        let d = Dist::of((1..=100).map(f64::from).collect());
        assert_eq!(d.n, 100);
        for (got, want) in [(d.p50, 50.0), (d.p90, 90.0), (d.p99, 99.0), (d.max, 100.0)] {
            assert!(close(got, want), "{got} is not {want}");
        }
        let one = Dist::of(vec![7.0]);
        assert!(close(one.p50, 7.0) && close(one.p99, 7.0), "{one:?}");
        assert_eq!(Dist::of(vec![]), Dist::default());
        // A long tail is not averaged away: one slow request in a thousand.
        let mut tail: Vec<f64> = vec![10.0; 999];
        tail.push(5_000.0);
        let t = Dist::of(tail);
        assert!(close(t.p99, 10.0) && close(t.max, 5_000.0), "{t:?}");
    }

    #[test]
    fn end_to_end_comes_from_the_services_timestamps() {
        let t = |s: &str| Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
        let order = OrderFact {
            id: "o".into(),
            status: "shipped".into(),
            hold_reason: None,
            received_at: t("2026-11-26T10:00:00.000Z"),
            confirmed_at: t("2026-11-26T10:00:00.250Z"),
            shipped_at: vec![t("2026-11-26T10:05:00.250Z").unwrap()],
            lines: vec![],
        };
        let unconfirmed = OrderFact {
            confirmed_at: None,
            shipped_at: vec![],
            ..order.clone()
        };
        let p99 = placed_to_confirmed(&[order.clone(), unconfirmed]).p99;
        assert!(close(p99, 250.0), "{p99}");
        let max = confirmed_to_shipped(&[order]).max;
        assert!(close(max, 300_000.0), "{max}");
    }
}
