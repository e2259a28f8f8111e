//! Intake: one internal order model whatever the channel. Validation names
//! every field at fault; exception rules decide whether a valid order starts
//! on hold.

use chrono::{DateTime, Duration, Utc};
use domain::contracts::orders::{CreateOrderRequest, Customer, HoldReason, PaymentStatus};
use domain::quantity::MAX_LINE_QUANTITY;
use domain::{Address, Currency, FieldError, Money, Sku, Validator};
use uuid::Uuid;

/// What intake needs to know about the channel.
#[derive(Debug, Clone)]
pub struct ChannelRules {
    pub currency: Currency,
    pub fraud_threshold: Option<Money>,
}

/// What the catalog projection says about a SKU on this channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Unknown,
    /// The product is draft or archived.
    NotSellable,
    /// No listing on this channel, or the listing is inactive.
    NotListed,
    Listed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub line_no: i32,
    pub sku: Sku,
    pub quantity: i64,
    pub unit_price: Money,
}

/// A valid order in the internal model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub external_order_id: String,
    pub customer: Customer,
    pub shipping_address: Address,
    pub billing_address: Address,
    pub lines: Vec<Line>,
    pub subtotal: Money,
    pub shipping_total: Money,
    pub tax_total: Money,
    pub discount_total: Money,
    pub total: Money,
    pub payment_status: PaymentStatus,
    pub placed_at: DateTime<Utc>,
    pub checkout_hold_id: Option<Uuid>,
}

pub const MAX_LINES: usize = 500;

/// Validates `req` for a channel; `listing` looks a SKU up in the projection.
pub fn validate(
    req: &CreateOrderRequest,
    channel: &ChannelRules,
    listing: impl Fn(&Sku) -> Listing,
    now: DateTime<Utc>,
) -> Result<Order, Vec<FieldError>> {
    let mut v = Validator::new();
    v.require_text("external_order_id", &req.external_order_id, 100);
    v.require_text("customer.name", &req.customer.name, 200);
    let email = req.customer.email.trim();
    if !plausible_email(email) {
        v.push("customer.email", "must be an email address");
    }
    let vat_id = req
        .customer
        .vat_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    if vat_id.is_some_and(|id| !plausible_vat_id(id)) {
        v.push(
            "customer.vat_id",
            "must be a country prefix and 2-13 letters or digits, e.g. FR40303265045",
        );
    }
    req.shipping_address.validate("shipping_address", &mut v);
    if let Some(billing) = &req.billing_address {
        billing.validate("billing_address", &mut v);
    }
    let currency = channel.currency;
    let mut money = |field: &str, m: &Money| {
        if m.currency != currency {
            v.push(
                field,
                format!(
                    "currency must be the channel's ({currency}), not {}",
                    m.currency
                ),
            );
            false
        } else if m.amount.is_sign_negative() && !m.amount.is_zero() {
            v.push(field, "must not be negative");
            false
        } else if let Err(err) = m.validated() {
            v.push(format!("{field}.amount"), err.to_string());
            false
        } else {
            true
        }
    };
    let amounts_ok = [
        money("shipping_total", &req.shipping_total),
        money("tax_total", &req.tax_total),
        money("discount_total", &req.discount_total),
        money("total", &req.total),
    ]
    .iter()
    .all(|ok| *ok);
    let mut lines_ok = true;
    if req.lines.is_empty() {
        v.push("lines", "must have at least one line");
        lines_ok = false;
    } else if req.lines.len() > MAX_LINES {
        v.push("lines", format!("must have at most {MAX_LINES} lines"));
        lines_ok = false;
    }
    let mut lines = Vec::new();
    for (i, line) in req.lines.iter().enumerate() {
        let sku = v.check(format!("lines[{i}].sku"), line.sku.parse::<Sku>());
        if let Some(sku) = &sku {
            let problem = match listing(sku) {
                Listing::Listed => None,
                Listing::Unknown => Some(format!(
                    "unknown SKU {sku} (a SKU created a moment ago may not have reached orders yet: retry shortly)"
                )),
                Listing::NotSellable => {
                    Some(format!("SKU {sku} is not sellable (draft or archived)"))
                }
                Listing::NotListed => Some(format!("SKU {sku} is not listed on this channel")),
            };
            if let Some(problem) = problem {
                v.push(format!("lines[{i}].sku"), problem);
            }
        }
        let quantity_ok = (1..=MAX_LINE_QUANTITY).contains(&line.quantity);
        if line.quantity <= 0 {
            v.push(format!("lines[{i}].quantity"), "must be at least 1");
        } else if line.quantity > MAX_LINE_QUANTITY {
            v.push(
                format!("lines[{i}].quantity"),
                format!("must be at most {MAX_LINE_QUANTITY}"),
            );
        }
        let price_ok = {
            let field = format!("lines[{i}].unit_price");
            if line.unit_price.currency != currency {
                v.push(
                    field,
                    format!(
                        "currency must be the channel's ({currency}), not {}",
                        line.unit_price.currency
                    ),
                );
                false
            } else if line.unit_price.amount.is_sign_negative() {
                v.push(field, "must not be negative");
                false
            } else if let Err(err) = line.unit_price.validated() {
                v.push(format!("{field}.amount"), err.to_string());
                false
            } else {
                true
            }
        };
        match sku {
            Some(sku) if quantity_ok && price_ok => lines.push(Line {
                line_no: i as i32 + 1,
                sku,
                quantity: line.quantity,
                unit_price: line.unit_price.canonical(),
            }),
            _ => lines_ok = false,
        }
    }
    // Totals are checked only when every amount is valid: one root cause, one error.
    let mut subtotal = Money::zero(currency);
    if amounts_ok && lines_ok {
        let computed = lines
            .iter()
            .try_fold(Money::zero(currency), |acc, l| {
                acc.checked_add(l.unit_price.times(l.quantity)?)
            })
            .and_then(|sub| {
                subtotal = sub;
                sub.checked_add(req.shipping_total)?
                    .checked_add(req.tax_total)?
                    .checked_sub(req.discount_total)
            });
        match computed {
            Ok(expected) if expected.amount == req.total.amount => {}
            Ok(expected) => v.push(
                "total",
                format!(
                    "is {} but lines + shipping + tax - discount = {}",
                    req.total.amount, expected.amount
                ),
            ),
            Err(err) => v.push("total", err.to_string()),
        }
    }
    if req.placed_at > now + Duration::minutes(5) {
        v.push("placed_at", "is in the future");
    }
    v.finish()?;
    Ok(Order {
        external_order_id: req.external_order_id.trim().to_string(),
        customer: Customer {
            email: email.to_string(),
            name: req.customer.name.trim().to_string(),
            external_id: req.customer.external_id.clone(),
            vat_id: vat_id.map(str::to_string),
        },
        shipping_address: req.shipping_address.clone(),
        billing_address: req
            .billing_address
            .clone()
            .unwrap_or_else(|| req.shipping_address.clone()),
        lines,
        subtotal: subtotal.canonical(),
        shipping_total: req.shipping_total.canonical(),
        tax_total: req.tax_total.canonical(),
        discount_total: req.discount_total.canonical(),
        total: req.total.canonical(),
        payment_status: req.payment_status,
        // Stored with microseconds: keep what is read back identical.
        placed_at: chrono::SubsecRound::trunc_subsecs(req.placed_at, 6),
        checkout_hold_id: req.checkout_hold_id,
    })
}

