//! What billing's settings must look like: legal entity codes and fields,
//! countries, tax categories and rates, periods.

use domain::Validator;
use domain::contracts::billing::LegalEntityInput;
use rust_decimal::Decimal;

/// A legal entity code: A-Z, 0-9 and dashes, 1-20 characters.
pub fn check_entity_code(v: &mut Validator, field: &str, code: &str) {
    let ok = (1..=20).contains(&code.len())
        && code
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        v.push(field, "must be 1-20 of A-Z, 0-9 and dashes, e.g. EU1");
    }
}

/// ISO 3166-1 alpha-2, upper case.
pub fn check_country(v: &mut Validator, field: &str, country: &str) {
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        v.push(field, "must be an ISO 3166-1 alpha-2 code, e.g. DE");
    }
}

/// A tax category name: lower case letters, digits and underscores.
pub fn check_category(v: &mut Validator, field: &str, category: &str) {
    let ok = (1..=32).contains(&category.len())
        && category
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase())
        && category
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        v.push(
            field,
            "must be 1-32 of a-z, 0-9 and underscores, e.g. reduced",
        );
    }
}

/// A rate in percent: 0 to 100 with at most 4 decimals.
pub fn check_rate(v: &mut Validator, field: &str, rate: Decimal) {
    if rate.is_sign_negative() || rate > Decimal::ONE_HUNDRED || rate.normalize().scale() > 4 {
        v.push(
            field,
            "must be a percentage from 0 to 100 with at most 4 decimals",
        );
    }
}

/// A VAT id: two capital letters and 2-13 letters or digits.
pub fn plausible_vat_id(id: &str) -> bool {
    let (prefix, rest) = id.split_at(id.len().min(2));
    prefix.len() == 2
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && (2..=13).contains(&rest.len())
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'*' || b == b'.')
}

pub fn validate_entity(code: &str, e: &LegalEntityInput) -> Result<(), Vec<domain::FieldError>> {
    let mut v = Validator::new();
    check_entity_code(&mut v, "code", code);
    v.require_text("name", &e.name, 200);
    check_country(&mut v, "country", &e.country);
    if !plausible_vat_id(e.vat_id.trim()) {
        v.push(
            "vat_id",
            "must be a country prefix and 2-13 letters or digits, e.g. DE136695976",
        );
    }
    v.require_text("street", &e.street, 200);
    v.require_text("city", &e.city, 100);
    v.require_text("postal_code", &e.postal_code, 20);
    v.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_fields_are_checked_by_name() {
        let mut v = Validator::new();
        check_entity_code(&mut v, "code", "eu1");
        check_country(&mut v, "country", "Germany");
        check_category(&mut v, "tax_category", "Reduced");
        check_rate(&mut v, "rate", "100.5".parse().unwrap());
        check_rate(&mut v, "rate", "5.55555".parse().unwrap());
        let fields: Vec<String> = v
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["code", "country", "tax_category", "rate", "rate"]);
        let mut ok = Validator::new();
        check_entity_code(&mut ok, "code", "EU-1");
        check_country(&mut ok, "country", "DE");
        check_category(&mut ok, "tax_category", "reduced_2");
        check_rate(&mut ok, "rate", "5.5".parse().unwrap());
        assert!(ok.finish().is_ok());
        assert!(plausible_vat_id("DE136695976") && !plausible_vat_id("de1"));
    }
}
