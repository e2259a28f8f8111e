//! Bank statements, free of I/O: ISO 20022 camt.053 (BankToCustomerStatement,
//! versions .001.02 to .001.08: booked entries with amount, credit or debit,
//! booking date, the bank's reference and the remittance text) and a
//! documented CSV, both read whole with every problem named by line and
//! column; and how a statement line finds what it pays (a payout by its
//! settlement id or amount, an invoice by its number and amount).

use chrono::NaiveDate;
use domain::Currency;
use quick_xml::Reader;
use quick_xml::events::Event;
use rust_decimal::Decimal;

use super::amounts::{parse_amount, parse_date};
use super::settlement::FileError;

/// A statement as billing imports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement's id (camt `Stmt/Id`, or the CSV's `statement_id`).
    pub id: String,
    /// The account (IBAN or the bank's account id).
    pub account: String,
    pub lines: Vec<BankLine>,
}

/// One booked line: money in positive, out negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankLine {
    pub line: u64,
    pub booked_on: NaiveDate,
    pub amount: Decimal,
    pub currency: Currency,
    /// The bank's own reference for the entry (unique per account).
    pub bank_reference: String,
    /// Remittance information and references, as the payer wrote them.
    pub reference: String,
    pub counterparty: String,
}

fn err(line: u64, column: usize, field: &str, message: impl Into<String>) -> FileError {
    FileError {
        line,
        column,
        field: field.into(),
        message: message.into(),
    }
}

/// Line and column (1-based) of a byte offset.
fn place(text: &[u8], offset: usize) -> (u64, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = 1 + before.iter().filter(|b| **b == b'\n').count() as u64;
    let column = 1 + offset
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1);
    (line, column)
}

#[derive(Default)]
struct Entry {
    start: usize,
    amount: Option<(String, String, usize)>,
    credit_debit: Option<(String, usize)>,
    status: Option<String>,
    booked: Option<(String, usize)>,
    bank_reference: String,
    reference: Vec<String>,
    counterparty: String,
}

