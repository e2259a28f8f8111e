//! Orders' OrderPlaced: the facts billing invoices from (buyer, destination,
//! lines at their prices, the discount split over the lines, shipping).
//! A shipment that arrived before them waits; the invoicer is woken.

use std::sync::Arc;

use domain::contracts::billing::Party;
use domain::events::proto::orders::v1 as orders;
use domain::events::{Event, from_timestamp};
use platform::db::Conn;
use platform::kafka::Record;
use rust_decimal::Decimal;
use tokio::sync::Notify;

use crate::domain::invoicing::split_discount;
use crate::store::{orders as store, shipments};

fn amount(m: &Option<domain::events::proto::common::v1::Money>) -> anyhow::Result<Decimal> {
    match m {
        Some(m) if !m.amount.is_empty() => Ok(m.amount.parse()?),
        _ => Ok(Decimal::ZERO),
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

pub(super) async fn on_order_event(
    conn: &mut Conn,
    record: &Record,
    invoicing_due: Arc<Notify>,
) -> anyhow::Result<()> {
    if record.envelope.event_type != orders::OrderPlaced::TYPE {
        return Ok(());
    }
    let e: orders::OrderPlaced = record.decode()?;
    let order_id: uuid::Uuid = e.order_id.parse()?;
    let currency: domain::Currency = match e.total.as_ref() {
        Some(t) => t.currency.parse()?,
        None => anyhow::bail!("OrderPlaced {order_id} carries no total"),
    };
    let customer = e.customer.clone().unwrap_or_default();
    let address = e.billing_address.clone().unwrap_or_default();
    let buyer = Party {
        name: non_empty(&address.name)
            .or_else(|| non_empty(&customer.name))
            .unwrap_or_else(|| "Customer".into()),
        company: non_empty(&address.company),
        vat_id: non_empty(&customer.vat_id),
        street: address.line1.clone(),
        street2: non_empty(&address.line2),
        city: address.city.clone(),
        postal_code: address.postal_code.clone(),
        country: address.country.clone(),
        email: non_empty(&customer.email),
    };
    let ship_to = non_empty(&e.ship_to_country).unwrap_or_else(|| address.country.clone());
    let prices: Vec<Decimal> = e
        .lines
        .iter()
        .map(|l| amount(&l.unit_price))
        .collect::<anyhow::Result<_>>()?;
    let values: Vec<Decimal> = e
        .lines
        .iter()
        .zip(&prices)
        .map(|(l, p)| p * Decimal::from(l.quantity))
        .collect();
    let discount = amount(&e.discount_total)?;
    let shares = split_discount(discount, &values, currency);
    let lines: Vec<store::NewLine<'_>> = e
        .lines
        .iter()
        .zip(prices.iter().zip(&shares))
        .filter(|(l, _)| l.quantity > 0)
        .map(|(l, (price, share))| store::NewLine {
            line_no: l.line_no,
            sku: &l.sku,
            quantity: l.quantity,
            unit_price: *price,
            discount: *share,
        })
        .collect();
    store::upsert(
        conn,
        &store::OrderFacts {
            order_id,
            channel_id: e.channel_id.clone(),
            external_order_id: e.external_order_id.clone(),
            currency: currency.code().to_string(),
            customer: serde_json::json!({
                "email": customer.email, "name": customer.name,
                "external_id": customer.external_id, "vat_id": customer.vat_id,
            }),
            billing_address: serde_json::to_value(&buyer)?,
            ship_to_country: ship_to,
            subtotal: amount(&e.subtotal)?,
            shipping_total: amount(&e.shipping_total)?,
            tax_total: amount(&e.tax_total)?,
            discount_total: discount,
            total: amount(&e.total)?,
            placed_at: from_timestamp(e.placed_at.as_ref()).unwrap_or(record.envelope.occurred_at),
        },
        &lines,
    )
    .await?;
    if !shipments::pending_of(conn, order_id).await?.is_empty() {
        invoicing_due.notify_one();
    }
    Ok(())
}
