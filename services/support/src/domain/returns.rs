//! The return policy engine: whether a return request is allowed, on what
//! terms, and whether it is authorised at once. A channel's policy states
//! the return window (days from delivery or from shipment), the categories
//! that can't be returned, the restocking fee (on returns that are the
//! customer's choice, never on the merchant's fault), who pays the return
//! label, the value below which the customer keeps the item and is refunded
//! anyway (returnless), and the value below which a return is authorised
//! without a person. A refusal names its rule and the field it is about.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Why the customer returns: the merchant's fault or the customer's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Damaged,
    WrongItem,
    NotAsDescribed,
    NoLongerNeeded,
    SizeOrFit,
    Other,
}

impl Reason {
    /// The merchant's fault: no restocking fee, the merchant pays the label.
    pub fn merchant_fault(self) -> bool {
        matches!(
            self,
            Reason::Damaged | Reason::WrongItem | Reason::NotAsDescribed
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowFrom {
    Delivery,
    Shipment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    Customer,
    Merchant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub window_days: i64,
    pub window_from: WindowFrom,
    pub non_returnable_categories: Vec<String>,
    /// Percent of the returned value kept on a customer's-choice return.
    pub restocking_fee_percent: Decimal,
    /// Who pays the return label on a customer's-choice return (the
    /// merchant always does on its own fault).
    pub return_shipping_paid_by: Payer,
    /// What a return label costs the customer when they pay it.
    pub return_label_fee: Decimal,
    /// Below this value (the lines' total) the customer keeps the goods.
    pub returnless_below: Option<Decimal>,
    /// Up to this value a return is authorised without a person.
    pub auto_approve_up_to: Option<Decimal>,
    /// Where returns go.
    pub return_location: String,
}

/// One line the customer wants to return, with what is known of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRequest {
    pub line_no: i32,
    pub sku: String,
    pub quantity: i64,
    /// Units of the line that shipped, and that earlier returns took.
    pub shipped: i64,
    pub already_returned: i64,
    pub unit_price: Decimal,
    pub category: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The policy rule: return_window, non_returnable_category, not_shipped,
    /// quantity.
    pub rule: &'static str,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// The lines' value at the order's prices.
    pub value: Decimal,
    pub restocking_fee: Decimal,
    pub return_label_fee: Decimal,
    /// What the customer gets back: value less the fees.
    pub refund: Decimal,
    /// The customer keeps the goods (nothing comes back to inspect).
    pub returnless: bool,
    /// Authorised without a person.
    pub auto_approved: bool,
    pub return_location: String,
    pub label_paid_by: Payer,
    /// Last day of the window.
    pub window_ends: NaiveDate,
}

/// When the window starts: delivery (estimated from the shipment when no
/// delivery is known) or shipment.
pub fn window_start(
    policy: &Policy,
    shipped_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    expected_delivery: NaiveDate,
) -> NaiveDate {
    match policy.window_from {
        WindowFrom::Shipment => shipped_at.date_naive(),
        WindowFrom::Delivery => delivered_at.map_or(expected_delivery, |d| d.date_naive()),
    }
}

fn money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// Decides a return request; `starts` is the window's first day.
pub fn decide(
    policy: &Policy,
    reason: Reason,
    lines: &[LineRequest],
    starts: NaiveDate,
    today: NaiveDate,
) -> Result<Terms, Vec<Refusal>> {
    let mut refusals = Vec::new();
    let window_ends = starts + Duration::days(policy.window_days);
    // The merchant's fault is never out of time for a claim, within reason;
    // a customer's choice is bound by the window.
    if today > window_ends && !reason.merchant_fault() {
        refusals.push(Refusal {
            rule: "return_window",
            field: "lines".into(),
            message: format!(
                "the return window of {} days from {} ended on {window_ends}",
                policy.window_days,
                match policy.window_from {
                    WindowFrom::Delivery => "delivery",
                    WindowFrom::Shipment => "shipment",
                }
            ),
        });
    }
    for (i, l) in lines.iter().enumerate() {
        if let Some(category) = &l.category
            && policy
                .non_returnable_categories
                .iter()
                .any(|c| c.eq_ignore_ascii_case(category))
            && !reason.merchant_fault()
        {
            refusals.push(Refusal {
                rule: "non_returnable_category",
                field: format!("lines[{i}].line_no"),
                message: format!(
                    "{} is in category {category}, which can't be returned",
                    l.sku
                ),
            });
        }
        let open = l.shipped - l.already_returned;
        if l.shipped == 0 {
            refusals.push(Refusal {
                rule: "not_shipped",
                field: format!("lines[{i}].line_no"),
                message: format!("line {} has not shipped: cancel it instead", l.line_no),
            });
        } else if l.quantity > open {
            refusals.push(Refusal {
                rule: "quantity",
                field: format!("lines[{i}].quantity"),
                message: format!(
                    "line {} has {open} unit(s) left to return ({} shipped, {} returned before)",
                    l.line_no, l.shipped, l.already_returned
                ),
            });
        }
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }
    let value = money(
        lines
            .iter()
            .map(|l| l.unit_price * Decimal::from(l.quantity))
            .sum(),
    );
    let returnless = policy.returnless_below.is_some_and(|t| value < t);
    let (restocking_fee, label_paid_by) = if reason.merchant_fault() {
        (Decimal::ZERO, Payer::Merchant)
    } else {
        (
            money(value * policy.restocking_fee_percent / Decimal::from(100)),
            policy.return_shipping_paid_by,
        )
    };
    // Nothing travels back on a returnless refund: no label to pay, and
    // nothing to restock.
    let (restocking_fee, return_label_fee) = if returnless {
        (Decimal::ZERO, Decimal::ZERO)
    } else if label_paid_by == Payer::Customer {
        (restocking_fee, policy.return_label_fee)
    } else {
        (restocking_fee, Decimal::ZERO)
    };
    let refund = (value - restocking_fee - return_label_fee).max(Decimal::ZERO);
    Ok(Terms {
        value,
        restocking_fee,
        return_label_fee,
        refund,
        returnless,
        auto_approved: policy.auto_approve_up_to.is_some_and(|t| value <= t),
        return_location: policy.return_location.clone(),
        label_paid_by,
        window_ends,
    })
}

/// The days of the window left on `today` (0 once it ended).
pub fn days_left(window_ends: NaiveDate, today: NaiveDate) -> i64 {
    (window_ends - today).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn policy() -> Policy {
        Policy {
            window_days: 30,
            window_from: WindowFrom::Delivery,
            non_returnable_categories: vec!["hygiene".into()],
            restocking_fee_percent: dec("10"),
            return_shipping_paid_by: Payer::Customer,
            return_label_fee: dec("4.95"),
            returnless_below: Some(dec("10")),
            auto_approve_up_to: Some(dec("100")),
            return_location: "RET-1".into(),
        }
    }

    fn line(no: i32, quantity: i64, price: Decimal) -> LineRequest {
        LineRequest {
            line_no: no,
            sku: format!("SKU-{no}"),
            quantity,
            shipped: 2,
            already_returned: 0,
            unit_price: price,
            category: None,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn a_customers_choice_pays_the_restocking_fee_and_the_label() {
        let t = decide(
            &policy(),
            Reason::SizeOrFit,
            &[line(1, 2, dec("24.95"))],
            day(1),
            day(5),
        )
        .unwrap();
        assert_eq!(t.value, dec("49.90"));
        assert_eq!(t.restocking_fee, dec("4.99"));
        assert_eq!(t.return_label_fee, dec("4.95"));
        assert_eq!(t.refund, dec("39.96"));
        assert!(t.auto_approved);
        assert!(!t.returnless);
        assert_eq!(t.window_ends, day(31));
        assert_eq!(t.label_paid_by, Payer::Customer);
    }

    #[test]
    fn the_merchants_fault_is_refunded_in_full() {
        let t = decide(
            &policy(),
            Reason::Damaged,
            &[line(1, 1, dec("49.90"))],
            day(1),
            day(5),
        )
        .unwrap();
        assert_eq!(
            (t.restocking_fee, t.return_label_fee, t.refund),
            (dec("0"), dec("0"), dec("49.90"))
        );
        assert_eq!(t.label_paid_by, Payer::Merchant);
    }

    #[test]
    fn cheap_items_are_refunded_without_coming_back() {
        let t = decide(
            &policy(),
            Reason::NoLongerNeeded,
            &[line(1, 1, dec("7.50"))],
            day(1),
            day(2),
        )
        .unwrap();
        assert!(t.returnless);
        assert_eq!(t.refund, dec("7.50"), "no fees when nothing travels");
    }

    #[test]
    fn expensive_returns_wait_for_a_person() {
        let t = decide(
            &policy(),
            Reason::Damaged,
            &[line(1, 2, dec("80"))],
            day(1),
            day(2),
        )
        .unwrap();
        assert!(!t.auto_approved);
    }

    #[test]
    fn refusals_name_their_rule_and_field() {
        let late = decide(
            &policy(),
            Reason::SizeOrFit,
            &[line(1, 1, dec("20"))],
            day(1),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        )
        .unwrap_err();
        assert_eq!(late[0].rule, "return_window");
        assert!(
            late[0].message.contains("ended on 2026-12-31"),
            "{}",
            late[0].message
        );
        // A damaged item may still be claimed after the window.
        assert!(
            decide(
                &policy(),
                Reason::Damaged,
                &[line(1, 1, dec("20"))],
                day(1),
                NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
            )
            .is_ok()
        );

        let mut hygiene = line(1, 1, dec("20"));
        hygiene.category = Some("Hygiene".into());
        let r = decide(
            &policy(),
            Reason::NoLongerNeeded,
            &[line(2, 1, dec("5")), hygiene],
            day(1),
            day(2),
        )
        .unwrap_err();
        assert_eq!(
            (r[0].rule, r[0].field.as_str()),
            ("non_returnable_category", "lines[1].line_no")
        );

        let mut twice = line(1, 2, dec("20"));
        twice.already_returned = 1;
        let r = decide(&policy(), Reason::SizeOrFit, &[twice], day(1), day(2)).unwrap_err();
        assert_eq!(
            (r[0].rule, r[0].field.as_str()),
            ("quantity", "lines[0].quantity")
        );

        let mut unshipped = line(1, 1, dec("20"));
        unshipped.shipped = 0;
        let r = decide(&policy(), Reason::SizeOrFit, &[unshipped], day(1), day(2)).unwrap_err();
        assert_eq!(r[0].rule, "not_shipped");
    }

    #[test]
    fn the_window_starts_at_delivery_or_shipment() {
        let shipped = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut p = policy();
        assert_eq!(
            window_start(&p, shipped, None, day(4)),
            day(4),
            "estimated delivery"
        );
        p.window_from = WindowFrom::Shipment;
        assert_eq!(window_start(&p, shipped, None, day(4)), day(1));
        assert_eq!(days_left(day(31), day(5)), 26);
        assert_eq!(
            days_left(day(31), NaiveDate::from_ymd_opt(2027, 1, 2).unwrap()),
            0
        );
    }
}
