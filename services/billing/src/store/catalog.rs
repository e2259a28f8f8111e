//! What billing keeps of the catalog (a product's title for invoice lines,
//! its cost price for units never received) and the moving-average value of
//! stock per SKU and currency.

use std::collections::HashMap;

use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Nullable, Numeric, Text};
use diesel_async::RunQueryDsl;
use domain::{Currency, Money};
use platform::db::{CachedExt, Conn};
use rust_decimal::{Decimal, RoundingStrategy};

/// Records a variant as catalog's ProductUpserted describes it (an older
/// product version never overwrites a newer one).
pub async fn upsert_sku(
    conn: &mut Conn,
    sku: &str,
    title: &str,
    cost: Option<&Money>,
    weight_grams: i64,
    product_version: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO sku_costs (sku, title, cost_price, currency, product_version, weight_grams) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (sku) DO UPDATE SET title = EXCLUDED.title, cost_price = EXCLUDED.cost_price, \
           currency = EXCLUDED.currency, product_version = EXCLUDED.product_version, \
           weight_grams = EXCLUDED.weight_grams \
         WHERE sku_costs.product_version <= EXCLUDED.product_version",
    )
    .bind::<Text, _>(sku)
    .bind::<Text, _>(title)
    .bind::<Nullable<Numeric>, _>(cost.map(|m| m.amount))
    .bind::<Nullable<Text>, _>(cost.map(|m| m.currency.code().to_string()))
    .bind::<BigInt, _>(product_version)
    .bind::<BigInt, _>(weight_grams)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct SkuRow {
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    cost_price: Option<Decimal>,
    #[diesel(sql_type = Nullable<Text>)]
    currency: Option<String>,
}

/// A SKU's title and catalog cost price.
pub struct SkuInfo {
    pub title: String,
    pub cost: Option<Money>,
}

pub async fn skus(
    conn: &mut Conn,
    skus: &[String],
) -> diesel::QueryResult<HashMap<String, SkuInfo>> {
    let rows: Vec<SkuRow> = diesel::sql_query(
        "SELECT sku, title, cost_price, currency FROM sku_costs WHERE sku = ANY($1)",
    )
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let cost = match (
                r.cost_price,
                r.currency.as_deref().and_then(|c| c.parse().ok()),
            ) {
                (Some(amount), Some(currency)) => Some(Money { amount, currency }),
                _ => None,
            };
            (
                r.sku,
                SkuInfo {
                    title: r.title,
                    cost,
                },
            )
        })
        .collect())
}

/// Adds received units at their landed cost (in the currency's minor unit,
/// as the ledger posts it) to the SKU's stock value.
pub async fn receive(
    conn: &mut Conn,
    sku: &str,
    quantity: i64,
    value: &Money,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO stock_values (sku, currency, quantity, value) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sku, currency) DO UPDATE SET quantity = stock_values.quantity + EXCLUDED.quantity, \
           value = stock_values.value + EXCLUDED.value, updated_at = now()",
    )
    .bind::<Text, _>(sku)
    .bind::<Text, _>(value.currency.code())
    .bind::<BigInt, _>(quantity)
    .bind::<Numeric, _>(value.amount)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct ValueRow {
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = Numeric)]
    value: Decimal,
}

/// The cost of `quantity` units leaving stock, in the minor unit (the last
/// unit takes what is left, so stock value and the inventory account agree
/// to the cent): at the moving average of the valued units (the SKU's stock value row, locked), and any units beyond
/// them at `fallback` (the catalog cost price). None when neither values them.
pub async fn take(
    conn: &mut Conn,
    sku: &str,
    quantity: i64,
    fallback: Option<&Money>,
) -> diesel::QueryResult<Option<Money>> {
    let row: Option<ValueRow> = diesel::sql_query(
        "SELECT currency, quantity, value FROM stock_values \
         WHERE sku = $1 AND quantity > 0 ORDER BY quantity DESC, currency LIMIT 1 FOR UPDATE",
    )
    .bind::<Text, _>(sku)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    let Some(row) = row else {
        return Ok(fallback.map(|c| Money {
            amount: c.amount * Decimal::from(quantity),
            currency: c.currency,
        }));
    };
    let Ok(currency) = row.currency.parse::<Currency>() else {
        return Ok(None);
    };
    let units = quantity.min(row.quantity);
    let value = if units == row.quantity {
        row.value
    } else {
        (row.value * Decimal::from(units) / Decimal::from(row.quantity)).round_dp_with_strategy(
            currency.minor_units(),
            RoundingStrategy::MidpointAwayFromZero,
        )
    };
    diesel::sql_query(
        "UPDATE stock_values SET quantity = quantity - $3, value = value - $4, updated_at = now() \
         WHERE sku = $1 AND currency = $2",
    )
    .bind::<Text, _>(sku)
    .bind::<Text, _>(&row.currency)
    .bind::<BigInt, _>(units)
    .bind::<Numeric, _>(value)
    .cached()
    .execute(conn)
    .await?;
    let beyond = quantity - units;
    let extra = match fallback.filter(|c| c.currency == currency) {
        Some(c) if beyond > 0 => c.amount * Decimal::from(beyond),
        _ => Decimal::ZERO,
    };
    Ok(Some(Money {
        amount: value + extra,
        currency,
    }))
}
