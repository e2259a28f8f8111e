//! SLA timers in business hours: a calendar (time zone, working days,
//! opening hours, holidays) turns "4 working hours" into a due time, and
//! counts how much business time passed between two instants. A ticket's
//! timers run while it waits on the merchant (new, open) and pause while it
//! waits on the customer (pending_customer) or is done; the business time
//! used so far is kept, so a timer resumes where it stopped, across
//! restarts (the state is a few columns of the ticket).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use domain::contracts::support::TicketStatus;
use serde::{Deserialize, Serialize};

/// Longest search for business time: ten years of calendar days (a
/// calendar with working days always finds one long before).
const HORIZON_DAYS: i64 = 3660;

/// When support works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// IANA time zone, e.g. Europe/Berlin.
    pub time_zone: String,
    /// ISO weekday numbers that are working days (1 = Monday … 7 = Sunday).
    pub working_days: Vec<u32>,
    /// Opening and closing, minutes after local midnight (close may be 1440).
    pub opens_minute: u32,
    pub closes_minute: u32,
    pub holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Round the clock, every day, UTC.
    pub fn always() -> Self {
        Self {
            time_zone: "UTC".into(),
            working_days: (1..=7).collect(),
            opens_minute: 0,
            closes_minute: 24 * 60,
            holidays: BTreeSet::new(),
        }
    }

    /// Why the calendar is unusable, per field.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.time_zone.parse::<Tz>().is_err() {
            out.push((
                "time_zone",
                format!(
                    "'{}' is not an IANA time zone (e.g. Europe/Berlin)",
                    self.time_zone
                ),
            ));
        }
        if self.working_days.is_empty() {
            out.push(("working_days", "must name at least one day".into()));
        }
        if self.working_days.iter().any(|d| !(1..=7).contains(d)) {
            out.push((
                "working_days",
                "days are mon, tue, wed, thu, fri, sat, sun".into(),
            ));
        }
        if self.opens_minute >= self.closes_minute || self.closes_minute > 24 * 60 {
            out.push(("closes", "must be after opens, at most 24:00".into()));
        }
        out
    }

    fn tz(&self) -> Tz {
        self.time_zone.parse().unwrap_or(Tz::UTC)
    }

    /// The local instant as UTC; in a DST gap the first instant after it.
    fn at(&self, tz: Tz, date: NaiveDate, minute: u32) -> DateTime<Utc> {
        let local = date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute));
        let mut probe = local;
        for _ in 0..4 {
            match tz.from_local_datetime(&probe) {
                LocalResult::Single(t) => return t.with_timezone(&Utc),
                LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
                LocalResult::None => probe += Duration::minutes(30),
            }
        }
        Utc.from_utc_datetime(&local)
    }

    /// The business window of a local date, if it is a working day.
    fn window(&self, tz: Tz, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let weekday = date.weekday().number_from_monday();
        if !self.working_days.contains(&weekday) || self.holidays.contains(&date) {
            return None;
        }
        Some((
            self.at(tz, date, self.opens_minute),
            self.at(tz, date, self.closes_minute),
        ))
    }

    /// Business seconds between two instants (0 when `to` is not after `from`).
    pub fn business_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let tz = self.tz();
        let mut date = from.with_timezone(&tz).date_naive() - Duration::days(1);
        let last = to.with_timezone(&tz).date_naive();
        let mut total = 0;
        while date <= last {
            if let Some((open, close)) = self.window(tz, date) {
                let start = open.max(from);
                let end = close.min(to);
                if end > start {
                    total += (end - start).num_seconds();
                }
            }
            date += Duration::days(1);
        }
        total
    }

    /// The instant `seconds` of business time after `from` (None when the
    /// calendar has no business time within ten years).
    pub fn add(&self, from: DateTime<Utc>, seconds: i64) -> Option<DateTime<Utc>> {
        let tz = self.tz();
        let mut left = seconds.max(0);
        let mut date = from.with_timezone(&tz).date_naive() - Duration::days(1);
        let end = date + Duration::days(HORIZON_DAYS);
        while date <= end {
            if let Some((open, close)) = self.window(tz, date) {
                let start = open.max(from);
                if close > start {
                    let available = (close - start).num_seconds();
                    if left <= available {
                        return Some(start + Duration::seconds(left));
                    }
                    left -= available;
                }
            }
            date += Duration::days(1);
        }
        None
    }
}