/// A camt.053 statement (the first `Stmt` of the document). Only booked
/// entries (`Sts` BOOK) are lines; pending ones are left for the next
/// statement.
pub fn camt053(bytes: &[u8]) -> Result<Statement, Vec<FileError>> {
    let mut reader = Reader::from_reader(bytes);
    let mut path: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    let mut id = String::new();
    let mut account = String::new();
    let mut entry: Option<Entry> = None;
    let mut lines = Vec::new();
    let mut buf = Vec::new();
    // An element's text, gathered across entity references.
    let mut text = String::new();
    let mut text_at = 0usize;
    loop {
        let at = reader.buffer_position() as usize;
        match reader.read_event_into(&mut buf) {
            Err(e) => {
                let (line, column) = place(bytes, reader.error_position() as usize);
                problems.push(err(
                    line,
                    column,
                    "file",
                    format!("is not well-formed XML: {e}"),
                ));
                break;
            }
            Ok(Event::Eof) => {
                if let Some(open) = path.last() {
                    let (line, column) = place(bytes, bytes.len());
                    problems.push(err(
                        line,
                        column,
                        "file",
                        format!("ends before <{open}> is closed"),
                    ));
                }
                break;
            }
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                if path.is_empty() {
                    let namespace_ok = e.attributes().flatten().any(|a| {
                        a.key.as_ref() == b"xmlns"
                            && String::from_utf8_lossy(&a.value)
                                .starts_with("urn:iso:std:iso:20022:tech:xsd:camt.053.001.")
                    });
                    if name != "Document" || !namespace_ok {
                        let (line, column) = place(bytes, at);
                        problems.push(err(line, column, "Document", "is not an ISO 20022 camt.053 document (urn:iso:std:iso:20022:tech:xsd:camt.053.001.*)"));
                        break;
                    }
                }
                if name == "Ntry" {
                    entry = Some(Entry {
                        start: at,
                        ..Entry::default()
                    });
                }
                text.clear();
                text_at = 0;
                if name == "Amt" && path.last().map(String::as_str) == Some("Ntry") {
                    let currency = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == b"Ccy")
                        .map(|a| String::from_utf8_lossy(&a.value).to_string())
                        .unwrap_or_default();
                    if let Some(en) = entry.as_mut() {
                        en.amount = Some((String::new(), currency, at));
                    }
                }
                path.push(name);
            }
            Ok(Event::Text(t)) => {
                text.push_str(&t.decode().map(|c| c.to_string()).unwrap_or_default());
                if text_at == 0 {
                    text_at = at;
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let name = r.decode().map(|c| c.to_string()).unwrap_or_default();
                let resolved = match name.as_str() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    n => n
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                if let Some(c) = resolved {
                    text.push(c);
                }
            }
            Ok(Event::End(_)) => {
                let value = std::mem::take(&mut text).trim().to_string();
                let value_at = std::mem::take(&mut text_at).max(at);
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                if let Some(pos) = p.iter().position(|n| *n == "Ntry") {
                    if let Some(en) = entry.as_mut() {
                        take_entry_field(en, &p[pos + 1..], value, value_at);
                    }
                } else {
                    match p.as_slice() {
                        [.., "Stmt", "Id"] => id = value,
                        [.., "Stmt", "Acct", "Id", "IBAN"] => account = value,
                        [.., "Stmt", "Acct", "Id", "Othr", "Id"] if account.is_empty() => {
                            account = value
                        }
                        _ => {}
                    }
                }
                let name = path.pop().unwrap_or_default();
                if name == "Ntry"
                    && let Some(en) = entry.take()
                {
                    let (line, _) = place(bytes, en.start);
                    if let Some(l) = finish_entry(en, line, bytes, &mut problems) {
                        lines.push(l);
                    }
                }
            }
            Ok(_) => {}
        }
        buf.clear();
    }
    if problems.is_empty() && id.is_empty() {
        problems.push(err(1, 0, "Stmt/Id", "the statement has no Id"));
    }
    if !problems.is_empty() {
        problems.truncate(super::settlement::MAX_ERRORS);
        return Err(problems);
    }
    Ok(Statement { id, account, lines })
}

/// Keeps what an entry's element says (`rest`: the path below `Ntry`).
fn take_entry_field(en: &mut Entry, rest: &[&str], value: String, at: usize) {
    // A container's own (empty) text never overwrites what its child said
    // (`<Sts><Cd>BOOK</Cd></Sts>`).
    if value.is_empty() {
        return;
    }
    match rest {
        ["Amt"] => {
            if let Some(a) = en.amount.as_mut() {
                a.0 = value;
            }
        }
        ["CdtDbtInd"] => en.credit_debit = Some((value, at)),
        ["Sts"] | ["Sts", "Cd"] => en.status = Some(value),
        ["BookgDt", "Dt"] => en.booked = Some((value, at)),
        ["BookgDt", "DtTm"] => en.booked = Some((value.chars().take(10).collect(), at)),
        ["AcctSvcrRef"] => en.bank_reference = value,
        ["NtryDtls", "TxDtls", "RmtInf", "Ustrd"]
        | ["NtryDtls", "TxDtls", "RmtInf", "Strd", "CdtrRefInf", "Ref"]
        | ["NtryDtls", "TxDtls", "Refs", "EndToEndId"]
        | ["AddtlNtryInf"]
            if value != "NOTPROVIDED" =>
        {
            en.reference.push(value)
        }
        ["NtryDtls", "TxDtls", "RltdPties", "Dbtr", "Nm"]
        | ["NtryDtls", "TxDtls", "RltdPties", "Dbtr", "Pty", "Nm"]
        | ["NtryDtls", "TxDtls", "RltdPties", "Cdtr", "Nm"]
        | ["NtryDtls", "TxDtls", "RltdPties", "Cdtr", "Pty", "Nm"]
            if en.counterparty.is_empty() =>
        {
            en.counterparty = value
        }
        _ => {}
    }
}

