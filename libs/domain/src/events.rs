//! Event messages generated from `proto/` and the Kafka envelope every record carries.

/// Generated protobuf types, one module per proto package.
pub mod proto {
    pub mod common {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/crossdock.common.v1.rs"));
        }
    }
    pub mod catalog {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/crossdock.catalog.v1.rs"));
        }
    }
    pub mod orders {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/crossdock.orders.v1.rs"));
        }
    }
    pub mod inventory {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/crossdock.inventory.v1.rs"));
        }
    }
    pub mod warehouse {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/crossdock.warehouse.v1.rs"));
        }
    }
    pub mod procurement {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/crossdock.procurement.v1.rs"));
        }
    }
    pub mod billing {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/crossdock.billing.v1.rs"));
        }
    }
    pub mod support {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/crossdock.support.v1.rs"));
        }
    }
}

pub mod topics {
    /// Product, price and listing events, keyed by product id.
    pub const CATALOG_PRODUCT_EVENTS: &str = "catalog.product-events.v1";
    /// Order lifecycle events, keyed by order id.
    pub const ORDERS_ORDER_EVENTS: &str = "orders.order-events.v1";
    /// The channel registry, keyed by channel id.
    pub const ORDERS_CHANNEL_EVENTS: &str = "orders.channel-events.v1";
    /// Reservation outcomes, keyed by order id.
    pub const INVENTORY_RESERVATION_EVENTS: &str = "inventory.reservation-events.v1";
    /// Stock adjustments and stock levels per location, keyed by SKU.
    pub const INVENTORY_STOCK_EVENTS: &str = "inventory.stock-events.v1";
    /// Coalesced available-to-sell per SKU and channel, keyed by SKU.
    pub const INVENTORY_AVAILABILITY: &str = "inventory.availability.v1";
    /// Fulfillment progress that other services act on (shipped, short picked),
    /// keyed by order id.
    pub const WAREHOUSE_FULFILLMENT_EVENTS: &str = "warehouse.fulfillment-events.v1";
    /// Returns received and inspected at their return location, keyed by order id.
    pub const WAREHOUSE_RETURN_EVENTS: &str = "warehouse.return-events.v1";
    /// Goods received at the dock against purchase orders, keyed by purchase order id.
    pub const WAREHOUSE_RECEIVING_EVENTS: &str = "warehouse.receiving-events.v1";
    /// Purchase orders once approved, and every later change, keyed by purchase order id.
    pub const PROCUREMENT_PURCHASE_ORDER_EVENTS: &str = "procurement.purchase-order-events.v1";
    /// Invoices and credit notes once issued, keyed by order id.
    pub const BILLING_INVOICE_EVENTS: &str = "billing.invoice-events.v1";
    /// Tickets created, replied to and changing status, keyed by ticket id.
    pub const SUPPORT_TICKET_EVENTS: &str = "support.ticket-events.v1";
    /// Returns once authorised, keyed by order id.
    pub const SUPPORT_RETURN_EVENTS: &str = "support.return-events.v1";
}

/// Header names carried by every Kafka record (see docs/architecture.md).
pub mod headers {
    pub const EVENT_ID: &str = "event-id";
    pub const EVENT_TYPE: &str = "event-type";
    pub const SOURCE: &str = "source";
    pub const OCCURRED_AT: &str = "occurred-at";
    pub const CONTENT_TYPE: &str = "content-type";
    pub const TRACEPARENT: &str = "traceparent";
    pub const TRACESTATE: &str = "tracestate";
    /// Set on dead-lettered records: why the handler gave up.
    pub const DLQ_ERROR: &str = "dlq-error";
    pub const DLQ_ORIGINAL_TOPIC: &str = "dlq-original-topic";
    pub const DLQ_ATTEMPTS: &str = "dlq-attempts";
}

/// The content type of protobuf payloads.
pub const PROTOBUF_CONTENT_TYPE: &str = "application/x-protobuf";

/// A protobuf event with its stable type name (`crossdock.catalog.v1.ProductUpserted`).
pub trait Event: prost::Message + Default {
    const TYPE: &'static str;
}

impl Event for proto::catalog::v1::ProductUpserted {
    const TYPE: &'static str = "crossdock.catalog.v1.ProductUpserted";
}
impl Event for proto::catalog::v1::PriceChanged {
    const TYPE: &'static str = "crossdock.catalog.v1.PriceChanged";
}
impl Event for proto::catalog::v1::ListingChanged {
    const TYPE: &'static str = "crossdock.catalog.v1.ListingChanged";
}

/// Implements [`Event`] with the type name `crossdock.<package>.<Message>`.
macro_rules! events {
    ($package:ident: $($message:ident),+) => {
        $(impl Event for proto::$package::v1::$message {
            const TYPE: &'static str =
                concat!("crossdock.", stringify!($package), ".v1.", stringify!($message));
        })+
    };
}

events!(orders: OrderPlaced, OrderCancelled, OrderConfirmed, OrderOnHold, ChannelUpserted);
events!(inventory: StockReserved, ReservationFailed, StockReleased, StockAdjusted, AvailabilityChanged, StockReallocated, StockLevelChanged);
events!(warehouse: FulfillmentShipped, ShortPicked, GoodsReceived, ReturnInspected);
events!(procurement: PurchaseOrderApproved, PurchaseOrderChanged);
events!(billing: InvoiceIssued, CreditNoteIssued, RefundIssued, RefundHeld, RefundRejected);
events!(support: TicketCreated, TicketReplied, TicketStatusChanged, TicketEscalated, ReturnAuthorized);

