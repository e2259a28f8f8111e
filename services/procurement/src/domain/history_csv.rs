//! Bulk demand history for merchants moving from another system: a
//! `text/csv` file (RFC 4180: comma-separated, fields quoted with `"` where
//! they hold commas, quotes or line breaks, CRLF or LF line ends, UTF-8 with
//! or without the byte-order mark spreadsheet exports put first) with a
//! header row naming the columns `sku`, `channel`, `date` (ISO 8601,
//! `YYYY-MM-DD`) and `quantity` (units, whole), in any order.
//!
//! Every row is checked and every problem is reported with its line (as a
//! text editor counts them, the header being line 1) and its column (1-based,
//! with the header's name): one bad row and nothing of the file is applied.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::{ChannelId, Sku};

/// Rows one file may hold (two years of daily history for ~1,300 SKU ×
/// channel series; larger migrations go in several files).
pub const MAX_ROWS: usize = 1_000_000;
/// Daily demand above this is a typo, not a sale.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// Errors reported at most; the rest are counted.
pub const MAX_ERRORS: usize = 100;

const COLUMNS: [&str; 4] = ["sku", "channel", "date", "quantity"];

/// One day of one SKU's demand on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub sku: Sku,
    pub channel: ChannelId,
    pub date: NaiveDate,
    pub quantity: i64,
    /// Where the row is in the file, for problems found later (an unknown SKU).
    pub line: u64,
    pub sku_column: usize,
}

