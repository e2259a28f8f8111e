//! Correctness after the run: what the harness did (its own ledger of
//! inputs) against what each service says, and the services against each
//! other. Each check names what it found when it fails.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::billing::BillingFacts;
use crate::collect::{Ledger, OrderFact, ShippedFact, StockFact};
use crate::inbound::{OrderCounts, Received};
use crate::returns::Returned;
use crate::seed::Seeded;

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

fn check(name: &'static str, problems: Vec<String>, ok_detail: String) -> Check {
    let passed = problems.is_empty();
    let detail = if passed {
        ok_detail
    } else {
        let n = problems.len();
        let mut shown: Vec<String> = problems.into_iter().take(5).collect();
        if n > 5 {
            shown.push(format!("… and {} more", n - 5));
        }
        shown.join("; ")
    };
    Check {
        name,
        passed,
        detail,
    }
}

/// Everything the checks read.
pub struct Evidence<'a> {
    pub seeded: &'a Seeded,
    pub accepted: usize,
    pub orders: &'a [OrderFact],
    pub missing_orders: &'a [String],
    pub cancelled_by_harness: &'a [String],
    pub resend_mismatches: u64,
    pub stock: &'a HashMap<String, StockFact>,
    pub fulfillments: &'a HashMap<String, Vec<String>>,
    pub ledger: &'a Ledger,
    pub settled: bool,
    pub short_units: &'a HashMap<String, i64>,
    pub shipped_units: &'a HashMap<String, i64>,
    pub shipped_fulfillments: u64,
    pub floor_ran: bool,
    /// The inbound scenario: what the dock received (the harness's count)
    /// and what procurement says each order received.
    pub inbound: Option<(&'a Received, &'a OrderCounts)>,
    /// Billing took part: what it says, and the warehouse's shipped
    /// fulfillments it should have invoiced.
    pub billing: Option<(&'a BillingFacts, &'a HashMap<String, ShippedFact>)>,
    /// The returns scenario took part: the returns it drove.
    pub returns: Option<&'a Returned>,
}

impl Evidence<'_> {
    /// Units that came in per SKU: seeded, plus the dock's receipts (good
    /// and damaged: damaged units are on hand in quarantine).
    fn received(&self, sku: &str) -> (i64, i64) {
        let seeded = self.seeded.get(sku).copied().unwrap_or(0);
        match self.inbound {
            Some((r, _)) => (
                seeded + r.good.get(sku).copied().unwrap_or(0),
                r.damaged.get(sku).copied().unwrap_or(0),
            ),
            None => (seeded, 0),
        }
    }
}

pub fn run_all(e: &Evidence) -> Vec<Check> {
    vec![
        no_oversell(e),
        orders_accounted_for(e),
        counts_reconcile(e),
        events_applied_once(e),
        stock_conserved(e),
        receipts_applied_once(e),
        invoiced_once(e),
        numbering_gapless(e),
        ledger_balanced(e),
        returns_end_refunded_or_queued(e),
    ]
}

/// Every return support authorised ends refunded (billing's credit notes and
/// refund, support's RMA refunded) or queued for a person (awaiting a
/// finance approver, or a failed step); none is lost or left half done.
fn returns_end_refunded_or_queued(e: &Evidence) -> Check {
    const NAME: &str = "every authorised return ends refunded or queued";
    let Some(r) = e.returns else {
        return check(
            NAME,
            Vec::new(),
            "the returns scenario did not run (needs the floor, --finance-token and --admin-token)"
                .into(),
        );
    };
    let mut problems: Vec<String> = r.failures.clone();
    for f in &r.returns {
        match f.refund_status.as_str() {
            "refunded" if f.support_status == "refunded" => {}
            "refunded" => problems.push(format!(
                "{} refunded by billing, but support shows it {}",
                f.number, f.support_status
            )),
            "awaiting_approval" | "failed" => {}
            other => problems.push(format!(
                "{} (return {}, order {}): refund {other}",
                f.number, f.rma_id, f.order_id
            )),
        }
    }
    let queued = r
        .returns
        .iter()
        .filter(|f| f.refund_status != "refunded")
        .count();
    check(
        NAME,
        problems,
        format!(
            "{} returns: {} refunded, {queued} queued for a person",
            r.returns.len(),
            r.returns.len() - queued
        ),
    )
}

