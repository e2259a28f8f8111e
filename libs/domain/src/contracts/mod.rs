//! REST contracts: the request and response bodies that marketplaces, connectors
//! and other services code against. utoipa derives their OpenAPI schemas.

pub mod billing;
pub mod catalog;
pub mod inventory;
pub mod orders;
pub mod procurement;
pub mod support;
pub mod warehouse;

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

impl<T> Page<T> {
    /// A list page: when it is full (`limit` items) there may be more, and the
    /// last item's cursor continues it; a shorter page is the last.
    pub fn list(items: Vec<T>, limit: i64, cursor: impl Fn(&T) -> String) -> Self {
        let next_cursor = (items.len() as i64 == limit)
            .then(|| items.last().map(&cursor))
            .flatten();
        Self { items, next_cursor }
    }

    /// A feed page: the cursor always continues after the last item, or stays
    /// at `after` when nothing is new, so a client simply polls with it.
    pub fn feed(items: Vec<T>, after: i64, sequence: impl Fn(&T) -> i64) -> Self {
        let next_cursor = Some(items.last().map(sequence).unwrap_or(after).to_string());
        Self { items, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_pages_continue_only_when_full() {
        let full = Page::list(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(full.next_cursor.as_deref(), Some("2"));
        let last = Page::list(vec![1], 2, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn feed_pages_always_carry_a_cursor() {
        assert_eq!(
            Page::feed(vec![5i64, 9], 3, |n| *n).next_cursor.as_deref(),
            Some("9")
        );
        assert_eq!(
            Page::<i64>::feed(vec![], 3, |n| *n).next_cursor.as_deref(),
            Some("3")
        );
    }
}