/// Reads a protobuf timestamp back into chrono (None when unset or out of range).
pub fn from_timestamp(
    ts: Option<&prost_types::Timestamp>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    ts.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
}

/// Reads wire money back into domain money.
pub fn money_from_proto(m: &proto::common::v1::Money) -> Result<crate::Money, crate::MoneyError> {
    crate::Money::parse(&m.amount, &m.currency)
}

/// The metadata of one record, read from or written to its Kafka headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub event_id: crate::ids::EventId,
    pub event_type: String,
    pub source: String,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub content_type: String,
    /// W3C trace context of the change that caused the event.
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("header '{0}' is missing")]
    Missing(&'static str),
    #[error("header '{0}' is invalid")]
    Invalid(&'static str),
}

impl Envelope {
    /// A new envelope for an event of type `E` published by `source` now.
    pub fn new<E: Event>(source: &str) -> Self {
        Self {
            event_id: crate::ids::EventId::new(),
            event_type: E::TYPE.to_string(),
            source: source.to_string(),
            // Headers carry microseconds; truncate so a round trip is exact.
            occurred_at: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6),
            content_type: PROTOBUF_CONTENT_TYPE.to_string(),
            traceparent: None,
            tracestate: None,
        }
    }

    /// Header pairs in the order they are written to Kafka.
    pub fn to_headers(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            (headers::EVENT_ID, self.event_id.to_string()),
            (headers::EVENT_TYPE, self.event_type.clone()),
            (headers::SOURCE, self.source.clone()),
            (
                headers::OCCURRED_AT,
                self.occurred_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
            (headers::CONTENT_TYPE, self.content_type.clone()),
        ];
        if let Some(tp) = &self.traceparent {
            out.push((headers::TRACEPARENT, tp.clone()));
        }
        if let Some(ts) = &self.tracestate {
            out.push((headers::TRACESTATE, ts.clone()));
        }
        out
    }

    /// Reads an envelope from header pairs; `get` returns a header's value.
    pub fn from_headers<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, EnvelopeError> {
        let req = |name: &'static str| get(name).ok_or(EnvelopeError::Missing(name));
        Ok(Self {
            event_id: req(headers::EVENT_ID)?
                .parse()
                .map_err(|_| EnvelopeError::Invalid(headers::EVENT_ID))?,
            event_type: req(headers::EVENT_TYPE)?.to_string(),
            source: req(headers::SOURCE)?.to_string(),
            occurred_at: chrono::DateTime::parse_from_rfc3339(req(headers::OCCURRED_AT)?)
                .map_err(|_| EnvelopeError::Invalid(headers::OCCURRED_AT))?
                .with_timezone(&chrono::Utc),
            content_type: req(headers::CONTENT_TYPE)?.to_string(),
            traceparent: get(headers::TRACEPARENT).map(str::to_string),
            tracestate: get(headers::TRACESTATE).map(str::to_string),
        })
    }
}

/// Converts domain money into its wire form.
#[derive(Debug, thiserror::Error)]
pub enum PurchaseOrderEventError {
    #[error(transparent)]
    Decode(#[from] prost::DecodeError),
    #[error("purchase order event without its state")]
    MissingState,
}

/// The purchase order's full state that both of procurement's events carry
/// (approved, changed); None for any other event type. Consumers keep the
/// newest version of it.
pub fn purchase_order_state(
    event_type: &str,
    payload: &[u8],
) -> Result<Option<proto::procurement::v1::PurchaseOrderState>, PurchaseOrderEventError> {
    use proto::procurement::v1 as po;
    let state = match event_type {
        t if t == po::PurchaseOrderApproved::TYPE => {
            <po::PurchaseOrderApproved as prost::Message>::decode(payload)?.state
        }
        t if t == po::PurchaseOrderChanged::TYPE => {
            <po::PurchaseOrderChanged as prost::Message>::decode(payload)?.state
        }
        _ => return Ok(None),
    };
    state.map(Some).ok_or(PurchaseOrderEventError::MissingState)
}

pub fn money_to_proto(money: &crate::Money) -> proto::common::v1::Money {
    proto::common::v1::Money {
        amount: money.amount.to_string(),
        currency: money.currency.code().to_string(),
    }
}

/// A protobuf timestamp for a chrono time.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::catalog::v1::ProductUpserted;
    use std::collections::HashMap;

    #[test]
    fn envelope_round_trips_through_headers() {
        let mut env = Envelope::new::<ProductUpserted>("catalog");
        env.traceparent = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into());
        let map: HashMap<&str, String> = env.to_headers().into_iter().collect();
        let back = Envelope::from_headers(|k| map.get(k).map(String::as_str)).unwrap();
        assert_eq!(back, env);
        assert_eq!(back.event_type, "crossdock.catalog.v1.ProductUpserted");
    }

    #[test]
    fn missing_header_is_named() {
        let err = Envelope::from_headers(|_| None).unwrap_err();
        assert_eq!(err, EnvelopeError::Missing(headers::EVENT_ID));
    }

    #[test]
    fn type_names_follow_the_package() {
        assert_eq!(
            <proto::orders::v1::OrderPlaced as Event>::TYPE,
            "crossdock.orders.v1.OrderPlaced"
        );
        assert_eq!(
            <proto::inventory::v1::StockReserved as Event>::TYPE,
            "crossdock.inventory.v1.StockReserved"
        );
    }

    #[test]
    fn events_encode_and_decode() {
        use prost::Message;
        let event = ProductUpserted {
            product_id: "p".into(),
            title: "T".into(),
            ..Default::default()
        };
        let bytes = event.encode_to_vec();
        assert_eq!(ProductUpserted::decode(bytes.as_slice()).unwrap(), event);
    }
}
