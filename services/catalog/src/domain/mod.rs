//! The catalog's rules, pure and unit-tested: what a valid product is, which
//! status changes are allowed, and what a listing change amounts to.

use std::collections::HashSet;

use domain::contracts::catalog::{
    CreateProductRequest, Dimensions, ListingInput, ProductStatus, UpdateProductRequest,
    VariantInput, VariantView,
};
use domain::{ChannelId, FieldError, Money, Validator};

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 10_000;
pub const MAX_VARIANTS: usize = 100;
pub const MAX_UNIT: usize = 16;

/// Checks a create request; every field at fault is named.
pub fn validate_create(req: &CreateProductRequest) -> Result<(), Vec<FieldError>> {
    let mut v = Validator::new();
    validate_product_fields(&mut v, &req.title, &req.description);
    if req.status == Some(ProductStatus::Archived) {
        v.push("status", "a new product is draft or active");
    }
    validate_variants(&mut v, &req.variants, true);
    v.finish()
}

/// Checks an update request (listings are managed through their own endpoint).
pub fn validate_update(req: &UpdateProductRequest) -> Result<(), Vec<FieldError>> {
    let mut v = Validator::new();
    validate_product_fields(&mut v, &req.title, &req.description);
    validate_variants(&mut v, &req.variants, false);
    v.finish()
}

fn validate_product_fields(v: &mut Validator, title: &str, description: &str) {
    v.require_text("title", title, MAX_TITLE);
    if description.chars().count() > MAX_DESCRIPTION {
        v.push(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        );
    }
}

fn validate_variants(v: &mut Validator, variants: &[VariantInput], listings_allowed: bool) {
    if variants.is_empty() {
        v.push("variants", "a product needs at least one variant");
    }
    if variants.len() > MAX_VARIANTS {
        v.push("variants", format!("at most {MAX_VARIANTS} variants"));
    }
    let mut skus = HashSet::new();
    let mut barcodes = HashSet::new();
    for (i, variant) in variants.iter().enumerate() {
        let at = |field: &str| format!("variants[{i}].{field}");
        if !skus.insert(variant.sku.clone()) {
            v.push(at("sku"), format!("SKU {} appears twice", variant.sku));
        }
        if let Some(barcode) = &variant.barcode
            && !barcodes.insert(barcode.clone())
        {
            v.push(at("barcode"), format!("barcode {barcode} appears twice"));
        }
        if let Some(title) = &variant.title
            && (title.trim().is_empty() || title.chars().count() > MAX_TITLE)
        {
            v.push(at("title"), format!("must be 1-{MAX_TITLE} characters"));
        }
        let unit = variant.unit_of_measure.as_str();
        let unit_ok = !unit.is_empty()
            && unit.len() <= MAX_UNIT
            && unit.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if !unit_ok {
            v.push(
                at("unit_of_measure"),
                format!("must be 1-{MAX_UNIT} lower-case letters, e.g. \"each\", \"kg\""),
            );
        }
        if variant.weight_grams.is_some_and(|w| w < 0) {
            v.push(at("weight_grams"), "must not be negative");
        }
        if let Some(Dimensions {
            length_mm,
            width_mm,
            height_mm,
        }) = variant.dimensions
        {
            for (name, value) in [
                ("length_mm", length_mm),
                ("width_mm", width_mm),
                ("height_mm", height_mm),
            ] {
                if value <= 0 {
                    v.push(
                        at(&format!("dimensions.{name}")),
                        "must be greater than zero",
                    );
                }
            }
        }
        if let Some(cost) = &variant.cost_price {
            check_price(v, &at("cost_price.amount"), cost);
        }
        if !listings_allowed && !variant.listings.is_empty() {
            v.push(
                at("listings"),
                "listings are changed through PUT /v1/products/{id}/variants/{sku}/listings/{channel_id}",
            );
        }
        let mut channels = HashSet::new();
        for (
            j,
            ListingInput {
                channel_id, price, ..
            },
        ) in variant.listings.iter().enumerate()
        {
            if !channels.insert(channel_id.clone()) {
                v.push(
                    at(&format!("listings[{j}].channel_id")),
                    format!("channel {channel_id} is listed twice"),
                );
            }
            check_price(v, &at(&format!("listings[{j}].price.amount")), price);
        }
    }
}

/// A price or cost must be non-negative with at most 4 decimals.
pub fn check_price(v: &mut Validator, field: &str, money: &Money) {
    v.check(
        field,
        Money::new(money.amount, money.currency).and_then(Money::non_negative),
    );
}

/// Which status changes are allowed. Archived is final: SKUs stay reserved for audit.
pub fn check_transition(from: ProductStatus, to: ProductStatus) -> Result<(), String> {
    use ProductStatus::*;
    match (from, to) {
        (Archived, _) => Err("archived products are read-only".into()),
        (Draft | Active, Draft | Active) => Ok(()),
        (Draft | Active, Archived) => {
            Err("archive a product with POST /v1/products/{id}/archive".into())
        }
    }
}

/// What setting a listing changes, compared with what it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingChange {
    /// The price differs from the old one (or there was none): audit it.
    pub price_changed: bool,
    /// Anything differs: write it, publish ListingChanged, bump the version.
    pub any: bool,
}

