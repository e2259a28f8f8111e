//! Typed ids: UUIDv7 (time-ordered, so B-tree inserts stay local and ids sort by
//! creation) wrapped per aggregate so a product id can't be passed as an order id.

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(value: uuid::Uuid) -> Self {
                Self(value)
            }
        }
    };
}

typed_id!(
    /// A product (the thing a merchant sells, with one or more variants).
    ProductId
);
typed_id!(
    /// A variant of a product: one SKU.
    VariantId
);
typed_id!(
    /// A channel order.
    OrderId
);
typed_id!(
    /// An event on Kafka; also the inbox's de-duplication key.
    EventId
);
typed_id!(
    /// A stock location (warehouse, store, 3PL).
    LocationId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_time_ordered() {
        let a = ProductId::new();
        let b = ProductId::new();
        assert_eq!(a.0.get_version_num(), 7);
        assert!(a < b);
        assert_eq!(a.to_string().parse::<ProductId>().unwrap(), a);
    }
}