/// An EU-style VAT id: two capital letters, then 2-13 characters (whether
/// it is registered is for VIES, not intake).
fn plausible_vat_id(id: &str) -> bool {
    let (prefix, rest) = id.split_at(id.len().min(2));
    prefix.len() == 2
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && (2..=13).contains(&rest.len())
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'*' || b == b'.')
}

/// One `@` with something on each side, at most 254 characters. (Whether the
/// mailbox exists is the channel's business.)
fn plausible_email(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        })
}

/// Whether the order is big enough for the fraud rule to ask about the customer.
pub fn above_fraud_threshold(order: &Order, channel: &ChannelRules) -> bool {
    channel
        .fraud_threshold
        .is_some_and(|t| t.currency == order.total.currency && order.total.amount > t.amount)
}

/// The exception an order starts in, if any. First match wins:
/// 1. payment failed;
/// 2. address problem: the shipping postal code does not fit its country's
///    format (for the countries in [`postal_code_problem`]);
/// 3. fraud review: the total is above the channel's threshold and the
///    customer (by email, across channels) has never ordered before.
pub fn intake_hold(
    order: &Order,
    channel: &ChannelRules,
    first_time_customer: bool,
) -> Option<(HoldReason, String)> {
    if order.payment_status == PaymentStatus::Failed {
        return Some((
            HoldReason::PaymentFailed,
            "the channel reported the payment as failed".into(),
        ));
    }
    if let Some(problem) = postal_code_problem(
        &order.shipping_address.country,
        &order.shipping_address.postal_code,
    ) {
        return Some((
            HoldReason::AddressProblem,
            format!("shipping address: {problem}"),
        ));
    }
    if first_time_customer && above_fraud_threshold(order, channel) {
        let threshold = channel.fraud_threshold.expect("checked above");
        return Some((
            HoldReason::FraudReview,
            format!(
                "first order of this customer, total {} above the channel's review threshold {}",
                order.total, threshold
            ),
        ));
    }
    None
}

