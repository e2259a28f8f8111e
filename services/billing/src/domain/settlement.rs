//! Amazon's V2 flat-file settlement report, as Seller Central writes it: tab
//! separated, no quoting, a header row, then a summary row (settlement id,
//! period, deposit date, `total-amount`, currency) and one row per amount
//! component (`transaction-type`, order, `amount-type` / `amount-description`
//! such as ItemPrice / Principal or ItemFees / Commission, a signed `amount`,
//! `posted-date`, SKU, quantity). Marketplaces write amounts and dates their
//! own way (amazon.de: `1.234,56` and `02.03.2026`); both are read.
//!
//! The whole file is checked before anything is used: every problem is
//! named by line and column, and the component amounts must add up to the
//! summary's total.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use domain::Currency;
use rust_decimal::Decimal;

use super::amounts::{parse_amount, parse_date, parse_instant};

/// Lines a file may hold.
pub const MAX_LINES: usize = 2_000_000;
/// Problems reported at most (the last entry counts the rest).
pub const MAX_ERRORS: usize = 100;

/// Columns that must be in the header (the others are read when present).
const REQUIRED: [&str; 10] = [
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
    "transaction-type",
    "amount-type",
    "amount-description",
    "amount",
];

/// One amount component of the settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Where it is in the file.
    pub line: u64,
    /// Order, Refund, Adjustment, ServiceFee, … (an open set).
    pub transaction_type: String,
    pub order_id: String,
    pub merchant_order_id: String,
    pub adjustment_id: String,
    pub shipment_id: String,
    pub marketplace: String,
    /// ItemPrice, ItemFees, Promotion, ItemWithheldTax, … (an open set).
    pub amount_type: String,
    /// Principal, Shipping, Commission, FBAPerUnitFulfillmentFee, …
    pub amount_description: String,
    /// Signed: what Amazon pays is positive, what it keeps negative.
    pub amount: Decimal,
    pub posted_date: Option<NaiveDate>,
    pub sku: String,
    pub quantity: i64,
    pub promotion_id: String,
}

/// A settlement: its summary and its components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub deposit_date: NaiveDate,
    pub total: Decimal,
    pub currency: Currency,
    pub components: Vec<Component>,
}

/// The summary row, as read.
struct Summary {
    line: u64,
    id: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    deposit_date: NaiveDate,
    total: Decimal,
    currency: Currency,
}

/// A problem at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub line: u64,
    /// 1-based; 0 when the problem is the line as a whole.
    pub column: usize,
    /// The column's header name, or "line" / "file".
    pub field: String,
    pub message: String,
}

fn error(line: u64, column: usize, field: &str, message: impl Into<String>) -> FileError {
    FileError {
        line,
        column,
        field: field.into(),
        message: message.into(),
    }
}

/// Collects at most [`MAX_ERRORS`] problems, counting the rest.
#[derive(Default)]
struct Problems {
    list: Vec<FileError>,
    more: usize,
}

impl Problems {
    fn push(&mut self, e: FileError) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(e);
        } else {
            self.more += 1;
        }
    }

    fn finish(mut self) -> Vec<FileError> {
        if self.more > 0 {
            self.list.push(error(
                0,
                0,
                "file",
                format!("and {} more problems", self.more),
            ));
        }
        self.list
    }
}

