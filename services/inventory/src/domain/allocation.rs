//! Where an order's stock comes from: the allocation strategy, pure and
//! deterministic so the same stock always gives the same answer.
//!
//! 1. Candidates are the channel's eligible active locations, ordered by
//!    priority (lower first), then code.
//! 2. If one location can ship the whole order, the first such location takes it.
//! 3. Otherwise the order is split across the fewest locations that together
//!    cover it; among sets of equal size, the one whose priorities sort first
//!    wins. Each line then takes from the set's locations in priority order.
//! 4. If no set covers it, the backorder policy decides: `reject` and
//!    `backorder` reserve nothing and report each line's shortfall; `partial`
//!    takes what there is, line by line in priority order, and reports the rest.

use std::collections::HashMap;

use domain::contracts::orders::BackorderPolicy;

/// A location that may ship the order, with what it has available per SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub location_id: uuid::Uuid,
    pub code: String,
    pub priority: i32,
    pub available: HashMap<String, i64>,
}

impl Candidate {
    fn has(&self, sku: &str) -> i64 {
        self.available.get(sku).copied().unwrap_or(0).max(0)
    }
}

/// One requested line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
}

/// Units of one line taken from one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub line_no: i32,
    pub sku: String,
    pub location_id: uuid::Uuid,
    pub location_code: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Short {
    pub line_no: i32,
    pub sku: String,
    pub requested: i64,
    pub missing: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allocation {
    /// Everything is covered.
    Full(Vec<Pick>),
    /// Under `partial`: what could be taken, and what is missing.
    Partial {
        picks: Vec<Pick>,
        shorts: Vec<Short>,
    },
    /// Nothing taken (reject/backorder, or partial with nothing at all).
    None(Vec<Short>),
}

/// Subsets are searched exactly up to this many candidates; beyond, the
/// remaining ones are added greedily by priority (real networks have a handful).
const EXACT_SEARCH_LIMIT: usize = 12;

/// Sorts candidates into allocation order: priority, then code.
pub fn sort_candidates(candidates: &mut [Candidate]) {
    candidates.sort_by(|a, b| (a.priority, &a.code).cmp(&(b.priority, &b.code)));
}

/// Sums stock without overflow: a sum past `i64::MAX` saturates, which can
/// only under-state stock that no order's demand reaches anyway.
fn total(units: impl IntoIterator<Item = i64>) -> i64 {
    units.into_iter().fold(0, i64::saturating_add)
}

/// Demand per SKU (an order may list one SKU on several lines). `None` when a
/// sum passes `i64::MAX`: intake bounds line quantities, but an event is input
/// too, and such an order can never be covered.
fn demand(lines: &[Line]) -> Option<Vec<(String, i64)>> {
    let mut totals: Vec<(String, i64)> = Vec::new();
    for line in lines {
        match totals.iter_mut().find(|(sku, _)| *sku == line.sku) {
            Some((_, q)) => *q = q.checked_add(line.quantity)?,
            None => totals.push((line.sku.clone(), line.quantity)),
        }
    }
    Some(totals)
}

fn covers(set: &[&Candidate], demand: &[(String, i64)]) -> bool {
    demand
        .iter()
        .all(|(sku, qty)| total(set.iter().map(|c| c.has(sku))) >= *qty)
}

/// Takes each line from `set` in order, as far as stock goes.
fn take(set: &[&Candidate], lines: &[Line]) -> (Vec<Pick>, Vec<Short>) {
    let mut left: Vec<HashMap<&str, i64>> = set
        .iter()
        .map(|c| {
            c.available
                .iter()
                .map(|(k, v)| (k.as_str(), (*v).max(0)))
                .collect()
        })
        .collect();
    let mut picks = Vec::new();
    let mut shorts = Vec::new();
    for line in lines {
        let mut need = line.quantity;
        for (i, c) in set.iter().enumerate() {
            if need == 0 {
                break;
            }
            let have = left[i].get(line.sku.as_str()).copied().unwrap_or(0);
            let n = have.min(need);
            if n > 0 {
                left[i].insert(line.sku.as_str(), have - n);
                need -= n;
                picks.push(Pick {
                    line_no: line.line_no,
                    sku: line.sku.clone(),
                    location_id: c.location_id,
                    location_code: c.code.clone(),
                    quantity: n,
                });
            }
        }
        if need > 0 {
            shorts.push(Short {
                line_no: line.line_no,
                sku: line.sku.clone(),
                requested: line.quantity,
                missing: need,
            });
        }
    }
    (picks, shorts)
}

/// The smallest covering set, by the rules in the module docs.
fn smallest_cover<'a>(
    candidates: &'a [Candidate],
    demand: &[(String, i64)],
) -> Option<Vec<&'a Candidate>> {
    let exact = candidates.len().min(EXACT_SEARCH_LIMIT);
    for size in 1..=exact {
        // Combinations in lexicographic index order: since candidates are sorted
        // by priority, the first covering combination has the best priorities.
        let mut idx: Vec<usize> = (0..size).collect();
        loop {
            let set: Vec<&Candidate> = idx.iter().map(|&i| &candidates[i]).collect();
            if covers(&set, demand) {
                return Some(set);
            }
            // Next combination.
            let mut i = size;
            while i > 0 && idx[i - 1] == exact - size + i - 1 {
                i -= 1;
            }
            if i == 0 {
                break;
            }
            idx[i - 1] += 1;
            for j in i..size {
                idx[j] = idx[j - 1] + 1;
            }
        }
    }
    // More candidates than the exact search handles: all of them, greedily.
    let all: Vec<&Candidate> = candidates.iter().collect();
    covers(&all, demand).then_some(all)
}

