//! The HTTP client every scenario shares, and the recorder that keeps one
//! sample per request: endpoint, when it was due, how long it took measured
//! from when it was due (so a late start counts against the system, not the
//! generator), and its outcome.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use crate::cli::Target;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// A status the scenario expects (2xx, or e.g. the 422 of a deliberately
    /// invalid order).
    Expected(u16),
    /// Any other status.
    Unexpected(u16),
    Timeout,
    Connect,
    /// Any other transport failure (reset, malformed response).
    Transport,
    /// The generator had `--max-in-flight` requests open and dropped this
    /// arrival: the system is far behind (counted as an error, never hidden).
    Dropped,
}

impl Outcome {
    pub fn is_error(self) -> bool {
        !matches!(self, Outcome::Expected(_))
    }

    pub fn kind(self) -> String {
        match self {
            Outcome::Expected(s) => format!("{s} (expected)"),
            Outcome::Unexpected(s) => format!("HTTP {s}"),
            Outcome::Timeout => "timeout".into(),
            Outcome::Connect => "connect error".into(),
            Outcome::Transport => "transport error".into(),
            Outcome::Dropped => "dropped (generator at max in-flight)".into(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub endpoint: &'static str,
    /// When the request was due, from the run's start.
    pub due: Duration,
    pub latency: Duration,
    pub outcome: Outcome,
}

/// Every sample of a run (a run of 100k requests keeps ~4 MB).
#[derive(Clone, Default)]
pub struct Recorder {
    samples: Arc<Mutex<Vec<Sample>>>,
}

impl Recorder {
    pub fn record(&self, sample: Sample) {
        self.samples.lock().expect("recorder lock").push(sample);
    }

    pub fn take(&self) -> Vec<Sample> {
        std::mem::take(&mut *self.samples.lock().expect("recorder lock"))
    }
}

/// What a caller gets back: the status and the JSON body (Null when none).
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

#[derive(Clone)]
pub struct Api {
    client: Client,
    pub target: Arc<Target>,
    pub recorder: Recorder,
    pub started: Instant,
    channel_tokens: Arc<HashMap<String, String>>,
}

/// Who calls: staff with the ops or floor token, or a channel connector.
#[derive(Clone, Copy)]
pub enum As<'a> {
    Ops,
    Floor,
    Channel(&'a str),
    Buyer,
    Approver,
    Finance,
    Admin,
}

impl Api {
    pub fn new(target: Target, started: Instant) -> anyhow::Result<Self> {
        let mut channel_tokens = HashMap::new();
        for pair in &target.channel_tokens {
            let (channel, token) = pair
                .split_once('=')
                .with_context(|| format!("--channel-token {pair}: expected CHANNEL=TOKEN"))?;
            channel_tokens.insert(channel.to_string(), token.to_string());
        }
        let client = Client::builder()
            .pool_max_idle_per_host(512)
            // Shorter than the servers' keep-alive (actix: 5 s), so the pool
            // never hands out a connection the server is closing (a false
            // transport error).
            .pool_idle_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(target.timeout_secs))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Api {
            client,
            target: Arc::new(target),
            recorder: Recorder::default(),
            started,
            channel_tokens: Arc::new(channel_tokens),
        })
    }

    /// A channel connector's own token when one was given; else staff acting
    /// for the channel (the ops token, with the channel named in the body or
    /// query, as the APIs allow).
    fn token(&self, who: As) -> &str {
        match who {
            As::Ops => &self.target.ops_token,
            As::Floor => self
                .target
                .floor_token
                .as_deref()
                .unwrap_or(&self.target.ops_token),
            As::Channel(c) => self
                .channel_tokens
                .get(c)
                .map_or(self.target.ops_token.as_str(), String::as_str),
            As::Buyer => self
                .target
                .buyer_token
                .as_deref()
                .unwrap_or(&self.target.ops_token),
            As::Approver => self
                .target
                .approver_token
                .as_deref()
                .unwrap_or(&self.target.ops_token),
            As::Finance => self
                .target
                .finance_token
                .as_deref()
                .unwrap_or(&self.target.ops_token),
            As::Admin => self
                .target
                .admin_token
                .as_deref()
                .unwrap_or(&self.target.ops_token),
        }
    }

    /// One request, recorded under `endpoint` as due at `due` (None: now).
    /// `expected` lists the non-2xx statuses the scenario means to provoke.
    #[allow(clippy::too_many_arguments)]
    pub async fn send(
        &self,
        endpoint: &'static str,
        due: Option<Instant>,
        method: Method,
        url: &str,
        who: As<'_>,
        body: Option<&Value>,
        expected: &[u16],
    ) -> Option<Reply> {
        let due = due.unwrap_or_else(Instant::now);
        let mut req = self
            .client
            .request(method, url)
            .bearer_auth(self.token(who));
        if let Some(body) = body {
            req = req.json(body);
        }
        let result = req.send().await;
        let (outcome, reply) = match result {
            Ok(res) => {
                let status = res.status();
                let body = res.json().await.unwrap_or(Value::Null);
                let code = status.as_u16();
                let outcome = if status.is_success() || expected.contains(&code) {
                    Outcome::Expected(code)
                } else {
                    Outcome::Unexpected(code)
                };
                (outcome, Some(Reply { status, body }))
            }
            Err(e) if e.is_timeout() => (Outcome::Timeout, None),
            Err(e) if e.is_connect() => (Outcome::Connect, None),
            Err(_) => (Outcome::Transport, None),
        };
        self.recorder.record(Sample {
            endpoint,
            due: due.saturating_duration_since(self.started),
            latency: due.elapsed(),
            outcome,
        });
        reply
    }

    /// An unrecorded call that must succeed (seeding, collecting results).
    pub async fn must(
        &self,
        method: Method,
        url: &str,
        who: As<'_>,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let reply = self.quiet(method, url, who, body).await?;
        if !reply.status.is_success() {
            bail!("{url}: {} {}", reply.status, reply.body);
        }
        Ok(reply.body)
    }

    /// An unrecorded call whose status the caller inspects.
    pub async fn quiet(
        &self,
        method: Method,
        url: &str,
        who: As<'_>,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        self.unrecorded(method, url, who, body, None).await
    }

    /// An unrecorded POST as ops with an Idempotency-Key (seeding stock).
    pub async fn quiet_with_key(
        &self,
        url: &str,
        key: &str,
        body: &Value,
    ) -> anyhow::Result<Reply> {
        self.unrecorded(Method::POST, url, As::Ops, Some(body), Some(key))
            .await
    }

    async fn unrecorded(
        &self,
        method: Method,
        url: &str,
        who: As<'_>,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Reply> {
        let mut req = self
            .client
            .request(method, url)
            .bearer_auth(self.token(who));
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.with_context(|| url.to_string())?;
        let status = res.status();
        let body = res.json().await.unwrap_or(Value::Null);
        Ok(Reply { status, body })
    }

    pub fn catalog(&self, path: &str) -> String {
        format!("{}{path}", self.target.catalog_url.trim_end_matches('/'))
    }
    pub fn orders(&self, path: &str) -> String {
        format!("{}{path}", self.target.orders_url.trim_end_matches('/'))
    }
    pub fn inventory(&self, path: &str) -> String {
        format!("{}{path}", self.target.inventory_url.trim_end_matches('/'))
    }
    pub fn warehouse(&self, path: &str) -> String {
        format!("{}{path}", self.target.warehouse_url.trim_end_matches('/'))
    }
    pub fn billing(&self, path: &str) -> String {
        format!("{}{path}", self.target.billing_url.trim_end_matches('/'))
    }
    /// Billing is part of the run when a finance token was given (its
    /// settings need one; without them shipments would only wait).
    pub fn bills(&self) -> bool {
        self.target.finance_token.is_some()
    }
    pub fn support(&self, path: &str) -> String {
        format!("{}{path}", self.target.support_url.trim_end_matches('/'))
    }
    /// The returns scenario runs when an admin token (support's return
    /// policies) and a finance token (refunds) were given.
    pub fn returns(&self) -> bool {
        self.target.admin_token.is_some() && self.bills()
    }
    pub fn procurement(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.target.procurement_url.trim_end_matches('/')
        )
    }
}

/// Polls `check` every 250 ms until it yields a value or `limit` passes.
pub async fn wait_for<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if Instant::now() >= until {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