/// Reads a whole V2 flat-file settlement report.
pub fn parse(bytes: &[u8]) -> Result<Settlement, Vec<FileError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Tab separated without quoting: one record per physical line, so lines
    // are split here and numbered exactly (a trailing CR is dropped).
    let mut records = bytes.split(|b| *b == b'\n').enumerate().map(|(i, raw)| {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        (
            i as u64 + 1,
            raw.split(|b| *b == b'\t').collect::<Vec<&[u8]>>(),
        )
    });
    let header = match records.next() {
        Some((_, h)) if !(h.len() == 1 && h[0].is_empty()) => h,
        _ => {
            return Err(vec![error(
                1,
                0,
                "file",
                "the file is empty: expected the header row",
            )]);
        }
    };
    let names: Vec<String> = header
        .iter()
        .map(|raw| String::from_utf8_lossy(raw).trim().to_ascii_lowercase())
        .collect();
    let mut position: HashMap<&str, usize> = HashMap::new();
    let mut problems = Problems::default();
    for (i, name) in names.iter().enumerate() {
        if position.insert(name.as_str(), i).is_some() {
            problems.push(error(
                1,
                i + 1,
                name,
                format!("column '{name}' appears twice"),
            ));
        }
    }
    for c in REQUIRED {
        if !position.contains_key(c) {
            problems.push(error(
                1,
                0,
                c,
                format!(
                    "the header has no '{c}' column: is this a V2 flat-file settlement report?"
                ),
            ));
        }
    }
    if !problems.list.is_empty() {
        return Err(problems.finish());
    }

    let mut summary: Option<Summary> = None;
    let mut components = Vec::new();
    for (line, record) in records {
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        if components.len() >= MAX_LINES {
            problems.push(error(
                line,
                0,
                "file",
                format!("more than {MAX_LINES} lines: split the report"),
            ));
            break;
        }
        if record.len() > names.len() {
            problems.push(error(
                line,
                0,
                "line",
                format!(
                    "{} fields, but the header has {}",
                    record.len(),
                    names.len()
                ),
            ));
            continue;
        }
        // A short line (trailing empty fields cut off) reads as empty fields.
        let text = |name: &str| -> Result<&str, FileError> {
            match position
                .get(name)
                .and_then(|&i| record.get(i).map(|raw| (i, raw)))
            {
                None => Ok(""),
                Some((i, raw)) => std::str::from_utf8(raw)
                    .map(str::trim)
                    .map_err(|_| error(line, i + 1, name, "is not valid UTF-8")),
            }
        };
        let column = |name: &str| position.get(name).map_or(0, |i| i + 1);
        let field = |problems: &mut Problems, name: &str| match text(name) {
            Ok(t) => t.to_string(),
            Err(e) => {
                problems.push(e);
                String::new()
            }
        };
        let settlement_id = field(&mut problems, "settlement-id");
        let total = field(&mut problems, "total-amount");
        let amount = field(&mut problems, "amount");
        let currency_text = field(&mut problems, "currency");
        let transaction_type = field(&mut problems, "transaction-type");
        if settlement_id.is_empty() {
            problems.push(error(
                line,
                column("settlement-id"),
                "settlement-id",
                "is empty",
            ));
            continue;
        }
        if summary.is_none() {
            // The first row is the summary.
            let start = field(&mut problems, "settlement-start-date");
            let end = field(&mut problems, "settlement-end-date");
            let deposit = field(&mut problems, "deposit-date");
            let start_at = parse_instant(&start);
            let end_at = parse_instant(&end);
            let deposit_on = parse_date(&deposit);
            let total_value = parse_amount(&total);
            let currency = currency_text.parse::<Currency>().ok();
            let mut bad = false;
            for (ok, name, shown) in [
                (start_at.is_some(), "settlement-start-date", &start),
                (end_at.is_some(), "settlement-end-date", &end),
                (deposit_on.is_some(), "deposit-date", &deposit),
            ] {
                if !ok {
                    bad = true;
                    problems.push(error(
                        line,
                        column(name),
                        name,
                        format!("'{shown}' is not a date"),
                    ));
                }
            }
            if total_value.is_none() {
                bad = true;
                problems.push(error(
                    line,
                    column("total-amount"),
                    "total-amount",
                    format!("'{total}' is not an amount"),
                ));
            }
            if currency.is_none() {
                bad = true;
                problems.push(error(
                    line,
                    column("currency"),
                    "currency",
                    format!("'{currency_text}' is not a supported ISO 4217 currency"),
                ));
            }
            if let (Some(s), Some(e)) = (start_at, end_at)
                && e < s
            {
                bad = true;
                problems.push(error(
                    line,
                    column("settlement-end-date"),
                    "settlement-end-date",
                    "is before the start date",
                ));
            }
            if !amount.is_empty() || !transaction_type.is_empty() {
                problems.push(error(line, 0, "line", "the first row must be the settlement's summary (no transaction-type or amount)"));
                bad = true;
            }
            if bad {
                // Keep reading for more problems, but against a placeholder.
                summary = Some(Summary {
                    line,
                    id: settlement_id,
                    start: DateTime::UNIX_EPOCH,
                    end: DateTime::UNIX_EPOCH,
                    deposit_date: NaiveDate::MIN,
                    total: Decimal::ZERO,
                    currency: currency.unwrap_or_else(|| "EUR".parse().expect("EUR")),
                });
            } else {
                summary = Some(Summary {
                    line,
                    id: settlement_id,
                    start: start_at.expect("checked"),
                    end: end_at.expect("checked"),
                    deposit_date: deposit_on.expect("checked"),
                    total: total_value.expect("checked"),
                    currency: currency.expect("checked"),
                });
            }
            continue;
        }
        let Summary { id, currency, .. } = summary.as_ref().expect("summary read");
        if &settlement_id != id {
            problems.push(error(
                line,
                column("settlement-id"),
                "settlement-id",
                format!("'{settlement_id}' is another settlement than the summary's {id}"),
            ));
        }
        if !currency_text.is_empty() && currency_text != currency.code() {
            problems.push(error(
                line,
                column("currency"),
                "currency",
                format!("{currency_text}, but the settlement is in {currency}"),
            ));
        }
        if !total.is_empty() {
            problems.push(error(
                line,
                column("total-amount"),
                "total-amount",
                "only the summary row carries the total",
            ));
        }
        let value = parse_amount(&amount);
        if value.is_none() {
            problems.push(error(
                line,
                column("amount"),
                "amount",
                format!("'{amount}' is not an amount"),
            ));
        }
        if transaction_type.is_empty() {
            problems.push(error(
                line,
                column("transaction-type"),
                "transaction-type",
                "is empty",
            ));
        }
        let amount_type = field(&mut problems, "amount-type");
        if amount_type.is_empty() {
            problems.push(error(
                line,
                column("amount-type"),
                "amount-type",
                "is empty",
            ));
        }
        let posted = field(&mut problems, "posted-date");
        let posted_date = if posted.is_empty() {
            None
        } else {
            parse_date(&posted)
        };
        if !posted.is_empty() && posted_date.is_none() {
            problems.push(error(
                line,
                column("posted-date"),
                "posted-date",
                format!("'{posted}' is not a date"),
            ));
        }
        let quantity_text = field(&mut problems, "quantity-purchased");
        let quantity = if quantity_text.is_empty() {
            Some(0)
        } else {
            quantity_text
                .parse::<i64>()
                .ok()
                .filter(|q| (0..=1_000_000).contains(q))
        };
        if quantity.is_none() {
            problems.push(error(
                line,
                column("quantity-purchased"),
                "quantity-purchased",
                format!("'{quantity_text}' is not a quantity"),
            ));
        }
        if let (Some(amount), Some(quantity)) = (value, quantity) {
            components.push(Component {
                line,
                transaction_type,
                order_id: field(&mut problems, "order-id"),
                merchant_order_id: field(&mut problems, "merchant-order-id"),
                adjustment_id: field(&mut problems, "adjustment-id"),
                shipment_id: field(&mut problems, "shipment-id"),
                marketplace: field(&mut problems, "marketplace-name"),
                amount_type,
                amount_description: field(&mut problems, "amount-description"),
                amount,
                posted_date,
                sku: field(&mut problems, "sku"),
                quantity,
                promotion_id: field(&mut problems, "promotion-id"),
            });
        }
    }
    let Some(Summary {
        line: summary_line,
        id,
        start,
        end,
        deposit_date,
        total,
        currency,
    }) = summary
    else {
        problems.push(error(
            2,
            0,
            "file",
            "the file has a header but no summary row",
        ));
        return Err(problems.finish());
    };
    if problems.list.is_empty() {
        let sum: Decimal = components.iter().map(|c| c.amount).sum();
        if sum != total {
            problems.push(error(
                summary_line,
                position["total-amount"] + 1,
                "total-amount",
                format!(
                    "the summary says {total}, but the {} components add up to {sum}",
                    components.len()
                ),
            ));
        }
    }
    if !problems.list.is_empty() {
        return Err(problems.finish());
    }
    Ok(Settlement {
        id,
        start,
        end,
        deposit_date,
        total,
        currency,
        components,
    })
}

