//! What the warehouse consumes and publishes.
//!
//! Consumes: catalog product events (SKUs and their barcodes), orders' channel
//! events, order events (OrderConfirmed creates fulfillment orders per
//! location, OrderOnHold blocks them, OrderCancelled withdraws them) and
//! inventory's StockReallocated (a short pick's units reserved elsewhere become
//! a fulfillment there). Publishes FulfillmentShipped and ShortPicked keyed by
//! order id through the outbox, in the transaction of the change.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use domain::contracts::warehouse::{FulfillmentStatus, PackageStatus};
use domain::events::proto::catalog::v1 as catalog;
use domain::events::proto::inventory::v1 as inventory;
use domain::events::proto::orders::v1 as orders;
use domain::events::proto::warehouse::v1 as pb;
use domain::events::{Event, from_timestamp, timestamp, topics};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use platform::db::Conn;
use platform::kafka::{HandlerFn, Record, Subscription};
use platform::outbox::Outbox;
use platform::{ApiError, Runtime};
use serde_json::json;
use uuid::Uuid;

use crate::store::fulfillments::{self, Head, NewFulfillment};
use crate::store::{self, NewException, packing, picking};

pub const TOPICS: &[&str] = &[topics::WAREHOUSE_FULFILLMENT_EVENTS];

/// Who changes driven by other services' events are recorded as.
pub const EVENTS_ACTOR: &str = "system:warehouse.events";

fn product_handler<'a>(
    conn: &'a mut Conn,
    record: &'a Record,
) -> BoxFuture<'a, anyhow::Result<()>> {
    on_product_event(conn, record).boxed()
}

fn channel_handler<'a>(
    conn: &'a mut Conn,
    record: &'a Record,
) -> BoxFuture<'a, anyhow::Result<()>> {
    async move {
        if record.envelope.event_type == orders::ChannelUpserted::TYPE {
            store::upsert_channel(conn, &record.decode()?).await?;
        }
        Ok(())
    }
    .boxed()
}

fn order_handler<'a>(conn: &'a mut Conn, record: &'a Record) -> BoxFuture<'a, anyhow::Result<()>> {
    async move {
        on_order_event(conn, record)
            .await
            .map_err(ApiError::into_anyhow)
    }
    .boxed()
}

fn reallocation_handler<'a>(
    conn: &'a mut Conn,
    record: &'a Record,
) -> BoxFuture<'a, anyhow::Result<()>> {
    async move {
        if record.envelope.event_type != inventory::StockReallocated::TYPE {
            return Ok(());
        }
        on_reallocated(conn, record.decode()?)
            .await
            .map_err(ApiError::into_anyhow)
    }
    .boxed()
}

pub fn subscriptions(_rt: &Runtime) -> Vec<Subscription> {
    let one =
        |consumer: &str, topic: &str, handler: HandlerFn, tasks: Option<usize>| Subscription {
            consumer: consumer.into(),
            topics: vec![topic.into()],
            handler,
            batched: true,
            before_batch: None,
            batch_handler: None,
            consumer_tasks: tasks,
        };
    vec![
        one(
            "warehouse.catalog-projection",
            topics::CATALOG_PRODUCT_EVENTS,
            Arc::new(product_handler),
            Some(1),
        ),
        one(
            "warehouse.channel-projection",
            topics::ORDERS_CHANNEL_EVENTS,
            Arc::new(channel_handler),
            Some(1),
        ),
        // Each record locks only its own order's fulfillments.
        one(
            "warehouse.orders",
            topics::ORDERS_ORDER_EVENTS,
            Arc::new(order_handler),
            None,
        ),
        one(
            "warehouse.reallocations",
            topics::INVENTORY_RESERVATION_EVENTS,
            Arc::new(reallocation_handler),
            Some(1),
        ),
    ]
}

async fn on_product_event(conn: &mut Conn, record: &Record) -> anyhow::Result<()> {
    if record.envelope.event_type != catalog::ProductUpserted::TYPE {
        return Ok(());
    }
    let event: catalog::ProductUpserted = record.decode()?;
    let product_id: Uuid = event.product_id.parse()?;
    let at = from_timestamp(event.updated_at.as_ref()).unwrap_or(record.envelope.occurred_at);
    for variant in &event.variants {
        let gtin = (!variant.barcode.is_empty()).then_some(variant.barcode.as_str());
        store::upsert_sku(conn, &variant.sku, product_id, &event.title, gtin, at).await?;
    }
    Ok(())
}

async fn on_order_event(conn: &mut Conn, record: &Record) -> Result<(), ApiError> {
    let decode = |e: anyhow::Error| ApiError::internal(e);
    match record.envelope.event_type.as_str() {
        t if t == orders::OrderConfirmed::TYPE => {
            on_confirmed(conn, record.decode().map_err(decode)?).await
        }
        t if t == orders::OrderOnHold::TYPE => {
            let e: orders::OrderOnHold = record.decode().map_err(decode)?;
            on_hold(conn, &e).await
        }
        t if t == orders::OrderCancelled::TYPE => {
            on_cancelled(conn, record.decode().map_err(decode)?).await
        }
        _ => Ok(()),
    }
}

