//! Channel listings (a variant's price and state per channel) and the audit
//! of every price change.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{BigInt, Bool, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::Money;
use domain::contracts::catalog::PriceChangeView;
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{LISTING_COLUMNS, ListingRow, corrupt, money};

#[derive(Debug, Clone, diesel::QueryableByName)]
struct PriceChangeRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    old_amount: Option<Decimal>,
    #[diesel(sql_type = Nullable<Text>)]
    old_currency: Option<String>,
    #[diesel(sql_type = Numeric)]
    new_amount: Decimal,
    #[diesel(sql_type = Text)]
    new_currency: String,
    #[diesel(sql_type = Text)]
    changed_by: String,
    #[diesel(sql_type = Timestamptz)]
    changed_at: DateTime<Utc>,
}

pub async fn find_listing(
    conn: &mut Conn,
    variant_id: Uuid,
    channel: &str,
) -> Result<Option<ListingRow>, ApiError> {
    Ok(diesel::sql_query(format!(
        "SELECT {LISTING_COLUMNS} FROM listings WHERE variant_id = $1 AND channel_id = $2"
    ))
    .bind::<SqlUuid, _>(variant_id)
    .bind::<Text, _>(channel)
    .cached()
    .get_result(conn)
    .await
    .optional()?)
}

pub async fn upsert_listing(
    conn: &mut Conn,
    variant_id: Uuid,
    channel: &str,
    price: Money,
    active: bool,
) -> Result<(), ApiError> {
    diesel::sql_query(format!(
        "INSERT INTO listings ({LISTING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, now()) \
         ON CONFLICT (variant_id, channel_id) DO UPDATE SET price_amount = EXCLUDED.price_amount, \
           price_currency = EXCLUDED.price_currency, active = EXCLUDED.active, \
           updated_at = EXCLUDED.updated_at"
    ))
    .bind::<SqlUuid, _>(variant_id)
    .bind::<Text, _>(channel)
    .bind::<Numeric, _>(price.amount)
    .bind::<Text, _>(price.currency.code())
    .bind::<Bool, _>(active)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn audit_price(
    conn: &mut Conn,
    variant_id: Uuid,
    channel: &str,
    old: Option<Money>,
    new: Money,
    actor: &str,
) -> Result<(), ApiError> {
    diesel::sql_query(
        "INSERT INTO price_changes (variant_id, channel_id, old_amount, old_currency, new_amount, \
         new_currency, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind::<SqlUuid, _>(variant_id)
    .bind::<Text, _>(channel)
    .bind::<Nullable<Numeric>, _>(old.map(|m| m.amount))
    .bind::<Nullable<Text>, _>(old.map(|m| m.currency.code().to_string()))
    .bind::<Numeric, _>(new.amount)
    .bind::<Text, _>(new.currency.code())
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

/// Price changes of a product's listings, newest first.
pub async fn price_history(
    conn: &mut Conn,
    product_id: Uuid,
    channel: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<PriceChangeView>, Option<i64>), ApiError> {
    let mut rows: Vec<PriceChangeRow> = diesel::sql_query(
        "SELECT c.id, v.sku, c.channel_id, c.old_amount, c.old_currency, c.new_amount, \
         c.new_currency, c.changed_by, c.changed_at \
         FROM price_changes c JOIN variants v ON v.id = c.variant_id \
         WHERE v.product_id = $1 AND ($2::text IS NULL OR c.channel_id = $2) \
           AND ($3::bigint IS NULL OR c.id < $3) \
         ORDER BY c.id DESC LIMIT $4",
    )
    .bind::<SqlUuid, _>(product_id)
    .bind::<Nullable<Text>, _>(channel)
    .bind::<Nullable<BigInt>, _>(before)
    .bind::<BigInt, _>(limit + 1)
    .cached()
    .load(conn)
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let items = rows
        .iter()
        .map(|r| {
            Ok(PriceChangeView {
                sku: r.sku.parse().map_err(|_| corrupt("sku", &r.sku))?,
                channel_id: r
                    .channel_id
                    .parse()
                    .map_err(|_| corrupt("channel", &r.channel_id))?,
                old_price: match (&r.old_amount, &r.old_currency) {
                    (Some(a), Some(c)) => Some(money(*a, c)?),
                    _ => None,
                },
                new_price: money(r.new_amount, &r.new_currency)?,
                changed_by: r.changed_by.clone(),
                changed_at: r.changed_at,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok((items, next))
}
