//! Payout files other than Amazon's: Shopify Payments' transactions export
//! (one payout's balance transactions: charges, refunds, adjustments, the
//! payout itself) and Crossdock's documented generic CSV, read as RFC 4180
//! CSV with columns found by header name, checked whole (every problem named
//! by line and column), into the same settlement lines Amazon's report gives.

use chrono::{NaiveDate, Utc};
use domain::Currency;
use rust_decimal::Decimal;

use super::amounts::{parse_amount, parse_date, parse_instant};
use super::fees::{self, Kind};
use super::settlement::FileError;

/// A settlement as billing imports it, whatever the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub id: String,
    pub currency: Currency,
    /// What the channel pays out (the sum of the lines).
    pub total: Decimal,
    pub deposit_date: NaiveDate,
    pub lines: Vec<ImportedLine>,
}

/// One signed line: money to the seller positive, charges negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedLine {
    /// Where it is in the file (the first row it came from).
    pub line: u64,
    /// The channel's order id (empty: not about an order).
    pub order_id: String,
    pub sku: String,
    pub kind: Kind,
    pub description: String,
    pub amount: Decimal,
    pub quantity: i64,
}

fn err(line: u64, column: usize, field: &str, message: impl Into<String>) -> FileError {
    FileError {
        line,
        column,
        field: field.into(),
        message: message.into(),
    }
}

/// A CSV file's header, columns found by name (case and spaces ignored).
struct Header {
    names: Vec<String>,
}

fn key(name: &str) -> String {
    name.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

impl Header {
    fn find(&self, name: &str) -> Option<usize> {
        let k = key(name);
        self.names.iter().position(|n| *n == k)
    }
}

/// The 1-based line a record starting at `byte` is on. (The reader's own
/// count is one short after CRLF: the LF of the previous line is where the
/// record starts.)
fn line_at(text: &str, byte: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut start = (byte as usize).min(bytes.len());
    while start < bytes.len() && (bytes[start] == b'\n' || bytes[start] == b'\r') {
        start += 1;
    }
    1 + bytes[..start].iter().filter(|b| **b == b'\n').count() as u64
}

/// A file's data rows with the line each starts on.
type Rows = Vec<(u64, csv::StringRecord)>;

fn read_csv(bytes: &[u8]) -> Result<(Header, Rows), Vec<FileError>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| vec![err(0, 0, "file", format!("is not UTF-8 text: {e}"))])?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| vec![err(1, 0, "header", e.to_string())])?
        .iter()
        .map(key)
        .collect();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map(|p| line_at(text, p.byte())).unwrap_or(0);
                if r.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                rows.push((line, r));
            }
            Err(e) => {
                let line = e.position().map(|p| line_at(text, p.byte())).unwrap_or(0);
                problems.push(err(line, 0, "line", e.to_string()));
            }
        }
        if problems.len() >= super::settlement::MAX_ERRORS {
            break;
        }
    }
    if problems.is_empty() {
        Ok((Header { names: header }, rows))
    } else {
        Err(problems)
    }
}

/// Requires `names` in the header; their columns.
fn require(h: &Header, names: &[&str]) -> Result<Vec<usize>, Vec<FileError>> {
    let missing: Vec<FileError> = names
        .iter()
        .filter(|n| h.find(n).is_none())
        .map(|n| err(1, 0, n, format!("column '{n}' is missing from the header")))
        .collect();
    if missing.is_empty() {
        Ok(names.iter().map(|n| h.find(n).expect("checked")).collect())
    } else {
        Err(missing)
    }
}

fn field(r: &csv::StringRecord, col: usize) -> &str {
    r.get(col).unwrap_or("").trim()
}

fn amount(problems: &mut Vec<FileError>, line: u64, col: usize, name: &str, text: &str) -> Decimal {
    match parse_amount(text) {
        Some(a) => a,
        None => {
            problems.push(err(
                line,
                col + 1,
                name,
                format!("'{text}' is not an amount"),
            ));
            Decimal::ZERO
        }
    }
}

