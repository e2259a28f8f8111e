//! Issuing documents: a shipment's invoice (with its cost of goods, in one
//! journal entry) and credit notes. Each runs in the caller's transaction;
//! the series number is taken last, so its row lock is held only for the
//! final writes and the commit.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use domain::Currency;
use domain::contracts::billing::{
    CreditNoteRequest, DocumentKind, DocumentView, LineKind, Party, PriceBasis, TaxRounding,
};
use domain::events::proto::billing::v1 as pb;
use domain::events::{money_to_proto, timestamp, topics};
use platform::ApiError;
use platform::db::Conn;
use platform::outbox::Outbox;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{catalog, corrupt, documents, fees, ledger, orders, settings, shipments};
use crate::domain::fees as fee_rules;
use crate::domain::invoicing::{self, CreditError, InvoiceError, InvoiceInput};
use crate::domain::ledger::{Tags, accounts, credit_postings, invoice_postings};
use crate::domain::tax::{Buyer, Prices, Rounding};

/// What became of a shipment.
#[derive(Debug)]
pub enum Outcome {
    Issued(Box<DocumentView>),
    /// Not invoiced yet, and why (it stays pending and is tried again).
    Waiting(String),
    /// Invoiced before, or being invoiced by another transaction.
    Done,
}

/// Who documents issued by billing itself are issued by.
pub const INVOICING_ACTOR: &str = "system:billing.invoicing";

pub(crate) fn prices(p: PriceBasis) -> Prices {
    match p {
        PriceBasis::TaxInclusive => Prices::Inclusive,
        PriceBasis::TaxExclusive => Prices::Exclusive,
    }
}

pub(crate) fn rounding(r: TaxRounding) -> Rounding {
    match r {
        TaxRounding::PerDocument => Rounding::PerDocument,
        TaxRounding::PerLine => Rounding::PerLine,
    }
}