/// A problem at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub line: u64,
    /// 1-based; 0 when the problem is the row as a whole.
    pub column: usize,
    /// The column's header name, or "row"/"file".
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column > 0 {
            write!(
                f,
                "line {}, column {} ({}): {}",
                self.line, self.column, self.field, self.message
            )
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

/// The rows whose SKU is one of `unknown`: a problem each, in file order
/// (at most [`MAX_ERRORS`], the last counting the rest).
pub fn unknown_skus(rows: &[HistoryRow], unknown: &[String]) -> Vec<CsvError> {
    let unknown: std::collections::HashSet<&str> = unknown.iter().map(String::as_str).collect();
    let mut at_fault: Vec<&HistoryRow> = rows
        .iter()
        .filter(|r| unknown.contains(r.sku.as_str()))
        .collect();
    at_fault.sort_by_key(|r| r.line);
    let mut errors: Vec<CsvError> = at_fault
        .into_iter()
        .map(|r| {
            error(
                r.line,
                r.sku_column,
                "sku",
                format!("SKU {} is not in the catalog", r.sku),
            )
        })
        .collect();
    if errors.len() > MAX_ERRORS {
        let more = errors.len() - MAX_ERRORS;
        errors.truncate(MAX_ERRORS);
        errors.push(error(0, 0, "file", format!("and {more} more problems")));
    }
    errors
}

fn error(line: u64, column: usize, field: &str, message: impl Into<String>) -> CsvError {
    CsvError {
        line,
        column,
        field: field.into(),
        message: message.into(),
    }
}

/// Parses and checks a whole file. `today` bounds the dates (history is
/// the past). Returns every row, or every problem (at most [`MAX_ERRORS`],
/// the last entry counting the rest).
pub fn parse(bytes: &[u8], today: NaiveDate) -> Result<Vec<HistoryRow>, Vec<CsvError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let mut errors = Vec::new();
    let header = match records.next() {
        None => {
            return Err(vec![error(
                1,
                0,
                "file",
                "the file is empty: expected a header row sku,channel,date,quantity",
            )]);
        }
        Some(Err(e)) => return Err(vec![csv_error(&e)]),
        Some(Ok(h)) => h,
    };
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (i, raw) in header.iter().enumerate() {
        let name = String::from_utf8_lossy(raw).trim().to_ascii_lowercase();
        match COLUMNS.iter().find(|c| **c == name) {
            Some(c) if position.contains_key(c) => {
                errors.push(error(1, i + 1, c, format!("column '{c}' appears twice")))
            }
            Some(c) => {
                position.insert(c, i);
            }
            None => errors.push(error(
                1,
                i + 1,
                &name,
                format!("unknown column '{name}': the columns are sku, channel, date and quantity"),
            )),
        }
    }
    for c in COLUMNS {
        if !position.contains_key(c) {
            errors.push(error(1, 0, c, format!("the header has no '{c}' column")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let width = header.len();
    let mut rows = Vec::new();
    let mut seen: HashMap<(String, String, NaiveDate), u64> = HashMap::new();
    let mut more = 0usize;
    let mut push = |errors: &mut Vec<CsvError>, e: CsvError| {
        if errors.len() < MAX_ERRORS {
            errors.push(e);
        } else {
            more += 1;
        }
    };
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                push(&mut errors, csv_error(&e));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a blank line, as a trailing newline in an export leaves
        }
        if record.len() != width {
            push(
                &mut errors,
                error(
                    line,
                    0,
                    "row",
                    format!("{} fields, but the header has {width}", record.len()),
                ),
            );
            continue;
        }
        if rows.len() >= MAX_ROWS {
            push(
                &mut errors,
                error(
                    line,
                    0,
                    "file",
                    format!("more than {MAX_ROWS} rows: split the file"),
                ),
            );
            break;
        }
        let field = |name: &str| -> (usize, Result<&str, CsvError>) {
            let i = position[name];
            let text = std::str::from_utf8(&record[i])
                .map(str::trim)
                .map_err(|_| error(line, i + 1, name, "is not valid UTF-8"));
            (i + 1, text)
        };
        let mut bad = false;
        let mut check = |errors: &mut Vec<CsvError>, r: Result<(), CsvError>| {
            if let Err(e) = r {
                bad = true;
                push(errors, e);
            }
        };
        let (c, sku) = field("sku");
        let sku = sku.and_then(|s| {
            s.parse::<Sku>()
                .map_err(|e| error(line, c, "sku", e.to_string()))
        });
        let (c, channel) = field("channel");
        let channel = channel.and_then(|s| {
            s.parse::<ChannelId>()
                .map_err(|_| error(line, c, "channel", format!("'{s}' is not a channel id")))
        });
        let (c, date) = field("date");
        let date = date.and_then(|s| {
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                error(
                    line,
                    c,
                    "date",
                    format!("'{s}' is not a date as YYYY-MM-DD"),
                )
            })?;
            if d > today {
                return Err(error(
                    line,
                    c,
                    "date",
                    format!("{d} is in the future: history only"),
                ));
            }
            Ok(d)
        });
        let (c, quantity) = field("quantity");
        let quantity = quantity.and_then(|s| match s.parse::<i64>() {
            Ok(q) if (0..=MAX_QUANTITY).contains(&q) => Ok(q),
            Ok(_) => Err(error(
                line,
                c,
                "quantity",
                format!("must be between 0 and {MAX_QUANTITY}"),
            )),
            Err(_) => Err(error(
                line,
                c,
                "quantity",
                format!("'{s}' is not a whole number of units"),
            )),
        });
        let (sku, channel, date, quantity) = match (sku, channel, date, quantity) {
            (Ok(s), Ok(ch), Ok(d), Ok(q)) => (s, ch, d, q),
            (s, ch, d, q) => {
                for r in [s.err(), ch.err(), d.err(), q.err()].into_iter().flatten() {
                    check(&mut errors, Err(r));
                }
                continue;
            }
        };
        let key = (sku.as_str().to_string(), channel.as_str().to_string(), date);
        if let Some(first) = seen.get(&key) {
            check(
                &mut errors,
                Err(error(
                    line,
                    0,
                    "row",
                    format!(
                        "{} on {} for {date} is on line {first} already",
                        key.0, key.1
                    ),
                )),
            );
        } else {
            seen.insert(key, line);
        }
        if !bad {
            rows.push(HistoryRow {
                sku,
                channel,
                date,
                quantity,
                line,
                sku_column: position["sku"] + 1,
            });
        }
    }
    if more > 0 {
        errors.push(error(0, 0, "file", format!("and {more} more problems")));
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(error(2, 0, "file", "the file has a header but no rows"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// A reader error at its place (fields are read as bytes, so this is the
/// reader's own trouble, e.g. an I/O error).
fn csv_error(e: &csv::Error) -> CsvError {
    let line = e.position().map_or(0, |p| p.line());
    error(line, 0, "row", format!("unreadable: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn places(errors: &[CsvError]) -> Vec<(u64, usize, &str)> {
        errors
            .iter()
            .map(|e| (e.line, e.column, e.field.as_str()))
            .collect()
    }

    #[test]
    fn a_spreadsheet_export_reads_as_written() {
        // Excel's "CSV UTF-8": a byte-order mark, CRLF, a trailing line break,
        // columns in the exporter's order.
        let file = b"\xEF\xBB\xBFdate,SKU,channel,quantity\r\n2026-11-01,tee-red-m,web-eu,3\r\n\"2026-11-02\",TEE-RED-M,web-eu,0\r\n\r\n";
        let rows = parse(file, today()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].sku.as_str(),
            "TEE-RED-M",
            "SKUs are stored upper-case"
        );
        assert_eq!(rows[0].channel.as_str(), "web-eu");
        assert_eq!(rows[1].date, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
        assert_eq!(rows[1].quantity, 0, "a day without sales is a fact too");
    }

    #[test]
    fn every_bad_field_is_named_by_line_and_column() {
        let file = b"sku,channel,date,quantity\n\
            TEE-RED-M,web-eu,2026-11-01,3\n\
            ,web-eu,2026-13-01,-1\n\
            TEE-RED-M,Web EU,2027-01-01,2.5\n\
            TEE-RED-M,web-eu,2026-11-01,4\n\
            TEE-RED-M,web-eu\n";
        let errors = parse(file, today()).unwrap_err();
        assert_eq!(
            places(&errors),
            [
                (3, 1, "sku"),
                (3, 3, "date"),
                (3, 4, "quantity"),
                (4, 2, "channel"),
                (4, 3, "date"),
                (4, 4, "quantity"),
                (5, 0, "row"),
                (6, 0, "row"),
            ],
            "{errors:#?}"
        );
        assert!(
            errors[6].message.contains("line 2 already"),
            "{}",
            errors[6]
        );
        assert_eq!(
            errors[4].to_string(),
            "line 4, column 3 (date): 2027-01-01 is in the future: history only"
        );
    }

    #[test]
    fn the_header_must_name_the_four_columns_once() {
        let errors = parse(
            b"sku,channel,day,quantity,sku\nA,web-eu,2026-11-01,1,A\n",
            today(),
        )
        .unwrap_err();
        assert_eq!(
            places(&errors),
            [(1, 3, "day"), (1, 5, "sku"), (1, 0, "date")]
        );
        assert_eq!(places(&parse(b"", today()).unwrap_err()), [(1, 0, "file")]);
        assert_eq!(
            places(&parse(b"sku,channel,date,quantity\n", today()).unwrap_err()),
            [(2, 0, "file")]
        );
    }

    #[test]
    fn quoted_fields_and_bad_bytes_are_handled_per_rfc_4180() {
        let ok = parse(
            b"sku,channel,date,quantity\n\"TEE,RED\",web-eu,2026-11-01,1\n",
            today(),
        );
        // A comma inside quotes is one field; a SKU cannot hold it.
        assert_eq!(places(&ok.unwrap_err()), [(2, 1, "sku")]);
        let latin1 = parse(
            b"sku,channel,date,quantity\nT\xE9E,web-eu,2026-11-01,1\n",
            today(),
        )
        .unwrap_err();
        assert_eq!(places(&latin1), [(2, 1, "sku")], "{latin1:?}");
    }

    #[test]
    fn a_flood_of_errors_is_cut_and_counted() {
        let mut file = b"sku,channel,date,quantity\n".to_vec();
        for _ in 0..150 {
            file.extend_from_slice(b"A,web-eu,not-a-date,1\n");
        }
        let errors = parse(&file, today()).unwrap_err();
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        assert_eq!(errors.last().unwrap().message, "and 50 more problems");
    }
}