fn parse_id(s: &str) -> Result<Uuid, ApiError> {
    s.parse()
        .map_err(|_| ApiError::internal(anyhow::anyhow!("'{s}' is not a UUID")))
}

/// One fulfillment order per location that holds the order's stock. A
/// repeated OrderConfirmed (a redelivery, or a release from hold) creates
/// nothing new and lifts the hold.
async fn on_confirmed(conn: &mut Conn, e: orders::OrderConfirmed) -> Result<(), ApiError> {
    let order_id = parse_id(&e.order_id)?;
    if fulfillments::order_cancelled(conn, order_id).await? {
        return Ok(());
    }
    let existing = fulfillments::lock_of_order(conn, order_id).await?;
    for f in existing
        .iter()
        .filter(|f| f.on_hold && !f.status().is_final())
    {
        fulfillments::set_on_hold(conn, f.id, false).await?;
        store::audit(conn, EVENTS_ACTOR, "hold_lifted", Some(f.id), json!({})).await?;
    }
    let mut by_location: BTreeMap<&str, Vec<(i32, String, i64)>> = BTreeMap::new();
    for a in e.allocations.iter().filter(|a| a.quantity > 0) {
        by_location
            .entry(a.location_code.as_str())
            .or_default()
            .push((a.line_no, a.sku.clone(), a.quantity));
    }
    let level = store::service_level(conn, &e.channel_id).await?;
    let level = store::level_of(&level);
    let placed_at = from_timestamp(e.placed_at.as_ref()).unwrap_or_else(Utc::now);
    let confirmed_at = from_timestamp(e.confirmed_at.as_ref()).unwrap_or_else(Utc::now);
    for (location, lines) in by_location {
        let created = fulfillments::create(
            conn,
            &NewFulfillment {
                order_id,
                channel_id: &e.channel_id,
                external_order_id: &e.external_order_id,
                location_code: location,
                origin: "confirmed",
                carrier: &level.carrier,
                carrier_service: &level.carrier_service,
                ship_by: level.ship_by(placed_at),
                placed_at,
                confirmed_at,
                lines,
            },
        )
        .await?;
        if let Some(id) = created {
            store::audit(
                conn,
                EVENTS_ACTOR,
                "created",
                Some(id),
                json!({"order_id": order_id, "location_code": location, "origin": "confirmed"}),
            )
            .await?;
        }
    }
    Ok(())
}

async fn on_hold(conn: &mut Conn, e: &orders::OrderOnHold) -> Result<(), ApiError> {
    let order_id = parse_id(&e.order_id)?;
    for f in fulfillments::lock_of_order(conn, order_id).await? {
        if f.status().is_final() || f.on_hold {
            continue;
        }
        fulfillments::set_on_hold(conn, f.id, true).await?;
        store::audit(
            conn,
            EVENTS_ACTOR,
            "on_hold",
            Some(f.id),
            json!({"reason": e.reason, "detail": e.detail}),
        )
        .await?;
    }
    Ok(())
}

