//! A replenishment run: every active rule's need against inventory's levels
//! and what is on order, sourced from the preferred supplier, grouped into
//! draft purchase orders per supplier and destination location.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, Utc};
use diesel::sql_types::{BigInt, Bool, Integer, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::Money;
use domain::contracts::procurement::{
    LineExplanation, PurchaseOrderLineView, PurchaseOrderStatus, PurchaseOrderView,
    ReplenishmentRunView, RuleKind,
};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::purchase_orders::{self, NewLine, NewOrder};
use super::{forecasts, rules};
use crate::domain::planning::{Unsourced, propose};
use crate::domain::replenishment::Position;

/// Advisory lock key of replenishment runs ("replen" in ASCII): runs that
/// create orders take it in turn, so a second run sees the first one's
/// drafts as on order and never orders the same need twice.
const RUN_LOCK: i64 = 0x7265706c656e;

async fn lock_runs(conn: &mut Conn) -> diesel::QueryResult<()> {
    #[derive(diesel::QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Integer)]
        #[allow(dead_code)]
        n: i32,
    }
    let _: Locked = diesel::sql_query("SELECT 1 AS n FROM pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(RUN_LOCK)
        .cached()
        .get_result(conn)
        .await?;
    Ok(())
}

/// Runs replenishment in the caller's transaction: with `dry_run` it only
/// proposes; otherwise it creates the draft orders and records the run.
pub async fn replenish(
    conn: &mut Conn,
    actor: &str,
    dry_run: bool,
) -> Result<ReplenishmentRunView, ApiError> {
    if !dry_run {
        lock_runs(conn).await?;
    }
    let id = Uuid::now_v7();
    let started_at = Utc::now();
    let all_rules = rules::active(conn).await?;
    let levels = rules::levels(conn).await?;
    let on_order = purchase_orders::on_order(conn).await?;
    let offers = super::suppliers::offers(conn).await?;
    let forecast_skus: Vec<String> = all_rules
        .iter()
        .filter(|r| r.kind == RuleKind::Forecast.as_str())
        .map(|r| r.sku.clone())
        .collect();
    let demand = forecasts::totals(conn, &forecast_skus).await?;

    // Levels by SKU; a SKU's backorders (the latest figure) are charged to
    // the rule location inventory allocates from first.
    let mut by_sku: HashMap<&str, Vec<&rules::LevelRow>> = HashMap::new();
    for l in &levels {
        by_sku.entry(l.sku.as_str()).or_default().push(l);
    }
    let mut rule_locations: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut forecast_rules: HashMap<&str, usize> = HashMap::new();
    for r in &all_rules {
        rule_locations
            .entry(r.sku.as_str())
            .or_default()
            .push(r.location_code.as_str());
        if r.kind == RuleKind::Forecast.as_str() {
            *forecast_rules.entry(r.sku.as_str()).or_default() += 1;
        }
    }
    let backorder_location = |sku: &str| -> Option<&str> {
        let levels = by_sku.get(sku);
        let priority = |loc: &str| {
            levels
                .and_then(|ls| ls.iter().find(|l| l.location_code == loc))
                .map_or(i32::MAX, |l| l.location_priority)
        };
        rule_locations
            .get(sku)?
            .iter()
            .copied()
            .min_by_key(|loc| (priority(loc), loc.to_string()))
    };

    let mut groups: BTreeMap<(String, String), Vec<(NewLine, i64)>> = BTreeMap::new();
    let mut unsourced = Vec::new();
    let today = started_at.date_naive();
    for r in &all_rules {
        let sku_levels = by_sku.get(r.sku.as_str());
        let here = sku_levels.and_then(|ls| ls.iter().find(|l| l.location_code == r.location_code));
        let backordered = if backorder_location(&r.sku) == Some(r.location_code.as_str()) {
            sku_levels
                .and_then(|ls| ls.iter().max_by_key(|l| l.seq))
                .map_or(0, |l| l.backordered)
        } else {
            0
        };
        let position = Position {
            on_hand: here.map_or(0, |l| l.on_hand),
            reserved: here.map_or(0, |l| l.reserved),
            backordered,
            on_order: on_order
                .get(&(r.sku.clone(), r.location_code.clone()))
                .copied()
                .unwrap_or(0),
        };
        let share = 1.0
            / forecast_rules
                .get(r.sku.as_str())
                .copied()
                .unwrap_or(1)
                .max(1) as f64;
        let sku_offers = offers.get(&r.sku).map(Vec::as_slice).unwrap_or(&[]);
        let proposal = match propose(r.rule()?, position, sku_offers, demand.get(&r.sku), share) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(Unsourced::NoSupplier) => {
                unsourced.push(format!("{} at {}", r.sku, r.location_code));
                continue;
            }
        };
        let explanation = LineExplanation {
            rule: r.kind()?,
            position: proposal.need.position,
            on_hand: position.on_hand,
            reserved: position.reserved,
            backordered: position.backordered,
            on_order: position.on_order,
            reorder_point: proposal.need.reorder_point,
            order_up_to: proposal.need.order_up_to,
            lead_time_demand: proposal.need.lead_time_demand,
            safety_stock: proposal.need.safety_stock,
            lead_time_days: proposal.lead.mean_days,
            lead_time_learned: proposal.lead.learned,
            needed: proposal.need.units,
            supplier_reason: proposal.supplier_reason.clone(),
        };
        groups
            .entry((
                proposal.offer.supplier_code.clone(),
                r.location_code.clone(),
            ))
            .or_default()
            .push((
                NewLine {
                    sku: r.sku.clone(),
                    supplier_sku: proposal.offer.supplier_sku.clone(),
                    quantity: proposal.quantity,
                    unit_cost: proposal.offer.unit_cost,
                    explanation: Some(explanation),
                },
                proposal.lead.mean_days.ceil() as i64,
            ));
    }

    let orders: Vec<NewOrder> = groups
        .into_iter()
        .map(|((supplier_code, location_code), lines)| {
            let lead_days = lines.iter().map(|(_, d)| *d).max().unwrap_or(0);
            let currency = lines[0].0.unit_cost.currency.code().to_string();
            NewOrder {
                supplier_code,
                location_code,
                currency,
                expected_on: today + Duration::days(lead_days),
                lines: lines.into_iter().map(|(l, _)| l).collect(),
            }
        })
        .collect();

    let purchase_orders = if dry_run {
        orders
            .iter()
            .map(|o| proposed_view(o, actor))
            .collect::<Result<_, _>>()?
    } else {
        record_run(conn, id, actor, started_at, all_rules.len(), orders.len()).await?;
        let mut ids = Vec::with_capacity(orders.len());
        for o in &orders {
            ids.push(purchase_orders::insert(conn, o, Some(id), actor).await?);
        }
        purchase_orders::views(conn, &ids).await?
    };
    Ok(ReplenishmentRunView {
        id,
        dry_run,
        started_at,
        requested_by: actor.to_string(),
        rules: all_rules.len() as i64,
        unsourced,
        purchase_orders,
    })
}

