//! Money: a `rust_decimal` amount with an ISO 4217 currency. Never a float.
//!
//! Arithmetic across currencies is an error value, not a panic. Rounding is
//! explicit: amounts keep the precision they were given (prices may carry up to
//! four decimals) until a caller rounds them to the currency's minor unit with a
//! named rule.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// ISO 4217 codes Crossdock accepts, with their minor units (decimal places).
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MAD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PEN", 2),
    ("PHP", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// Largest number of decimal places an amount may carry (matches NUMERIC(20,4)).
pub const MAX_SCALE: u32 = 4;

/// Largest number of digits before the decimal point (NUMERIC(20,4) keeps 16):
/// amounts and every sum or product of them stay below 10^16 in magnitude, so
/// whatever is accepted or computed can be stored.
pub const MAX_INTEGER_DIGITS: u32 = 16;

fn fits(amount: Decimal) -> bool {
    amount.abs() < Decimal::from(10_i64.pow(MAX_INTEGER_DIGITS))
}

/// An ISO 4217 alphabetic currency code from the supported list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

/// In the OpenAPI documents a currency is one of the supported codes, so a
/// client generated from them cannot send one the services refuse.
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("ISO 4217 code, one of the supported currencies"))
            .enum_values(Some(CURRENCIES.iter().map(|(code, _)| *code)))
            .examples(["EUR"])
            .into()
    }
}

impl ToSchema for Currency {}

impl Currency {
    pub fn code(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).expect("currency code is ASCII")
    }

    /// Decimal places of the currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn minor_units(&self) -> u32 {
        CURRENCIES
            .iter()
            .find(|(code, _)| *code == self.code())
            .map(|(_, units)| *units)
            .expect("currency is from the supported list")
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match CURRENCIES.iter().find(|(code, _)| *code == s) {
            Some((code, _)) => {
                let bytes = code.as_bytes();
                Ok(Currency([bytes[0], bytes[1], bytes[2]]))
            }
            None => Err(MoneyError::UnknownCurrency(s.to_string())),
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.code().to_string()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown or unsupported ISO 4217 currency code '{0}'")]
    UnknownCurrency(String),
    #[error("currency mismatch: {left} vs {right}")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("amount has more than {MAX_SCALE} decimal places")]
    TooPrecise,
    #[error("amount must not be negative")]
    Negative,
    #[error("amount is not a decimal number: {0}")]
    NotADecimal(String),
    #[error("amount overflows (at most {MAX_INTEGER_DIGITS} digits before the decimal point)")]
    Overflow,
}

/// How to round to a currency's minor unit. Named so every call site says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// 0.125 → 0.13, -0.125 → -0.13: the commercial rule for prices and invoices.
    HalfAwayFromZero,
    /// 0.125 → 0.12, 0.135 → 0.14: banker's rounding, unbiased over many sums (tax totals).
    HalfEven,
    /// Toward zero: never rounds a refund or credit up.
    Down,
}

impl From<Rounding> for RoundingStrategy {
    fn from(value: Rounding) -> Self {
        match value {
            Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Down => RoundingStrategy::ToZero,
        }
    }
}

/// An amount in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Decimal amount as a string, e.g. "19.99"; at most 4 decimal places.
    /// Never negative in a request; at most 16 digits before the point and 4 after.
    /// A JSON string, never a number (a float would lose cents on the way).
    #[schema(value_type = String, pattern = "^[0-9]{1,16}(\\.[0-9]{1,4})?$", example = "19.99")]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[schema(inline)]
    pub currency: Currency,
}

