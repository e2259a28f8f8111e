//! Seeding a run through the public APIs: channels, locations, products with
//! barcodes listed on every channel, stock receipts and bins; then waiting
//! until every service has learnt them from the events.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use reqwest::Method;
use serde_json::json;

use crate::api::{Api, As, wait_for};
use crate::cli::Load;
use crate::workload::{CHANNELS, Plan, UNIT_PRICE, invalid_order_body};

/// Runs `jobs` with at most `parallel` at once; the first error wins.
pub async fn in_parallel<F>(parallel: usize, jobs: Vec<F>) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for job in jobs {
        if set.len() >= parallel {
            set.join_next().await.expect("a running job")??;
        }
        set.spawn(job);
    }
    while let Some(done) = set.join_next().await {
        done??;
    }
    Ok(())
}

/// Units received per SKU (all locations), as the harness seeded them.
pub type Seeded = HashMap<String, i64>;

pub async fn seed(api: &Api, plan: &Plan, load: &Load) -> anyhow::Result<Seeded> {
    for c in CHANNELS.iter() {
        api.must(
            Method::PUT,
            &api.orders(&format!("/v1/channels/{}", c.id)),
            As::Ops,
            Some(&json!({"kind": c.kind, "name": c.name, "currency": "EUR",
                         "backorder_policy": c.backorder_policy,
                         "safety_buffer_units": c.safety_buffer_units})),
        )
        .await
        .with_context(|| format!("channel {}", c.id))?;
    }
    for (n, loc) in plan.locations.iter().enumerate() {
        api.must(
            Method::PUT,
            &api.inventory(&format!("/v1/locations/{loc}")),
            As::Ops,
            Some(
                &json!({"name": format!("Load test warehouse {}", n + 1), "kind": "warehouse",
                         "priority": 10 + n as i32}),
            ),
        )
        .await?;
    }

    let jobs = (0..plan.skus.len())
        .map(|i| {
            let (api, sku, gtin) = (api.clone(), plan.skus[i].clone(), plan.gtin(i));
            async move {
                let listings: Vec<_> = CHANNELS
                    .iter()
                    .map(|c| json!({"channel_id": c.id, "price": {"amount": UNIT_PRICE, "currency": "EUR"}}))
                    .collect();
                let product = json!({"title": format!("Load test product {sku}"), "status": "active",
                    "variants": [{"sku": sku, "barcode": gtin, "listings": listings}]});
                api.must(Method::POST, &api.catalog("/v1/products"), As::Ops, Some(&product)).await?;
                anyhow::Ok(())
            }
        })
        .collect();
    in_parallel(8, jobs).await.context("creating products")?;

    // Stock and bins once inventory and the warehouse know the SKUs.
    let last = plan.skus.last().expect("at least one SKU").clone();
    let probe_bin = json!({"zone": "Z", "aisle": "00", "shelf": "00", "level": "0", "walk_sequence": 0,
                           "skus": [last], "active": false});
    wait_for(Duration::from_secs(120), || async {
        let inv = api
            .quiet(
                Method::GET,
                &api.inventory(&format!("/v1/stock/{last}")),
                As::Ops,
                None,
            )
            .await
            .ok()?;
        let wh = api
            .quiet(
                Method::PUT,
                &api.warehouse(&format!(
                    "/v1/locations/{}/bins/{}-PROBE",
                    plan.locations[0], plan.tag
                )),
                As::Ops,
                Some(&probe_bin),
            )
            .await
            .ok()?;
        (inv.status.is_success() && wh.status.is_success()).then_some(())
    })
    .await
    .context("the run's SKUs never reached inventory and the warehouse")?;

    let mut seeded = Seeded::new();
    let mut jobs = Vec::new();
    for (i, sku) in plan.skus.iter().enumerate() {
        let units = if Plan::is_scarce(i) && load.scarce_stock > 0 {
            load.scarce_stock
        } else {
            load.stock
        };
        for (l, loc) in plan.locations.iter().enumerate() {
            *seeded.entry(sku.clone()).or_default() += units;
            let (api, sku, loc, tag) = (api.clone(), sku.clone(), loc.clone(), plan.tag.clone());
            jobs.push(async move {
                let key = format!("{tag}-stock-{sku}-{loc}");
                let reply = api
                    .quiet_with_key(
                        &api.inventory("/v1/adjustments"),
                        &key,
                        &json!({"sku": sku, "location": loc, "reason": "receipt", "quantity_delta": units}),
                    )
                    .await?;
                anyhow::ensure!(reply.status.is_success(), "receipt {sku}@{loc}: {} {}", reply.status, reply.body);
                // One bin per SKU per location, zones of 25 SKUs, walked in SKU order.
                let bin = json!({"zone": format!("Z{}", i / 25), "aisle": format!("{:02}", i % 25),
                                 "shelf": "01", "level": "1", "walk_sequence": i, "skus": [sku]});
                api.must(
                    Method::PUT,
                    &api.warehouse(&format!("/v1/locations/{loc}/bins/B{l}-{i:05}")),
                    As::Ops,
                    Some(&bin),
                )
                .await?;
                anyhow::Ok(())
            });
        }
    }
    in_parallel(8, jobs)
        .await
        .context("receiving stock and creating bins")?;

    // Orders checks listings against its catalog projection: an order that is
    // invalid on purpose (quantity 0) names only the quantity once the SKU is
    // known, and creates nothing either way.
    for c in CHANNELS.iter() {
        let mut probe = invalid_order_body(plan, c, 0);
        probe["lines"][0]["sku"] = json!(last);
        wait_for(Duration::from_secs(120), || async {
            let reply = api
                .quiet(
                    Method::POST,
                    &api.orders("/v1/orders"),
                    As::Ops,
                    Some(&probe),
                )
                .await
                .ok()?;
            let sku_refused = reply.body["errors"].as_array().is_some_and(|e| {
                e.iter()
                    .any(|f| f["field"].as_str().is_some_and(|f| f.ends_with(".sku")))
            });
            (reply.status.as_u16() == 422 && !sku_refused).then_some(())
        })
        .await
        .with_context(|| format!("orders never learnt the listings on {}", c.id))?;
        // Inventory knows the channel (ship-from eligibility, buffers).
        wait_for(Duration::from_secs(60), || async {
            let url = api.inventory(&format!("/v1/availability?channel={}&sku={last}", c.id));
            let reply = api.quiet(Method::GET, &url, As::Ops, None).await.ok()?;
            reply.status.is_success().then_some(())
        })
        .await
        .with_context(|| format!("inventory never learnt channel {}", c.id))?;
    }
    Ok(seeded)
}
