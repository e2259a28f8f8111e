//! Billing under load: the run invoices through its own legal entity (so its
//! invoice series starts at 1 and "gapless" is checkable per run), the
//! load-test channels are billed by it, the destination has a tax rule and
//! the marketplaces a fee schedule (so shipments also accrue fees). After the
//! run: every invoice of that entity, what still waits, the trial balance.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use crate::api::{Api, As};
use crate::collect::ShippedFact;
use crate::workload::{CHANNELS, Plan};

/// Where the storm's orders ship (workload.rs), and the rate the harness
/// sets there when the deployment has none.
const DESTINATION: &str = "DE";
const STANDARD_RATE: &str = "19";

/// The run's legal entity: `LT-` and the tag, in the code's alphabet.
pub fn entity_code(plan: &Plan) -> String {
    let tag: String = plan
        .tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .map(|c| c.to_ascii_uppercase())
        .take(17)
        .collect();
    format!("LT-{tag}")
}

/// Sets billing up for the run; returns the run's legal entity.
pub async fn prepare(api: &Api, plan: &Plan) -> anyhow::Result<String> {
    let entity = entity_code(plan);
    api.must(
        Method::PUT,
        &api.billing(&format!("/v1/legal-entities/{entity}")),
        As::Finance,
        Some(
            &json!({"name": format!("Load test seller {}", plan.tag), "country": DESTINATION,
                     "vat_id": "DE123456789", "street": "Lastweg 1", "city": "Hamburg",
                     "postal_code": "20095"}),
        ),
    )
    .await
    .context("billing: the run's legal entity")?;
    // A deployment's own rate for the destination stays as it is.
    let rules = read(api, "/v1/tax-rules").await?;
    let has_rule = rules
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| r["country"] == DESTINATION && r["tax_category"] == "standard");
    if !has_rule {
        api.must(
            Method::PUT,
            &api.billing(&format!("/v1/tax-rules/{DESTINATION}/standard")),
            As::Finance,
            Some(&json!({"rate": STANDARD_RATE})),
        )
        .await?;
    }
    let today = Utc::now().date_naive();
    for (n, c) in CHANNELS.iter().enumerate() {
        // Both price bases and both rounding rules are exercised.
        let prices = if c.kind == "b2b" {
            "tax_exclusive"
        } else {
            "tax_inclusive"
        };
        let rounding = if n % 2 == 0 {
            "per_document"
        } else {
            "per_line"
        };
        api.must(
            Method::PUT,
            &api.billing(&format!("/v1/channel-billing/{}", c.id)),
            As::Finance,
            Some(&json!({"legal_entity": entity, "prices": prices, "rounding": rounding})),
        )
        .await
        .with_context(|| format!("billing: channel {}", c.id))?;
        if c.kind == "marketplace" {
            let eur = |a: &str| json!({"amount": a, "currency": "EUR"});
            api.must(
                Method::PUT,
                &api.billing(&format!("/v1/fee-schedules/{}/{today}", c.id)),
                As::Finance,
                Some(
                    &json!({"currency": "EUR", "default_commission_percent": "15",
                             "per_order_fee": eur("0.99"), "per_unit_fulfillment_fee": eur("2.70"),
                             "payment_percent": "1.2", "payment_fixed_fee": eur("0.30")}),
                ),
            )
            .await
            .with_context(|| format!("billing: fee schedule of {}", c.id))?;
        }
    }
    Ok(entity)
}

/// One invoice of the run's legal entity.
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceFact {
    pub number: String,
    pub series: String,
    pub sequence: i64,
    pub order_id: String,
    pub fulfillment_id: String,
    pub issued_at: DateTime<Utc>,
}

/// What billing says after the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BillingFacts {
    pub entity: String,
    pub invoices: Vec<InvoiceFact>,
    /// Credit notes of the run's entity (the returns scenario's refunds).
    pub credit_notes: Vec<InvoiceFact>,
    /// Shipments billing has not invoiced: fulfillment id → why.
    pub waiting: HashMap<String, String>,
    /// EUR trial balance: total debits and credits, as billing states them.
    pub total_debit: String,
    pub total_credit: String,
}

/// Reads billing once every shipment has its invoice, or after `limit`
/// (a shipment that arrived before its order's placement is invoiced when the
/// placement lands, by billing's invoicer, a moment after the event pipeline
/// has settled).
pub async fn collect(
    api: &Api,
    entity: &str,
    since: DateTime<Utc>,
    shipped: &HashMap<String, ShippedFact>,
    limit: Duration,
) -> anyhow::Result<BillingFacts> {
    let until = Instant::now() + limit;
    loop {
        let facts = collect_once(api, entity, since).await?;
        let invoiced: HashSet<&str> = facts
            .invoices
            .iter()
            .map(|i| i.fulfillment_id.as_str())
            .collect();
        if shipped.keys().all(|id| invoiced.contains(id.as_str())) || Instant::now() >= until {
            return Ok(facts);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn collect_once(
    api: &Api,
    entity: &str,
    since: DateTime<Utc>,
) -> anyhow::Result<BillingFacts> {
    let mut invoices = Vec::new();
    let mut credit_notes = Vec::new();
    for (c, kind) in CHANNELS
        .iter()
        .flat_map(|c| [(c, "invoice"), (c, "credit_note")])
    {
        let mut cursor = String::new();
        // Newest first: stop at the first page that reaches back before the run.
        'pages: loop {
            let page = read(
                api,
                &format!(
                    "/v1/invoices?channel={}&kind={kind}&limit=1000{cursor}",
                    c.id
                ),
            )
            .await?;
            for d in page["items"].as_array().into_iter().flatten() {
                let issued_at: DateTime<Utc> =
                    serde_json::from_value(d["issued_at"].clone()).context("invoice issued_at")?;
                if issued_at < since {
                    break 'pages;
                }
                if d["legal_entity"] == entity {
                    match kind {
                        "invoice" => invoices.push(invoice_fact(d, issued_at)),
                        _ => credit_notes.push(invoice_fact(d, issued_at)),
                    }
                }
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
    }
    let pending = read(api, "/v1/pending-shipments").await?;
    let waiting = pending
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                text(&p["fulfillment_id"]),
                p["reason"].as_str().unwrap_or("waiting").to_string(),
            )
        })
        .collect();
    let trial = read(api, "/v1/trial-balance?currency=EUR").await?;
    Ok(BillingFacts {
        entity: entity.to_string(),
        invoices,
        credit_notes,
        waiting,
        total_debit: text(&trial["total_debit"]["amount"]),
        total_credit: text(&trial["total_credit"]["amount"]),
    })
}

/// A read of billing as finance.
async fn read(api: &Api, path: &str) -> anyhow::Result<Value> {
    api.must(Method::GET, &api.billing(path), As::Finance, None)
        .await
}

fn invoice_fact(d: &Value, issued_at: DateTime<Utc>) -> InvoiceFact {
    InvoiceFact {
        number: text(&d["number"]),
        series: text(&d["series"]),
        sequence: d["sequence"].as_i64().unwrap_or(0),
        order_id: text(&d["order_id"]),
        fulfillment_id: text(&d["fulfillment_id"]),
        issued_at,
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}