impl Money {
    /// A money value; rejects amounts with more than [`MAX_SCALE`] decimals.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount.normalize().scale() > MAX_SCALE {
            return Err(MoneyError::TooPrecise);
        }
        if !fits(amount) {
            return Err(MoneyError::Overflow);
        }
        Ok(Self { amount, currency })
    }

    /// Checks a value that arrived without [`Money::new`] (deserialized from a
    /// request): at most [`MAX_SCALE`] decimals and storable.
    pub fn validated(self) -> Result<Self, MoneyError> {
        Self::new(self.amount, self.currency)
    }

    /// Parses `amount` (a decimal string) and `currency` (an ISO code).
    pub fn parse(amount: &str, currency: &str) -> Result<Self, MoneyError> {
        let amount = Decimal::from_str_exact(amount)
            .map_err(|_| MoneyError::NotADecimal(amount.to_string()))?;
        Self::new(amount, currency.parse()?)
    }

    /// A money value that must not be negative (prices, costs).
    pub fn non_negative(self) -> Result<Self, MoneyError> {
        if self.amount.is_sign_negative() && !self.amount.is_zero() {
            Err(MoneyError::Negative)
        } else {
            Ok(self)
        }
    }

    pub fn zero(currency: Currency) -> Self {
        Self {
            amount: Decimal::ZERO,
            currency,
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .filter(|a| fits(*a))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { amount, ..self })
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .filter(|a| fits(*a))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { amount, ..self })
    }

    /// Multiplies by a whole quantity (unit price × units). Exact, no rounding.
    pub fn times(self, quantity: i64) -> Result<Money, MoneyError> {
        let amount = self
            .amount
            .checked_mul(Decimal::from(quantity))
            .filter(|a| fits(*a))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { amount, ..self })
    }

    /// The same value written with no trailing zeros beyond the currency's minor
    /// unit: 7.5000 EUR → 7.50, 1.2345 EUR → 1.2345. Stored NUMERIC(20,4) values
    /// come back padded to four places; this is how they are shown.
    pub fn canonical(self) -> Money {
        let mut amount = self.amount.normalize();
        let minor = self.currency.minor_units();
        if amount.scale() < minor {
            amount.rescale(minor);
        }
        Money { amount, ..self }
    }

    /// Rounds to the currency's minor unit with the named rule.
    pub fn round(self, rule: Rounding) -> Money {
        let amount = self
            .amount
            .round_dp_with_strategy(self.currency.minor_units(), rule.into());
        Money { amount, ..self }
    }

    /// Sums amounts that must all share `currency`; an empty list is zero.
    pub fn sum<I: IntoIterator<Item = Money>>(
        currency: Currency,
        items: I,
    ) -> Result<Money, MoneyError> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_results_stay_storable() {
        let eur: Currency = "EUR".parse().unwrap();
        let big = Decimal::from(10_i64.pow(15));
        let max = Money::new(Decimal::from(10_i64.pow(16)) - Decimal::ONE, eur).unwrap();
        assert_eq!(
            Money::new(Decimal::from(10_i64.pow(16)), eur),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            max.checked_add(Money::parse("1", "EUR").unwrap()),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money {
                amount: big,
                currency: eur
            }
            .times(10),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::parse("10.00", "EUR").unwrap().times(1 << 62),
            Err(MoneyError::Overflow)
        );
        assert!(
            Money {
                amount: big,
                currency: eur
            }
            .times(9)
            .is_ok()
        );
        // A deserialized value is checked the same way.
        let wire: Money =
            serde_json::from_str(r#"{"amount":"100000000000000000","currency":"EUR"}"#).unwrap();
        assert_eq!(wire.validated(), Err(MoneyError::Overflow));
    }

    fn eur(s: &str) -> Money {
        Money::parse(s, "EUR").unwrap()
    }

    #[test]
    fn adds_and_subtracts_same_currency_exactly() {
        assert_eq!(eur("0.10").checked_add(eur("0.20")).unwrap(), eur("0.30"));
        assert_eq!(eur("10").checked_sub(eur("0.01")).unwrap(), eur("9.99"));
    }

    #[test]
    fn adding_different_currencies_is_an_error_not_a_panic() {
        let usd = Money::parse("1", "USD").unwrap();
        let err = eur("1").checked_add(usd).unwrap_err();
        assert_eq!(
            err,
            MoneyError::CurrencyMismatch {
                left: "EUR".parse().unwrap(),
                right: "USD".parse().unwrap()
            }
        );
        assert!(eur("1").checked_sub(usd).is_err());
        assert!(Money::sum("EUR".parse().unwrap(), [eur("1"), usd]).is_err());
    }

    #[test]
    fn rounding_rules_are_explicit() {
        assert_eq!(eur("0.125").round(Rounding::HalfAwayFromZero), eur("0.13"));
        assert_eq!(
            eur("-0.125").round(Rounding::HalfAwayFromZero),
            eur("-0.13")
        );
        assert_eq!(eur("0.125").round(Rounding::HalfEven), eur("0.12"));
        assert_eq!(eur("0.135").round(Rounding::HalfEven), eur("0.14"));
        assert_eq!(eur("0.129").round(Rounding::Down), eur("0.12"));
        let yen = Money::parse("100.5", "JPY").unwrap();
        assert_eq!(
            yen.round(Rounding::HalfAwayFromZero).amount,
            Decimal::from(101)
        );
        let dinar = Money::parse("1.2345", "KWD").unwrap();
        assert_eq!(dinar.round(Rounding::HalfEven).amount.to_string(), "1.234");
    }

    #[test]
    fn rejects_unknown_currency_bad_amounts_and_excess_precision() {
        assert_eq!(
            Money::parse("1", "XYZ").unwrap_err(),
            MoneyError::UnknownCurrency("XYZ".into())
        );
        assert_eq!(
            Money::parse("1", "eur").unwrap_err(),
            MoneyError::UnknownCurrency("eur".into())
        );
        assert!(matches!(
            Money::parse("1,5", "EUR"),
            Err(MoneyError::NotADecimal(_))
        ));
        assert_eq!(
            Money::parse("1.00001", "EUR").unwrap_err(),
            MoneyError::TooPrecise
        );
        assert_eq!(eur("-1").non_negative().unwrap_err(), MoneyError::Negative);
        assert!(eur("0").non_negative().is_ok());
    }

    #[test]
    fn canonical_form_trims_storage_padding_to_minor_units() {
        assert_eq!(eur("7.5000").canonical().amount.to_string(), "7.50");
        assert_eq!(eur("1.2345").canonical().amount.to_string(), "1.2345");
        assert_eq!(
            Money::parse("100.0000", "JPY")
                .unwrap()
                .canonical()
                .amount
                .to_string(),
            "100"
        );
    }

    #[test]
    fn multiplies_by_quantity_and_sums() {
        assert_eq!(eur("19.99").times(3).unwrap(), eur("59.97"));
        let total = Money::sum("EUR".parse().unwrap(), [eur("1.10"), eur("2.20")]).unwrap();
        assert_eq!(total, eur("3.30"));
    }

    #[test]
    fn serializes_amount_as_string() {
        let json = serde_json::to_value(eur("19.99")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amount": "19.99", "currency": "EUR"})
        );
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, eur("19.99"));
        assert!(
            serde_json::from_value::<Money>(serde_json::json!({"amount": "1", "currency": "ABC"}))
                .is_err()
        );
    }
}
