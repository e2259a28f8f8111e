//! The double-entry ledger's rules, free of I/O: the chart of accounts'
//! codes, what each business event posts, that every entry balances per
//! currency, and which day an entry counts in when its own month is closed.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use domain::Currency;
use domain::contracts::billing::LineKind;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::invoicing::Document;

/// Account codes of the chart (seeded by the migration; docs/billing.md).
pub mod accounts {
    pub const RECEIVABLES: &str = "1100";
    pub const BANK: &str = "1200";
    pub const PAYOUTS_IN_TRANSIT: &str = "1250";
    pub const INVENTORY: &str = "1300";
    pub const INPUT_VAT: &str = "1400";
    pub const PAYABLES: &str = "2000";
    pub const GOODS_RECEIVED_NOT_INVOICED: &str = "2100";
    pub const VAT_PAYABLE: &str = "2200";
    pub const ACCRUED_CHANNEL_FEES: &str = "2300";
    pub const SETTLEMENT_SUSPENSE: &str = "2900";
    pub const REVENUE: &str = "4000";
    pub const SHIPPING_REVENUE: &str = "4100";
    pub const RETURN_FEES: &str = "4200";
    pub const REFUNDS: &str = "4900";
    pub const COST_OF_GOODS_SOLD: &str = "5000";
    pub const PRICE_VARIANCE: &str = "5100";
    pub const CHANNEL_FEES: &str = "6100";
    pub const PAYMENT_FEES: &str = "6200";
    pub const SHIPPING_COST: &str = "6300";
    pub const WRITE_OFFS: &str = "6900";
}

/// One line of an entry: debit when positive, credit when negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: String,
    pub channel_id: Option<String>,
    pub order_id: Option<Uuid>,
    pub sku: Option<String>,
    pub currency: Currency,
    pub amount: Decimal,
}

/// Where postings of one business event are tagged (channel, order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tags {
    pub channel_id: Option<String>,
    pub order_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("the entry does not balance in {currency}: debits exceed credits by {off}")]
    Unbalanced { currency: Currency, off: Decimal },
    #[error("the entry has no lines")]
    Empty,
}

/// The postings of one entry, built up line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Postings(pub Vec<Posting>);

impl Postings {
    /// Adds `amount` to `account` (positive: debit); zero adds nothing.
    pub fn add(
        &mut self,
        account: &str,
        tags: &Tags,
        sku: Option<&str>,
        currency: Currency,
        amount: Decimal,
    ) {
        if amount.is_zero() {
            return;
        }
        self.0.push(Posting {
            account: account.to_string(),
            channel_id: tags.channel_id.clone(),
            order_id: tags.order_id,
            sku: sku.map(str::to_string),
            currency,
            amount,
        });
    }

    /// Every currency's lines sum to zero.
    pub fn check(&self) -> Result<(), LedgerError> {
        if self.0.is_empty() {
            return Err(LedgerError::Empty);
        }
        let mut sums: Vec<(Currency, Decimal)> = Vec::new();
        for p in &self.0 {
            match sums.iter_mut().find(|(c, _)| *c == p.currency) {
                Some((_, s)) => *s += p.amount,
                None => sums.push((p.currency, p.amount)),
            }
        }
        match sums.into_iter().find(|(_, s)| !s.is_zero()) {
            Some((currency, off)) => Err(LedgerError::Unbalanced { currency, off }),
            None => Ok(()),
        }
    }
}

/// An invoice: the buyer (through the channel) owes the gross; goods and
/// shipping revenue per channel and SKU; the tax is owed to the state.
pub fn invoice_postings(doc: &Document, tags: &Tags, currency: Currency) -> Postings {
    let mut p = Postings::default();
    p.add(accounts::RECEIVABLES, tags, None, currency, doc.gross);
    for l in &doc.lines {
        let account = match l.kind {
            LineKind::Goods => accounts::REVENUE,
            LineKind::Shipping => accounts::SHIPPING_REVENUE,
        };
        p.add(account, tags, l.sku.as_deref(), currency, -l.net);
    }
    p.add(accounts::VAT_PAYABLE, tags, None, currency, -doc.tax);
    p
}