/// Shopify Payments' transactions export for one payout. Columns used:
/// `Transaction Date`, `Type` (charge, refund, adjustment, dispute, payout,
/// …), `Order` (`#1001`), `Payout Status`, `Payout ID`, `Amount` (gross),
/// `Fee`, `Net`, `Currency`; `Payout Date` and `Source Type` when present.
/// Every row must belong to the same paid-out or scheduled payout; the
/// payout's own row (type `payout`) is the transfer and not a line.
pub fn shopify(bytes: &[u8]) -> Result<Imported, Vec<FileError>> {
    let (h, rows) = read_csv(bytes)?;
    let cols = require(
        &h,
        &[
            "Transaction Date",
            "Type",
            "Order",
            "Payout Status",
            "Payout ID",
            "Amount",
            "Fee",
            "Net",
            "Currency",
        ],
    )?;
    let [
        c_date,
        c_type,
        c_order,
        c_status,
        c_payout,
        c_amount,
        c_fee,
        c_net,
        c_currency,
    ] = cols[..]
    else {
        unreachable!("nine columns required")
    };
    let c_payout_date = h.find("Payout Date");
    let mut problems = Vec::new();
    let mut payout_id: Option<String> = None;
    let mut currency: Option<Currency> = None;
    let mut deposit: Option<NaiveDate> = None;
    let mut lines = Vec::new();
    let mut total = Decimal::ZERO;
    for (line, r) in &rows {
        let line = *line;
        let kind = field(r, c_type).to_ascii_lowercase();
        let id = field(r, c_payout);
        match (&payout_id, id.is_empty()) {
            (_, true) => problems.push(err(
                line,
                c_payout + 1,
                "Payout ID",
                "the transaction is in no payout yet (pending): export paid-out payouts only",
            )),
            (None, false) => payout_id = Some(id.to_string()),
            (Some(p), false) if p != id => problems.push(err(
                line,
                c_payout + 1,
                "Payout ID",
                format!("belongs to payout {id}, the file to {p}: one payout per file"),
            )),
            _ => {}
        }
        let status = field(r, c_status).to_ascii_lowercase();
        if !["paid", "scheduled", "in_transit", "in transit"].contains(&status.as_str()) {
            problems.push(err(
                line,
                c_status + 1,
                "Payout Status",
                format!("'{status}' is not a paid or scheduled payout"),
            ));
        }
        match field(r, c_currency)
            .to_ascii_uppercase()
            .parse::<Currency>()
        {
            Ok(c) if currency.is_none_or(|k| k == c) => currency = Some(c),
            Ok(c) => problems.push(err(
                line,
                c_currency + 1,
                "Currency",
                format!("{c} in a payout of {}", currency.expect("set")),
            )),
            Err(e) => problems.push(err(line, c_currency + 1, "Currency", e.to_string())),
        }
        let date_text = field(r, c_date);
        let date = parse_instant(date_text)
            .map(|t| t.date_naive())
            .or_else(|| parse_date(date_text));
        if date.is_none() {
            problems.push(err(
                line,
                c_date + 1,
                "Transaction Date",
                format!("'{date_text}' is not a date"),
            ));
        }
        if let Some(c) = c_payout_date {
            let t = field(r, c);
            if !t.is_empty() {
                deposit = parse_date(t)
                    .or(parse_instant(t).map(|i| i.date_naive()))
                    .or(deposit);
            }
        }
        let gross = amount(&mut problems, line, c_amount, "Amount", field(r, c_amount));
        let fee = amount(&mut problems, line, c_fee, "Fee", field(r, c_fee));
        let net = amount(&mut problems, line, c_net, "Net", field(r, c_net));
        if gross - fee != net {
            problems.push(err(
                line,
                c_net + 1,
                "Net",
                format!("{net} is not Amount {gross} less Fee {fee}"),
            ));
        }
        if kind == "payout" {
            continue;
        }
        total += net;
        let order = field(r, c_order).to_string();
        let (main, fee_kind) = match kind.as_str() {
            "charge" => (Kind::Sale, fees::PAYMENT),
            "refund" => (Kind::Refund, fees::PAYMENT),
            other => (Kind::Other(other.to_string()), fees::PAYMENT),
        };
        if !gross.is_zero() {
            lines.push(ImportedLine {
                line,
                order_id: order.clone(),
                sku: String::new(),
                kind: main,
                description: kind.clone(),
                amount: gross,
                quantity: 0,
            });
        }
        if !fee.is_zero() {
            lines.push(ImportedLine {
                line,
                order_id: order,
                sku: String::new(),
                kind: Kind::Fee(fee_kind.into()),
                description: format!("{kind} fee"),
                amount: -fee,
                quantity: 0,
            });
        }
    }
    if rows.is_empty() {
        problems.push(err(1, 0, "file", "has no transactions"));
    }
    if !problems.is_empty() {
        problems.truncate(super::settlement::MAX_ERRORS);
        return Err(problems);
    }
    Ok(Imported {
        id: payout_id.expect("a row was read"),
        currency: currency.expect("a row was read"),
        total,
        deposit_date: deposit.unwrap_or_else(|| Utc::now().date_naive()),
        lines,
    })
}

