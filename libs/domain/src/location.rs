//! Location codes: how warehouses, stores and 3PLs are named everywhere
//! (inventory owns locations; orders' channels ship from them; the warehouse
//! keeps bins in them). One definition, so the services agree on what a code is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The pattern in the OpenAPI documents.
pub const LOCATION_CODE_PATTERN: &str = "^[A-Z0-9][A-Z0-9-]{0,39}$";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("location codes are 1-40 upper-case letters, digits and '-', not starting with '-'")]
pub struct LocationCodeError;

/// A location code such as `WH-PRIMARY`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[A-Z0-9][A-Z0-9-]{0,39}$", example = "WH-PRIMARY")]
pub struct LocationCode(String);

impl LocationCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `code` is a well-formed location code.
    pub fn is_valid(code: &str) -> bool {
        (1..=40).contains(&code.len())
            && !code.starts_with('-')
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    }
}

impl FromStr for LocationCode {
    type Err = LocationCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if Self::is_valid(s) {
            Ok(LocationCode(s.to_string()))
        } else {
            Err(LocationCodeError)
        }
    }
}

impl TryFrom<String> for LocationCode {
    type Error = LocationCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<LocationCode> for String {
    fn from(value: LocationCode) -> Self {
        value.0
    }
}

impl fmt::Display for LocationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_case_letters_digits_and_inner_dashes() {
        for ok in ["WH-PRIMARY", "A", "3PL-1", "WH-", &"X".repeat(40)] {
            assert!(ok.parse::<LocationCode>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-WH",
            "wh-primary",
            "WH PRIMARY",
            "WH_1",
            &"X".repeat(41),
            "WH\u{0}",
        ] {
            assert_eq!(bad.parse::<LocationCode>(), Err(LocationCodeError), "{bad}");
        }
        // The pattern in the OpenAPI documents says the same.
        assert_eq!(LOCATION_CODE_PATTERN, "^[A-Z0-9][A-Z0-9-]{0,39}$");
    }
}