/// Allocates `lines` over `candidates` (already in allocation order).
pub fn allocate(candidates: &[Candidate], lines: &[Line], policy: BackorderPolicy) -> Allocation {
    let demand = demand(lines);
    if let Some(set) = demand
        .as_deref()
        .and_then(|d| smallest_cover(candidates, d))
    {
        let (picks, shorts) = take(&set, lines);
        debug_assert!(shorts.is_empty());
        return Allocation::Full(picks);
    }
    let all: Vec<&Candidate> = candidates.iter().collect();
    let (picks, shorts) = take(&all, lines);
    match policy {
        BackorderPolicy::Partial if !picks.is_empty() => Allocation::Partial { picks, shorts },
        _ => {
            // Nothing is taken, so each line's shortfall counts against the
            // whole eligible stock, not what earlier lines would have used.
            let shorts = lines
                .iter()
                .filter_map(|line| {
                    let have = total(candidates.iter().map(|c| c.has(&line.sku)));
                    let need = match &demand {
                        Some(demand) => demand
                            .iter()
                            .find(|(s, _)| *s == line.sku)
                            .map(|(_, q)| *q)
                            .unwrap_or(line.quantity),
                        None => i64::MAX,
                    };
                    let missing = (need - have).clamp(0, line.quantity);
                    (missing > 0).then(|| Short {
                        line_no: line.line_no,
                        sku: line.sku.clone(),
                        requested: line.quantity,
                        missing,
                    })
                })
                .collect();
            Allocation::None(shorts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(code: &str, priority: i32, stock: &[(&str, i64)]) -> Candidate {
        Candidate {
            location_id: uuid::Uuid::new_v4(),
            code: code.into(),
            priority,
            available: stock.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        }
    }

    fn line(no: i32, sku: &str, q: i64) -> Line {
        Line {
            line_no: no,
            sku: sku.into(),
            quantity: q,
        }
    }

    fn codes(picks: &[Pick]) -> Vec<(i32, &str, i64)> {
        picks
            .iter()
            .map(|p| (p.line_no, p.location_code.as_str(), p.quantity))
            .collect()
    }

    #[test]
    fn demand_past_i64_never_overflows_or_allocates() {
        // Two lines of one SKU at 2^62 units: their sum is past i64::MAX
        // (a panic in debug builds, a negative demand in release before).
        let c = vec![
            loc("PRIMARY", 10, &[("A", 100)]),
            loc("OVERFLOW", 20, &[("A", 1_000)]),
        ];
        let lines = [line(1, "A", 1 << 62), line(2, "A", 1 << 62)];
        for policy in [BackorderPolicy::Reject, BackorderPolicy::Backorder] {
            let Allocation::None(shorts) = allocate(&c, &lines, policy) else {
                panic!("an order beyond all stock is not covered under {policy:?}")
            };
            assert_eq!(shorts.len(), 2);
            assert!(shorts.iter().all(|s| s.missing > 0));
        }
        let Allocation::Partial { picks, shorts } = allocate(&c, &lines, BackorderPolicy::Partial)
        else {
            panic!("partial takes what there is")
        };
        let taken: i64 = picks.iter().map(|p| p.quantity).sum();
        assert_eq!(taken, 1_100, "all the stock there is, no more");
        assert_eq!(shorts.len(), 2);
    }

    #[test]
    fn one_location_that_ships_everything_wins_by_priority() {
        let mut c = vec![
            loc("OVERFLOW", 20, &[("A", 10), ("B", 10)]),
            loc("PRIMARY", 10, &[("A", 10), ("B", 10)]),
        ];
        sort_candidates(&mut c);
        let Allocation::Full(picks) = allocate(
            &c,
            &[line(1, "A", 2), line(2, "B", 1)],
            BackorderPolicy::Reject,
        ) else {
            panic!("full")
        };
        assert_eq!(codes(&picks), [(1, "PRIMARY", 2), (2, "PRIMARY", 1)]);
    }

    #[test]
    fn a_lower_priority_location_that_ships_whole_beats_a_split() {
        let mut c = vec![
            loc("PRIMARY", 10, &[("A", 5)]),
            loc("OVERFLOW", 20, &[("A", 5), ("B", 5)]),
        ];
        sort_candidates(&mut c);
        let Allocation::Full(picks) = allocate(
            &c,
            &[line(1, "A", 2), line(2, "B", 1)],
            BackorderPolicy::Reject,
        ) else {
            panic!("full")
        };
        assert_eq!(codes(&picks), [(1, "OVERFLOW", 2), (2, "OVERFLOW", 1)]);
    }

    #[test]
    fn splits_across_the_fewest_locations() {
        let mut c = vec![
            loc("PRIMARY", 10, &[("A", 3)]),
            loc("STORE", 15, &[("A", 1)]),
            loc("OVERFLOW", 20, &[("A", 4)]),
        ];
        sort_candidates(&mut c);
        // 6 units: PRIMARY+STORE can't (4), PRIMARY+OVERFLOW can (7).
        let Allocation::Full(picks) = allocate(&c, &[line(1, "A", 6)], BackorderPolicy::Reject)
        else {
            panic!("full")
        };
        assert_eq!(codes(&picks), [(1, "PRIMARY", 3), (1, "OVERFLOW", 3)]);
    }

    #[test]
    fn same_sku_on_two_lines_counts_once_per_location() {
        let c = vec![
            loc("PRIMARY", 10, &[("A", 3)]),
            loc("OVERFLOW", 20, &[("A", 3)]),
        ];
        let Allocation::Full(picks) = allocate(
            &c,
            &[line(1, "A", 2), line(2, "A", 2)],
            BackorderPolicy::Reject,
        ) else {
            panic!("full")
        };
        assert_eq!(
            codes(&picks),
            [(1, "PRIMARY", 2), (2, "PRIMARY", 1), (2, "OVERFLOW", 1)]
        );
    }

    #[test]
    fn reject_and_backorder_take_nothing_and_report_shortfalls() {
        let c = vec![loc("PRIMARY", 10, &[("A", 1), ("B", 5)])];
        for policy in [BackorderPolicy::Reject, BackorderPolicy::Backorder] {
            let got = allocate(&c, &[line(1, "A", 3), line(2, "B", 2)], policy);
            assert_eq!(
                got,
                Allocation::None(vec![Short {
                    line_no: 1,
                    sku: "A".into(),
                    requested: 3,
                    missing: 2
                }])
            );
        }
    }

    #[test]
    fn partial_takes_what_there_is() {
        let c = vec![loc("PRIMARY", 10, &[("A", 1), ("B", 5)])];
        let Allocation::Partial { picks, shorts } = allocate(
            &c,
            &[line(1, "A", 3), line(2, "B", 2)],
            BackorderPolicy::Partial,
        ) else {
            panic!("partial")
        };
        assert_eq!(codes(&picks), [(1, "PRIMARY", 1), (2, "PRIMARY", 2)]);
        assert_eq!(
            shorts,
            [Short {
                line_no: 1,
                sku: "A".into(),
                requested: 3,
                missing: 2
            }]
        );
    }

    #[test]
    fn partial_with_nothing_available_is_none() {
        let c = vec![loc("PRIMARY", 10, &[])];
        assert!(matches!(
            allocate(&c, &[line(1, "A", 1)], BackorderPolicy::Partial),
            Allocation::None(_)
        ));
    }

    #[test]
    fn no_eligible_location_means_everything_is_short() {
        assert_eq!(
            allocate(&[], &[line(1, "A", 2)], BackorderPolicy::Backorder),
            Allocation::None(vec![Short {
                line_no: 1,
                sku: "A".into(),
                requested: 2,
                missing: 2
            }])
        );
    }

    #[test]
    fn negative_available_counts_as_none() {
        let c = vec![
            loc("PRIMARY", 10, &[("A", -3)]),
            loc("OVERFLOW", 20, &[("A", 2)]),
        ];
        let Allocation::Full(picks) = allocate(&c, &[line(1, "A", 2)], BackorderPolicy::Reject)
        else {
            panic!("full")
        };
        assert_eq!(codes(&picks), [(1, "OVERFLOW", 2)]);
    }

    mod properties {
        use std::collections::{BTreeMap, BTreeSet};

        use proptest::prelude::*;

        use super::*;

        const SKUS: [&str; 3] = ["A", "B", "C"];

        fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
            prop::collection::vec((0..4i32, prop::collection::vec(0..10i64, 3)), 1..=5).prop_map(
                |locations| {
                    let mut c: Vec<Candidate> = locations
                        .into_iter()
                        .enumerate()
                        .map(|(i, (priority, stock))| {
                            let stock: Vec<(&str, i64)> = SKUS.iter().copied().zip(stock).collect();
                            loc(&format!("L{i}"), priority, &stock)
                        })
                        .collect();
                    sort_candidates(&mut c);
                    c
                },
            )
        }

        fn lines() -> impl Strategy<Value = Vec<Line>> {
            prop::collection::vec((0..3usize, 1..12i64), 1..=4).prop_map(|l| {
                l.into_iter()
                    .enumerate()
                    .map(|(i, (sku, q))| line(i as i32 + 1, SKUS[sku], q))
                    .collect()
            })
        }

        fn policy() -> impl Strategy<Value = BackorderPolicy> {
            prop_oneof![
                Just(BackorderPolicy::Reject),
                Just(BackorderPolicy::Backorder),
                Just(BackorderPolicy::Partial),
            ]
        }

        fn picks_of(a: &Allocation) -> &[Pick] {
            match a {
                Allocation::Full(p) | Allocation::Partial { picks: p, .. } => p,
                Allocation::None(_) => &[],
            }
        }

        /// The size of the smallest set of candidates that covers the demand, by brute force.
        fn smallest_cover_size(c: &[Candidate], lines: &[Line]) -> Option<usize> {
            let mut need: BTreeMap<&str, i64> = BTreeMap::new();
            for l in lines {
                *need.entry(l.sku.as_str()).or_default() += l.quantity;
            }
            (1u32..(1 << c.len()))
                .filter(|mask| {
                    need.iter().all(|(sku, q)| {
                        let have: i64 = (0..c.len())
                            .filter(|i| mask & (1 << i) != 0)
                            .map(|i| c[i].has(sku))
                            .sum();
                        have >= *q
                    })
                })
                .map(|mask| mask.count_ones() as usize)
                .min()
        }

        proptest! {
            #[test]
            fn never_over_allocates(c in candidates(), lines in lines(), p in policy()) {
                let a = allocate(&c, &lines, p);
                let mut taken: BTreeMap<(String, String), i64> = BTreeMap::new();
                for pick in picks_of(&a) {
                    prop_assert!(pick.quantity > 0);
                    *taken.entry((pick.location_code.clone(), pick.sku.clone())).or_default() += pick.quantity;
                }
                for ((code, sku), units) in &taken {
                    let cand = c.iter().find(|x| &x.code == code).unwrap();
                    prop_assert!(*units <= cand.has(sku), "{code} {sku}: {units} > {}", cand.has(sku));
                }
                for l in &lines {
                    let got: i64 = picks_of(&a).iter().filter(|p| p.line_no == l.line_no).map(|p| p.quantity).sum();
                    prop_assert!(got <= l.quantity);
                    if matches!(a, Allocation::Full(_)) {
                        prop_assert_eq!(got, l.quantity);
                    }
                }
                if !matches!(p, BackorderPolicy::Partial) {
                    let partial = matches!(a, Allocation::Partial { .. });
                    prop_assert!(!partial, "only the partial policy takes part of an order");
                }
            }

            #[test]
            fn is_deterministic(c in candidates(), lines in lines(), p in policy()) {
                // The same stock in freshly built maps (another hash order) gives the same answer.
                let rebuilt: Vec<Candidate> = c
                    .iter()
                    .map(|x| Candidate { available: x.available.iter().map(|(k, v)| (k.clone(), *v)).collect(), ..x.clone() })
                    .collect();
                prop_assert_eq!(allocate(&c, &lines, p), allocate(&rebuilt, &lines, p));
            }

            #[test]
            fn a_covered_order_ships_from_the_fewest_locations(c in candidates(), lines in lines(), p in policy()) {
                let a = allocate(&c, &lines, p);
                match smallest_cover_size(&c, &lines) {
                    Some(fewest) => {
                        prop_assert!(matches!(a, Allocation::Full(_)), "coverable but {:?}", a);
                        let used: BTreeSet<&str> = picks_of(&a).iter().map(|p| p.location_code.as_str()).collect();
                        prop_assert_eq!(used.len(), fewest);
                    }
                    None => prop_assert!(!matches!(a, Allocation::Full(_))),
                }
            }
        }
    }
}
