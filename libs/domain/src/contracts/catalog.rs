//! Catalog REST contracts: products, variants, channel listings and price history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ids::{ProductId, VariantId};
use crate::{ChannelId, Gtin, Money, Sku};

/// Lifecycle of a product. Only active products are sellable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

impl ProductStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ProductStatus::Draft),
            "active" => Some(ProductStatus::Active),
            "archived" => Some(ProductStatus::Archived),
            _ => None,
        }
    }
}

/// Parcel dimensions in millimetres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Dimensions {
    pub length_mm: i64,
    pub width_mm: i64,
    pub height_mm: i64,
}

/// A channel listing in a create request: the variant sells on `channel_id` at `price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ListingInput {
    pub channel_id: ChannelId,
    pub price: Money,
    #[serde(default = "default_true")]
    pub active: bool,
}

fn default_true() -> bool {
    true
}

fn default_unit() -> String {
    "each".to_string()
}

/// A variant as written by a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VariantInput {
    pub sku: Sku,
    /// Variant name, e.g. "Red / M". Defaults to the product title.
    #[serde(default)]
    pub title: Option<String>,
    /// GTIN-8/12/13/14 with a valid check digit.
    #[serde(default)]
    pub barcode: Option<Gtin>,
    /// Unit quantities are counted in: "each", "pair", "box", "kg"…
    #[serde(default = "default_unit")]
    #[schema(pattern = "^[a-z]{1,16}$")]
    pub unit_of_measure: String,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub weight_grams: Option<i64>,
    #[serde(default)]
    pub dimensions: Option<Dimensions>,
    #[serde(default)]
    pub cost_price: Option<Money>,
    /// Initial channel listings (create only; later changes go through the listings endpoint).
    #[serde(default)]
    pub listings: Vec<ListingInput>,
}

/// `POST /v1/products`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateProductRequest {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: String,
    /// `draft` (default) or `active`.
    #[serde(default)]
    pub status: Option<ProductStatus>,
    #[schema(min_items = 1)]
    pub variants: Vec<VariantInput>,
}

/// `PUT /v1/products/{id}`: replaces title, description, status and variant
/// attributes. Variants are matched by SKU; new SKUs are added; a variant can't be
/// removed (archive the product instead). Listings are not touched here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateProductRequest {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: String,
    pub status: ProductStatus,
    pub variants: Vec<VariantInput>,
}

/// `PUT /v1/products/{id}/variants/{sku}/listings/{channel_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SetListingRequest {
    pub price: Money,
    #[serde(default = "default_true")]
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ListingView {
    pub channel_id: ChannelId,
    pub price: Money,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VariantView {
    pub id: VariantId,
    pub sku: Sku,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<Gtin>,
    pub unit_of_measure: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_grams: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<Dimensions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_price: Option<Money>,
    pub listings: Vec<ListingView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductView {
    pub id: ProductId,
    pub title: String,
    pub description: String,
    pub status: ProductStatus,
    /// Increments on every change; the `ETag` is `"<version>"`.
    pub version: i64,
    pub variants: Vec<VariantView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A variant found by SKU or barcode, with its product's headline fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkuView {
    pub product_id: ProductId,
    pub product_title: String,
    pub product_status: ProductStatus,
    pub variant: VariantView,
}

/// One audited price change of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PriceChangeView {
    pub sku: Sku,
    pub channel_id: ChannelId,
    /// Absent when the listing was first priced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_price: Option<Money>,
    pub new_price: Money,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

/// Filters of `GET /v1/products`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    /// Only products in this status.
    pub status: Option<ProductStatus>,
    /// Only products with a listing on this channel. A channel token sees
    /// only its own channel's (the default; naming another is 403).
    #[param(pattern = "^[a-z][a-z0-9-]{0,63}$")]
    pub channel: Option<String>,
    /// Only products with a variant whose SKU starts with this prefix (case-insensitive).
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub sku_prefix: Option<String>,
    /// Only products with a variant carrying this barcode.
    #[param(pattern = "^([0-9]{8}|[0-9]{12,14})$")]
    pub barcode: Option<String>,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque cursor from the previous page's `next_cursor`.
    #[param(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub cursor: Option<String>,
}
