//! Procurement's background work: the forecaster, which (re)computes the
//! forecasts of every SKU whose history changed (an import, new settings) or
//! that was last forecast before today, never on the request path (safe on
//! several replicas: each claims its SKUs with SKIP LOCKED); and the daily
//! replenishment run (skipped when a run already created orders today).

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use diesel_async::AsyncConnection;
use futures_util::FutureExt;
use platform::Runtime;
use platform::tasks::{Task, periodic};

use crate::domain::demand::{daily_series, history_window};
use crate::domain::forecast::{SkuForecast, forecast};
use crate::store::demand::{self, DueSeries};
use crate::store::forecasts::{self, ForecastRow, SettingsRow};
use crate::store::runs;

/// The forecaster's wake-up (`rt.waker(FORECASTS_DUE)`): after an import or a
/// settings change, and by the forecaster itself while SKUs remain due.
pub const FORECASTS_DUE: &str = "forecasts-due";

/// The forecaster's task name (its steps are counted under it).
pub const FORECASTER: &str = "forecaster";

/// SKUs per transaction: a few seconds of work, so locks are held briefly.
const CLAIM: i64 = 25;
/// Work per step before yielding (the next step follows at once).
const STEP_BUDGET: Duration = Duration::from_secs(10);

/// The scheduled replenishment's task name and the actor its orders name.
pub const SCHEDULED_RUN: &str = "scheduled-replenishment";
const RUN_ACTOR: &str = "system:procurement.replenishment";

pub fn tasks(rt: &Runtime) -> Vec<Task> {
    let (a, b) = (rt.clone(), rt.clone());
    vec![
        periodic(
            &rt.metrics,
            FORECASTER,
            // Picks up the daily refresh within a minute of midnight (UTC).
            Duration::from_secs(60),
            Some(rt.waker(FORECASTS_DUE)),
            move || {
                let rt = a.clone();
                async move { forecast_due(&rt).await.map(|_| ()) }.boxed()
            },
        ),
        periodic(
            &rt.metrics,
            SCHEDULED_RUN,
            Duration::from_secs(15 * 60),
            None,
            move || {
                let rt = b.clone();
                async move { scheduled_run(&rt).await }.boxed()
            },
        ),
    ]
}

/// Once a day (UTC), after the day's forecasts: a replenishment run that
/// drafts orders for buyers to review.
async fn scheduled_run(rt: &Runtime) -> anyhow::Result<()> {
    let mut conn = rt.db.get().await?;
    // Forecasts first: a run on yesterday's forecasts would order on stale
    // demand; the next tick tries again.
    if forecasts_pending(&mut conn).await? {
        return Ok(());
    }
    conn.transaction::<_, anyhow::Error, _>(async |tx| {
        if runs::ran_today(tx).await? {
            return Ok(());
        }
        let mut run = runs::replenish(tx, RUN_ACTOR, false)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let drafted = std::mem::take(&mut run.purchase_orders);
        run.purchase_orders = crate::api::approvals::on_drafted(rt, tx, drafted, RUN_ACTOR)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tracing::info!(run = %run.id, orders = run.purchase_orders.len(), "scheduled replenishment run");
        Ok(())
    })
    .await?;
    rt.outbox.notify();
    Ok(())
}

async fn forecasts_pending(conn: &mut platform::db::Conn) -> anyhow::Result<bool> {
    let settings = forecasts::settings(conn, false).await?;
    Ok(demand::any_due(conn, Utc::now().date_naive(), settings.version).await?)
}

/// Forecasts due SKUs for up to [`STEP_BUDGET`]; returns how many.
pub async fn forecast_due(rt: &Runtime) -> anyhow::Result<usize> {
    let started = Instant::now();
    let today = Utc::now().date_naive();
    let mut done = 0;
    loop {
        let mut conn = rt.db.get().await?;
        let claimed = conn
            .transaction::<_, anyhow::Error, _>(async |tx| {
                let settings = forecasts::settings(tx, false).await?;
                let due = demand::claim_due(tx, today, settings.version, CLAIM).await?;
                for series in &due {
                    forecast_sku(tx, series, today, &settings).await?;
                    demand::forecast_done(tx, &series.sku, today, settings.version).await?;
                }
                Ok(due.len())
            })
            .await?;
        done += claimed;
        if (claimed as i64) < CLAIM {
            return Ok(done);
        }
        if started.elapsed() > STEP_BUDGET {
            rt.waker(FORECASTS_DUE).notify_one();
            return Ok(done);
        }
    }
}

/// One SKU's forecasts, total and per channel, over its history window.
async fn forecast_sku(
    conn: &mut platform::db::Conn,
    series: &DueSeries,
    today: NaiveDate,
    settings: &SettingsRow,
) -> anyhow::Result<()> {
    let Some((from, to)) = history_window(
        series.first_day,
        today,
        i64::from(settings.max_history_days),
    ) else {
        return Ok(());
    };
    let by_channel = demand::recorded(conn, &series.sku, None, from, to).await?;
    let stock_outs = demand::stock_outs(conn, &series.sku, from, to).await?;
    let mut total = std::collections::HashMap::new();
    for days in by_channel.values() {
        for (day, q) in days {
            *total.entry(*day).or_insert(0) += q;
        }
    }
    let mut inputs = vec![(String::new(), total)];
    let mut channels: Vec<String> = by_channel
        .iter()
        .filter(|(_, days)| days.values().any(|q| *q > 0))
        .map(|(c, _)| c.clone())
        .collect();
    channels.sort();
    inputs.extend(channels.iter().map(|c| (c.clone(), by_channel[c].clone())));
    let horizon = settings.horizon_days as usize;
    let level = settings.interval_level;
    // Model fitting is CPU work: off the async workers.
    let computed = tokio::task::spawn_blocking(move || {
        inputs
            .into_iter()
            .map(|(channel, recorded)| {
                let (history, outs) = daily_series(from, to, &recorded, &stock_outs);
                let f = forecast(&history, horizon, level);
                (channel, history.len(), outs, f)
            })
            .collect::<Vec<_>>()
    })
    .await?;
    let computed_at = Utc::now();
    for (channel, history_days, outs, f) in computed {
        let row = row_of(
            &series.sku,
            channel,
            computed_at,
            today,
            history_days,
            outs,
            f,
        );
        forecasts::upsert(conn, &row).await?;
    }
    forecasts::retain_channels(conn, &series.sku, &channels).await?;
    Ok(())
}

fn row_of(
    sku: &str,
    channel_id: String,
    computed_at: chrono::DateTime<Utc>,
    first_date: NaiveDate,
    history_days: usize,
    stock_out_days: usize,
    f: SkuForecast,
) -> ForecastRow {
    ForecastRow {
        sku: sku.to_string(),
        channel_id,
        computed_at,
        first_date,
        history_days: history_days as i32,
        stock_out_days: stock_out_days as i32,
        class: f.classification.map(|c| c.class.as_str().to_string()),
        adi: f.classification.map(|c| c.adi).filter(|v| v.is_finite()),
        cv2: f.classification.map(|c| c.cv2).filter(|v| v.is_finite()),
        method: f.method.as_str().to_string(),
        reason: f.reason,
        level: f.forecast.level,
        point: f.forecast.point,
        lower_bound: f.forecast.lower,
        upper_bound: f.forecast.upper,
        folds: f.backtest.folds as i32,
        mase: f.backtest.mase.filter(|v| v.is_finite()),
        rmsse: f.backtest.rmsse.filter(|v| v.is_finite()),
        bias: if f.backtest.bias.is_finite() {
            f.backtest.bias
        } else {
            0.0
        },
    }
}
