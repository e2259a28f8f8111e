//! Quantities: whole units in the SKU's unit of measure. Never negative.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("quantity must not be negative")]
    Negative,
    #[error("quantity must be greater than zero")]
    Zero,
    #[error("quantity overflows")]
    Overflow,
}

/// A non-negative whole number of units.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[serde(try_from = "i64", into = "i64")]
#[schema(value_type = i64, minimum = 0, example = 3)]
pub struct Quantity(i64);

/// The most units one order line may ask for. Real orders are far below it;
/// the bound keeps every sum of quantities (per SKU, per order, per batch of
/// orders) far from `i64` overflow.
pub const MAX_LINE_QUANTITY: i64 = 1_000_000;

impl Quantity {
    pub const ZERO: Quantity = Quantity(0);

    pub fn new(units: i64) -> Result<Self, QuantityError> {
        if units < 0 {
            Err(QuantityError::Negative)
        } else {
            Ok(Quantity(units))
        }
    }

    /// A quantity that must be at least one (an order line, a pick).
    pub fn positive(units: i64) -> Result<Self, QuantityError> {
        if units == 0 {
            Err(QuantityError::Zero)
        } else {
            Self::new(units)
        }
    }

    pub fn units(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Quantity) -> Result<Quantity, QuantityError> {
        self.0
            .checked_add(other.0)
            .map(Quantity)
            .ok_or(QuantityError::Overflow)
    }

    /// Subtraction that refuses to go below zero (stock can't be negative).
    pub fn checked_sub(self, other: Quantity) -> Result<Quantity, QuantityError> {
        Quantity::new(self.0 - other.0)
    }

    /// Subtraction that stops at zero (availability after a buffer).
    pub fn saturating_sub(self, other: Quantity) -> Quantity {
        Quantity((self.0 - other.0).max(0))
    }
}

impl TryFrom<i64> for Quantity {
    type Error = QuantityError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Quantity::new(value)
    }
}

impl From<Quantity> for i64 {
    fn from(value: Quantity) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_negative() {
        assert_eq!(Quantity::new(-1).unwrap_err(), QuantityError::Negative);
        assert_eq!(Quantity::positive(0).unwrap_err(), QuantityError::Zero);
        let five = Quantity::new(5).unwrap();
        let seven = Quantity::new(7).unwrap();
        assert_eq!(
            five.checked_sub(seven).unwrap_err(),
            QuantityError::Negative
        );
        assert_eq!(five.saturating_sub(seven), Quantity::ZERO);
        assert_eq!(five.checked_add(seven).unwrap().units(), 12);
    }
}
