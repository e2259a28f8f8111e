//! A suggested reply per intent, filled with the order's facts (status,
//! carrier and tracking, expected delivery, return window left). Without an
//! order it asks for the order number instead of inventing facts.

use domain::contracts::support::{Intent, OrderFacts, SuggestedReply};

fn greeting(name: Option<&str>) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("Hello {},", n.split_whitespace().next().unwrap_or(n)),
        None => "Hello,".into(),
    }
}

fn status_phrase(status: &str) -> &'static str {
    match status {
        "placed" => "has been received and is being checked",
        "confirmed" => "is confirmed and being prepared in our warehouse",
        "on_hold" => "is on hold while we check a detail",
        "cancelled" => "has been cancelled",
        "partially_shipped" => "has partly shipped",
        "shipped" => "has shipped",
        _ => "is being processed",
    }
}

fn parcels_text(order: &OrderFacts) -> String {
    order
        .parcels
        .iter()
        .map(|p| {
            format!(
                "- {} tracking number {}, expected by {}",
                p.carrier,
                p.tracking_number,
                p.expected_delivery.format("%A %-d %B")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The reply suggested for `intent`, for a customer called `name`, about
/// `order` (when the ticket is linked to one).
pub fn suggest(intent: Intent, name: Option<&str>, order: Option<&OrderFacts>) -> SuggestedReply {
    let hello = greeting(name);
    let sign = "\n\nKind regards,\nCustomer service";
    let Some(order) = order else {
        let body = match intent {
            Intent::ProductQuestion => format!(
                "{hello}\n\nThank you for your question. Could you tell us which product \
                 (its name or article number) you are asking about? We will answer as soon \
                 as we have it.{sign}"
            ),
            Intent::Other => format!(
                "{hello}\n\nThank you for your message. We are looking into it and will come \
                 back to you shortly.{sign}"
            ),
            _ => format!(
                "{hello}\n\nThank you for your message. So that we can help, could you send us \
                 your order number? You will find it in your order confirmation email.{sign}"
            ),
        };
        return SuggestedReply { intent, body };
    };
    let number = &order.external_order_id;
    let status = status_phrase(&order.status);
    let parcels = parcels_text(order);
    let window = order.return_days_left;
    let body = match intent {
        Intent::WhereIsMyOrder if !order.parcels.is_empty() => format!(
            "{hello}\n\nYour order {number} {status}. You can follow it here:\n{parcels}{sign}"
        ),
        Intent::WhereIsMyOrder => format!(
            "{hello}\n\nYour order {number} {status}. It has not left our warehouse yet; you \
             will receive the tracking number by email as soon as it ships.{sign}"
        ),
        Intent::ReturnRequest => match window {
            Some(days) if days > 0 => format!(
                "{hello}\n\nWe are sorry the order {number} did not work out. You can still \
                 return it: {days} days of your return window are left. We will send you a \
                 return authorisation with the instructions shortly.{sign}"
            ),
            Some(_) => format!(
                "{hello}\n\nThank you for contacting us about order {number}. Its return window \
                 has ended; we are checking what we can still do for you and will come back to \
                 you.{sign}"
            ),
            None => format!(
                "{hello}\n\nYour order {number} {status}, so there is nothing to return yet. If \
                 you no longer want it, we can try to cancel it instead.{sign}"
            ),
        },
        Intent::DamagedItem => format!(
            "{hello}\n\nWe are very sorry that part of order {number} arrived damaged. Could you \
             send us a photo of the item and the packaging? We will then arrange a replacement \
             or a refund right away.{sign}"
        ),
        Intent::WrongItem => format!(
            "{hello}\n\nWe are sorry you received the wrong item with order {number}. Could you \
             send us a photo of what arrived (with its label)? We will send the right item and \
             a prepaid return label.{sign}"
        ),
        Intent::CancelOrder if order.parcels.is_empty() && order.status != "cancelled" => {
            format!(
                "{hello}\n\nWe have received your request to cancel order {number}. It has not \
                 shipped yet, so we are cancelling it now and you will receive a confirmation \
                 and your refund shortly.{sign}"
            )
        }
        Intent::CancelOrder => format!(
            "{hello}\n\nYour order {number} {status}, so it can no longer be cancelled. Once \
             it arrives you can return it{}.{sign}",
            window
                .filter(|d| *d > 0)
                .map(|d| format!(" within {d} days"))
                .unwrap_or_default()
        ),
        Intent::ChangeAddress if order.parcels.is_empty() => format!(
            "{hello}\n\nYour order {number} {status} and has not shipped yet. Please reply with \
             the full new address and we will update it before it leaves our warehouse.{sign}"
        ),
        Intent::ChangeAddress => format!(
            "{hello}\n\nYour order {number} has already shipped, so we can no longer change its \
             address here:\n{parcels}\nThe carrier's tracking page lets you redirect the parcel.{sign}"
        ),
        Intent::BillingQuestion => format!(
            "{hello}\n\nThank you for your question about the invoice or payment of order \
             {number}. Our finance team is checking it and will reply with the details.{sign}"
        ),
        Intent::ProductQuestion => format!(
            "{hello}\n\nThank you for your question about an item of order {number}. We are \
             checking the details with our product team and will come back to you shortly.{sign}"
        ),
        Intent::Other => format!(
            "{hello}\n\nThank you for your message about order {number}, which {status}. We are \
             looking into it and will come back to you shortly.{sign}"
        ),
    };
    SuggestedReply { intent, body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use domain::contracts::support::ParcelFacts;

    fn order(parcels: bool, days_left: Option<i64>) -> OrderFacts {
        let shipped_at = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        OrderFacts {
            order_id: uuid::Uuid::nil(),
            channel_id: "web".into(),
            external_order_id: "WEB-1001".into(),
            status: if parcels { "shipped" } else { "confirmed" }.into(),
            placed_at: shipped_at,
            lines: vec![],
            parcels: if parcels {
                vec![ParcelFacts {
                    carrier: "DHL".into(),
                    service: "parcel".into(),
                    tracking_number: "JD014600003828".into(),
                    location_code: "WH1".into(),
                    shipped_at,
                    expected_delivery: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
                }]
            } else {
                vec![]
            },
            return_days_left: days_left,
        }
    }

    #[test]
    fn where_is_my_order_gives_carrier_tracking_and_date() {
        let r = suggest(
            Intent::WhereIsMyOrder,
            Some("Ana Silva"),
            Some(&order(true, Some(27))),
        );
        assert!(r.body.starts_with("Hello Ana,"));
        assert!(r.body.contains("WEB-1001 has shipped"));
        assert!(r.body.contains("DHL tracking number JD014600003828"));
        assert!(r.body.contains("expected by Friday 4 December"));
    }

    #[test]
    fn a_return_request_states_the_window_left() {
        let r = suggest(Intent::ReturnRequest, None, Some(&order(true, Some(12))));
        assert!(r.body.contains("12 days of your return window are left"));
        let late = suggest(Intent::ReturnRequest, None, Some(&order(true, Some(0))));
        assert!(late.body.contains("return window has ended"));
    }

    #[test]
    fn cancelling_depends_on_whether_it_shipped() {
        let open = suggest(Intent::CancelOrder, None, Some(&order(false, None)));
        assert!(open.body.contains("cancelling it now"));
        let gone = suggest(Intent::CancelOrder, None, Some(&order(true, Some(30))));
        assert!(gone.body.contains("can no longer be cancelled"));
        assert!(gone.body.contains("within 30 days"));
    }

    #[test]
    fn without_an_order_it_asks_for_the_number() {
        let r = suggest(Intent::WhereIsMyOrder, None, None);
        assert!(r.body.contains("send us your order number"));
        assert!(!r.body.contains("tracking number "));
    }
}
