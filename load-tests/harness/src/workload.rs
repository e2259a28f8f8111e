//! What the run sells and where: channels, SKUs and their popularity,
//! locations, and the order bodies connectors send.

use rand::Rng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Zipf};
use serde_json::{Value, json};

use crate::cli::Load;

/// A sales channel of the storm: its id, kind and what it does when stock
/// runs short.
pub struct Channel {
    pub key: &'static str,
    pub id: &'static str,
    pub kind: &'static str,
    pub name: &'static str,
    pub backorder_policy: &'static str,
    pub safety_buffer_units: i64,
}

/// Stable across runs (channels are configuration); SKUs and locations are per run.
pub const CHANNELS: [Channel; 5] = [
    Channel {
        key: "web",
        id: "lt-web",
        kind: "web",
        name: "Load test web store",
        backorder_policy: "reject",
        safety_buffer_units: 0,
    },
    Channel {
        key: "amazon",
        id: "lt-amazon",
        kind: "marketplace",
        name: "Load test Amazon",
        backorder_policy: "reject",
        safety_buffer_units: 2,
    },
    Channel {
        key: "zalando",
        id: "lt-zalando",
        kind: "marketplace",
        name: "Load test Zalando",
        backorder_policy: "partial",
        safety_buffer_units: 1,
    },
    Channel {
        key: "wholesale",
        id: "lt-wholesale",
        kind: "b2b",
        name: "Load test wholesale",
        backorder_policy: "backorder",
        safety_buffer_units: 0,
    },
    Channel {
        key: "social",
        id: "lt-social",
        kind: "social",
        name: "Load test social shop",
        backorder_policy: "reject",
        safety_buffer_units: 0,
    },
];

/// Channel weights (cumulative, for sampling).
#[derive(Clone, Debug)]
pub struct Mix(Vec<(usize, f64)>);

impl Mix {
    pub fn parse(items: &[String]) -> anyhow::Result<Mix> {
        let mut out = Vec::new();
        let mut total = 0.0;
        for item in items {
            let (key, weight) = item
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--mix {item}: expected CHANNEL=WEIGHT"))?;
            let idx = CHANNELS.iter().position(|c| c.key == key).ok_or_else(|| {
                anyhow::anyhow!(
                    "--mix: unknown channel '{key}' (web, amazon, zalando, wholesale, social)"
                )
            })?;
            let w: f64 = weight
                .parse()
                .map_err(|_| anyhow::anyhow!("--mix {item}: weight must be a number"))?;
            anyhow::ensure!(w >= 0.0, "--mix {item}: weight must not be negative");
            total += w;
            out.push((idx, total));
        }
        anyhow::ensure!(total > 0.0, "--mix: weights must add up to more than 0");
        Ok(Mix(out.into_iter().map(|(i, c)| (i, c / total)).collect()))
    }

    pub fn channels(&self) -> impl Iterator<Item = &'static Channel> + '_ {
        self.0.iter().map(|(i, _)| &CHANNELS[*i])
    }

    pub fn pick(&self, rng: &mut StdRng) -> &'static Channel {
        let x: f64 = rng.random();
        let idx = self
            .0
            .iter()
            .find(|(_, c)| x < *c)
            .map_or(self.0[self.0.len() - 1].0, |(i, _)| *i);
        &CHANNELS[idx]
    }
}

/// A run's names and shape.
#[derive(Clone)]
pub struct Plan {
    pub tag: String,
    pub skus: Vec<String>,
    pub locations: Vec<String>,
    pub mix: Mix,
    pub lines: (usize, usize),
    pub max_quantity: i64,
    zipf: Option<Zipf<f64>>,
}

impl Plan {
    pub fn new(load: &Load, tag: &str) -> anyhow::Result<Plan> {
        let zipf = if load.zipf > 0.0 {
            Some(Zipf::new(load.skus as f64, load.zipf)?)
        } else {
            None
        };
        Ok(Plan {
            tag: tag.to_string(),
            skus: (0..load.skus).map(|i| format!("LT-{tag}-{i:05}")).collect(),
            locations: (0..load.locations)
                .map(|i| format!("LT-{tag}-WH{}", i + 1))
                .collect(),
            mix: Mix::parse(&load.mix)?,
            lines: load.line_range()?,
            max_quantity: load.max_quantity,
            zipf,
        })
    }

    /// SKU `i` is the i-th most popular.
    pub fn is_scarce(i: usize) -> bool {
        i % 40 == 7
    }

    pub fn sku_index(&self, rng: &mut StdRng) -> usize {
        match &self.zipf {
            Some(z) => (z.sample(rng) as usize).clamp(1, self.skus.len()) - 1,
            None => rng.random_range(0..self.skus.len()),
        }
    }

