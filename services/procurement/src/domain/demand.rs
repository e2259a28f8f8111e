//! A SKU's daily demand as the forecast reads it: every day from the start
//! of its history to yesterday (a day still in progress would read as low),
//! zero days filled in, and stock-out days estimated rather than taken at
//! their censored figure.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};

/// Weeks either side of a stock-out day whose same weekday informs it.
const IMPUTE_WEEKS: i64 = 4;

/// The daily series over `first..=last`: the recorded quantity of each day
/// (zero when none), with each stock-out day raised to the mean of the same
/// weekday in the [`IMPUTE_WEEKS`] weeks around it that were not stock-outs
/// (never lowered: what was sold was demanded). Returns the series and how
/// many days were stock-outs.
pub fn daily_series(
    first: NaiveDate,
    last: NaiveDate,
    recorded: &HashMap<NaiveDate, i64>,
    stock_outs: &HashSet<NaiveDate>,
) -> (Vec<f64>, usize) {
    if last < first {
        return (Vec::new(), 0);
    }
    let days = (last - first).num_days() as usize + 1;
    let day = |i: usize| first + Duration::days(i as i64);
    let observed: Vec<f64> = (0..days)
        .map(|i| recorded.get(&day(i)).copied().unwrap_or(0) as f64)
        .collect();
    let censored: Vec<bool> = (0..days).map(|i| stock_outs.contains(&day(i))).collect();
    let mut series = observed.clone();
    for i in (0..days).filter(|&i| censored[i]) {
        let neighbours: Vec<f64> = (-IMPUTE_WEEKS..=IMPUTE_WEEKS)
            .filter(|w| *w != 0)
            .filter_map(|w| {
                let j = i as i64 + 7 * w;
                (0..days as i64)
                    .contains(&j)
                    .then_some(j as usize)
                    .filter(|&j| !censored[j])
                    .map(|j| observed[j])
            })
            .collect();
        if !neighbours.is_empty() {
            let mean = neighbours.iter().sum::<f64>() / neighbours.len() as f64;
            series[i] = observed[i].max(mean);
        }
    }
    (series, censored.iter().filter(|c| **c).count())
}

/// The window a forecast reads: from the later of the history's first day
/// and `max_days` before yesterday, to yesterday. None when no whole day of
/// history exists yet.
pub fn history_window(
    first_day: NaiveDate,
    today: NaiveDate,
    max_days: i64,
) -> Option<(NaiveDate, NaiveDate)> {
    let last = today - Duration::days(1);
    let first = first_day.max(today - Duration::days(max_days));
    (first <= last).then_some((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn zero_days_are_filled_in() {
        let recorded = HashMap::from([(d("2026-01-01"), 3), (d("2026-01-04"), 5)]);
        let (series, outs) =
            daily_series(d("2026-01-01"), d("2026-01-05"), &recorded, &HashSet::new());
        assert_eq!(series, vec![3.0, 0.0, 0.0, 5.0, 0.0]);
        assert_eq!(outs, 0);
    }

    #[test]
    fn a_stock_out_day_reads_as_its_weekday_not_as_zero() {
        // Five weeks of 10 a day; the middle Wednesday sold 2 before running out.
        let first = d("2026-01-05");
        let mut recorded: HashMap<NaiveDate, i64> =
            (0..35).map(|i| (first + Duration::days(i), 10)).collect();
        let out = first + Duration::days(16);
        recorded.insert(out, 2);
        let (series, outs) = daily_series(
            first,
            first + Duration::days(34),
            &recorded,
            &HashSet::from([out]),
        );
        assert_eq!(outs, 1);
        assert_eq!(series[16], 10.0);
        assert!(series.iter().all(|v| *v == 10.0));
    }

    #[test]
    fn a_stock_out_never_lowers_what_was_sold() {
        let first = d("2026-01-05");
        let recorded: HashMap<NaiveDate, i64> = [(0, 1), (7, 9), (14, 1)]
            .into_iter()
            .map(|(i, q)| (first + Duration::days(i), q))
            .collect();
        let (series, _) = daily_series(
            first,
            first + Duration::days(14),
            &recorded,
            &HashSet::from([first + Duration::days(7)]),
        );
        assert_eq!(series[7], 9.0);
    }

    #[test]
    fn the_window_ends_yesterday_and_is_capped() {
        let today = d("2026-03-01");
        assert_eq!(
            history_window(d("2025-01-01"), today, 30),
            Some((d("2026-01-30"), d("2026-02-28")))
        );
        assert_eq!(
            history_window(d("2026-02-20"), today, 730),
            Some((d("2026-02-20"), d("2026-02-28")))
        );
        assert_eq!(history_window(today, today, 730), None);
    }
}
