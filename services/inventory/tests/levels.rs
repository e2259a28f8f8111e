//! Stock levels for planners: StockLevelChanged per SKU × location, with the
//! SKU's backordered units, published when a figure moves and not otherwise.

mod common;

use std::time::Duration;

use common::*;
use domain::events::proto::inventory::v1 as pb;
use domain::events::topics;
use platform::testing::{decode_all, eventually, read_topic_until, scalar};

/// The StockLevelChanged events of `sku`, once `done` holds for them.
async fn levels(
    app: &platform::testing::TestApp,
    sku: &str,
    done: impl Fn(&[pb::StockLevelChanged]) -> bool,
) -> Vec<pb::StockLevelChanged> {
    let of_sku = |records: &[platform::testing::ReadRecord]| -> Vec<pb::StockLevelChanged> {
        decode_all::<pb::StockLevelChanged>(records)
            .into_iter()
            .filter(|l| l.sku == sku)
            .collect()
    };
    let records = read_topic_until(
        &app.topic(topics::INVENTORY_STOCK_EVENTS),
        Duration::from_secs(60),
        Duration::from_millis(500),
        |records| done(&of_sku(records)),
    )
    .await;
    of_sku(&records)
}

/// The latest level per location.
fn latest<'a>(levels: &'a [pb::StockLevelChanged], location: &str) -> &'a pb::StockLevelChanged {
    levels
        .iter()
        .filter(|l| l.location_code == location)
        .max_by_key(|l| l.sequence)
        .unwrap_or_else(|| panic!("no level at {location}"))
}

#[tokio::test]
async fn levels_carry_on_hand_reserved_and_backorders_per_location() {
    let app = app().await;
    seed_skus(&app, &["LVL-A"]).await;
    location(&app, "WH-L1", "warehouse", 10).await;
    location(&app, "WH-L2", "overflow", 20).await;
    let web = Channel::new("web", "backorder");
    seed_channel(&app, Channel::new("web", "backorder")).await;
    adjust(&app, "LVL-A", "WH-L1", 10).await;
    adjust(&app, "LVL-A", "WH-L2", 3).await;
    place(&app, &web, &[("LVL-A", 4)]).await;
    let seen = levels(&app, "LVL-A", |l| {
        l.iter()
            .any(|l| l.location_code == "WH-L1" && l.reserved == 4)
    })
    .await;
    let l1 = latest(&seen, "WH-L1");
    assert_eq!((l1.on_hand, l1.reserved, l1.backordered), (10, 4, 0));
    assert_eq!(l1.location_priority, 10);
    let l2 = latest(&seen, "WH-L2");
    assert_eq!((l2.on_hand, l2.reserved, l2.location_priority), (3, 0, 20));

    // An order for more than is left waits whole: its units are backordered
    // on every location's level of the SKU.
    place(&app, &web, &[("LVL-A", 20)]).await;
    let seen = levels(&app, "LVL-A", |l| {
        l.iter().filter(|l| l.backordered == 20).count() == 2
    })
    .await;
    assert_eq!(latest(&seen, "WH-L1").backordered, 20);
    assert_eq!(latest(&seen, "WH-L2").backordered, 20);
    let sequences: Vec<i64> = seen.iter().map(|l| l.sequence).collect();
    let mut sorted = sequences.clone();
    sorted.sort();
    assert_eq!(
        sequences, sorted,
        "one key's levels arrive in sequence order"
    );

    // Nothing moves: later publisher steps publish nothing more.
    let published = seen.len();
    assert!(
        app.wait_background_steps(inventory::events::background::LEVEL_PUBLISHER, 2)
            .await
    );
    let again = levels(&app, "LVL-A", |l| l.len() >= published).await;
    assert_eq!(again.len(), published);
}

#[tokio::test]
async fn a_sku_never_stocked_has_its_backorders_published_without_a_location() {
    let app = app().await;
    seed_skus(&app, &["LVL-NEW"]).await;
    location(&app, "WH-L1", "warehouse", 10).await;
    let web = Channel::new("web", "backorder");
    seed_channel(&app, Channel::new("web", "backorder")).await;
    place(&app, &web, &[("LVL-NEW", 6)]).await;
    let seen = levels(&app, "LVL-NEW", |l| l.iter().any(|l| l.backordered == 6)).await;
    let none = latest(&seen, "");
    assert_eq!((none.on_hand, none.reserved, none.backordered), (0, 0, 6));

    // Once stocked, the SKU's levels are per location, and the
    // location-less level drops to zero.
    adjust(&app, "LVL-NEW", "WH-L1", 10).await;
    assert!(
        eventually(Duration::from_secs(30), || async {
            scalar(
                &app.runtime().db,
                "SELECT count(*) AS n FROM stock_levels WHERE sku = 'LVL-NEW' AND location_code = '' AND backordered = 0",
            )
            .await
                == 1
        })
        .await
    );
    let seen = levels(&app, "LVL-NEW", |l| {
        l.iter()
            .any(|l| l.location_code.is_empty() && l.backordered == 0)
            && l.iter()
                .any(|l| l.location_code == "WH-L1" && l.reserved == 6)
    })
    .await;
    let l1 = latest(&seen, "WH-L1");
    assert_eq!((l1.on_hand, l1.reserved, l1.backordered), (10, 6, 0));
}
