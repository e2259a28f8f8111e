//! Amounts and dates as marketplaces write them in their reports: a decimal
//! point or a decimal comma (amazon.de writes `1.234,56`), optional thousands
//! separators, a leading minus; dates as ISO 8601 (with or without a time
//! and offset), `YYYY-MM-DD HH:MM:SS UTC`, or day-first `DD.MM.YYYY`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;

/// Reads a signed amount. With both `.` and `,` the later one is the
/// decimal separator and the other separates thousands (groups of three);
/// with one of them once, it is the decimal separator; with one of them
/// several times, it separates thousands. At most four decimals.
pub fn parse_amount(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty()
        || !digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return None;
    }
    let (dots, commas) = (digits.matches('.').count(), digits.matches(',').count());
    let decimal = match (dots, commas) {
        (0, 0) => None,
        (_, 0) if dots > 1 => None,
        (0, _) if commas > 1 => None,
        (1, 0) => Some('.'),
        (0, 1) => Some(','),
        _ => digits
            .rfind(['.', ','])
            .map(|i| digits.as_bytes()[i] as char),
    };
    let (int_part, frac_part) = match decimal {
        Some(sep) => {
            let (int_part, frac) = digits.rsplit_once(sep).expect("separator present");
            if frac.contains(['.', ',']) || !(1..=4).contains(&frac.len()) {
                return None;
            }
            (int_part, frac)
        }
        None => (digits, ""),
    };
    let int_digits = match int_part.find(['.', ',']) {
        None => int_part.to_string(),
        Some(i) => {
            let k = int_part.as_bytes()[i] as char;
            let groups: Vec<&str> = int_part.split(k).collect();
            let well_grouped = (1..=3).contains(&groups[0].len())
                && groups[1..]
                    .iter()
                    .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
                && groups[0].bytes().all(|b| b.is_ascii_digit());
            if !well_grouped {
                return None;
            }
            groups.concat()
        }
    };
    if int_digits.is_empty() {
        return None;
    }
    let literal = if frac_part.is_empty() {
        int_digits
    } else {
        format!("{int_digits}.{frac_part}")
    };
    let value: Decimal = literal.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// Reads a point in time; a bare date is midnight UTC.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"] {
        if let Ok(d) = DateTime::parse_from_str(t, format) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let utc = t.strip_suffix(" UTC").or_else(|| t.strip_suffix(" GMT"));
    if let Some(local) = utc {
        for format in ["%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S"] {
            if let Ok(d) = NaiveDateTime::parse_from_str(local, format) {
                return Some(d.and_utc());
            }
        }
    }
    parse_date(t).map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

/// Reads a calendar date (`2026-03-02` or `02.03.2026`), or the date of an
/// instant.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    for format in ["%Y-%m-%d", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, format) {
            return Some(d);
        }
    }
    if t.len() > 10 {
        return parse_instant(t).map(|d| d.date_naive());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn points_commas_and_thousands_read_as_written() {
        for (text, want) in [
            ("29.99", "29.99"),
            ("-3.00", "-3.00"),
            ("95,00", "95.00"),
            ("-4,5", "-4.5"),
            ("1.234,56", "1234.56"),
            ("1,234.56", "1234.56"),
            ("12345", "12345"),
            ("0.1234", "0.1234"),
            ("1.234", "1.234"),
            ("1.234.567", "1234567"),
            ("1.234.567,89", "1234567.89"),
        ] {
            assert_eq!(parse_amount(text), Some(d(want)), "{text}");
        }
    }

    #[test]
    fn what_is_not_an_amount_is_refused() {
        for text in [
            "", "-", "abc", "1.2.3,4", "12,34,56", "1e5", "1.23456", "12 34", "1.2345,6", ",5",
            "1,2.3",
        ] {
            assert_eq!(parse_amount(text), None, "{text}");
        }
    }

    #[test]
    fn every_date_shape_amazon_writes_is_read() {
        let at = |s: &str| parse_instant(s).map(|d| d.to_rfc3339());
        assert_eq!(
            at("2026-03-01T00:00:00+00:00").as_deref(),
            Some("2026-03-01T00:00:00+00:00")
        );
        assert_eq!(
            at("2026-03-02T14:23:00+0100").as_deref(),
            Some("2026-03-02T13:23:00+00:00")
        );
        assert_eq!(
            at("2026-03-02 14:23:00 UTC").as_deref(),
            Some("2026-03-02T14:23:00+00:00")
        );
        assert_eq!(
            at("02.03.2026 14:23:00 UTC").as_deref(),
            Some("2026-03-02T14:23:00+00:00")
        );
        assert_eq!(
            at("2026-03-02").as_deref(),
            Some("2026-03-02T00:00:00+00:00")
        );
        assert_eq!(
            parse_date("02.03.2026"),
            NaiveDate::from_ymd_opt(2026, 3, 2)
        );
        assert_eq!(
            parse_date("2026-03-02T23:30:00+00:00"),
            NaiveDate::from_ymd_opt(2026, 3, 2)
        );
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(at("yesterday"), None);
    }
}
