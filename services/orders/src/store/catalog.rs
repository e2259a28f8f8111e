//! The catalog projection intake validates against: SKUs, product status and
//! channel listings, kept from catalog events.

use std::collections::HashMap;

use diesel::sql_types::{Array, BigInt, Bool, Numeric, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::events::proto::catalog::v1 as pb;
use platform::db::CachedExt;
use platform::db::Conn;
use rust_decimal::Decimal;

use crate::domain::intake::Listing;

/// Applies a product's full state unless a newer version is recorded.
pub async fn apply_product(conn: &mut Conn, e: &pb::ProductUpserted) -> anyhow::Result<()> {
    let product_id: uuid::Uuid = e.product_id.parse()?;
    for variant in &e.variants {
        let applied = diesel::sql_query(
            "INSERT INTO catalog_skus (sku, product_id, product_status, product_version) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (sku) DO UPDATE SET product_id = EXCLUDED.product_id, \
             product_status = EXCLUDED.product_status, product_version = EXCLUDED.product_version \
             WHERE catalog_skus.product_id <> EXCLUDED.product_id \
                OR catalog_skus.product_version <= EXCLUDED.product_version",
        )
        .bind::<Text, _>(&variant.sku)
        .bind::<SqlUuid, _>(product_id)
        .bind::<Text, _>(&e.status)
        .bind::<BigInt, _>(e.version)
        .cached().execute(conn)
        .await?;
        if applied == 0 {
            continue; // an older version replayed: keep the newer state
        }
        diesel::sql_query("DELETE FROM catalog_listings WHERE sku = $1")
            .bind::<Text, _>(&variant.sku)
            .cached()
            .execute(conn)
            .await?;
        for listing in &variant.listings {
            let Some(price) = &listing.price else {
                continue;
            };
            upsert_listing(
                conn,
                &variant.sku,
                &listing.channel_id,
                price,
                listing.active,
            )
            .await?;
        }
    }
    Ok(())
}

async fn upsert_listing(
    conn: &mut Conn,
    sku: &str,
    channel: &str,
    price: &domain::events::proto::common::v1::Money,
    active: bool,
) -> anyhow::Result<()> {
    let amount: Decimal = price.amount.parse()?;
    diesel::sql_query(
        "INSERT INTO catalog_listings (sku, channel_id, price_amount, price_currency, active) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sku, channel_id) DO UPDATE SET \
         price_amount = EXCLUDED.price_amount, price_currency = EXCLUDED.price_currency, \
         active = EXCLUDED.active",
    )
    .bind::<Text, _>(sku)
    .bind::<Text, _>(channel)
    .bind::<Numeric, _>(amount)
    .bind::<Text, _>(&price.currency)
    .bind::<Bool, _>(active)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Applies one listing change (same partition as its product's upserts, so in order).
pub async fn apply_listing(conn: &mut Conn, e: &pb::ListingChanged) -> anyhow::Result<()> {
    if let Some(price) = &e.price {
        upsert_listing(conn, &e.sku, &e.channel_id, price, e.active).await?;
    }
    Ok(())
}

/// How each of `skus` stands on `channel`.
pub async fn listings(
    conn: &mut Conn,
    channel: &str,
    skus: &[String],
) -> diesel::QueryResult<HashMap<String, Listing>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        sku: String,
        #[diesel(sql_type = Text)]
        product_status: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<Bool>)]
        listed: Option<bool>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT s.sku, s.product_status, l.active AS listed FROM catalog_skus s \
         LEFT JOIN catalog_listings l ON l.sku = s.sku AND l.channel_id = $1 \
         WHERE s.sku = ANY($2)",
    )
    .bind::<Text, _>(channel)
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let state = if r.product_status != "active" {
                Listing::NotSellable
            } else if r.listed == Some(true) {
                Listing::Listed
            } else {
                Listing::NotListed
            };
            (r.sku, state)
        })
        .collect())
}
