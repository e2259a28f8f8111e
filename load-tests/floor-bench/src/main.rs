//! The warehouse floor under concurrent pickers, through the real APIs.
//!
//! Seeds products with barcodes, stock, a channel and bins; places orders
//! through orders and waits for the warehouse's fulfillment orders; then
//! `--pickers` concurrent pickers each release waves and work them: every pick
//! is a bin + item scan acknowledged by the API (scan-to-ack), then each
//! fulfillment is packed, closed and shipped. Prints latency percentiles per
//! endpoint and the floor's throughput; `scripts/bench-warehouse.sh` adds the
//! event lags (shipped → orders shipped, → inventory consumed) from the
//! services' own timestamps.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Mutex;

#[derive(Parser, Clone)]
struct Args {
    #[arg(long, env = "CATALOG_URL")]
    catalog_url: String,
    #[arg(long, env = "INVENTORY_URL")]
    inventory_url: String,
    #[arg(long, env = "ORDERS_URL")]
    orders_url: String,
    #[arg(long, env = "WAREHOUSE_URL")]
    warehouse_url: String,
    /// An ops token (setup, waves).
    #[arg(long, env = "OPS_TOKEN")]
    ops_token: String,
    /// A warehouse-role token (scans, packing, shipping).
    #[arg(long, env = "FLOOR_TOKEN")]
    floor_token: String,
    /// A token for channel `--channel` (order intake).
    #[arg(long, env = "CHANNEL_TOKEN")]
    channel_token: String,
    #[arg(long, default_value = "bench-floor")]
    channel: String,
    #[arg(long, default_value = "BENCH-FLOOR")]
    location: String,
    #[arg(long, default_value_t = 8)]
    pickers: usize,
    #[arg(long, default_value_t = 400)]
    orders: usize,
    #[arg(long, default_value_t = 60)]
    skus: usize,
    #[arg(long, default_value_t = 4)]
    zones: usize,
    /// Fulfillments per wave.
    #[arg(long, default_value_t = 10)]
    wave_size: usize,
    /// A run tag, so repeated runs on one stack use fresh SKUs and orders.
    #[arg(long, default_value = "run")]
    tag: String,
    /// all | intake (seed, place orders, wait for the fulfillments) | floor
    /// (the pickers only, on what an earlier intake left open).
    #[arg(long, default_value = "all")]
    phase: String,
}