fn finish_entry(
    en: Entry,
    line: u64,
    bytes: &[u8],
    problems: &mut Vec<FileError>,
) -> Option<BankLine> {
    if en.status.as_deref().is_some_and(|s| s != "BOOK") {
        return None;
    }
    let Some((amount_text, currency_text, at)) = en.amount else {
        problems.push(err(line, 0, "Ntry/Amt", "the entry has no amount"));
        return None;
    };
    let (l, c) = place(bytes, at);
    let amount = match amount_text.parse::<Decimal>() {
        Ok(a) if a >= Decimal::ZERO => Some(a),
        _ => {
            problems.push(err(
                l,
                c,
                "Ntry/Amt",
                format!("'{amount_text}' is not an amount"),
            ));
            None
        }
    };
    let currency = match currency_text.parse::<Currency>() {
        Ok(c) => Some(c),
        Err(e) => {
            problems.push(err(l, c, "Ntry/Amt/@Ccy", e.to_string()));
            None
        }
    };
    let sign = match en.credit_debit {
        Some((ref s, _)) if s == "CRDT" => Some(Decimal::ONE),
        Some((ref s, _)) if s == "DBIT" => Some(-Decimal::ONE),
        Some((s, at)) => {
            let (l, c) = place(bytes, at);
            problems.push(err(
                l,
                c,
                "Ntry/CdtDbtInd",
                format!("'{s}' is neither CRDT nor DBIT"),
            ));
            None
        }
        None => {
            problems.push(err(
                line,
                0,
                "Ntry/CdtDbtInd",
                "the entry says neither credit nor debit",
            ));
            None
        }
    };
    let booked = match en.booked {
        Some((t, at)) => match t.parse::<NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => {
                let (l, c) = place(bytes, at);
                problems.push(err(l, c, "Ntry/BookgDt", format!("'{t}' is not a date")));
                None
            }
        },
        None => {
            problems.push(err(
                line,
                0,
                "Ntry/BookgDt",
                "the entry has no booking date",
            ));
            None
        }
    };
    Some(BankLine {
        line,
        booked_on: booked?,
        amount: amount? * sign?,
        currency: currency?,
        bank_reference: en.bank_reference,
        reference: en.reference.join(" "),
        counterparty: en.counterparty,
    })
}