pub fn listing_change(
    old: Option<(Money, bool)>,
    new_price: Money,
    new_active: bool,
) -> ListingChange {
    match old {
        None => ListingChange {
            price_changed: true,
            any: true,
        },
        Some((old_price, old_active)) => {
            // 19.9 and 19.90 are the same price.
            let price_changed = old_price.currency != new_price.currency
                || old_price.amount.normalize() != new_price.amount.normalize();
            ListingChange {
                price_changed,
                any: price_changed || old_active != new_active,
            }
        }
    }
}

/// A channel caller sees only its own channel's listings: other channels' prices
/// are commercially sensitive.
pub fn restrict_to_channel(variants: &mut [VariantView], channel: &ChannelId) {
    for variant in variants {
        redact_for_channel(variant, channel);
    }
}

/// What a channel may see of a variant, decided field by field: the pattern
/// names every field, so a field added later does not compile until someone
/// decides whether channels see it. Cost is the merchant's margin, never a
/// channel's business; other channels' listings are their commercial terms.
pub fn redact_for_channel(variant: &mut VariantView, channel: &ChannelId) {
    let VariantView {
        id: _,
        sku: _,
        title: _,
        barcode: _,
        unit_of_measure: _,
        weight_grams: _,
        dimensions: _,
        cost_price,
        listings,
    } = variant;
    *cost_price = None;
    listings.retain(|l| &l.channel_id == channel);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(sku: &str) -> VariantInput {
        VariantInput {
            sku: sku.parse().unwrap(),
            title: None,
            barcode: None,
            unit_of_measure: "each".into(),
            weight_grams: None,
            dimensions: None,
            cost_price: None,
            listings: vec![],
        }
    }

    fn eur(s: &str) -> Money {
        Money::parse(s, "EUR").unwrap()
    }

    fn create(variants: Vec<VariantInput>) -> CreateProductRequest {
        CreateProductRequest {
            title: "Tee".into(),
            description: String::new(),
            status: None,
            variants,
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn accepts_a_plain_product() {
        assert!(validate_create(&create(vec![variant("A")])).is_ok());
    }

    #[test]
    fn names_every_bad_field() {
        let mut bad = variant("A");
        bad.unit_of_measure = "Each!".into();
        bad.weight_grams = Some(-1);
        bad.cost_price = Some(eur("-2"));
        bad.listings = vec![
            ListingInput {
                channel_id: "web".parse().unwrap(),
                // Built directly: Money::parse itself refuses five decimals.
                price: Money {
                    amount: "1.00001".parse().unwrap(),
                    currency: "EUR".parse().unwrap(),
                },
                active: true,
            },
            ListingInput {
                channel_id: "web".parse().unwrap(),
                price: eur("1"),
                active: true,
            },
        ];
        let mut req = create(vec![bad, variant("A")]);
        req.title = " ".into();
        let errors = fields(validate_create(&req).unwrap_err());
        assert_eq!(
            errors,
            [
                "title",
                "variants[0].unit_of_measure",
                "variants[0].weight_grams",
                "variants[0].cost_price.amount",
                "variants[0].listings[0].price.amount",
                "variants[0].listings[1].channel_id",
                "variants[1].sku",
            ]
        );
    }

    #[test]
    fn needs_a_variant_and_not_archived() {
        let mut req = create(vec![]);
        req.status = Some(ProductStatus::Archived);
        assert_eq!(
            fields(validate_create(&req).unwrap_err()),
            ["status", "variants"]
        );
    }

    #[test]
    fn update_refuses_listings() {
        let mut v = variant("A");
        v.listings = vec![ListingInput {
            channel_id: "web".parse().unwrap(),
            price: eur("1"),
            active: true,
        }];
        let req = UpdateProductRequest {
            title: "T".into(),
            description: String::new(),
            status: ProductStatus::Active,
            variants: vec![v],
        };
        assert_eq!(
            fields(validate_update(&req).unwrap_err()),
            ["variants[0].listings"]
        );
    }

    #[test]
    fn archived_is_final() {
        use ProductStatus::*;
        assert!(check_transition(Draft, Active).is_ok());
        assert!(check_transition(Active, Draft).is_ok());
        assert!(check_transition(Active, Archived).is_err());
        assert!(check_transition(Archived, Active).is_err());
        assert!(check_transition(Archived, Archived).is_err());
    }

    #[test]
    fn listing_changes() {
        let first = listing_change(None, eur("10"), true);
        assert_eq!(
            first,
            ListingChange {
                price_changed: true,
                any: true
            }
        );
        let same = listing_change(Some((eur("19.9"), true)), eur("19.90"), true);
        assert_eq!(
            same,
            ListingChange {
                price_changed: false,
                any: false
            }
        );
        let toggled = listing_change(Some((eur("10"), true)), eur("10"), false);
        assert_eq!(
            toggled,
            ListingChange {
                price_changed: false,
                any: true
            }
        );
        let usd = listing_change(
            Some((eur("10"), true)),
            Money::parse("10", "USD").unwrap(),
            true,
        );
        assert!(usd.price_changed);
    }
}