/// Invoices a pending shipment: locks it and its order, computes the
/// invoice, values the units that left, posts one entry, numbers and
/// writes the document, publishes InvoiceIssued. A shipment whose invoice
/// cannot be made yet keeps waiting with the reason.
pub async fn invoice_shipment(
    outbox: &Outbox,
    conn: &mut Conn,
    fulfillment_id: &str,
) -> Result<Outcome, ApiError> {
    let Some(shipment) = shipments::lock_pending(conn, fulfillment_id).await? else {
        return Ok(Outcome::Done);
    };
    let waiting = async |conn: &mut Conn, reason: String| -> Result<Outcome, ApiError> {
        shipments::waiting(conn, fulfillment_id, &reason).await?;
        Ok(Outcome::Waiting(reason))
    };
    let Some(order) = orders::lock(conn, shipment.order_id).await? else {
        return waiting(conn, "the order's placement has not arrived".into()).await;
    };
    let facts = &order.facts;
    let Some(channel) = settings::channel(conn, &facts.channel_id, false).await? else {
        return waiting(
            conn,
            format!(
                "channel {} has no billing settings (PUT /v1/channel-billing/{})",
                facts.channel_id, facts.channel_id
            ),
        )
        .await;
    };
    let entity = settings::entity(conn, &channel.legal_entity, false)
        .await?
        .ok_or_else(|| corrupt("legal entity", &channel.legal_entity))?;
    let currency: Currency = facts
        .currency
        .parse()
        .map_err(|_| corrupt("currency", &facts.currency))?;
    let buyer_party: Party = serde_json::from_value(facts.billing_address.clone())
        .map_err(|_| corrupt("billing address", "json"))?;
    let buyer = Buyer {
        country: facts.ship_to_country.clone(),
        vat_id: buyer_party.vat_id.clone(),
    };
    let rules = settings::rules_for(conn, &buyer.country).await?;
    let skus: Vec<String> = order.lines.iter().map(|l| l.sku.clone()).collect();
    let categories = settings::categories(conn, &skus).await?;
    let shipped: Vec<(i32, i64)> = shipment
        .lines()
        .map_err(ApiError::internal)?
        .iter()
        .map(|l| (l.line_no, l.quantity))
        .collect();
    let (basis, rule) = (prices(channel.prices()?), rounding(channel.rounding()?));
    let input = InvoiceInput {
        currency,
        prices: basis,
        rounding: rule,
        seller_country: &entity.country,
        buyer: &buyer,
        rules: &rules,
        lines: &order.lines,
        shipped: &shipped,
        shipping: (!order.shipping_invoiced).then_some(facts.shipping_total),
    };
    let doc = match invoicing::invoice(&input, |sku| {
        categories
            .get(sku)
            .cloned()
            .unwrap_or_else(|| "standard".into())
    }) {
        Ok(doc) => doc,
        Err(
            e @ (InvoiceError::Tax(_)
            | InvoiceError::OverShipped { .. }
            | InvoiceError::UnknownLine(_)),
        ) => {
            return waiting(conn, e.to_string()).await;
        }
        Err(InvoiceError::Empty) => {
            return waiting(conn, "the shipment bills nothing".into()).await;
        }
    };
    let info = catalog::skus(conn, &skus).await?;
    let tags = Tags {
        channel_id: Some(facts.channel_id.clone()),
        order_id: Some(facts.order_id),
    };
    let mut postings = invoice_postings(&doc, &tags, currency);
    // Cost of goods sold, at the moving average of what left; stock values
    // are locked in SKU order, as every transaction takes them.
    let mut goods: Vec<&invoicing::DocLine> = doc
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Goods)
        .collect();
    goods.sort_by(|a, b| a.sku.cmp(&b.sku));
    for l in goods {
        let sku = l.sku.as_deref().unwrap_or_default();
        let fallback = info.get(sku).and_then(|i| i.cost.as_ref());
        if let Some(cost) = catalog::take(conn, sku, l.quantity, fallback).await? {
            postings.add(
                accounts::COST_OF_GOODS_SOLD,
                &tags,
                Some(sku),
                cost.currency,
                cost.amount,
            );
            postings.add(
                accounts::INVENTORY,
                &tags,
                Some(sku),
                cost.currency,
                -cost.amount,
            );
        }
    }
    // The channel's fees, estimated now and trued up by its settlement.
    let accruals = accrue_fees(
        conn,
        &mut postings,
        &tags,
        &doc,
        currency,
        shipment.shipped_at.date_naive(),
        !order.shipping_invoiced,
    )
    .await?;
    let taken: Vec<(i32, i64, Decimal)> = doc
        .lines
        .iter()
        .filter_map(|l| l.order_line_no.map(|n| (n, l.quantity, l.discount)))
        .collect();
    orders::mark_invoiced(conn, facts.order_id, &taken).await?;
    if !accruals.is_empty() {
        let rows: Vec<fees::Accrual<'_>> = accruals
            .iter()
            .map(|e| fees::Accrual {
                kind: e.kind,
                sku: e.sku.as_deref().unwrap_or(""),
                amount: e.amount,
            })
            .collect();
        fees::accrue(
            conn,
            facts.order_id,
            fulfillment_id,
            &facts.channel_id,
            currency,
            &rows,
        )
        .await?;
    }

    let now = Utc::now();
    let series = invoicing::series(&entity.code, false, now.year());
    let descriptions = descriptions(&doc.lines, &info);
    let lines: Vec<documents::NewLine<'_>> = doc
        .lines
        .iter()
        .zip(&descriptions)
        .map(|(line, description)| documents::NewLine {
            line,
            description,
            credits_line_no: None,
        })
        .collect();
    let seller = seller(&entity);
    let id = Uuid::now_v7();
    let sequence = documents::next_number(conn, &series).await?;
    let number = invoicing::number(&series, sequence);
    documents::insert(
        conn,
        &documents::NewDocument {
            id,
            kind: DocumentKind::Invoice,
            series: &series,
            sequence,
            number: &number,
            corrects: None,
            order_id: facts.order_id,
            fulfillment_id: Some(fulfillment_id),
            channel_id: &facts.channel_id,
            external_order_id: &facts.external_order_id,
            legal_entity: &entity.code,
            seller: &seller,
            buyer: &buyer_party,
            currency,
            prices: channel.prices()?,
            rounding: channel.rounding()?,
            lines: &lines,
            subtotals: &doc.subtotals,
            net: doc.net,
            tax: doc.tax,
            gross: doc.gross,
            channel_tax: Some(facts.tax_total),
            reason: None,
            issue_date: now.date_naive(),
            issued_by: INVOICING_ACTOR,
        },
    )
    .await?;
    ledger::post(
        conn,
        &ledger::NewEntry {
            source: "shipment",
            source_id: fulfillment_id,
            occurred_on: shipment.shipped_at.date_naive(),
            memo: &format!("invoice {number} for order {}", facts.external_order_id),
            created_by: INVOICING_ACTOR,
            postings: &postings,
        },
    )
    .await?;
    shipments::invoiced(conn, fulfillment_id, id).await?;
    let view = documents::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("invoice {id} vanished")))?;
    publish_invoice(outbox, conn, &view, now).await?;
    Ok(Outcome::Issued(Box::new(view)))
}