const NOT_BILLED: &str = "billing did not take part (no --finance-token)";

/// Every shipped fulfillment has exactly one invoice, for its order; no
/// invoice bills a shipment the warehouse did not ship; none still waits.
fn invoiced_once(e: &Evidence) -> Check {
    const NAME: &str = "every shipment invoiced exactly once";
    let Some((billing, shipped)) = e.billing else {
        return check(NAME, Vec::new(), NOT_BILLED.into());
    };
    let mut by_fulfillment: HashMap<&str, Vec<&crate::billing::InvoiceFact>> = HashMap::new();
    for i in &billing.invoices {
        by_fulfillment
            .entry(i.fulfillment_id.as_str())
            .or_default()
            .push(i);
    }
    let mut problems = Vec::new();
    for (id, fact) in shipped {
        match by_fulfillment.get(id.as_str()).map(Vec::as_slice) {
            None | Some([]) => problems.push(match billing.waiting.get(id) {
                Some(why) => format!("shipment {id} is not invoiced: {why}"),
                None => format!("shipment {id} is not invoiced"),
            }),
            Some([one]) if one.order_id != fact.order_id => problems.push(format!(
                "{} bills shipment {id} to order {}, the warehouse shipped it for {}",
                one.number, one.order_id, fact.order_id
            )),
            Some([_]) => {}
            Some(many) => problems.push(format!(
                "shipment {id} is invoiced {} times: {}",
                many.len(),
                many.iter()
                    .map(|i| i.number.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    // Shipments of earlier runs that waited for billing settings are
    // invoiced by this run's entity once it bills the channels: theirs.
    let run_orders: HashSet<&str> = e.orders.iter().map(|o| o.id.as_str()).collect();
    let mut earlier = 0;
    for i in &billing.invoices {
        if shipped.contains_key(&i.fulfillment_id) {
            continue;
        }
        if run_orders.contains(i.order_id.as_str()) {
            problems.push(format!(
                "{} bills shipment {}, which the warehouse did not ship",
                i.number, i.fulfillment_id
            ));
        } else {
            earlier += 1;
        }
    }
    check(
        NAME,
        problems,
        format!(
            "{} shipments, {} invoices by {} ({earlier} of them for earlier runs' shipments that waited for billing settings)",
            shipped.len(),
            billing.invoices.len(),
            billing.entity
        ),
    )
}

/// Per series, the run's invoice numbers are 1..N: no gap, no repeat.
fn numbering_gapless(e: &Evidence) -> Check {
    const NAME: &str = "invoice and credit note numbers gapless per series";
    let Some((billing, _)) = e.billing else {
        return check(NAME, Vec::new(), NOT_BILLED.into());
    };
    let mut series: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for i in billing.invoices.iter().chain(&billing.credit_notes) {
        series
            .entry(i.series.as_str())
            .or_default()
            .push(i.sequence);
    }
    let mut problems = Vec::new();
    for (name, numbers) in &mut series {
        numbers.sort_unstable();
        let expected: Vec<i64> = (1..=numbers.len() as i64).collect();
        if *numbers != expected {
            let repeated = numbers.windows(2).filter(|w| w[0] == w[1]).count();
            problems.push(format!(
                "{name}: {} numbers from {} to {}, {repeated} repeated",
                numbers.len(),
                numbers.first().copied().unwrap_or(0),
                numbers.last().copied().unwrap_or(0)
            ));
        }
    }
    let shown = series
        .iter()
        .map(|(name, n)| format!("{name}: 1..{}", n.len()))
        .collect::<Vec<_>>()
        .join(", ");
    check(
        NAME,
        problems,
        if shown.is_empty() {
            "no invoices".into()
        } else {
            shown
        },
    )
}

/// The ledger's debits equal its credits.
fn ledger_balanced(e: &Evidence) -> Check {
    const NAME: &str = "trial balance zero";
    let Some((billing, _)) = e.billing else {
        return check(NAME, Vec::new(), NOT_BILLED.into());
    };
    let parse = |s: &str| s.parse::<rust_decimal::Decimal>().ok();
    let (debit, credit) = (parse(&billing.total_debit), parse(&billing.total_credit));
    let problems = match (debit, credit) {
        (Some(d), Some(c)) if d == c => Vec::new(),
        _ => vec![format!(
            "EUR debits {} ≠ credits {}",
            billing.total_debit, billing.total_credit
        )],
    };
    check(
        NAME,
        problems,
        format!("EUR debits = credits = {}", billing.total_debit),
    )
}

/// Every receipt the dock completed reached procurement exactly once: per
/// order and line, the good and damaged units procurement recorded equal
/// what the harness scanned. (Inventory's side is in stock conservation: a
/// receipt applied twice there would leave more on hand than came in.)
fn receipts_applied_once(e: &Evidence) -> Check {
    let Some((received, counts)) = e.inbound else {
        return check(
            "receipts applied once",
            Vec::new(),
            "the inbound scenario did not run".into(),
        );
    };
    let mut problems = Vec::new();
    for (po, lines) in &received.orders {
        let theirs = counts.get(po).cloned().unwrap_or_default();
        let ours: HashMap<i64, (i64, i64)> = lines
            .iter()
            .filter(|(_, (g, d))| g + d > 0)
            .map(|(k, v)| (*k, *v))
            .collect();
        if theirs != ours {
            problems.push(format!(
                "order {po}: procurement recorded {theirs:?}, the dock received {ours:?}"
            ));
        }
    }
    check(
        "receipts applied once",
        problems,
        format!(
            "{} receipts against {} purchase orders, each applied once",
            received.receipts,
            received.orders.len()
        ),
    )
}

/// Per SKU: committed units never exceed what was received, and no location
/// has negative stock or more reserved than on hand.
fn no_oversell(e: &Evidence) -> Check {
    let mut committed: HashMap<&str, i64> = HashMap::new();
    for o in e.orders.iter().filter(|o| o.status != "cancelled") {
        for (sku, _, allocated, _, _) in &o.lines {
            *committed.entry(sku).or_default() += allocated;
        }
    }
    let mut problems = Vec::new();
    for sku in e.seeded.keys() {
        let received = &e.received(sku).0;
        let c = committed.get(sku.as_str()).copied().unwrap_or(0);
        if c > *received {
            problems.push(format!(
                "{sku}: {c} units committed to orders, {received} received"
            ));
        }
        if let Some(s) = e.stock.get(sku) {
            for (loc, on_hand, reserved) in &s.locations {
                if *on_hand < 0 || *reserved < 0 || reserved > on_hand {
                    problems.push(format!(
                        "{sku}@{loc}: on hand {on_hand}, reserved {reserved}"
                    ));
                }
            }
        } else {
            problems.push(format!("{sku}: inventory has no stock record"));
        }
    }
    let sold_out = e
        .stock
        .values()
        .flat_map(|s| &s.locations)
        .filter(|(_, on_hand, reserved)| on_hand == reserved)
        .count();
    check(
        "no SKU oversold",
        problems,
        format!(
            "{} SKUs: committed ≤ received; reserved ≤ on hand everywhere ({sold_out} SKU-locations fully committed)",
            e.seeded.len()
        ),
    )
}

/// Every accepted order exists and ended in a terminal state or one with a
/// reason: shipped, cancelled, backordered, on hold with a reason, or
/// confirmed with a fulfillment in the warehouse.
fn orders_accounted_for(e: &Evidence) -> Check {
    let mut problems: Vec<String> = e
        .missing_orders
        .iter()
        .map(|id| format!("order {id} was accepted but is not found"))
        .collect();
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for o in e.orders {
        *by_status.entry(o.status.clone()).or_default() += 1;
        let explained = match o.status.as_str() {
            "shipped" | "cancelled" | "backordered" => true,
            "on_hold" => o.hold_reason.is_some(),
            "confirmed" | "partially_shipped" => e.fulfillments.contains_key(&o.id),
            _ => false,
        };
        if !explained {
            problems.push(format!(
                "order {} is {} without an explanation",
                o.id, o.status
            ));
        }
        if e.floor_ran
            && o.status == "confirmed"
            && e.fulfillments
                .get(&o.id)
                .is_some_and(|f| f.iter().all(|s| s == "shipped"))
        {
            problems.push(format!(
                "order {}: every fulfillment shipped but the order is still confirmed",
                o.id
            ));
        }
    }
    let summary = by_status
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    check(
        "every accepted order is terminal or explained",
        problems,
        format!("{} accepted: {summary}", e.accepted),
    )
}

/// Orders, inventory and the warehouse agree on what happened.
fn counts_reconcile(e: &Evidence) -> Check {
    let mut problems = Vec::new();
    if e.orders.len() + e.missing_orders.len() != e.accepted {
        problems.push(format!(
            "{} accepted, {} looked up",
            e.accepted,
            e.orders.len() + e.missing_orders.len()
        ));
    }
    if e.resend_mismatches > 0 {
        problems.push(format!(
            "{} resent orders got a different order id",
            e.resend_mismatches
        ));
    }
    let status: HashMap<&str, &str> = e
        .orders
        .iter()
        .map(|o| (o.id.as_str(), o.status.as_str()))
        .collect();
    for id in e.cancelled_by_harness {
        if status.get(id.as_str()).is_some_and(|s| *s != "cancelled") {
            problems.push(format!(
                "order {id}: cancel answered 200 but the order is {}",
                status[id.as_str()]
            ));
        }
    }
    // Reserved in inventory = allocated and not yet shipped in orders.
    let mut outstanding: HashMap<&str, i64> = HashMap::new();
    for o in e.orders.iter().filter(|o| o.status != "cancelled") {
        for (sku, _, allocated, shipped, _) in &o.lines {
            *outstanding.entry(sku).or_default() += allocated - shipped;
        }
    }
    for (sku, s) in e.stock {
        let want = outstanding.get(sku.as_str()).copied().unwrap_or(0);
        if s.reserved != want {
            problems.push(format!(
                "{sku}: inventory reserves {}, orders have {want} allocated and unshipped",
                s.reserved
            ));
        }
    }
    // Shipments: the warehouse's shipped fulfillments = what orders recorded = what the floor shipped.
    let wh_shipped: usize = e
        .fulfillments
        .values()
        .flatten()
        .filter(|s| *s == "shipped")
        .count();
    let orders_shipments: usize = e.orders.iter().map(|o| o.shipped_at.len()).sum();
    if e.floor_ran
        && (wh_shipped as u64 != e.shipped_fulfillments || orders_shipments != wh_shipped)
    {
        problems.push(format!(
            "shipped fulfillments: floor {}, warehouse {wh_shipped}, orders {orders_shipments}",
            e.shipped_fulfillments
        ));
    }
    let cancelled = e.orders.iter().filter(|o| o.status == "cancelled").count();
    check(
        "counts reconcile across services",
        problems,
        format!(
            "orders {} = looked up; reserved per SKU = allocated − shipped ({} SKUs); shipped fulfillments {wh_shipped} (floor, warehouse, orders); cancelled {cancelled} (harness cancels {})",
            e.accepted,
            e.stock.len(),
            e.cancelled_by_harness.len()
        ),
    )
}

/// Each event produced since the start was applied exactly once by each of
/// its consumers (the inbox holds one row per event id), and no outbox holds
/// unpublished events.
fn events_applied_once(e: &Evidence) -> Check {
    let mut problems: Vec<String> = e
        .ledger
        .pairs
        .iter()
        .filter(|p| !p.balanced())
        .map(|p| {
            format!(
                "{} {} → {}: produced {}, applied {}",
                p.producer, p.event_type, p.consumer, p.produced, p.consumed
            )
        })
        .collect();
    for (svc, n) in &e.ledger.pending {
        if *n > 0 {
            problems.push(format!("{svc}: {n} events not yet published"));
        }
    }
    if !e.settled && problems.is_empty() {
        problems.push("the pipeline did not settle within --settle".into());
    }
    let events: i64 = e.ledger.pairs.iter().map(|p| p.consumed).sum();
    check(
        "every event applied exactly once",
        problems,
        format!(
            "{} producer → consumer pairs, {events} applications, all equal to what was produced (scheduled snapshots: at least)",
            e.ledger.pairs.len()
        ),
    )
}

/// Per SKU: on hand + shipped + written off = received.
fn stock_conserved(e: &Evidence) -> Check {
    let mut shipped_by_orders: HashMap<&str, i64> = HashMap::new();
    for o in e.orders {
        for (sku, _, _, shipped, _) in &o.lines {
            *shipped_by_orders.entry(sku).or_default() += shipped;
        }
    }
    let mut problems = Vec::new();
    for sku in e.seeded.keys() {
        let (good, damaged) = e.received(sku);
        let received = good + damaged;
        let on_hand = e.stock.get(sku).map_or(0, |s| s.on_hand);
        let shipped = shipped_by_orders.get(sku.as_str()).copied().unwrap_or(0);
        let written_off = e.short_units.get(sku).copied().unwrap_or(0);
        // Returned units back in stock (resellable, and refurbish in
        // quarantine); scrapped ones came back and were written off.
        let returned = e.returns.map_or(0, |r| r.restocked(sku));
        if on_hand + shipped + written_off != received + returned {
            problems.push(format!("{sku}: on hand {on_hand} + shipped {shipped} + short {written_off} ≠ received {received} (damaged {damaged} of it) + returned to stock {returned}"));
        }
        let floor = e.shipped_units.get(sku).copied().unwrap_or(0);
        if floor != shipped {
            problems.push(format!(
                "{sku}: the floor shipped {floor} units, orders recorded {shipped}"
            ));
        }
    }
    let shipped: i64 = shipped_by_orders.values().sum();
    let short: i64 = e.short_units.values().sum();
    check(
        "stock conserved: on hand + shipped + written off = seeded + received at the dock + returned to stock",
        problems,
        format!(
            "{} SKUs; {shipped} units shipped, {short} written off short",
            e.seeded.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::LedgerPair;
    use crate::returns::ReturnFact;

    fn order(id: &str, status: &str, lines: Vec<(&str, i64, i64, i64, i64)>) -> OrderFact {
        OrderFact {
            id: id.into(),
            status: status.into(),
            hold_reason: None,
            received_at: None,
            confirmed_at: None,
            shipped_at: if status == "shipped" {
                vec![chrono::Utc::now()]
            } else {
                vec![]
            },
            lines: lines
                .into_iter()
                .map(|(s, q, a, sh, sr)| (s.to_string(), q, a, sh, sr))
                .collect(),
        }
    }

    fn stock(on_hand: i64, reserved: i64) -> StockFact {
        StockFact {
            on_hand,
            reserved,
            locations: vec![("WH1".into(), on_hand, reserved)],
        }
    }

    struct World {
        seeded: Seeded,
        orders: Vec<OrderFact>,
        stock: HashMap<String, StockFact>,
        fulfillments: HashMap<String, Vec<String>>,
        ledger: Ledger,
        short: HashMap<String, i64>,
        shipped: HashMap<String, i64>,
        inbound: Option<(Received, OrderCounts)>,
        billing: Option<(BillingFacts, HashMap<String, ShippedFact>)>,
        returns: Option<Returned>,
    }

    /// 10 received; order a shipped 3, order b holds 2 reserved, order c cancelled.
    fn consistent() -> World {
        World {
            seeded: HashMap::from([("A".to_string(), 10)]),
            orders: vec![
                order("a", "shipped", vec![("A", 3, 3, 3, 0)]),
                order("b", "confirmed", vec![("A", 2, 2, 0, 0)]),
                order("c", "cancelled", vec![("A", 4, 4, 0, 0)]),
            ],
            stock: HashMap::from([("A".to_string(), stock(7, 2))]),
            fulfillments: HashMap::from([
                ("a".to_string(), vec!["shipped".to_string()]),
                ("b".to_string(), vec!["open".to_string()]),
            ]),
            ledger: Ledger {
                pairs: vec![LedgerPair {
                    event_type: "OrderPlaced".into(),
                    producer: "orders".into(),
                    consumer: "inventory (r)".into(),
                    produced: 3,
                    consumed: 3,
                }],
                pending: vec![("orders".into(), 0)],
            },
            short: HashMap::new(),
            shipped: HashMap::from([("A".to_string(), 3)]),
            inbound: None,
            billing: None,
            returns: None,
        }
    }

    /// The consistent world, plus a receipt of 5 good and 1 damaged unit of A
    /// (on hand 7 + 6) that procurement recorded once.
    fn with_receipt() -> World {
        let mut w = consistent();
        w.stock.get_mut("A").unwrap().on_hand += 6;
        w.stock.get_mut("A").unwrap().locations[0].1 += 6;
        let received = Received {
            good: HashMap::from([("A".to_string(), 5)]),
            damaged: HashMap::from([("A".to_string(), 1)]),
            orders: HashMap::from([("po-1".to_string(), HashMap::from([(1, (5, 1))]))]),
            receipts: 1,
            runs: 1,
        };
        let counts = HashMap::from([("po-1".to_string(), HashMap::from([(1, (5, 1))]))]);
        w.inbound = Some((received, counts));
        w
    }

    fn checks(w: &World) -> Vec<(&'static str, bool)> {
        run_all(&Evidence {
            seeded: &w.seeded,
            accepted: w.orders.len(),
            orders: &w.orders,
            missing_orders: &[],
            cancelled_by_harness: &["c".to_string()],
            resend_mismatches: 0,
            stock: &w.stock,
            fulfillments: &w.fulfillments,
            ledger: &w.ledger,
            settled: true,
            short_units: &w.short,
            shipped_units: &w.shipped,
            shipped_fulfillments: 1,
            floor_ran: true,
            inbound: w.inbound.as_ref().map(|(r, c)| (r, c)),
            billing: w.billing.as_ref().map(|(b, s)| (b, s)),
            returns: w.returns.as_ref(),
        })
        .into_iter()
        .map(|c| (c.name, c.passed))
        .collect()
    }

    fn failed(w: &World) -> Vec<&'static str> {
        checks(w)
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(n, _)| n)
            .collect()
    }

    fn returned(sku: &str, graded: (i64, i64, i64), refund: &str, support: &str) -> ReturnFact {
        ReturnFact {
            rma_id: "r".into(),
            number: "RMA-000001".into(),
            order_id: "a".into(),
            sku: sku.into(),
            graded,
            refund_status: refund.into(),
            support_status: support.into(),
            took_ms: Some(1.0),
        }
    }

    #[test]
    fn returned_units_back_in_stock_keep_it_conserved_and_lost_ones_fail() {
        // Two units of A came back: one resellable (on hand), one scrapped.
        let mut w = consistent();
        w.returns = Some(Returned {
            returns: vec![returned("A", (1, 0, 1), "refunded", "refunded")],
            ..Default::default()
        });
        w.stock.get_mut("A").unwrap().on_hand += 1;
        w.stock.get_mut("A").unwrap().locations[0].1 += 1;
        assert_eq!(failed(&w), Vec::<&str>::new());
        // The resellable unit never reached stock.
        w.stock.get_mut("A").unwrap().on_hand -= 1;
        w.stock.get_mut("A").unwrap().locations[0].1 -= 1;
        assert_eq!(
            failed(&w),
            vec![
                "stock conserved: on hand + shipped + written off = seeded + received at the dock + returned to stock"
            ]
        );
    }

    #[test]
    fn a_return_neither_refunded_nor_queued_fails() {
        let mut w = consistent();
        w.returns = Some(Returned {
            returns: vec![
                returned("A", (0, 0, 1), "awaiting_approval", "inspected"),
                returned("A", (0, 0, 1), "refunded", "inspected"),
            ],
            ..Default::default()
        });
        assert_eq!(
            failed(&w),
            vec!["every authorised return ends refunded or queued"]
        );
        w.returns.as_mut().unwrap().returns[1].support_status = "refunded".into();
        assert_eq!(failed(&w), Vec::<&str>::new());
        w.returns.as_mut().unwrap().returns[1].refund_status = "missing".into();
        assert_eq!(
            failed(&w),
            vec!["every authorised return ends refunded or queued"]
        );
    }

    #[test]
    fn a_consistent_world_passes_every_check() {
        assert_eq!(failed(&consistent()), Vec::<&str>::new());
    }

    #[test]
    fn oversold_stock_fails() {
        let mut w = consistent();
        w.orders
            .push(order("d", "confirmed", vec![("A", 6, 6, 0, 0)]));
        w.fulfillments.insert("d".into(), vec!["open".into()]);
        assert!(
            failed(&w).contains(&"no SKU oversold"),
            "11 committed of 10"
        );
        let mut w = consistent();
        w.stock.insert("A".into(), stock(1, 2));
        assert!(
            failed(&w).contains(&"no SKU oversold"),
            "reserved above on hand"
        );
    }

    #[test]
    fn an_order_stuck_without_reason_fails() {
        let mut w = consistent();
        w.orders[1].status = "received".into();
        assert_eq!(
            failed(&w),
            vec!["every accepted order is terminal or explained"]
        );
        let mut w = consistent();
        w.fulfillments.remove("b");
        assert!(
            failed(&w).contains(&"every accepted order is terminal or explained"),
            "confirmed without a fulfillment"
        );
    }

    #[test]
    fn services_disagreeing_fails() {
        let mut w = consistent();
        w.stock.get_mut("A").unwrap().reserved = 1;
        w.stock.get_mut("A").unwrap().locations[0].2 = 1;
        assert_eq!(failed(&w), vec!["counts reconcile across services"]);
    }

    #[test]
    fn an_event_lost_or_applied_twice_fails() {
        for consumed in [2, 4] {
            let mut w = consistent();
            w.ledger.pairs[0].consumed = consumed;
            assert_eq!(failed(&w), vec!["every event applied exactly once"]);
        }
        let mut w = consistent();
        w.ledger.pending[0].1 = 1;
        assert_eq!(failed(&w), vec!["every event applied exactly once"]);
    }

    #[test]
    fn stock_that_vanishes_or_appears_fails() {
        let mut w = consistent();
        w.stock.get_mut("A").unwrap().on_hand = 6;
        w.stock.get_mut("A").unwrap().locations[0].1 = 6;
        assert_eq!(
            failed(&w),
            vec![
                "stock conserved: on hand + shipped + written off = seeded + received at the dock + returned to stock"
            ]
        );
        let mut w = consistent();
        w.shipped.insert("A".into(), 4);
        assert_eq!(
            failed(&w),
            vec![
                "stock conserved: on hand + shipped + written off = seeded + received at the dock + returned to stock"
            ]
        );
    }

    #[test]
    fn receipts_count_as_received_and_apply_once() {
        assert_eq!(failed(&with_receipt()), Vec::<&str>::new());
        // Applied twice by inventory: more on hand than came in.
        let mut w = with_receipt();
        w.stock.get_mut("A").unwrap().on_hand += 6;
        w.stock.get_mut("A").unwrap().locations[0].1 += 6;
        assert_eq!(
            failed(&w),
            vec![
                "stock conserved: on hand + shipped + written off = seeded + received at the dock + returned to stock"
            ]
        );
        // Applied twice by procurement.
        let mut w = with_receipt();
        w.inbound
            .as_mut()
            .unwrap()
            .1
            .insert("po-1".into(), HashMap::from([(1, (10, 2))]));
        assert_eq!(failed(&w), vec!["receipts applied once"]);
    }

    fn invoice(number: i64, fulfillment: &str, order: &str) -> crate::billing::InvoiceFact {
        crate::billing::InvoiceFact {
            number: format!("LT-X-2026-{number:06}"),
            series: "LT-X-2026".into(),
            sequence: number,
            order_id: order.into(),
            fulfillment_id: fulfillment.into(),
            issued_at: chrono::Utc::now(),
        }
    }

    /// The consistent world with billing: order a's one shipment invoiced as
    /// number 1, the ledger balanced.
    fn billed() -> World {
        let mut w = consistent();
        let shipped = HashMap::from([(
            "f-a".to_string(),
            ShippedFact {
                order_id: "a".into(),
                shipped_at: Some(chrono::Utc::now()),
            },
        )]);
        let facts = BillingFacts {
            entity: "LT-X".into(),
            invoices: vec![invoice(1, "f-a", "a")],
            credit_notes: vec![],
            waiting: HashMap::new(),
            total_debit: "107.10".into(),
            total_credit: "107.1".into(),
        };
        w.billing = Some((facts, shipped));
        w
    }

    fn billing(w: &mut World) -> &mut (BillingFacts, HashMap<String, ShippedFact>) {
        w.billing.as_mut().unwrap()
    }

    #[test]
    fn billing_that_kept_up_passes() {
        assert_eq!(failed(&billed()), Vec::<&str>::new());
    }

    #[test]
    fn a_shipment_not_invoiced_or_invoiced_twice_fails() {
        let mut w = billed();
        billing(&mut w).0.invoices.clear();
        billing(&mut w)
            .0
            .waiting
            .insert("f-a".into(), "no tax rule".into());
        let c = checks(&w);
        assert_eq!(
            failed(&w),
            vec!["every shipment invoiced exactly once"],
            "{c:?}"
        );
        let mut w = billed();
        billing(&mut w).0.invoices.push(invoice(2, "f-a", "a"));
        assert_eq!(failed(&w), vec!["every shipment invoiced exactly once"]);
        let mut w = billed();
        billing(&mut w).0.invoices[0].order_id = "b".into();
        assert_eq!(failed(&w), vec!["every shipment invoiced exactly once"]);
    }

    #[test]
    fn an_earlier_runs_shipment_invoiced_by_the_run_counts_apart() {
        let mut w = billed();
        let facts = &mut billing(&mut w).0;
        facts.invoices[0].sequence = 2;
        facts.invoices.push(invoice(1, "f-old", "an-earlier-order"));
        assert_eq!(failed(&w), Vec::<&str>::new());
        // The same unknown shipment on one of the run's orders is a problem.
        billing(&mut w).0.invoices[1].order_id = "b".into();
        assert_eq!(failed(&w), vec!["every shipment invoiced exactly once"]);
    }

    #[test]
    fn a_gap_or_a_repeated_number_fails() {
        let mut w = billed();
        let (facts, shipped) = billing(&mut w);
        shipped.insert(
            "f-b".into(),
            ShippedFact {
                order_id: "b".into(),
                shipped_at: None,
            },
        );
        facts.invoices.push(invoice(3, "f-b", "b"));
        assert_eq!(
            failed(&w),
            vec!["invoice and credit note numbers gapless per series"]
        );
        billing(&mut w).0.invoices[1].sequence = 1;
        assert_eq!(
            failed(&w),
            vec!["invoice and credit note numbers gapless per series"]
        );
        billing(&mut w).0.invoices[1].sequence = 2;
        assert_eq!(failed(&w), Vec::<&str>::new());
    }

    #[test]
    fn an_unbalanced_ledger_fails() {
        let mut w = billed();
        billing(&mut w).0.total_credit = "107.09".into();
        assert_eq!(failed(&w), vec!["trial balance zero"]);
    }

    #[test]
    fn scheduled_snapshots_may_count_one_from_before_the_window() {
        let pair = |t: &str, produced, consumed| LedgerPair {
            event_type: t.into(),
            producer: "inventory".into(),
            consumer: "procurement".into(),
            produced,
            consumed,
        };
        assert!(pair("crossdock.inventory.v1.StockLevelChanged", 80, 95).balanced());
        assert!(!pair("crossdock.inventory.v1.StockLevelChanged", 80, 79).balanced());
        assert!(!pair("crossdock.orders.v1.OrderPlaced", 80, 81).balanced());
        assert!(pair("crossdock.orders.v1.OrderPlaced", 80, 80).balanced());
    }
}