/// A postal code that cannot be right for its country, for countries whose
/// format is fixed. Unknown countries pass.
pub fn postal_code_problem(country: &str, code: &str) -> Option<String> {
    let code = code.trim();
    let digits = |n: usize| code.len() == n && code.bytes().all(|b| b.is_ascii_digit());
    let ok = match country {
        "DE" | "FR" | "IT" | "ES" | "FI" => digits(5),
        "AT" | "BE" | "CH" | "DK" | "NO" | "LU" | "HU" => digits(4),
        "US" => {
            digits(5)
                || (code.len() == 10
                    && code.as_bytes()[5] == b'-'
                    && code
                        .bytes()
                        .enumerate()
                        .all(|(i, b)| i == 5 || b.is_ascii_digit()))
        }
        "NL" => {
            let compact: String = code.chars().filter(|c| *c != ' ').collect();
            compact.len() == 6
                && compact[..4].bytes().all(|b| b.is_ascii_digit())
                && compact[4..].bytes().all(|b| b.is_ascii_alphabetic())
        }
        "PL" => {
            code.len() == 6
                && code.as_bytes()[2] == b'-'
                && code
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| i == 2 || b.is_ascii_digit())
        }
        "GB" => {
            let compact: String = code.chars().filter(|c| *c != ' ').collect();
            (5..=7).contains(&compact.len())
                && compact.chars().all(|c| c.is_ascii_alphanumeric())
                && compact
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && compact
                    .chars()
                    .rev()
                    .take(2)
                    .all(|c| c.is_ascii_alphabetic())
        }
        _ => true,
    };
    (!ok).then(|| format!("postal code '{code}' is not a valid {country} postal code"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::contracts::orders::OrderLineInput;

    fn eur(a: &str) -> Money {
        Money::parse(a, "EUR").unwrap()
    }

    fn address() -> Address {
        Address {
            name: "Ada Lovelace".into(),
            company: None,
            line1: "Unter den Linden 1".into(),
            line2: None,
            city: "Berlin".into(),
            region: None,
            postal_code: "10117".into(),
            country: "DE".into(),
            phone: None,
            email: None,
        }
    }

    fn request() -> CreateOrderRequest {
        CreateOrderRequest {
            channel_id: None,
            external_order_id: "WEB-1".into(),
            customer: Customer {
                email: "ada@example.com".into(),
                name: "Ada".into(),
                external_id: None,
                vat_id: None,
            },
            shipping_address: address(),
            billing_address: None,
            lines: vec![
                OrderLineInput {
                    sku: "TEE-RED-M".into(),
                    quantity: 2,
                    unit_price: eur("19.90"),
                },
                OrderLineInput {
                    sku: "MUG-1".into(),
                    quantity: 1,
                    unit_price: eur("9.5"),
                },
            ],
            shipping_total: eur("4.90"),
            tax_total: eur("0"),
            discount_total: eur("5.00"),
            total: eur("49.20"),
            payment_status: PaymentStatus::Paid,
            placed_at: Utc::now(),
            checkout_hold_id: None,
        }
    }

    fn rules() -> ChannelRules {
        ChannelRules {
            currency: "EUR".parse().unwrap(),
            fraud_threshold: Some(eur("500")),
        }
    }

    fn fields(r: Result<Order, Vec<FieldError>>) -> Vec<String> {
        r.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_valid_order_is_normalized() {
        let order = validate(&request(), &rules(), |_| Listing::Listed, Utc::now()).unwrap();
        assert_eq!(order.subtotal, eur("49.30"));
        assert_eq!(
            order.billing_address, order.shipping_address,
            "billing defaults to shipping"
        );
        assert_eq!(order.lines[1].line_no, 2);
    }

    #[test]
    fn a_business_buyer_keeps_its_vat_id_and_a_malformed_one_is_named() {
        let mut req = request();
        req.customer.vat_id = Some(" FR40303265045 ".into());
        let order = validate(&req, &rules(), |_| Listing::Listed, Utc::now()).unwrap();
        assert_eq!(order.customer.vat_id.as_deref(), Some("FR40303265045"));
        req.customer.vat_id = Some("fr4".into());
        let errs = validate(&req, &rules(), |_| Listing::Listed, Utc::now()).unwrap_err();
        assert_eq!(errs[0].field, "customer.vat_id");
        req.customer.vat_id = Some("".into());
        let order = validate(&req, &rules(), |_| Listing::Listed, Utc::now()).unwrap();
        assert_eq!(order.customer.vat_id, None, "blank is no VAT id");
    }

    #[test]
    fn totals_that_do_not_add_up_name_total() {
        let mut req = request();
        req.total = eur("49.21");
        let errs = validate(&req, &rules(), |_| Listing::Listed, Utc::now()).unwrap_err();
        assert_eq!(errs[0].field, "total");
        assert!(errs[0].message.contains("49.20"), "{}", errs[0].message);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut req = request();
        req.lines[0].quantity = 0;
        req.lines[1].unit_price = Money::parse("9.5", "USD").unwrap();
        req.shipping_address.city = "".into();
        req.customer.email = "nobody".into();
        req.tax_total = Money::parse("1", "USD").unwrap();
        assert_eq!(
            fields(validate(&req, &rules(), |_| Listing::Listed, Utc::now())),
            [
                "customer.email",
                "shipping_address.city",
                "tax_total",
                "lines[0].quantity",
                "lines[1].unit_price"
            ]
        );
    }

    #[test]
    fn quantities_and_amounts_are_bounded() {
        // Two lines of one SKU at 2^62 units each, with a total that matches:
        // their sum overflows i64 downstream, their value any NUMERIC column.
        let mut req = request();
        req.lines[1].sku = "TEE-RED-M".into();
        req.lines[0].quantity = 1 << 62;
        req.lines[1].quantity = 1 << 62;
        req.lines[1].unit_price = eur("19.90");
        let errs = validate(&req, &rules(), |_| Listing::Listed, Utc::now()).unwrap_err();
        let named: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["lines[0].quantity", "lines[1].quantity"]);
        assert!(
            errs[0].message.contains("at most 1000000"),
            "{}",
            errs[0].message
        );
        // The bound itself is accepted.
        let mut req = request();
        req.lines = vec![OrderLineInput {
            sku: "TEE-RED-M".into(),
            quantity: MAX_LINE_QUANTITY,
            unit_price: eur("1"),
        }];
        req.shipping_total = eur("0");
        req.discount_total = eur("0");
        req.total = eur("1000000");
        assert!(validate(&req, &rules(), |_| Listing::Listed, Utc::now()).is_ok());
        // An amount that no column could hold.
        let mut req = request();
        req.shipping_total = Money {
            amount: "10000000000000000".parse().unwrap(),
            ..eur("0")
        };
        assert_eq!(
            fields(validate(&req, &rules(), |_| Listing::Listed, Utc::now())),
            ["shipping_total.amount"]
        );
    }

    #[test]
    fn unknown_and_unlisted_skus_are_named() {
        let req = request();
        let errs = validate(
            &req,
            &rules(),
            |sku| {
                if sku.as_str() == "MUG-1" {
                    Listing::NotListed
                } else {
                    Listing::Unknown
                }
            },
            Utc::now(),
        )
        .unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].field, "lines[0].sku");
        assert!(errs[0].message.contains("unknown"));
        assert!(errs[1].message.contains("not listed"));
    }

    #[test]
    fn holds_in_rule_order() {
        let mut order = validate(&request(), &rules(), |_| Listing::Listed, Utc::now()).unwrap();
        assert_eq!(
            intake_hold(&order, &rules(), true),
            None,
            "below the threshold"
        );
        order.total = eur("600");
        assert_eq!(
            intake_hold(&order, &rules(), false),
            None,
            "a returning customer"
        );
        assert_eq!(
            intake_hold(&order, &rules(), true).unwrap().0,
            HoldReason::FraudReview
        );
        order.shipping_address.postal_code = "1011".into();
        assert_eq!(
            intake_hold(&order, &rules(), true).unwrap().0,
            HoldReason::AddressProblem
        );
        order.payment_status = PaymentStatus::Failed;
        assert_eq!(
            intake_hold(&order, &rules(), true).unwrap().0,
            HoldReason::PaymentFailed
        );
    }

    #[test]
    fn postal_codes() {
        assert!(postal_code_problem("DE", "10117").is_none());
        assert!(postal_code_problem("DE", "1011").is_some());
        assert!(postal_code_problem("US", "94105-1234").is_none());
        assert!(postal_code_problem("NL", "1012 AB").is_none());
        assert!(postal_code_problem("GB", "SW1A 1AA").is_none());
        assert!(postal_code_problem("GB", "12345").is_some());
        assert!(postal_code_problem("PL", "00-950").is_none());
        assert!(postal_code_problem("ZZ", "anything").is_none());
    }
}
