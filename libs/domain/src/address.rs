//! Postal addresses for shipping and billing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validation::Validator;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Address {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[schema(min_length = 1, max_length = 20, pattern = "\\S")]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, e.g. "DE".
    #[schema(example = "DE")]
    #[schema(pattern = "^[A-Z]{2}$")]
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Address {
    /// Records every missing or malformed field under `prefix` (e.g. "shipping_address").
    pub fn validate(&self, prefix: &str, v: &mut Validator) {
        v.require_text(&format!("{prefix}.name"), &self.name, 200);
        v.require_text(&format!("{prefix}.line1"), &self.line1, 200);
        v.require_text(&format!("{prefix}.city"), &self.city, 100);
        v.require_text(&format!("{prefix}.postal_code"), &self.postal_code, 20);
        let country_ok =
            self.country.len() == 2 && self.country.bytes().all(|b| b.is_ascii_uppercase());
        if !country_ok {
            v.push(
                format!("{prefix}.country"),
                "must be an ISO 3166-1 alpha-2 code such as \"DE\"",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_missing_field() {
        let address = Address {
            name: "Ada".into(),
            company: None,
            line1: "".into(),
            line2: None,
            city: "Berlin".into(),
            region: None,
            postal_code: " ".into(),
            country: "Germany".into(),
            phone: None,
            email: None,
        };
        let mut v = Validator::new();
        address.validate("shipping_address", &mut v);
        let fields: Vec<String> = v
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "shipping_address.line1",
                "shipping_address.postal_code",
                "shipping_address.country"
            ]
        );
    }
}
