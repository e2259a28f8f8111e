//! Contribution margin, kept up to date as entries post (`ledger::post`
//! calls `roll_up`): per order, per channel and day, per SKU, channel and
//! day; read grouped, and the orders sold at a loss.

use chrono::NaiveDate;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Numeric, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::Currency;
use domain::contracts::billing::{MarginGroup, MarginRow, SignedMoney};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::corrupt;

/// Adds an entry's margin lines to the rollups: revenue (4000, 4100),
/// refunds (4900), cost of goods (5000), channel fees (6100), payment fees
/// (6200), shipping cost (6300) of lines tagged with an order (and SKU).
pub async fn roll_up(
    conn: &mut Conn,
    entry_id: Uuid,
    posted_on: NaiveDate,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "WITH b AS ( \
           SELECT order_id, currency, channel_id, sku, \
             CASE WHEN account IN ('4000', '4100') THEN -amount ELSE 0 END AS revenue, \
             CASE WHEN account = '4900' THEN amount ELSE 0 END AS refunds, \
             CASE WHEN account = '5000' THEN amount ELSE 0 END AS cogs, \
             CASE WHEN account = '6100' THEN amount ELSE 0 END AS channel_fees, \
             CASE WHEN account = '6200' THEN amount ELSE 0 END AS payment_fees, \
             CASE WHEN account = '6300' THEN amount ELSE 0 END AS shipping_cost \
           FROM journal_lines WHERE entry_id = $1 AND channel_id IS NOT NULL AND order_id IS NOT NULL \
             AND account IN ('4000', '4100', '4900', '5000', '6100', '6200', '6300')), \
         o AS (INSERT INTO order_margins AS m (order_id, currency, channel_id, day, revenue, refunds, cogs, \
                 channel_fees, payment_fees, shipping_cost) \
               SELECT order_id, currency, min(channel_id), $2, sum(revenue), sum(refunds), sum(cogs), \
                 sum(channel_fees), sum(payment_fees), sum(shipping_cost) FROM b GROUP BY order_id, currency \
               ON CONFLICT (order_id, currency) DO UPDATE SET revenue = m.revenue + EXCLUDED.revenue, \
                 refunds = m.refunds + EXCLUDED.refunds, cogs = m.cogs + EXCLUDED.cogs, \
                 channel_fees = m.channel_fees + EXCLUDED.channel_fees, \
                 payment_fees = m.payment_fees + EXCLUDED.payment_fees, \
                 shipping_cost = m.shipping_cost + EXCLUDED.shipping_cost RETURNING 1), \
         c AS (INSERT INTO channel_margins_daily AS m (day, channel_id, currency, revenue, refunds, cogs, \
                 channel_fees, payment_fees, shipping_cost) \
               SELECT $2, channel_id, currency, sum(revenue), sum(refunds), sum(cogs), sum(channel_fees), \
                 sum(payment_fees), sum(shipping_cost) FROM b GROUP BY channel_id, currency \
               ON CONFLICT (day, channel_id, currency) DO UPDATE SET revenue = m.revenue + EXCLUDED.revenue, \
                 refunds = m.refunds + EXCLUDED.refunds, cogs = m.cogs + EXCLUDED.cogs, \
                 channel_fees = m.channel_fees + EXCLUDED.channel_fees, \
                 payment_fees = m.payment_fees + EXCLUDED.payment_fees, \
                 shipping_cost = m.shipping_cost + EXCLUDED.shipping_cost RETURNING 1), \
         s AS (INSERT INTO sku_margins_daily AS m (day, channel_id, sku, currency, revenue, refunds, cogs, \
                 channel_fees, payment_fees, shipping_cost) \
               SELECT $2, channel_id, sku, currency, sum(revenue), sum(refunds), sum(cogs), sum(channel_fees), \
                 sum(payment_fees), sum(shipping_cost) FROM b WHERE sku IS NOT NULL \
               GROUP BY channel_id, sku, currency \
               ON CONFLICT (day, channel_id, sku, currency) DO UPDATE SET revenue = m.revenue + EXCLUDED.revenue, \
                 refunds = m.refunds + EXCLUDED.refunds, cogs = m.cogs + EXCLUDED.cogs, \
                 channel_fees = m.channel_fees + EXCLUDED.channel_fees, \
                 payment_fees = m.payment_fees + EXCLUDED.payment_fees, \
                 shipping_cost = m.shipping_cost + EXCLUDED.shipping_cost RETURNING 1) \
         SELECT (SELECT count(*) FROM o) + (SELECT count(*) FROM c) + (SELECT count(*) FROM s) AS n",
    )
    .bind::<SqlUuid, _>(entry_id)
    .bind::<Date, _>(posted_on)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Nullable<Text>)]
    channel_id: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    day: Option<NaiveDate>,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Numeric)]
    revenue: Decimal,
    #[diesel(sql_type = Numeric)]
    refunds: Decimal,
    #[diesel(sql_type = Numeric)]
    cogs: Decimal,
    #[diesel(sql_type = Numeric)]
    channel_fees: Decimal,
    #[diesel(sql_type = Numeric)]
    payment_fees: Decimal,
    #[diesel(sql_type = Numeric)]
    shipping_cost: Decimal,
}

