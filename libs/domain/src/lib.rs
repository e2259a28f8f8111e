//! Crossdock's shared domain types, REST contracts and event messages.
//!
//! Everything here is pure: no I/O, no framework. Services and connectors code
//! against these types; the platform runtime carries them over HTTP and Kafka.

pub mod address;
pub mod barcode;
pub mod channel;
pub mod contracts;
pub mod events;
pub mod ids;
pub mod location;
pub mod money;
pub mod quantity;
pub mod sku;
pub mod validation;
pub mod wire;

pub use address::Address;
pub use barcode::Gtin;
pub use channel::{ChannelId, ChannelKind};
pub use location::LocationCode;
pub use money::{Currency, Money, MoneyError, Rounding};
pub use quantity::Quantity;
pub use sku::Sku;
pub use validation::{FieldError, NUL_MESSAGE, Validator};