/// Whether a ticket in this status waits on the merchant (its timers run).
pub fn runs(status: TicketStatus) -> bool {
    matches!(status, TicketStatus::New | TicketStatus::Open)
}

/// The SLA a ticket is held to: its policy's targets and calendar, fixed
/// when the ticket is created (or its priority changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// The policy it came from: `<channel or default>/<priority>`.
    pub policy: String,
    pub first_response_seconds: i64,
    pub resolution_seconds: i64,
    pub calendar: Calendar,
}

/// A ticket's timer state: business time used while running, and since
/// when it runs (None: paused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock {
    pub used_seconds: i64,
    pub running_since: Option<DateTime<Utc>>,
}

impl Clock {
    /// The clock after the ticket moved from a status to another at `now`.
    pub fn after(
        self,
        terms: &Terms,
        from: TicketStatus,
        to: TicketStatus,
        now: DateTime<Utc>,
    ) -> Clock {
        match (runs(from), runs(to), self.running_since) {
            (true, false, Some(since)) => Clock {
                used_seconds: self.used_seconds + terms.calendar.business_seconds(since, now),
                running_since: None,
            },
            (_, true, None) => Clock {
                used_seconds: self.used_seconds,
                running_since: Some(now),
            },
            _ => self,
        }
    }

    /// Business seconds used by `now`.
    pub fn used_at(self, terms: &Terms, now: DateTime<Utc>) -> i64 {
        self.used_seconds
            + self
                .running_since
                .map_or(0, |since| terms.calendar.business_seconds(since, now))
    }

    /// When a target of `target_seconds` falls due, if the clock runs.
    pub fn due(self, terms: &Terms, target_seconds: i64) -> Option<DateTime<Utc>> {
        let since = self.running_since?;
        terms
            .calendar
            .add(since, target_seconds - self.used_seconds)
    }
}