/// A credit note: the mirror of an invoice, revenue taken back through the
/// refunds account so margin shows it.
pub fn credit_postings(doc: &Document, tags: &Tags, currency: Currency) -> Postings {
    let mut p = Postings::default();
    for l in &doc.lines {
        p.add(accounts::REFUNDS, tags, l.sku.as_deref(), currency, l.net);
    }
    p.add(accounts::VAT_PAYABLE, tags, None, currency, doc.tax);
    p.add(accounts::RECEIVABLES, tags, None, currency, -doc.gross);
    p
}

/// The day an entry of a business event on `occurred_on` counts in: that
/// day if its month is open, else the first day of the first open month
/// after it (documented in docs/billing.md).
pub fn posting_day(occurred_on: NaiveDate, closed: &BTreeSet<String>) -> NaiveDate {
    let mut day = occurred_on;
    while closed.contains(&period_of(day)) {
        let (y, m) = if day.month() == 12 {
            (day.year() + 1, 1)
        } else {
            (day.year(), day.month() + 1)
        };
        day = NaiveDate::from_ymd_opt(y, m, 1).expect("first of a month exists");
    }
    day
}

/// `YYYY-MM` of a day.
pub fn period_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// A `YYYY-MM` period, if it is one.
pub fn parse_period(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoicing::DocLine;
    use crate::domain::tax::Category;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn eur() -> Currency {
        "EUR".parse().unwrap()
    }

    fn doc() -> Document {
        let line = |kind, sku: Option<&str>, net: &str| DocLine {
            kind,
            order_line_no: None,
            sku: sku.map(str::to_string),
            quantity: 1,
            unit_price: d(net),
            discount: Decimal::ZERO,
            net: d(net),
            tax: Decimal::ZERO,
            category: Category::Standard,
            rate: d("19"),
        };
        Document {
            lines: vec![
                line(LineKind::Goods, Some("TEE-1"), "37.80"),
                line(LineKind::Shipping, None, "4.90"),
            ],
            subtotals: vec![],
            net: d("42.70"),
            tax: d("8.11"),
            gross: d("50.81"),
        }
    }

    #[test]
    fn an_invoice_and_its_credit_note_each_balance_and_cancel_out() {
        let tags = Tags {
            channel_id: Some("web".into()),
            order_id: None,
        };
        let invoice = invoice_postings(&doc(), &tags, eur());
        assert_eq!(invoice.check(), Ok(()));
        let accounts: Vec<(&str, Decimal)> = invoice
            .0
            .iter()
            .map(|p| (p.account.as_str(), p.amount))
            .collect();
        assert_eq!(
            accounts,
            [
                ("1100", d("50.81")),
                ("4000", d("-37.80")),
                ("4100", d("-4.90")),
                ("2200", d("-8.11"))
            ]
        );
        let credit = credit_postings(&doc(), &tags, eur());
        assert_eq!(credit.check(), Ok(()));
        let receivable: Decimal = invoice
            .0
            .iter()
            .chain(&credit.0)
            .filter(|p| p.account == accounts::RECEIVABLES)
            .map(|p| p.amount)
            .sum();
        assert_eq!(receivable, Decimal::ZERO);
    }

    #[test]
    fn an_unbalanced_entry_is_named_by_currency() {
        let tags = Tags {
            channel_id: None,
            order_id: None,
        };
        let mut p = Postings::default();
        p.add(accounts::BANK, &tags, None, eur(), d("10"));
        p.add(accounts::RECEIVABLES, &tags, None, eur(), d("-9.99"));
        assert_eq!(
            p.check(),
            Err(LedgerError::Unbalanced {
                currency: eur(),
                off: d("0.01")
            })
        );
        assert_eq!(Postings::default().check(), Err(LedgerError::Empty));
    }

    #[test]
    fn an_event_in_a_closed_month_counts_on_the_first_open_day_after_it() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(posting_day(day, &BTreeSet::new()), day);
        let closed: BTreeSet<String> = ["2026-11".to_string(), "2026-12".to_string()].into();
        assert_eq!(
            posting_day(day, &closed),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert_eq!(parse_period("2026-13"), None);
        assert_eq!(parse_period("2026-02"), NaiveDate::from_ymd_opt(2026, 2, 1));
    }
}
