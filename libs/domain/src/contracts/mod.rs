//! REST contracts: the request and response bodies that marketplaces, connectors
//! and other services code against. utoipa derives their OpenAPI schemas.

pub mod catalog;
pub mod inventory;
pub mod orders;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A page of a cursor-paginated list. Pass `next_cursor` back as `cursor` to get
/// the next page; it is absent on the last page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