/// The fees of the channel's schedule in force on the shipping day, posted
/// as expenses per SKU against the accrued fees of the order. None when the
/// channel has no schedule, or one in another currency than the order's.
async fn accrue_fees(
    conn: &mut Conn,
    postings: &mut crate::domain::ledger::Postings,
    tags: &Tags,
    doc: &invoicing::Document,
    currency: Currency,
    shipped_on: chrono::NaiveDate,
    first_invoice: bool,
) -> Result<Vec<fee_rules::Estimate>, ApiError> {
    let channel_id = tags.channel_id.as_deref().unwrap_or_default();
    let Some(row) = fees::effective(conn, channel_id, shipped_on).await? else {
        return Ok(Vec::new());
    };
    let schedule = row.schedule()?;
    if schedule.currency != currency {
        tracing::warn!(
            channel = channel_id,
            "fee schedule in {} for an order in {currency}: no fees estimated",
            schedule.currency
        );
        return Ok(Vec::new());
    }
    let gross = |l: &invoicing::DocLine| {
        (l.net + l.tax).round_dp_with_strategy(
            currency.minor_units(),
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        )
    };
    let skus: Vec<String> = doc.lines.iter().filter_map(|l| l.sku.clone()).collect();
    let categories = fees::categories(conn, &skus).await?;
    let lines: Vec<fee_rules::FeeLine> = doc
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Goods)
        .map(|l| {
            let sku = l.sku.clone().unwrap_or_default();
            fee_rules::FeeLine {
                fee_category: categories
                    .get(&sku)
                    .cloned()
                    .unwrap_or_else(|| "default".into()),
                sku,
                quantity: l.quantity,
                gross: gross(l),
            }
        })
        .collect();
    let shipping: Decimal = doc
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Shipping)
        .map(gross)
        .sum();
    let estimates = fee_rules::estimate(&schedule, &lines, shipping, first_invoice);
    for e in &estimates {
        postings.add(
            super::settlements::fee_account(e.kind),
            tags,
            e.sku.as_deref(),
            currency,
            e.amount,
        );
        postings.add(
            accounts::ACCRUED_CHANNEL_FEES,
            tags,
            None,
            currency,
            -e.amount,
        );
    }
    Ok(estimates)
}

/// Each line's description: the catalog's title, or the SKU; "Shipping".
fn descriptions(
    lines: &[invoicing::DocLine],
    info: &HashMap<String, catalog::SkuInfo>,
) -> Vec<String> {
    lines
        .iter()
        .map(|l| match (&l.kind, l.sku.as_deref()) {
            (LineKind::Shipping, _) => "Shipping".to_string(),
            (LineKind::Goods, Some(sku)) => info
                .get(sku)
                .map(|i| i.title.clone())
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| sku.to_string()),
            (LineKind::Goods, None) => "Goods".to_string(),
        })
        .collect()
}

fn seller(e: &settings::EntityRow) -> Party {
    Party {
        name: e.name.clone(),
        company: None,
        vat_id: Some(e.vat_id.clone()),
        street: e.street.clone(),
        street2: None,
        city: e.city.clone(),
        postal_code: e.postal_code.clone(),
        country: e.country.clone(),
        email: None,
    }
}

async fn publish_invoice(
    outbox: &Outbox,
    conn: &mut Conn,
    v: &DocumentView,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    outbox
        .enqueue(
            conn,
            topics::BILLING_INVOICE_EVENTS,
            &v.order_id.to_string(),
            &pb::InvoiceIssued {
                invoice_id: v.id.to_string(),
                number: v.number.clone(),
                order_id: v.order_id.to_string(),
                channel_id: v.channel_id.clone(),
                external_order_id: v.external_order_id.clone(),
                fulfillment_id: v.fulfillment_id.clone().unwrap_or_default(),
                net_total: Some(money_to_proto(&v.net_total)),
                tax_total: Some(money_to_proto(&v.tax_total)),
                gross_total: Some(money_to_proto(&v.gross_total)),
                issued_at: Some(timestamp(at)),
            },
        )
        .await?;
    Ok(())
}