/// Latencies per endpoint.
#[derive(Default)]
struct Timings(HashMap<&'static str, Vec<Duration>>);

impl Timings {
    fn add(&mut self, endpoint: &'static str, d: Duration) {
        self.0.entry(endpoint).or_default().push(d);
    }
}

/// The item barcode of SKU `i` in run `tag`: unique per run (an FNV hash of
/// the tag picks a block of 1,000).
fn ean(tag: &str, i: usize) -> String {
    let hash = tag.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    let body = format!(
        "{:012}",
        200_000_000_000 + (hash % 100_000_000) * 1000 + i as u64
    );
    let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
    format!("{body}{}", domain::barcode::check_digit(&digits))
}

struct Api {
    client: Client,
}

impl Api {
    async fn call(
        &self,
        method: Method,
        url: &str,
        token: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value, Duration)> {
        let started = Instant::now();
        let mut req = self.client.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.with_context(|| url.to_string())?;
        let status = res.status();
        let body = res.json().await.unwrap_or(Value::Null);
        Ok((status, body, started.elapsed()))
    }

    async fn expect(
        &self,
        method: Method,
        url: &str,
        token: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(Value, Duration)> {
        let (status, body, took) = self.call(method, url, token, body).await?;
        if !status.is_success() {
            bail!("{url}: {status} {body}");
        }
        Ok((body, took))
    }
}

async fn seed(api: &Api, a: &Args) -> anyhow::Result<()> {
    let sku = |i: usize| format!("FLOOR-{}-{i}", a.tag);
    api.expect(Method::PUT, &format!("{}/v1/channels/{}", a.orders_url, a.channel), &a.ops_token,
        Some(&json!({"kind": "web", "name": "Bench floor", "currency": "EUR", "backorder_policy": "reject"}))).await?;
    api.expect(
        Method::PUT,
        &format!("{}/v1/locations/{}", a.inventory_url, a.location),
        &a.ops_token,
        Some(&json!({"name": "Bench floor", "kind": "warehouse", "priority": 1})),
    )
    .await?;
    for i in 0..a.skus {
        let product = json!({"title": format!("Floor product {i}"), "status": "active", "variants": [{
            "sku": sku(i), "barcode": ean(&a.tag, i),
            "listings": [{"channel_id": a.channel, "price": {"amount": "10.00", "currency": "EUR"}}]}]});
        api.expect(
            Method::POST,
            &format!("{}/v1/products", a.catalog_url),
            &a.ops_token,
            Some(&product),
        )
        .await?;
    }
    // Stock and bins once every service has learnt the SKUs.
    let last = sku(a.skus - 1);
    wait(Duration::from_secs(60), || async {
        let inv = api.call(Method::GET, &format!("{}/v1/stock/{last}", a.inventory_url), &a.ops_token, None).await.ok()?;
        let bin = json!({"zone": "Z", "aisle": "01", "shelf": "01", "level": "1", "walk_sequence": 0, "skus": [last]});
        let wh = api.call(Method::PUT, &format!("{}/v1/locations/{}/bins/PROBE", a.warehouse_url, a.location), &a.ops_token, Some(&bin)).await.ok()?;
        (inv.0.is_success() && wh.0.is_success()).then_some(())
    }).await.context("SKUs never reached inventory and warehouse")?;
    for i in 0..a.skus {
        api.expect(Method::POST, &format!("{}/v1/adjustments", a.inventory_url), &a.ops_token,
            Some(&json!({"sku": sku(i), "location": a.location, "reason": "receipt", "quantity_delta": 1_000_000}))).await?;
        let zone = format!("Z{}", i % a.zones);
        let bin = json!({"zone": zone, "aisle": format!("{:02}", i / a.zones), "shelf": "01", "level": "1",
                         "walk_sequence": i, "skus": [sku(i)]});
        api.expect(
            Method::PUT,
            &format!(
                "{}/v1/locations/{}/bins/{}-{i:03}",
                a.warehouse_url, a.location, a.tag
            ),
            &a.ops_token,
            Some(&bin),
        )
        .await?;
    }
    // The probe bin only proved the projection; deactivate it.
    let bin = json!({"zone": "Z", "aisle": "01", "shelf": "01", "level": "1", "walk_sequence": 0, "skus": [], "active": false});
    api.expect(
        Method::PUT,
        &format!("{}/v1/locations/{}/bins/PROBE", a.warehouse_url, a.location),
        &a.ops_token,
        Some(&bin),
    )
    .await?;
    // Orders validates listings against its catalog projection.
    wait(Duration::from_secs(60), || async {
        let (status, _, _) = api
            .call(
                Method::POST,
                &format!("{}/v1/orders", a.orders_url),
                &a.channel_token,
                Some(&order_body(a, "probe", &[(sku(a.skus - 1), 1)])),
            )
            .await
            .ok()?;
        (status == StatusCode::CREATED || status == StatusCode::OK).then_some(())
    })
    .await
    .context("orders never learnt the listings")?;
    Ok(())
}

fn order_body(a: &Args, external: &str, lines: &[(String, i64)]) -> Value {
    let total: i64 = lines.iter().map(|(_, q)| q * 10).sum();
    json!({
        "external_order_id": format!("{}-{external}", a.tag),
        "customer": {"email": format!("{external}@bench.example"), "name": "Bench"},
        "shipping_address": {"name": "Bench", "line1": "Hauptstr. 5", "city": "Hamburg", "postal_code": "20095", "country": "DE"},
        "lines": lines.iter().map(|(sku, q)| json!({"sku": sku, "quantity": q, "unit_price": {"amount": "10.00", "currency": "EUR"}})).collect::<Vec<_>>(),
        "shipping_total": {"amount": "0", "currency": "EUR"}, "tax_total": {"amount": "0", "currency": "EUR"},
        "discount_total": {"amount": "0", "currency": "EUR"}, "total": {"amount": total.to_string(), "currency": "EUR"},
        "payment_status": "paid", "placed_at": chrono::Utc::now().to_rfc3339(),
    })
}

async fn wait<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if let Some(v) = check().await {
            return Some(v);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

/// Counts the location's fulfillments in `status` (pages of 500).
async fn count(api: &Api, a: &Args, status: &str) -> anyhow::Result<usize> {
    let mut n = 0;
    let mut cursor = String::new();
    loop {
        let url = format!(
            "{}/v1/fulfillments?status={status}&location_code={}&limit=500{cursor}",
            a.warehouse_url, a.location
        );
        let (page, _) = api.expect(Method::GET, &url, &a.ops_token, None).await?;
        n += page["items"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return Ok(n),
        }
    }
}

/// One picker: release a wave, scan every task in walking order, then pack,
/// close and ship each fulfillment of the wave. Until nothing is left.
async fn picker(
    api: Arc<Api>,
    a: Arc<Args>,
    timings: Arc<Mutex<Timings>>,
) -> anyhow::Result<usize> {
    let mut shipped = 0;
    let mut local = Timings::default();
    loop {
        let (status, wave, took) = api
            .call(
                Method::POST,
                &format!("{}/v1/waves", a.warehouse_url),
                &a.ops_token,
                Some(&json!({"location_code": a.location, "max_fulfillments": a.wave_size})),
            )
            .await?;
        if status == StatusCode::CONFLICT {
            break;
        }
        if !status.is_success() {
            bail!("wave: {status} {wave}");
        }
        local.add("POST /v1/waves", took);
        let mut picked: HashMap<String, Vec<(String, i64)>> = HashMap::new();
        for list in wave["pick_lists"].as_array().into_iter().flatten() {
            for task in list["tasks"].as_array().into_iter().flatten() {
                let sku = task["sku"].as_str().unwrap_or_default();
                // What the handheld reads off the item: its GTIN (the SKU label without one).
                let item = task["gtin"].as_str().unwrap_or(sku).to_string();
                let quantity = task["quantity"].as_i64().unwrap_or(1);
                // One scan per unit, as a picker with a handheld does.
                for _ in 0..quantity {
                    let (_, took) = api
                        .expect(
                            Method::POST,
                            &format!(
                                "{}/v1/pick-tasks/{}/scans",
                                a.warehouse_url,
                                task["id"].as_str().unwrap_or_default()
                            ),
                            &a.floor_token,
                            Some(&json!({"bin": task["bin_code"], "item": item})),
                        )
                        .await?;
                    local.add("POST /v1/pick-tasks/{id}/scans", took);
                }
                picked
                    .entry(
                        task["fulfillment_id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    )
                    .or_default()
                    .push((item, quantity));
            }
        }
        for (fulfillment, items) in picked {
            let (package, took) = api
                .expect(
                    Method::POST,
                    &format!("{}/v1/fulfillments/{fulfillment}/packages", a.warehouse_url),
                    &a.floor_token,
                    Some(&json!({})),
                )
                .await?;
            local.add("POST /v1/fulfillments/{id}/packages", took);
            let id = package["id"].as_str().unwrap_or_default().to_string();
            for (item, quantity) in items {
                let (_, took) = api
                    .expect(
                        Method::POST,
                        &format!("{}/v1/packages/{id}/items", a.warehouse_url),
                        &a.floor_token,
                        Some(&json!({"item": item, "quantity": quantity})),
                    )
                    .await?;
                local.add("POST /v1/packages/{id}/items", took);
            }
            let (_, took) = api.expect(Method::POST, &format!("{}/v1/packages/{id}/close", a.warehouse_url), &a.floor_token,
                Some(&json!({"weight_grams": 500, "length_mm": 200, "width_mm": 150, "height_mm": 80}))).await?;
            local.add("POST /v1/packages/{id}/close", took);
            // The package id is unique, so is the label.
            let tracking = format!("BENCH{}", id.replace('-', "").to_uppercase());
            let (_, took) = api
                .expect(
                    Method::POST,
                    &format!("{}/v1/packages/{id}/ship", a.warehouse_url),
                    &a.floor_token,
                    Some(&json!({"tracking_number": tracking})),
                )
                .await?;
            local.add("POST /v1/packages/{id}/ship", took);
            shipped += 1;
        }
    }
    let mut all = timings.lock().await;
    for (k, v) in local.0 {
        all.0.entry(k).or_default().extend(v);
    }
    Ok(shipped)
}

/// Latencies in an HDR histogram (microseconds, three significant digits).
fn histogram(samples: &[Duration]) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
    for d in samples {
        h.saturating_record((d.as_micros() as u64).max(1));
    }
    h
}

/// The latency at quantile `q` (1.0: the maximum), in milliseconds.
fn percentile(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    h.value_at_quantile(q) as f64 / 1000.0
}

async fn intake(api: &Arc<Api>, a: &Arc<Args>) -> anyhow::Result<()> {
    eprintln!("seeding {} SKUs, bins in {} zones", a.skus, a.zones);
    seed(api, a).await?;
    let before = count(api, a, "open").await?;
    eprintln!("placing {} orders", a.orders);
    let mut rng: u64 = 0x9E3779B97F4A7C15;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let mut bodies = Vec::new();
    for o in 0..a.orders {
        let lines: Vec<(String, i64)> = {
            let n = 1 + next(3);
            let mut skus: Vec<usize> = (0..n).map(|_| next(a.skus)).collect();
            skus.sort();
            skus.dedup();
            skus.into_iter()
                .map(|s| (format!("FLOOR-{}-{s}", a.tag), 1 + next(2) as i64))
                .collect()
        };
        bodies.push(order_body(a, &format!("o{o}"), &lines));
    }
    let intake = Instant::now();
    let mut handles = Vec::new();
    for chunk in bodies.chunks(a.orders.div_ceil(16).max(1)) {
        let (api, a, chunk) = (api.clone(), a.clone(), chunk.to_vec());
        handles.push(tokio::spawn(async move {
            for body in chunk {
                api.expect(
                    Method::POST,
                    &format!("{}/v1/orders", a.orders_url),
                    &a.channel_token,
                    Some(&body),
                )
                .await?;
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await??;
    }
    let want = before + a.orders;
    wait(Duration::from_secs(300), || async {
        (count(api, a, "open").await.ok()? >= want).then_some(())
    })
    .await
    .context("the warehouse never had every order's fulfillment")?;
    let to_open = intake.elapsed();
    println!(
        "{} orders placed → all their fulfillments open in {:.1} s",
        a.orders,
        to_open.as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Arc::new(Args::parse());
    let api = Arc::new(Api {
        client: Client::builder()
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(30))
            .build()?,
    });
    if a.phase != "floor" {
        intake(&api, &a).await?;
    }
    if a.phase == "intake" {
        return Ok(());
    }
    let timings = Arc::new(Mutex::new(Timings::default()));
    let floor = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..a.pickers {
        handles.push(tokio::spawn(picker(
            api.clone(),
            a.clone(),
            timings.clone(),
        )));
    }
    let mut shipped = 0;
    for h in handles {
        shipped += h.await??;
    }
    let took = floor.elapsed();
    let timings = timings.lock().await;
    println!("| endpoint | requests | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut names: Vec<_> = timings.0.keys().copied().collect();
    names.sort();
    for name in names {
        let v = histogram(&timings.0[name]);
        println!(
            "| `{name}` | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            v.len(),
            percentile(&v, 0.5),
            percentile(&v, 0.9),
            percentile(&v, 0.99),
            percentile(&v, 1.0)
        );
    }
    let scans = timings
        .0
        .get("POST /v1/pick-tasks/{id}/scans")
        .map_or(0, Vec::len);
    println!();
    println!(
        "{} pickers shipped {shipped} fulfillments in {:.1} s: {:.1} fulfillments/s, {:.0} scans/s",
        a.pickers,
        took.as_secs_f64(),
        shipped as f64 / took.as_secs_f64(),
        scans as f64 / took.as_secs_f64(),
    );
    Ok(())
}