/// Withdraws every unshipped fulfillment of a cancelled order: open pick
/// tasks leave their lists and unshipped packages are voided. Picked units
/// must go back to their bins, which an open exception tells ops. Inventory
/// releases the stock on the same event.
async fn on_cancelled(conn: &mut Conn, e: orders::OrderCancelled) -> Result<(), ApiError> {
    let order_id = parse_id(&e.order_id)?;
    fulfillments::mark_order_cancelled(conn, order_id).await?;
    for f in fulfillments::lock_of_order(conn, order_id).await? {
        match f.status() {
            FulfillmentStatus::Cancelled => continue,
            FulfillmentStatus::Shipped => {
                tracing::warn!(fulfillment_id = %f.id, "order cancelled after this fulfillment shipped");
                continue;
            }
            _ => {}
        }
        let picked = picking::withdraw(conn, f.id).await?;
        for p in packing::of_fulfillment(conn, f.id).await? {
            if p.state().status != PackageStatus::Voided {
                packing::set_status(conn, p.id, PackageStatus::Voided).await?;
            }
        }
        fulfillments::set_status(conn, f.id, FulfillmentStatus::Cancelled).await?;
        store::audit(
            conn,
            EVENTS_ACTOR,
            "cancelled",
            Some(f.id),
            json!({"reason": e.reason, "cancelled_by": e.cancelled_by, "picked_units": picked}),
        )
        .await?;
        if picked > 0 {
            let detail = format!(
                "order cancelled after {picked} unit(s) were picked: put them back in their bins"
            );
            store::record_exception(
                conn,
                NewException {
                    kind: "cancelled_after_pick",
                    status: "open",
                    fulfillment_id: Some(f.id),
                    pick_task_id: None,
                    package_id: None,
                    detail: &detail,
                    actor: EVENTS_ACTOR,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// A short pick's missing units, reserved at other locations, become
/// fulfillment orders there with the original's promise.
async fn on_reallocated(conn: &mut Conn, e: inventory::StockReallocated) -> Result<(), ApiError> {
    let order_id = parse_id(&e.order_id)?;
    let Ok(short_id) = e.fulfillment_id.parse::<Uuid>() else {
        return Ok(());
    };
    if fulfillments::order_cancelled(conn, order_id).await? {
        return Ok(());
    }
    let Some(origin) = fulfillments::get(conn, short_id).await? else {
        tracing::warn!(%short_id, "StockReallocated for an unknown fulfillment; ignored");
        return Ok(());
    };
    let mut by_location: BTreeMap<&str, Vec<(i32, String, i64)>> = BTreeMap::new();
    for l in e.lines.iter().filter(|l| l.quantity > 0) {
        by_location
            .entry(l.location_code.as_str())
            .or_default()
            .push((l.line_no, l.sku.clone(), l.quantity));
    }
    // Each answer creates its own fulfillments: a later answer for the same
    // short pick (a backorder filled) is told apart by its event time.
    let at = from_timestamp(e.reallocated_at.as_ref()).unwrap_or_else(Utc::now);
    let origin_tag = format!("reallocation:{short_id}:{}", at.timestamp_micros());
    for (location, lines) in by_location {
        let created = fulfillments::create(
            conn,
            &NewFulfillment {
                order_id,
                channel_id: &origin.channel_id,
                external_order_id: &origin.external_order_id,
                location_code: location,
                origin: &origin_tag,
                carrier: &origin.carrier,
                carrier_service: &origin.carrier_service,
                ship_by: origin.ship_by,
                placed_at: origin.placed_at,
                confirmed_at: origin.confirmed_at,
                lines,
            },
        )
        .await?;
        if let Some(id) = created {
            if origin.on_hold {
                fulfillments::set_on_hold(conn, id, true).await?;
            }
            store::audit(
                conn,
                EVENTS_ACTOR,
                "created",
                Some(id),
                json!({"order_id": order_id, "location_code": location,
                       "origin": "reallocation", "short_fulfillment_id": short_id}),
            )
            .await?;
        }
    }
    Ok(())
}

/// Publishes FulfillmentShipped for a fulfillment whose packages have all left.
pub async fn shipped(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    actor: &str,
) -> Result<(), ApiError> {
    let packages: Vec<_> = packing::of_fulfillment(conn, head.id)
        .await?
        .into_iter()
        .filter(|p| p.state().status == PackageStatus::Shipped)
        .collect();
    let ids: Vec<Uuid> = packages.iter().map(|p| p.id).collect();
    let items = packing::items(conn, &ids).await?;
    let mut totals: BTreeMap<i32, (String, i64)> = BTreeMap::new();
    for i in &items {
        totals.entry(i.line_no).or_insert((i.sku.clone(), 0)).1 += i.quantity;
    }
    let line = |line_no: i32, sku: &str, quantity: i64| pb::FulfilledLine {
        line_no,
        sku: sku.to_string(),
        quantity,
    };
    outbox
        .enqueue(
            conn,
            topics::WAREHOUSE_FULFILLMENT_EVENTS,
            &head.order_id.to_string(),
            &pb::FulfillmentShipped {
                fulfillment_id: head.id.to_string(),
                order_id: head.order_id.to_string(),
                channel_id: head.channel_id.clone(),
                external_order_id: head.external_order_id.clone(),
                location_code: head.location_code.clone(),
                lines: totals
                    .iter()
                    .map(|(no, (sku, q))| line(*no, sku, *q))
                    .collect(),
                parcels: packages
                    .iter()
                    .map(|p| pb::Parcel {
                        package_id: p.id.to_string(),
                        carrier: p.carrier.clone().unwrap_or_default(),
                        service: p.carrier_service.clone().unwrap_or_default(),
                        tracking_number: p.tracking_number.clone().unwrap_or_default(),
                        lines: items
                            .iter()
                            .filter(|i| i.package_id == p.id)
                            .map(|i| line(i.line_no, &i.sku, i.quantity))
                            .collect(),
                        weight_grams: p.weight_grams.unwrap_or_default(),
                    })
                    .collect(),
                shipped_by: actor.to_string(),
                shipped_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}

/// Publishes ShortPicked: inventory writes the units off and re-allocates them.
pub async fn short_picked(
    outbox: &Outbox,
    conn: &mut Conn,
    head: &Head,
    task: &picking::TaskRow,
    missing: i64,
    actor: &str,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::WAREHOUSE_FULFILLMENT_EVENTS,
            &head.order_id.to_string(),
            &pb::ShortPicked {
                fulfillment_id: head.id.to_string(),
                order_id: head.order_id.to_string(),
                channel_id: head.channel_id.clone(),
                location_code: head.location_code.clone(),
                line_no: task.line_no,
                sku: task.sku.clone(),
                missing,
                bin_code: task.bin_code.clone(),
                reported_by: actor.to_string(),
                reported_at: Some(timestamp(Utc::now())),
            },
        )
        .await?;
    Ok(())
}
