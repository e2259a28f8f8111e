//! Command line: where the deployment is, and what load to offer.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "crossdock-load",
    about = "Peak-season load harness for Crossdock: open-model load through the real APIs, \
             end-to-end latencies from the services' own timestamps, invariants after every run"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// One run: seed, offer the load for --duration, let the pipeline settle,
    /// measure, check the invariants, write the reports. Exit 1 when an
    /// invariant fails or a request failed unexpectedly.
    Run {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        load: Load,
    },
    /// Capacity search: storm steps at rising offered rates until p99 placed →
    /// confirmed exceeds --p99-limit-ms or requests fail; reports the highest
    /// sustainable rate.
    Capacity {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        load: Load,
        #[command(flatten)]
        search: Search,
    },
}

/// The deployment under test (any: local, staging, a kind cluster).
#[derive(Args, Clone, Debug)]
pub struct Target {
    #[arg(long, env = "CATALOG_URL", default_value = "http://127.0.0.1:8081")]
    pub catalog_url: String,
    #[arg(long, env = "ORDERS_URL", default_value = "http://127.0.0.1:8082")]
    pub orders_url: String,
    #[arg(long, env = "INVENTORY_URL", default_value = "http://127.0.0.1:8083")]
    pub inventory_url: String,
    #[arg(long, env = "WAREHOUSE_URL", default_value = "http://127.0.0.1:8084")]
    pub warehouse_url: String,
    #[arg(long, env = "PROCUREMENT_URL", default_value = "http://127.0.0.1:8085")]
    pub procurement_url: String,
    #[arg(long, env = "BILLING_URL", default_value = "http://127.0.0.1:8086")]
    pub billing_url: String,
    #[arg(long, env = "SUPPORT_URL", default_value = "http://127.0.0.1:8087")]
    pub support_url: String,
    /// A token with the admin role: the returns scenario sets the run's
    /// return policy in support. Without it (or a finance token) returns are
    /// left out.
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// A token with the finance role: billing's settings for the run (its
    /// own legal entity, the load-test channels, a tax rule, marketplace fee
    /// schedules) and billing's invariants. Without it billing is left out.
    #[arg(long, env = "FINANCE_TOKEN", hide_env_values = true)]
    pub finance_token: Option<String>,
    /// A token with the buyer role (the inbound scenario: suppliers, rules,
    /// replenishment runs, sending orders).
    #[arg(long, env = "BUYER_TOKEN", hide_env_values = true)]
    pub buyer_token: Option<String>,
    /// A token with the approver role, of another person than the buyer's
    /// (the inbound scenario approves the runs' orders).
    #[arg(long, env = "APPROVER_TOKEN", hide_env_values = true)]
    pub approver_token: Option<String>,
    /// A token with the ops role: seeding, cancels, waves, the event ledger.
    #[arg(long, env = "OPS_TOKEN", hide_env_values = true)]
    pub ops_token: String,
    /// A token with the warehouse role for scans, packing and shipping
    /// (default: the ops token).
    #[arg(long, env = "FLOOR_TOKEN", hide_env_values = true)]
    pub floor_token: Option<String>,
    /// CHANNEL=TOKEN, repeatable: connectors call as their channel. A channel
    /// without a token is driven by the ops token naming the channel.
    #[arg(
        long = "channel-token",
        env = "CHANNEL_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub channel_tokens: Vec<String>,
    /// Per-request timeout (a timed-out request is an error).
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
    /// NAME=PID[+PID...], repeatable: processes on this machine whose CPU and
    /// RSS the report includes (scripts/load.sh passes the local stack's).
    #[arg(long = "watch", value_delimiter = ',')]
    pub watch: Vec<String>,
}

