//! GTIN barcodes (GTIN-8, UPC-A/GTIN-12, EAN-13/GTIN-13, GTIN-14) with check-digit
//! validation. Stored and compared as the 14-digit normalized form so that the same
//! item scanned as UPC-A or as EAN-13 matches.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    #[error("barcode must contain only digits")]
    NotDigits,
    #[error("barcode must have 8, 12, 13 or 14 digits, got {0}")]
    BadLength(usize),
    #[error("barcode check digit is wrong: expected {expected}, got {actual}")]
    BadCheckDigit { expected: u8, actual: u8 },
}

/// A validated GTIN, kept as the 14-digit form (left-padded with zeros).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^([0-9]{8}|[0-9]{12,14})$", example = "4006381333931")]
pub struct Gtin(String);

impl Gtin {
    /// The normalized 14-digit form.
    pub fn as_gtin14(&self) -> &str {
        &self.0
    }

    /// The shortest conventional form: EAN-13 when the 14-digit form starts with 0,
    /// UPC-A when it starts with 00, else GTIN-14.
    pub fn display_form(&self) -> &str {
        let trimmed = self.0.trim_start_matches('0');
        match trimmed.len() {
            0..=8 if self.0.starts_with("000000") => &self.0[6..],
            0..=12 => &self.0[2..],
            13 => &self.0[1..],
            _ => &self.0,
        }
    }
}

/// The GS1 check digit of `body` (all digits but the last): weights 3,1,3,…
/// from the rightmost digit of the body.
pub fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - (sum % 10)) % 10) as u8
}

impl FromStr for Gtin {
    type Err = GtinError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GtinError::NotDigits);
        }
        if !matches!(s.len(), 8 | 12 | 13 | 14) {
            return Err(GtinError::BadLength(s.len()));
        }
        let digits: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        let (body, last) = digits.split_at(digits.len() - 1);
        let expected = check_digit(body);
        if expected != last[0] {
            return Err(GtinError::BadCheckDigit {
                expected,
                actual: last[0],
            });
        }
        Ok(Gtin(format!("{s:0>14}")))
    }
}

impl TryFrom<String> for Gtin {
    type Error = GtinError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Gtin> for String {
    fn from(value: Gtin) -> Self {
        value.0
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_form())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_gtins_of_every_length() {
        for code in [
            "96385074",
            "036000291452",
            "4006381333931",
            "10614141000415",
        ] {
            let gtin: Gtin = code.parse().unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(gtin.as_gtin14().len(), 14);
            assert_eq!(gtin.display_form(), code);
        }
    }

    #[test]
    fn upc_and_ean_of_the_same_item_are_equal() {
        let upc: Gtin = "036000291452".parse().unwrap();
        let ean: Gtin = "0036000291452".parse().unwrap();
        assert_eq!(upc, ean);
    }

    #[test]
    fn rejects_wrong_check_digit() {
        assert_eq!(
            "4006381333932".parse::<Gtin>().unwrap_err(),
            GtinError::BadCheckDigit {
                expected: 1,
                actual: 2
            }
        );
        assert!("036000291453".parse::<Gtin>().is_err());
        assert!("96385075".parse::<Gtin>().is_err());
    }

    #[test]
    fn rejects_non_digits_and_bad_lengths() {
        assert_eq!(
            "40063813339a1".parse::<Gtin>().unwrap_err(),
            GtinError::NotDigits
        );
        assert_eq!("".parse::<Gtin>().unwrap_err(), GtinError::NotDigits);
        assert_eq!(
            "1234567".parse::<Gtin>().unwrap_err(),
            GtinError::BadLength(7)
        );
        assert_eq!(
            "123456789012345".parse::<Gtin>().unwrap_err(),
            GtinError::BadLength(15)
        );
    }

    #[test]
    fn check_digit_matches_gs1_examples() {
        // GS1's published example: 629104150021 → check digit 3.
        let body: Vec<u8> = "629104150021".bytes().map(|b| b - b'0').collect();
        assert_eq!(check_digit(&body), 3);
    }
}