/// Issues a credit note against an invoice (part of it, or all that is
/// left), posting its reversal; refuses a credit note, an unknown line or
/// more than is left, naming the field.
pub async fn credit(
    outbox: &Outbox,
    conn: &mut Conn,
    invoice_id: Uuid,
    req: &CreditNoteRequest,
    actor: &str,
) -> Result<DocumentView, ApiError> {
    let Some(c) = documents::lock_creditable(conn, invoice_id).await? else {
        return Err(ApiError::NotFound(format!(
            "invoice {invoice_id} does not exist"
        )));
    };
    if c.view.kind != DocumentKind::Invoice {
        return Err(ApiError::field(
            "id",
            format!("{} is a credit note, not an invoice", c.view.number),
        ));
    }
    let asked: Option<Vec<(i32, i64)>> = req
        .lines
        .as_ref()
        .map(|ls| ls.iter().map(|l| (l.line_no, l.quantity)).collect());
    let currency = c.view.currency;
    let (credit_lines, doc) = invoicing::credit(
        &c.issued,
        &c.subtotals,
        &c.credited_tax,
        asked.as_deref(),
        prices(c.view.prices),
        rounding(c.view.rounding),
        currency,
    )
    .map_err(|e| match &e {
        CreditError::UnknownLine(_) | CreditError::TooMuch { .. } => {
            let at = req
                .lines
                .as_ref()
                .and_then(|ls| {
                    let n = match e {
                        CreditError::UnknownLine(n) | CreditError::TooMuch { line_no: n, .. } => n,
                        CreditError::Nothing => 0,
                    };
                    ls.iter().position(|l| l.line_no == n)
                })
                .unwrap_or(0);
            ApiError::field(format!("lines[{at}]"), e.to_string())
        }
        CreditError::Nothing => ApiError::Conflict(format!("{}: {e}", c.view.number)),
    })?;
    let now = Utc::now();
    let series = invoicing::series(&c.view.legal_entity, true, now.year());
    let descriptions: Vec<String> = credit_lines
        .iter()
        .map(|cl| {
            c.view
                .lines
                .iter()
                .find(|l| l.line_no == cl.credits_line_no)
                .map(|l| l.description.clone())
                .unwrap_or_default()
        })
        .collect();
    let lines: Vec<documents::NewLine<'_>> = credit_lines
        .iter()
        .zip(&descriptions)
        .map(|(cl, description)| documents::NewLine {
            line: &cl.line,
            description,
            credits_line_no: Some(cl.credits_line_no),
        })
        .collect();
    let taken: Vec<(i32, i64, Decimal)> = credit_lines
        .iter()
        .map(|cl| (cl.credits_line_no, cl.line.quantity, cl.line.net))
        .collect();
    documents::add_credited(conn, invoice_id, &taken).await?;
    let tags = Tags {
        channel_id: Some(c.view.channel_id.clone()),
        order_id: Some(c.view.order_id),
    };
    let postings = credit_postings(&doc, &tags, currency);
    let id = Uuid::now_v7();
    let sequence = documents::next_number(conn, &series).await?;
    let number = invoicing::number(&series, sequence);
    let reason = req.reason.trim();
    documents::insert(
        conn,
        &documents::NewDocument {
            id,
            kind: DocumentKind::CreditNote,
            series: &series,
            sequence,
            number: &number,
            corrects: Some(invoice_id),
            order_id: c.view.order_id,
            fulfillment_id: None,
            channel_id: &c.view.channel_id,
            external_order_id: &c.view.external_order_id,
            legal_entity: &c.view.legal_entity,
            seller: &c.view.seller,
            buyer: &c.view.buyer,
            currency,
            prices: c.view.prices,
            rounding: c.view.rounding,
            lines: &lines,
            subtotals: &doc.subtotals,
            net: doc.net,
            tax: doc.tax,
            gross: doc.gross,
            channel_tax: None,
            reason: Some(reason),
            issue_date: now.date_naive(),
            issued_by: actor,
        },
    )
    .await?;
    ledger::post(
        conn,
        &ledger::NewEntry {
            source: "credit_note",
            source_id: &id.to_string(),
            occurred_on: now.date_naive(),
            memo: &format!(
                "credit note {number} for invoice {}: {reason}",
                c.view.number
            ),
            created_by: actor,
            postings: &postings,
        },
    )
    .await?;
    let view = documents::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("credit note {id} vanished")))?;
    outbox
        .enqueue(
            conn,
            topics::BILLING_INVOICE_EVENTS,
            &view.order_id.to_string(),
            &pb::CreditNoteIssued {
                credit_note_id: id.to_string(),
                number: view.number.clone(),
                invoice_id: invoice_id.to_string(),
                invoice_number: c.view.number.clone(),
                order_id: view.order_id.to_string(),
                channel_id: view.channel_id.clone(),
                gross_total: Some(money_to_proto(&view.gross_total)),
                reason: reason.to_string(),
                issued_at: Some(timestamp(now)),
            },
        )
        .await?;
    Ok(view)
}
