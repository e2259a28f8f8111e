//! Sales channels: where orders come from. A channel id is a stable slug chosen by
//! the merchant ("web-eu", "amazon-de"); its kind says how it behaves.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "channel id must be 1-64 characters of lower-case letters, digits and '-', starting with a letter"
)]
pub struct ChannelIdError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[a-z][a-z0-9-]{0,63}$", example = "amazon-de")]
pub struct ChannelId(String);

impl ChannelId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ChannelId {
    type Err = ChannelIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = (1..=64).contains(&s.len())
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(ChannelId(s.to_string()))
        } else {
            Err(ChannelIdError)
        }
    }
}

impl TryFrom<String> for ChannelId {
    type Error = ChannelIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<ChannelId> for String {
    fn from(value: ChannelId) -> Self {
        value.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a channel sells: drives backorder policy, eligibility and fees elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Web,
    Marketplace,
    B2b,
    Social,
    Retail,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids_are_slugs() {
        assert!("amazon-de".parse::<ChannelId>().is_ok());
        assert!("web2".parse::<ChannelId>().is_ok());
        for bad in ["", "Amazon", "2web", "web_eu", "a b"] {
            assert!(bad.parse::<ChannelId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_serialize_snake_case() {
        assert_eq!(serde_json::to_string(&ChannelKind::B2b).unwrap(), "\"b2b\"");
    }
}