/// The generic settlement CSV (docs/billing.md): `settlement_id`,
/// `deposit_date`, `currency`, `order_id`, `sku`, `type` (`sale`, `fee`,
/// `refund`, `other`), `fee_kind` (for fees: `commission`, `fulfillment`,
/// `payment`, or any other), `description`, `amount` (signed: to the seller
/// positive), `quantity` (optional).
pub fn generic(bytes: &[u8]) -> Result<Imported, Vec<FileError>> {
    let (h, rows) = read_csv(bytes)?;
    let cols = require(
        &h,
        &[
            "settlement_id",
            "deposit_date",
            "currency",
            "order_id",
            "sku",
            "type",
            "description",
            "amount",
        ],
    )?;
    let [
        c_id,
        c_deposit,
        c_currency,
        c_order,
        c_sku,
        c_type,
        c_desc,
        c_amount,
    ] = cols[..]
    else {
        unreachable!("eight columns required")
    };
    let c_fee_kind = h.find("fee_kind");
    let c_quantity = h.find("quantity");
    let mut problems = Vec::new();
    let mut id: Option<String> = None;
    let mut currency: Option<Currency> = None;
    let mut deposit: Option<NaiveDate> = None;
    let mut lines = Vec::new();
    for (line, r) in &rows {
        let line = *line;
        let this = field(r, c_id);
        match &id {
            _ if this.is_empty() => problems.push(err(line, c_id + 1, "settlement_id", "is empty")),
            None => id = Some(this.to_string()),
            Some(s) if s != this => problems.push(err(
                line,
                c_id + 1,
                "settlement_id",
                format!("{this} in a file of settlement {s}"),
            )),
            _ => {}
        }
        match field(r, c_currency).parse::<Currency>() {
            Ok(c) if currency.is_none_or(|k| k == c) => currency = Some(c),
            Ok(c) => problems.push(err(
                line,
                c_currency + 1,
                "currency",
                format!("{c} in a settlement of {}", currency.expect("set")),
            )),
            Err(e) => problems.push(err(line, c_currency + 1, "currency", e.to_string())),
        }
        match parse_date(field(r, c_deposit)) {
            Some(d) => deposit = Some(d),
            None => problems.push(err(
                line,
                c_deposit + 1,
                "deposit_date",
                format!("'{}' is not a date (YYYY-MM-DD)", field(r, c_deposit)),
            )),
        }
        let amount = amount(&mut problems, line, c_amount, "amount", field(r, c_amount));
        let fee_kind = c_fee_kind.map(|c| field(r, c)).unwrap_or("");
        let kind = match field(r, c_type).to_ascii_lowercase().as_str() {
            "sale" => Kind::Sale,
            "refund" => Kind::Refund,
            "fee" if !fee_kind.is_empty() => Kind::Fee(fees::fee_kind_of(fee_kind)),
            "fee" => {
                problems.push(err(
                    line,
                    c_fee_kind.map_or(0, |c| c + 1),
                    "fee_kind",
                    "a fee needs its kind",
                ));
                Kind::Fee(String::new())
            }
            "other" => Kind::Other(fees::fee_kind_of(field(r, c_desc))),
            t => {
                problems.push(err(
                    line,
                    c_type + 1,
                    "type",
                    format!("'{t}' is not sale, fee, refund or other"),
                ));
                Kind::Other(String::new())
            }
        };
        let quantity = match c_quantity.map(|c| field(r, c)).filter(|q| !q.is_empty()) {
            None => 0,
            Some(q) => q.parse::<i64>().unwrap_or_else(|_| {
                problems.push(err(
                    line,
                    c_quantity.expect("present") + 1,
                    "quantity",
                    format!("'{q}' is not a whole number"),
                ));
                0
            }),
        };
        lines.push(ImportedLine {
            line,
            order_id: field(r, c_order).to_string(),
            sku: field(r, c_sku).to_string(),
            kind,
            description: field(r, c_desc).to_string(),
            amount,
            quantity,
        });
    }
    if rows.is_empty() {
        problems.push(err(1, 0, "file", "has no lines"));
    }
    if !problems.is_empty() {
        problems.truncate(super::settlement::MAX_ERRORS);
        return Err(problems);
    }
    Ok(Imported {
        id: id.expect("a row was read"),
        currency: currency.expect("a row was read"),
        total: lines.iter().map(|l| l.amount).sum(),
        deposit_date: deposit.expect("a row was read"),
        lines,
    })
}

/// Amazon's report as billing imports it: one line per (transaction type,
/// order, SKU, amount type, description), the first row it came from, the
/// amount type mapped to sale, fee kind, refund or other.
pub fn from_amazon(s: &super::settlement::Settlement) -> Imported {
    type Key<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);
    let mut grouped: std::collections::BTreeMap<Key<'_>, (u64, Decimal, i64)> =
        std::collections::BTreeMap::new();
    for c in &s.components {
        let e = grouped
            .entry((
                &c.transaction_type,
                &c.order_id,
                &c.sku,
                &c.amount_type,
                &c.amount_description,
            ))
            .or_insert((c.line, Decimal::ZERO, 0));
        e.0 = e.0.min(c.line);
        e.1 += c.amount;
        if c.amount_type == "ItemPrice" && c.amount_description == "Principal" {
            e.2 += c.quantity;
        }
    }
    let mut lines: Vec<ImportedLine> = grouped
        .into_iter()
        .map(
            |(
                (transaction_type, order_id, sku, amount_type, description),
                (line, amount, quantity),
            )| {
                ImportedLine {
                    line,
                    order_id: order_id.to_string(),
                    sku: sku.to_string(),
                    kind: fees::classify(transaction_type, amount_type, description),
                    description: format!("{transaction_type} {amount_type}/{description}"),
                    amount,
                    quantity,
                }
            },
        )
        .collect();
    lines.sort_by_key(|l| l.line);
    Imported {
        id: s.id.clone(),
        currency: s.currency,
        total: s.total,
        deposit_date: s.deposit_date,
        lines,
    }
}

#[cfg(test)]
mod tests;
