//! Suppliers and their terms: what a valid supplier and supplier product is.

use domain::Validator;
use domain::contracts::procurement::{SupplierInput, SupplierProductInput};

/// A supplier code: 1–40 of `A-Z 0-9 -`, starting with a letter or digit
/// (the shape of location codes, so both read alike on paperwork).
pub fn check_code(v: &mut Validator, code: &str) {
    let ok = !code.is_empty()
        && code.len() <= 40
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && !code.starts_with('-');
    if !ok {
        v.push(
            "code",
            "must be 1-40 characters of A-Z, 0-9 and '-', not starting with '-'",
        );
    }
}

pub fn validate_supplier(code: &str, input: &SupplierInput) -> Result<(), Vec<domain::FieldError>> {
    let mut v = Validator::new();
    check_code(&mut v, code);
    v.require_text("name", &input.name, 200);
    if !(0..=365).contains(&input.payment_terms_days) {
        v.push("payment_terms_days", "must be between 0 and 365");
    }
    v.finish()
}

/// Checks a supplier product's terms; `supplier_currency` is the currency
/// the supplier invoices in, which its costs must be in.
pub fn validate_product(
    input: &SupplierProductInput,
    supplier_currency: &str,
) -> Result<(), Vec<domain::FieldError>> {
    let mut v = Validator::new();
    v.require_text("supplier_sku", &input.supplier_sku, 64);
    if input.unit_cost.currency.code() != supplier_currency {
        v.push(
            "unit_cost.currency",
            format!("must be the supplier's currency, {supplier_currency}"),
        );
    }
    if input.unit_cost.amount.is_sign_negative() {
        v.push("unit_cost.amount", "must not be negative");
    }
    if !(1..=1_000_000_000).contains(&input.moq) {
        v.push("moq", "must be between 1 and 1000000000");
    }
    if !(1..=1_000_000).contains(&input.pack_size) {
        v.push("pack_size", "must be between 1 and 1000000");
    }
    if !(0..=365).contains(&input.lead_time_days) {
        v.push("lead_time_days", "must be between 0 and 365");
    }
    if !(1..=100).contains(&input.preferred_rank) {
        v.push("preferred_rank", "must be between 1 and 100");
    }
    v.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Money;

    fn product(currency: &str) -> SupplierProductInput {
        SupplierProductInput {
            supplier_sku: "A-1".into(),
            unit_cost: Money::parse("2.50", currency).unwrap(),
            moq: 10,
            pack_size: 6,
            lead_time_days: 14,
            preferred_rank: 1,
            active: true,
        }
    }

    #[test]
    fn codes_look_like_location_codes() {
        for (code, ok) in [
            ("ACME", true),
            ("ACME-2", true),
            ("acme", false),
            ("-A", false),
            ("", false),
        ] {
            let mut v = Validator::new();
            check_code(&mut v, code);
            assert_eq!(v.is_empty(), ok, "{code}");
        }
    }

    #[test]
    fn a_cost_must_be_in_the_suppliers_currency() {
        assert!(validate_product(&product("EUR"), "EUR").is_ok());
        let errors = validate_product(&product("USD"), "EUR").unwrap_err();
        assert_eq!(errors[0].field, "unit_cost.currency");
    }

    #[test]
    fn every_bad_term_is_named() {
        let bad = SupplierProductInput {
            moq: 0,
            pack_size: 0,
            lead_time_days: 400,
            preferred_rank: 0,
            ..product("EUR")
        };
        let fields: Vec<String> = validate_product(&bad, "EUR")
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["moq", "pack_size", "lead_time_days", "preferred_rank"]
        );
    }
}