/// The bank-statement CSV (docs/billing.md): `statement_id`, `account`,
/// `booking_date`, `amount` (signed: money in positive), `currency`,
/// `bank_reference`, `reference`, `counterparty`.
pub fn csv(bytes: &[u8]) -> Result<Statement, Vec<FileError>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| vec![err(0, 0, "file", format!("is not UTF-8 text: {e}"))])?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|n| n.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect(),
        Err(e) => return Err(vec![err(1, 0, "header", e.to_string())]),
    };
    let required = [
        "statement_id",
        "account",
        "booking_date",
        "amount",
        "currency",
        "bank_reference",
        "reference",
        "counterparty",
    ];
    let missing: Vec<FileError> = required
        .iter()
        .filter(|n| !header.iter().any(|h| h == *n))
        .map(|n| err(1, 0, n, format!("column '{n}' is missing from the header")))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let col = |n: &str| header.iter().position(|h| h == n).expect("checked");
    let mut problems = Vec::new();
    let mut id = String::new();
    let mut account = String::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let r = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(err(line, 0, "line", e.to_string()));
                continue;
            }
        };
        let line = r
            .position()
            .map(|p| {
                let start = p.byte() as usize;
                let b = text.as_bytes();
                let mut s = start.min(b.len());
                while s < b.len() && (b[s] == b'\n' || b[s] == b'\r') {
                    s += 1;
                }
                1 + b[..s].iter().filter(|x| **x == b'\n').count() as u64
            })
            .unwrap_or(0);
        let f = |n: &str| r.get(col(n)).unwrap_or("").trim().to_string();
        if r.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let this = f("statement_id");
        if id.is_empty() {
            id = this.clone();
        } else if this != id {
            problems.push(err(
                line,
                col("statement_id") + 1,
                "statement_id",
                format!("{this} in a file of statement {id}"),
            ));
        }
        if account.is_empty() {
            account = f("account");
        }
        let booked = parse_date(&f("booking_date"));
        if booked.is_none() {
            problems.push(err(
                line,
                col("booking_date") + 1,
                "booking_date",
                format!("'{}' is not a date", f("booking_date")),
            ));
        }
        let amount = parse_amount(&f("amount"));
        if amount.is_none() {
            problems.push(err(
                line,
                col("amount") + 1,
                "amount",
                format!("'{}' is not an amount", f("amount")),
            ));
        }
        let currency = f("currency").parse::<Currency>();
        if let Err(e) = &currency {
            problems.push(err(line, col("currency") + 1, "currency", e.to_string()));
        }
        if f("bank_reference").is_empty() {
            problems.push(err(
                line,
                col("bank_reference") + 1,
                "bank_reference",
                "is empty: the bank's reference tells a line from a repeat",
            ));
        }
        if let (Some(booked_on), Some(amount), Ok(currency)) = (booked, amount, currency) {
            lines.push(BankLine {
                line,
                booked_on,
                amount,
                currency,
                bank_reference: f("bank_reference"),
                reference: f("reference"),
                counterparty: f("counterparty"),
            });
        }
    }
    if problems.is_empty() && lines.is_empty() {
        problems.push(err(1, 0, "file", "has no lines"));
    }
    if !problems.is_empty() {
        problems.truncate(super::settlement::MAX_ERRORS);
        return Err(problems);
    }
    Ok(Statement { id, account, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camt_reads_booked_entries_signed_with_their_references() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><Stmt><Id>S-9</Id>
    <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
    <Ntry><Amt Ccy="EUR">12.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
      <BookgDt><Dt>2026-12-01</Dt></BookgDt><AcctSvcrRef>X-1</AcctSvcrRef>
      <NtryDtls><TxDtls><RmtInf><Ustrd>Fees &amp; charges</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
    <Ntry><Amt Ccy="EUR">99.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts>
      <BookgDt><Dt>2026-12-01</Dt></BookgDt><AcctSvcrRef>X-2</AcctSvcrRef></Ntry>
  </Stmt></BkToCstmrStmt>
</Document>"#;
        let s = camt053(xml).unwrap();
        assert_eq!(
            (s.id.as_str(), s.account.as_str()),
            ("S-9", "DE89370400440532013000")
        );
        assert_eq!(s.lines.len(), 1, "a pending entry waits for its booking");
        let l = &s.lines[0];
        assert_eq!(l.amount, "-12.50".parse::<Decimal>().unwrap());
        assert_eq!(l.reference, "Fees & charges");
        assert!(
            camt053(b"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"/>")
                .is_err()
        );
        let broken =
            camt053(b"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><Stmt>")
                .unwrap_err();
        assert_eq!(broken[0].field, "file");
    }

    #[test]
    fn the_csv_names_every_bad_field() {
        let bad = b"statement_id,account,booking_date,amount,currency,bank_reference,reference,counterparty\n\
            C-1,DE89,2026-12-01,12.00,EUR,R-1,ok,Someone\n\
            C-1,DE89,01/12/2026,twelve,EURO,,x,y\n";
        let at: Vec<(u64, usize, String)> = csv(bad)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.line, e.column, e.field))
            .collect();
        assert_eq!(
            at,
            [
                (3, 3, "booking_date".to_string()),
                (3, 4, "amount".to_string()),
                (3, 5, "currency".to_string()),
                (3, 6, "bank_reference".to_string()),
            ]
        );
    }
}
