//! Stock keeping units: the merchant's own identifier of a sellable variant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const MAX_SKU_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkuError {
    #[error("SKU must not be empty")]
    Empty,
    #[error("SKU must be at most {MAX_SKU_LEN} characters")]
    TooLong,
    #[error("SKU may contain only letters, digits, '-', '_' and '.'")]
    BadCharacter,
}

/// A SKU: 1–64 characters of `A-Z a-z 0-9 - _ .`, kept upper-case so look-ups
/// are case-insensitive the way warehouse staff type them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[A-Za-z0-9._-]{1,64}$", example = "TSHIRT-RED-M")]
pub struct Sku(String);

impl Sku {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Sku {
    type Err = SkuError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(SkuError::Empty);
        }
        if s.len() > MAX_SKU_LEN {
            return Err(SkuError::TooLong);
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(SkuError::BadCharacter);
        }
        Ok(Sku(s.to_ascii_uppercase()))
    }
}

impl TryFrom<String> for Sku {
    type Error = SkuError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Sku> for String {
    fn from(value: Sku) -> Self {
        value.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_whitespace() {
        assert_eq!(
            "  tshirt-red-m ".parse::<Sku>().unwrap().as_str(),
            "TSHIRT-RED-M"
        );
    }

    #[test]
    fn rejects_bad_skus() {
        assert_eq!("".parse::<Sku>().unwrap_err(), SkuError::Empty);
        assert_eq!("a b".parse::<Sku>().unwrap_err(), SkuError::BadCharacter);
        assert_eq!(
            "x".repeat(65).parse::<Sku>().unwrap_err(),
            SkuError::TooLong
        );
    }
}