async fn record_run(
    conn: &mut Conn,
    id: Uuid,
    actor: &str,
    started_at: chrono::DateTime<Utc>,
    rules: usize,
    orders: usize,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO replenishment_runs (id, dry_run, requested_by, started_at, finished_at, \
           rules, orders) VALUES ($1, $2, $3, $4, now(), $5, $6)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Bool, _>(false)
    .bind::<Text, _>(actor)
    .bind::<Timestamptz, _>(started_at)
    .bind::<Integer, _>(rules as i32)
    .bind::<Integer, _>(orders as i32)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a run that creates orders started today (UTC): the daily
/// scheduled run skips when one did.
pub async fn ran_today(conn: &mut Conn) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    let row: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM replenishment_runs \
           WHERE NOT dry_run AND started_at >= date_trunc('day', now() AT TIME ZONE 'UTC') \
             AT TIME ZONE 'UTC') AS found",
    )
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.found)
}

/// What a dry run would create, as a view without id or number.
fn proposed_view(order: &NewOrder, actor: &str) -> Result<PurchaseOrderView, ApiError> {
    let now = Utc::now();
    let mut total = Decimal::ZERO;
    let lines = order
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let line_total = l.unit_cost.amount * Decimal::from(l.quantity);
            total += line_total;
            Ok(PurchaseOrderLineView {
                line_no: i as i32 + 1,
                sku: l.sku.clone(),
                supplier_sku: l.supplier_sku.clone(),
                quantity: l.quantity,
                unit_cost: l.unit_cost,
                line_total: Money::new(line_total, l.unit_cost.currency)
                    .map_err(|e| ApiError::internal(anyhow::anyhow!("line total: {e}")))?,
                received_good: 0,
                received_damaged: 0,
                cancelled: 0,
                unit_landed_cost: l.unit_cost,
                explanation: l.explanation.clone(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let currency = order.lines[0].unit_cost.currency;
    Ok(PurchaseOrderView {
        id: Uuid::nil(),
        number: String::new(),
        supplier_code: order.supplier_code.clone(),
        location_code: order.location_code.clone(),
        status: PurchaseOrderStatus::Draft,
        total: Money::new(total, currency)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("order total: {e}")))?,
        expected_on: order.expected_on,
        run_id: None,
        lines,
        charges: Vec::new(),
        version: 0,
        created_at: now,
        created_by: actor.to_string(),
        updated_at: now,
        approved_by: None,
        approved_at: None,
        sent_at: None,
        closed_at: None,
    })
}
