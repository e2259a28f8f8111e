//! What every service's tests seed the same way: the catalog's products and
//! the channel registry as their events carry them, published as the owning
//! service's relay would and applied before the test goes on; and a local
//! HTTP endpoint standing in for a channel's webhook receiver.

use domain::events::proto::catalog::v1 as catalog;
use domain::events::proto::common::v1 as common;
use domain::events::proto::orders::v1 as orders;
use domain::events::{Event, timestamp, topics};
use domain::ids::EventId;
use uuid::Uuid;

use super::{TestApp, publish};

/// Publishes `event` to the logical `topic` under `key` and waits until the
/// service applied it (its inbox holds the event id).
pub async fn publish_applied<E: Event>(
    app: &TestApp,
    topic: &str,
    key: &str,
    event: &E,
) -> EventId {
    let id = publish(&app.runtime().producer, &app.topic(topic), key, event).await;
    assert!(
        app.wait_inbox(id).await,
        "{} on {topic} (key {key}) was not applied within 30 s",
        E::TYPE
    );
    id
}

/// One variant of a seeded product: its SKU, GTIN-14 (if any) and the
/// channels listing it at 19.90 EUR.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeedVariant<'a> {
    pub sku: &'a str,
    pub gtin14: Option<&'a str>,
    pub listed_on: &'a [&'a str],
}

impl<'a> SeedVariant<'a> {
    pub fn sku(sku: &'a str) -> Self {
        Self {
            sku,
            ..Self::default()
        }
    }
}

/// An active product of `variants`, as catalog's ProductUpserted carries it.
pub fn product_upserted(variants: &[SeedVariant<'_>]) -> catalog::ProductUpserted {
    catalog::ProductUpserted {
        product_id: Uuid::now_v7().to_string(),
        title: "Test product".into(),
        status: "active".into(),
        version: 1,
        variants: variants
            .iter()
            .map(|v| catalog::Variant {
                variant_id: Uuid::now_v7().to_string(),
                sku: v.sku.to_string(),
                barcode: v.gtin14.unwrap_or_default().to_string(),
                listings: v
                    .listed_on
                    .iter()
                    .map(|c| catalog::Listing {
                        channel_id: c.to_string(),
                        price: Some(common::Money {
                            amount: "19.90".into(),
                            currency: "EUR".into(),
                        }),
                        active: true,
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        updated_at: Some(timestamp(chrono::Utc::now())),
        ..Default::default()
    }
}

/// Makes a product of `variants` known to the service, as the catalog would.
pub async fn seed_product(app: &TestApp, variants: &[SeedVariant<'_>]) {
    let event = product_upserted(variants);
    publish_applied(
        app,
        topics::CATALOG_PRODUCT_EVENTS,
        &event.product_id,
        &event,
    )
    .await;
}

/// An active EUR web channel with the backorder policy and default priority,
/// as orders' ChannelUpserted carries it; change fields before seeding.
pub fn channel_upserted(id: &str) -> orders::ChannelUpserted {
    orders::ChannelUpserted {
        channel_id: id.into(),
        kind: "web".into(),
        name: id.into(),
        currency: "EUR".into(),
        backorder_policy: "backorder".into(),
        priority: 100,
        active: true,
        version: 1,
        ..Default::default()
    }
}

/// Makes the channel known to the service, as orders' registry would.
pub async fn seed_channel(app: &TestApp, channel: &orders::ChannelUpserted) {
    publish_applied(
        app,
        topics::ORDERS_CHANNEL_EVENTS,
        &channel.channel_id,
        channel,
    )
    .await;
}

/// Serves the routes `configure` registers on 127.0.0.1 (a port of its own)
/// in the background, as a channel's webhook endpoint would: the base URL
/// and a handle to stop it.
pub fn serve_http(
    configure: impl Fn(&mut actix_web::web::ServiceConfig) + Send + Clone + 'static,
) -> (String, actix_web::dev::ServerHandle) {
    let server =
        actix_web::HttpServer::new(move || actix_web::App::new().configure(configure.clone()))
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind a loopback port");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (format!("http://{addr}"), handle)
}
