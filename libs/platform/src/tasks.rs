//! Background work a service runs beside its server: a [`Task`] receives the
//! shutdown signal and returns when it turns true. [`periodic`] is the common
//! shape: run a step every period, or sooner when woken.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::{Notify, watch};

use crate::metrics::Metrics;

/// Named wake-ups of one service's background tasks: a handler notifies
/// the one its change concerns (`rt.waker("forecasts").notify_one()`) and
/// the task passes the same `Notify` to [`periodic`].
#[derive(Default)]
pub struct Wakers(std::sync::Mutex<std::collections::HashMap<&'static str, Arc<Notify>>>);

impl Wakers {
    pub fn get(&self, name: &'static str) -> Arc<Notify> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name)
            .or_default()
            .clone()
    }
}

/// A background task: started with the shutdown receiver.
pub type Task = Box<dyn FnOnce(watch::Receiver<bool>) -> BoxFuture<'static, ()> + Send>;

/// Runs `step` every `period` (or as soon as `wake` is notified) until shutdown.
/// A failing step is logged and tried again at the next tick; it never stops the
/// loop, so a database outage only delays the work. Each step is counted in
/// `crossdock_background_steps_total` by outcome, so an operator sees a task
/// that keeps failing, and a test can wait for a step to have run.
pub fn periodic<F>(
    metrics: &Metrics,
    name: &'static str,
    period: Duration,
    wake: Option<Arc<Notify>>,
    step: F,
) -> Task
where
    F: Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync + 'static,
{
    let ok = metrics.background_steps.with_label_values(&[name, "ok"]);
    let failed = metrics
        .background_steps
        .with_label_values(&[name, "failed"]);
    Box::new(move |mut shutdown: watch::Receiver<bool>| {
        Box::pin(async move {
            let wake = wake.unwrap_or_default();
            loop {
                if *shutdown.borrow() {
                    break;
                }
                match step().await {
                    Ok(()) => ok.inc(),
                    Err(err) => {
                        failed.inc();
                        tracing::warn!(task = name, error = %format!("{err:#}"), "background step failed");
                    }
                }
                tokio::select! {
                    _ = shutdown.changed() => break,
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(period) => {}
                }
            }
            tracing::debug!(task = name, "background task stopped");
        })
    })
}