    /// Distinct SKUs with quantities.
    pub fn order_lines(&self, rng: &mut StdRng) -> Vec<(usize, i64)> {
        let want = rng.random_range(self.lines.0..=self.lines.1);
        let mut picked: Vec<usize> = Vec::with_capacity(want);
        let mut tries = 0;
        while picked.len() < want && tries < want * 20 {
            let i = self.sku_index(rng);
            if !picked.contains(&i) {
                picked.push(i);
            }
            tries += 1;
        }
        picked
            .into_iter()
            .map(|i| (i, rng.random_range(1..=self.max_quantity)))
            .collect()
    }

    /// The item barcode of SKU `i`: a valid GTIN-13 unique per run tag.
    pub fn gtin(&self, i: usize) -> String {
        let hash = self.tag.bytes().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
        let body = format!(
            "{:012}",
            300_000_000_000 + (hash % 10_000_000) * 10_000 + i as u64
        );
        let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
        format!("{body}{}", domain::barcode::check_digit(&digits))
    }
}

pub const UNIT_PRICE: &str = "12.50";

/// The body a connector posts for order `seq`.
pub fn order_body(plan: &Plan, channel: &Channel, seq: u64, lines: &[(usize, i64)]) -> Value {
    // Cents, so money stays exact (no floats).
    let total_cents: i64 = lines.iter().map(|(_, q)| q * 1250).sum();
    json!({
        "channel_id": channel.id,
        "external_order_id": format!("{}-{seq}", plan.tag),
        "customer": {"email": format!("c{}@load.example", seq % 5000), "name": "Load Test"},
        "shipping_address": {"name": "Load Test", "line1": "Hauptstr. 5", "city": "Hamburg", "postal_code": "20095", "country": "DE"},
        "lines": lines.iter().map(|(i, q)| json!({
            "sku": plan.skus[*i], "quantity": q, "unit_price": {"amount": UNIT_PRICE, "currency": "EUR"}
        })).collect::<Vec<_>>(),
        "shipping_total": {"amount": "0.00", "currency": "EUR"},
        "tax_total": {"amount": "0.00", "currency": "EUR"},
        "discount_total": {"amount": "0.00", "currency": "EUR"},
        "total": {"amount": format!("{}.{:02}", total_cents / 100, total_cents % 100), "currency": "EUR"},
        "payment_status": "paid",
        "placed_at": chrono::Utc::now().to_rfc3339(),
    })
}

/// An order a careless connector sends: a line with quantity 0 (must be a
/// 422 naming the field, and create nothing).
pub fn invalid_order_body(plan: &Plan, channel: &Channel, seq: u64) -> Value {
    let mut body = order_body(plan, channel, seq, &[(0, 1)]);
    body["external_order_id"] = json!(format!("{}-bad-{seq}", plan.tag));
    body["lines"][0]["quantity"] = json!(0);
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn load() -> Load {
        use clap::Parser;
        #[derive(Parser)]
        struct T {
            #[command(flatten)]
            load: Load,
        }
        T::parse_from(["t", "--skus", "100", "--zipf", "1.0"]).load
    }

    #[test]
    fn zipf_makes_a_few_skus_hot_and_lines_are_distinct() {
        let plan = Plan::new(&load(), "T1").unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let mut hits = vec![0u32; 100];
        for _ in 0..20_000 {
            let lines = plan.order_lines(&mut rng);
            assert!((1..=4).contains(&lines.len()));
            let mut skus: Vec<_> = lines.iter().map(|(i, _)| *i).collect();
            skus.dedup();
            assert_eq!(skus.len(), lines.len(), "distinct SKUs per order");
            for (i, q) in lines {
                assert!((1..=3).contains(&q));
                hits[i] += 1;
            }
        }
        // With s = 1 over 100 SKUs the hottest takes ~19 % of draws; the
        // coldest well under 1 %.
        let total: u32 = hits.iter().sum();
        assert!(
            f64::from(hits[0]) / f64::from(total) > 0.12,
            "{:?}",
            &hits[..5]
        );
        assert!(hits[0] > 10 * hits[99]);
    }

    #[test]
    fn mix_follows_weights_and_rejects_unknown_channels() {
        let mix = Mix::parse(&["web=3".into(), "social=1".into()]).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let web = (0..10_000)
            .filter(|_| mix.pick(&mut rng).key == "web")
            .count();
        assert!((7_000..8_000).contains(&web), "{web}");
        assert!(Mix::parse(&["ebay=1".into()]).is_err());
        assert!(Mix::parse(&["web=0".into()]).is_err());
    }

    #[test]
    fn gtins_are_valid_and_distinct() {
        let plan = Plan::new(&load(), "T1").unwrap();
        let a = plan.gtin(1);
        assert_eq!(a.len(), 13);
        assert!(a.parse::<domain::Gtin>().is_ok(), "{a}");
        assert_ne!(a, plan.gtin(2));
    }

    #[test]
    fn order_totals_are_exact() {
        let plan = Plan::new(&load(), "T1").unwrap();
        let body = order_body(&plan, &CHANNELS[0], 9, &[(0, 3), (1, 1)]);
        assert_eq!(body["total"]["amount"], "50.00");
        assert_eq!(body["external_order_id"], "T1-9");
    }
}