/// The due times of a ticket's two timers (None: paused, met or no SLA).
pub fn dues(
    terms: &Terms,
    clock: Clock,
    first_response_at: Option<DateTime<Utc>>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let first = if first_response_at.is_none() {
        clock.due(terms, terms.first_response_seconds)
    } else {
        None
    };
    (first, clock.due(terms, terms.resolution_seconds))
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// "09:00" as minutes after midnight ("24:00" is the end of the day).
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

pub fn format_hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin_office() -> Calendar {
        Calendar {
            time_zone: "Europe/Berlin".into(),
            working_days: vec![1, 2, 3, 4, 5],
            opens_minute: 9 * 60,
            closes_minute: 17 * 60,
            holidays: [NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()].into(),
        }
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn terms(first: i64, resolution: i64) -> Terms {
        Terms {
            policy: "default/normal".into(),
            first_response_seconds: first,
            resolution_seconds: resolution,
            calendar: berlin_office(),
        }
    }

    #[test]
    fn a_friday_afternoon_ticket_is_due_on_monday() {
        let cal = berlin_office();
        // Friday 4 Dec 2026, 15:00 Berlin (14:00 UTC); 4 working hours:
        // 2 on Friday, 2 on Monday morning → Monday 11:00 Berlin.
        let due = cal.add(utc(2026, 12, 4, 14, 0), 4 * 3600).unwrap();
        assert_eq!(due, utc(2026, 12, 7, 10, 0));
        assert_eq!(cal.business_seconds(utc(2026, 12, 4, 14, 0), due), 4 * 3600);
        // Over the weekend no business time passes.
        assert_eq!(
            cal.business_seconds(utc(2026, 12, 5, 8, 0), utc(2026, 12, 6, 20, 0)),
            0
        );
    }

    #[test]
    fn holidays_and_nights_do_not_count() {
        let cal = berlin_office();
        // Thursday 24 Dec, 16:00 Berlin, 2 hours: one that day; Christmas
        // Day is a holiday and then the weekend, so the second is Monday
        // 28th 09:00–10:00 Berlin.
        let due = cal.add(utc(2026, 12, 24, 15, 0), 2 * 3600).unwrap();
        assert_eq!(due, utc(2026, 12, 28, 9, 0));
        // Before opening the clock starts at opening.
        assert_eq!(
            cal.add(utc(2026, 12, 7, 5, 0), 60).unwrap(),
            utc(2026, 12, 7, 8, 1)
        );
    }

    #[test]
    fn summer_time_shifts_the_utc_hours() {
        let cal = berlin_office();
        // Monday 29 June 2026: Berlin is UTC+2, 09:00 local is 07:00 UTC.
        assert_eq!(
            cal.add(utc(2026, 6, 29, 0, 0), 0).unwrap(),
            utc(2026, 6, 29, 7, 0)
        );
        // The week of the switch to winter time (25 Oct 2026) counts 8 h a day.
        assert_eq!(
            cal.business_seconds(utc(2026, 10, 23, 0, 0), utc(2026, 10, 27, 0, 0)),
            2 * 8 * 3600
        );
    }

    #[test]
    fn a_pause_for_the_customer_moves_the_due_time_by_the_business_time_paused() {
        let t = terms(3600, 8 * 3600);
        // Created Friday 4 Dec 10:00 Berlin (09:00 UTC).
        let created = utc(2026, 12, 4, 9, 0);
        let clock = Clock::default().after(&t, TicketStatus::New, TicketStatus::New, created);
        assert_eq!(clock.running_since, Some(created));
        let (first, resolution) = dues(&t, clock, None);
        assert_eq!(first, Some(utc(2026, 12, 4, 10, 0)));
        assert_eq!(
            resolution,
            Some(utc(2026, 12, 7, 9, 0)),
            "Monday 10:00 Berlin"
        );
        // Answered at 10:30 Berlin, waiting on the customer until Monday 9:00 Berlin.
        let replied = utc(2026, 12, 4, 9, 30);
        let paused = clock.after(
            &t,
            TicketStatus::Open,
            TicketStatus::PendingCustomer,
            replied,
        );
        assert_eq!(paused.used_seconds, 1800);
        assert_eq!(dues(&t, paused, Some(replied)), (None, None), "paused");
        let resumed = paused.after(
            &t,
            TicketStatus::PendingCustomer,
            TicketStatus::Open,
            utc(2026, 12, 7, 8, 0),
        );
        // 7.5 business hours left from Monday 09:00 Berlin: 16:30 Berlin.
        assert_eq!(
            dues(&t, resumed, Some(replied)),
            (None, Some(utc(2026, 12, 7, 15, 30)))
        );
        assert_eq!(resumed.used_at(&t, utc(2026, 12, 7, 9, 0)), 1800 + 3600);
    }

    #[test]
    fn calendars_are_checked() {
        let mut bad = berlin_office();
        bad.time_zone = "Mars/Olympus".into();
        bad.working_days = vec![];
        bad.opens_minute = 18 * 60;
        let fields: Vec<&str> = bad.problems().iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["time_zone", "working_days", "closes"]);
        assert!(Calendar::always().problems().is_empty());
        assert_eq!(parse_hhmm("09:30"), Some(570));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:30"), None);
        assert_eq!(parse_hhmm("9:30"), None);
        assert_eq!(format_hhmm(570), "09:30");
    }

    #[test]
    fn a_calendar_without_working_time_never_falls_due() {
        let mut none = berlin_office();
        none.working_days = vec![6];
        none.holidays = (0..4100)
            .map(|d| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(d))
            .collect();
        assert_eq!(none.add(utc(2026, 12, 4, 9, 0), 60), None);
    }
}