/// The offered load. Rates are open-model: arrivals follow the schedule
/// whatever the system's latency.
#[derive(Args, Clone, Debug, serde::Serialize)]
pub struct Load {
    /// Scenarios: storm (order intake across channels), sync (availability
    /// reads and change feeds), floor (pickers work waves, pack and ship),
    /// churn (cancels, invalid and duplicate orders, short picks), inbound
    /// (replenishment runs, approvals and receipts at the dock), returns
    /// (after the floor: RMAs through support, scanned in and graded, refunded).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "storm,sync,floor,churn,inbound,returns"
    )]
    pub scenarios: Vec<String>,
    /// The returns scenario: how many shipped orders send a line back.
    #[arg(long, default_value_t = 200)]
    pub returns: usize,
    /// Seconds between the inbound scenario's replenishment runs.
    #[arg(long, default_value_t = 10)]
    pub inbound_interval: u64,
    /// Orders offered per second (after the ramp).
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Seconds of load (ramp included).
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Seconds to ramp the offered rates from zero.
    #[arg(long, default_value_t = 10)]
    pub ramp: u64,
    /// Channel mix, kind=weight: web, amazon, zalando (marketplaces),
    /// wholesale (b2b, backorders), social.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "web=40,amazon=25,zalando=15,wholesale=10,social=10"
    )]
    pub mix: Vec<String>,
    /// Lines per order: MIN-MAX, uniform.
    #[arg(long, default_value = "1-4")]
    pub lines: String,
    /// Largest quantity per line (uniform from 1).
    #[arg(long, default_value_t = 3)]
    pub max_quantity: i64,
    /// SKUs seeded for the run.
    #[arg(long, default_value_t = 400)]
    pub skus: usize,
    /// Zipf exponent of SKU popularity (0 = uniform; 1 = a few hot SKUs take
    /// most lines and contend for the same stock rows).
    #[arg(long, default_value_t = 1.0)]
    pub zipf: f64,
    /// Stock locations (each SKU is stocked in every one).
    #[arg(long, default_value_t = 2)]
    pub locations: usize,
    /// Units per SKU per location.
    #[arg(long, default_value_t = 100_000)]
    pub stock: i64,
    /// Every 40th SKU (from the 8th hottest) gets only this many units per
    /// location, so it sells out mid-run and the no-oversell invariant is
    /// exercised under contention (0: none scarce).
    #[arg(long, default_value_t = 30)]
    pub scarce_stock: i64,
    /// Availability reads per second (single SKU), for the sync scenario.
    #[arg(long, default_value_t = 100.0)]
    pub sync_rate: f64,
    /// Change-feed poll interval per channel, ms.
    #[arg(long, default_value_t = 1000)]
    pub feed_interval_ms: u64,
    /// Concurrent pickers (the floor is a closed loop: people).
    #[arg(long, default_value_t = 4)]
    pub pickers: usize,
    /// Fulfillments per wave.
    #[arg(long, default_value_t = 20)]
    pub wave_size: usize,
    /// Share of accepted orders cancelled 0.2–3 s after placement (churn).
    #[arg(long, default_value_t = 0.05)]
    pub cancel_rate: f64,
    /// Share of intake requests sent invalid on purpose: must get 422 (churn).
    #[arg(long, default_value_t = 0.01)]
    pub invalid_rate: f64,
    /// Share of intake requests that resend an accepted order: must get 200
    /// and the same order (churn).
    #[arg(long, default_value_t = 0.01)]
    pub duplicate_rate: f64,
    /// Share of pick tasks reported short by one unit (churn).
    #[arg(long, default_value_t = 0.01)]
    pub short_rate: f64,
    /// Most seconds to wait for the pipeline to drain after the load.
    #[arg(long, default_value_t = 300)]
    pub settle: u64,
    /// Open requests at most; arrivals beyond are dropped and counted.
    #[arg(long, default_value_t = 4096)]
    pub max_in_flight: usize,
    /// Run tag (unique per run: SKUs, locations and order ids carry it).
    #[arg(long)]
    pub tag: Option<String>,
    /// Where reports go.
    #[arg(long, default_value = "load-tests/results")]
    pub out: PathBuf,
    /// Random seed (same seed, same order bodies).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Args, Clone, Debug, serde::Serialize)]
pub struct Search {
    #[arg(long, default_value_t = 200.0)]
    pub start_rate: f64,
    #[arg(long, default_value_t = 200.0)]
    pub step_rate: f64,
    #[arg(long, default_value_t = 3000.0)]
    pub max_rate: f64,
    /// A step is sustainable while p99 placed → confirmed stays at or under this.
    #[arg(long, default_value_t = 500.0)]
    pub p99_limit_ms: f64,
    /// Seconds of unmeasured load at the start rate first: connection pools,
    /// prepared statements and consumer-group joins settle before step one.
    #[arg(long, default_value_t = 15)]
    pub warmup: u64,
}

impl Load {
    pub fn has(&self, scenario: &str) -> bool {
        self.scenarios.iter().any(|s| s == scenario)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        for s in &self.scenarios {
            anyhow::ensure!(
                ["storm", "sync", "floor", "churn", "inbound", "returns"].contains(&s.as_str()),
                "--scenarios: unknown scenario '{s}' (storm, sync, floor, churn, inbound, returns)"
            );
        }
        anyhow::ensure!(self.rate > 0.0, "--rate must be positive");
        anyhow::ensure!(self.duration > 0, "--duration must be positive");
        anyhow::ensure!(self.skus >= 1, "--skus must be at least 1");
        anyhow::ensure!(self.locations >= 1, "--locations must be at least 1");
        anyhow::ensure!(self.max_quantity >= 1, "--max-quantity must be at least 1");
        anyhow::ensure!(self.zipf >= 0.0, "--zipf must not be negative");
        self.line_range()?;
        crate::workload::Mix::parse(&self.mix)?;
        Ok(())
    }

    pub fn line_range(&self) -> anyhow::Result<(usize, usize)> {
        let (lo, hi) = self
            .lines
            .split_once('-')
            .unwrap_or((&self.lines, &self.lines));
        let (lo, hi): (usize, usize) = (lo.trim().parse()?, hi.trim().parse()?);
        anyhow::ensure!(
            lo >= 1 && lo <= hi,
            "--lines must be MIN-MAX with 1 <= MIN <= MAX"
        );
        Ok((lo, hi.min(self.skus)))
    }
}