/// One signed line per (order, SKU, amount type, description), as billing
/// keeps a settlement: amounts and quantities of repeated components added up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub transaction_type: String,
    pub order_id: String,
    pub sku: String,
    pub amount_type: String,
    pub amount_description: String,
    pub amount: Decimal,
    pub quantity: i64,
}

pub fn consolidate(components: &[Component]) -> Vec<Line> {
    // (transaction type, order, SKU, amount type, description) → (amount, quantity).
    type Key = (String, String, String, String, String);
    let mut lines: BTreeMap<Key, (Decimal, i64)> = BTreeMap::new();
    for c in components {
        let e = lines
            .entry((
                c.transaction_type.clone(),
                c.order_id.clone(),
                c.sku.clone(),
                c.amount_type.clone(),
                c.amount_description.clone(),
            ))
            .or_default();
        e.0 += c.amount;
        // Quantities come once per item on its ItemPrice/Principal row.
        if c.amount_type == "ItemPrice" && c.amount_description == "Principal" {
            e.1 += c.quantity;
        }
    }
    lines
        .into_iter()
        .map(
            |(
                (transaction_type, order_id, sku, amount_type, amount_description),
                (amount, quantity),
            )| Line {
                transaction_type,
                order_id,
                sku,
                amount_type,
                amount_description,
                amount,
                quantity,
            },
        )
        .collect()
}

#[cfg(test)]
mod tests;