impl Row {
    fn view(self) -> Result<MarginRow, ApiError> {
        let currency: Currency = self
            .currency
            .parse()
            .map_err(|_| corrupt("currency", &self.currency))?;
        let m = |amount: Decimal| {
            let c = domain::Money { amount, currency }.canonical();
            SignedMoney {
                amount: c.amount,
                currency,
            }
        };
        let margin = self.revenue
            - self.refunds
            - self.cogs
            - self.channel_fees
            - self.payment_fees
            - self.shipping_cost;
        Ok(MarginRow {
            key: self.key,
            channel_id: self.channel_id,
            day: self.day,
            revenue: m(self.revenue),
            refunds: m(self.refunds),
            cogs: m(self.cogs),
            channel_fees: m(self.channel_fees),
            payment_fees: m(self.payment_fees),
            shipping_cost: m(self.shipping_cost),
            margin: m(margin),
        })
    }
}

const SUMS: &str = "sum(revenue) AS revenue, sum(refunds) AS refunds, sum(cogs) AS cogs, \
    sum(channel_fees) AS channel_fees, sum(payment_fees) AS payment_fees, \
    sum(shipping_cost) AS shipping_cost";

/// A filter over margin.
pub struct Filter<'a> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub channel: Option<&'a str>,
    pub loss_only: bool,
    /// Orders: continue after this (day, order id), newest first.
    pub after: Option<(NaiveDate, Uuid)>,
    pub limit: i64,
}

pub async fn grouped(
    conn: &mut Conn,
    group: MarginGroup,
    f: &Filter<'_>,
) -> Result<Vec<MarginRow>, ApiError> {
    let rows: Vec<Row> = match group {
        MarginGroup::Order => {
            let (after_day, after_id) = f.after.unzip();
            diesel::sql_query(
                "SELECT order_id::text AS key, channel_id, day, currency, revenue, refunds, cogs, channel_fees, \
                   payment_fees, shipping_cost FROM order_margins \
                 WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR channel_id = $3) \
                   AND (NOT $4 OR margin < 0) \
                   AND ($5::date IS NULL OR (day, order_id) < ($5, $6::uuid)) \
                 ORDER BY day DESC, order_id DESC LIMIT $7",
            )
            .bind::<Date, _>(f.from)
            .bind::<Date, _>(f.to)
            .bind::<Nullable<Text>, _>(f.channel)
            .bind::<Bool, _>(f.loss_only)
            .bind::<Nullable<Date>, _>(after_day)
            .bind::<Nullable<SqlUuid>, _>(after_id)
            .bind::<BigInt, _>(f.limit)
            .cached()
            .load(conn)
            .await?
        }
        MarginGroup::Channel => diesel::sql_query(format!(
            "SELECT channel_id AS key, channel_id, NULL::date AS day, currency, {SUMS} FROM channel_margins_daily \
             WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR channel_id = $3) \
             GROUP BY channel_id, currency ORDER BY channel_id, currency"
        ))
        .bind::<Date, _>(f.from)
        .bind::<Date, _>(f.to)
        .bind::<Nullable<Text>, _>(f.channel)
        .cached()
        .load(conn)
        .await?,
        MarginGroup::Day => diesel::sql_query(format!(
            "SELECT day::text AS key, NULL::text AS channel_id, day, currency, {SUMS} FROM channel_margins_daily \
             WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR channel_id = $3) \
             GROUP BY day, currency ORDER BY day, currency"
        ))
        .bind::<Date, _>(f.from)
        .bind::<Date, _>(f.to)
        .bind::<Nullable<Text>, _>(f.channel)
        .cached()
        .load(conn)
        .await?,
        MarginGroup::Sku => diesel::sql_query(format!(
            "SELECT sku AS key, NULL::text AS channel_id, NULL::date AS day, currency, {SUMS} FROM sku_margins_daily \
             WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR channel_id = $3) \
             GROUP BY sku, currency ORDER BY sku, currency"
        ))
        .bind::<Date, _>(f.from)
        .bind::<Date, _>(f.to)
        .bind::<Nullable<Text>, _>(f.channel)
        .cached()
        .load(conn)
        .await?,
    };
    rows.into_iter().map(Row::view).collect()
}
