//! Orders' background work: the channel updates dispatcher and the webhook
//! sender. Both are safe with several replicas (an advisory lock; leases).

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use diesel_async::AsyncConnection;
use futures_util::FutureExt;
use platform::Runtime;
use platform::outbound::OutboundClient;
use platform::tasks::{Task, periodic};
use tokio::sync::Notify;

use crate::domain::webhook;
use crate::store::feed;

/// Woken after a commit that queued channel updates.
pub static UPDATES_QUEUED: LazyLock<Arc<Notify>> = LazyLock::new(|| Arc::new(Notify::new()));

/// Woken when new webhook deliveries exist.
pub static DELIVERIES_DUE: LazyLock<Arc<Notify>> = LazyLock::new(|| Arc::new(Notify::new()));

const DISPATCH_BATCH: i64 = 1000;
const SEND_BATCH: i64 = 50;
/// A delivery leased to a sender is not retried by another for this long.
const LEASE_SECS: i64 = 60;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub fn tasks(rt: &Runtime) -> Vec<Task> {
    let (a, b) = (rt.clone(), rt.clone());
    let client = OutboundClient::new(
        (&rt.settings.outbound).into(),
        concat!("crossdock-orders/", env!("CARGO_PKG_VERSION")),
        REQUEST_TIMEOUT,
    )
    .expect("HTTP client");
    vec![
        periodic(
            &rt.metrics,
            "channel-updates-dispatcher",
            Duration::from_millis(100),
            Some(UPDATES_QUEUED.clone()),
            move || {
                let rt = a.clone();
                async move { dispatch(&rt).await }.boxed()
            },
        ),
        periodic(
            &rt.metrics,
            "webhook-sender",
            Duration::from_millis(250),
            Some(DELIVERIES_DUE.clone()),
            move || {
                let (rt, client) = (b.clone(), client.clone());
                async move { send_due(&rt, &client).await.map(|_| ()) }.boxed()
            },
        ),
    ]
}

/// Moves queued updates into the feed until the queue is empty.
pub async fn dispatch(rt: &Runtime) -> anyhow::Result<()> {
    loop {
        let mut conn = rt.db.get().await?;
        let moved = conn
            .transaction::<_, anyhow::Error, _>(async |tx| {
                Ok(feed::dispatch(tx, DISPATCH_BATCH).await?)
            })
            .await?;
        match moved {
            Some(n) if n > 0 => DELIVERIES_DUE.notify_one(),
            _ => return Ok(()),
        }
        if moved != Some(DISPATCH_BATCH as usize) {
            return Ok(());
        }
    }
}

/// The JSON body of a webhook.
#[derive(serde::Serialize)]
struct Payload<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    delivery_id: i64,
    channel_id: &'a str,
    update: &'a domain::contracts::orders::ChannelUpdate,
}

/// Sends the deliveries due now (concurrently) and records each attempt.
/// Returns how many were attempted.
pub async fn send_due(rt: &Runtime, client: &OutboundClient) -> anyhow::Result<usize> {
    let due = {
        let mut conn = rt.db.get().await?;
        conn.transaction::<_, anyhow::Error, _>(async |tx| {
            Ok(feed::lease_due(tx, SEND_BATCH, LEASE_SECS).await?)
        })
        .await?
    };
    let n = due.len();
    let sends = due.into_iter().map(|d| async move {
        let body = serde_json::to_vec(&Payload {
            kind: "order.status_changed",
            delivery_id: d.id,
            channel_id: &d.channel_id,
            update: &d.update,
        })
        .expect("serializes");
        let request = match client.request(reqwest::Method::POST, &d.url) {
            Ok(request) => request,
            // A URL stored before the guard, or registered under another policy.
            Err(refused) => {
                return (
                    d,
                    Err(format!("refused: webhook_url {refused}")),
                    Duration::ZERO,
                );
            }
        };
        let mut request = request
            .header("content-type", "application/json")
            .header(webhook::DELIVERY_HEADER, d.id.to_string())
            .header(webhook::EVENT_HEADER, "order.status_changed");
        if let Some(secret) = &d.secret {
            let signature = webhook::signature(secret, chrono::Utc::now().timestamp(), &body);
            request = request.header(webhook::SIGNATURE_HEADER, signature);
        }
        let started = Instant::now();
        let result = platform::telemetry::traced(request)
            .body(body)
            .send()
            .await
            .map_err(|err| format!("request failed: {}", error_chain(&err)));
        (d, result, started.elapsed())
    });
    let results = futures_util::future::join_all(sends).await;
    let mut conn = rt.db.get().await?;
    for (d, result, elapsed) in results {
        let (code, error) = match result {
            Ok(res) if res.status().is_success() => (Some(res.status().as_u16() as i32), None),
            Ok(res) => (
                Some(res.status().as_u16() as i32),
                Some(format!("receiver answered {}", res.status())),
            ),
            Err(err) => (None, Some(err)),
        };
        let (status, retry_in) = match &error {
            None => ("delivered", 0),
            Some(_) if d.attempt >= webhook::MAX_ATTEMPTS => ("failed", 0),
            Some(_) => ("pending", webhook::backoff(d.attempt).as_secs() as i64),
        };
        feed::record_attempt(
            &mut conn,
            &feed::Attempt {
                delivery_id: d.id,
                attempt: d.attempt,
                status,
                status_code: code,
                error: error.as_deref(),
                duration_ms: elapsed.as_millis() as i64,
                retry_in_secs: retry_in,
            },
        )
        .await?;
    }
    Ok(n)
}

/// An error with its causes ("error sending request: … resolves only to
/// addresses outbound requests may not reach"), for the delivery log.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
