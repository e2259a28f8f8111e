//! What the warehouse keeps of other services: SKUs with their barcodes
//! (catalog) and the channel registry (orders).

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

/// Records a SKU and its barcode from a catalog event; an older event never
/// overwrites a newer one.
pub async fn upsert_sku(
    conn: &mut Conn,
    sku: &str,
    product_id: Uuid,
    title: &str,
    gtin: Option<&str>,
    at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO skus (sku, product_id, title, gtin, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (sku) DO UPDATE SET product_id = EXCLUDED.product_id, title = EXCLUDED.title, \
         gtin = EXCLUDED.gtin, updated_at = EXCLUDED.updated_at WHERE skus.updated_at <= EXCLUDED.updated_at",
    )
    .bind::<Text, _>(sku)
    .bind::<SqlUuid, _>(product_id)
    .bind::<Text, _>(title)
    .bind::<Nullable<Text>, _>(gtin)
    .bind::<Timestamptz, _>(at)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Of `skus`, those the catalog has not announced.
pub async fn unknown_skus(conn: &mut Conn, skus: &[String]) -> diesel::QueryResult<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Unknown {
        #[diesel(sql_type = Text)]
        sku: String,
    }
    let rows: Vec<Unknown> = diesel::sql_query(
        "SELECT s AS sku FROM unnest($1::text[]) s WHERE NOT EXISTS (SELECT 1 FROM skus WHERE sku = s)",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.sku).collect())
}

/// A SKU's normalized GTIN, if the catalog gave it one.
pub async fn gtin_of(conn: &mut Conn, sku: &str) -> diesel::QueryResult<Option<String>> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = Nullable<Text>)]
        gtin: Option<String>,
    }
    let row: Option<Found> = diesel::sql_query("SELECT gtin FROM skus WHERE sku = $1")
        .bind::<Text, _>(sku)
        .cached()
        .get_result(conn)
        .await
        .optional()?;
    Ok(row.and_then(|r| r.gtin))
}

/// Applies a ChannelUpserted unless a newer version is already recorded.
pub async fn upsert_channel(
    conn: &mut Conn,
    e: &domain::events::proto::orders::v1::ChannelUpserted,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO channels (id, kind, name, version) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, \
         version = EXCLUDED.version WHERE channels.version < EXCLUDED.version",
    )
    .bind::<Text, _>(&e.channel_id)
    .bind::<Text, _>(&e.kind)
    .bind::<Text, _>(&e.name)
    .bind::<BigInt, _>(e.version)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn channel_known(conn: &mut Conn, id: &str) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Known {
        #[diesel(sql_type = Bool)]
        known: bool,
    }
    let row: Known =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM channels WHERE id = $1) AS known")
            .bind::<Text, _>(id)
            .cached()
            .get_result(conn)
            .await?;
    Ok(row.known)
}
