//! Issued invoices and credit notes, their lines and tax subtotals, and the
//! series their numbers come from. A document row is written once; only
//! an invoice line's credited quantity grows afterwards.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{
    Array, BigInt, Date, Integer, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use domain::contracts::billing::{
    DocumentKind, DocumentLineView, DocumentRef, DocumentView, LineKind, Party, PriceBasis,
    TaxRounding, TaxSubtotalView,
};
use domain::{Currency, Money};
use platform::ApiError;
use platform::db::{CachedExt, Conn};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::corrupt;
use crate::domain::invoicing::{DocLine, IssuedLine};
use crate::domain::tax::{Category, Subtotal};

/// Takes the next number of `series` in the caller's transaction: the row
/// stays locked until it commits (the next issuer waits), and a rollback
/// gives the number back, so numbers run 1, 2, 3 with no gap.
pub async fn next_number(conn: &mut Conn, series: &str) -> diesel::QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Taken {
        #[diesel(sql_type = BigInt)]
        last_number: i64,
    }
    let t: Taken = diesel::sql_query(
        "INSERT INTO document_series (series, last_number) VALUES ($1, 1) \
         ON CONFLICT (series) DO UPDATE SET last_number = document_series.last_number + 1 \
         RETURNING last_number",
    )
    .bind::<Text, _>(series)
    .cached()
    .get_result(conn)
    .await?;
    Ok(t.last_number)
}

/// A document to write.
pub struct NewDocument<'a> {
    pub id: Uuid,
    pub kind: DocumentKind,
    pub series: &'a str,
    pub sequence: i64,
    pub number: &'a str,
    pub corrects: Option<Uuid>,
    pub order_id: Uuid,
    pub fulfillment_id: Option<&'a str>,
    pub channel_id: &'a str,
    pub external_order_id: &'a str,
    pub legal_entity: &'a str,
    pub seller: &'a Party,
    pub buyer: &'a Party,
    pub currency: Currency,
    pub prices: PriceBasis,
    pub rounding: TaxRounding,
    pub lines: &'a [NewLine<'a>],
    pub subtotals: &'a [Subtotal],
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
    pub channel_tax: Option<Decimal>,
    pub reason: Option<&'a str>,
    pub issue_date: NaiveDate,
    pub issued_by: &'a str,
}

/// A line to write: the taxed line, its description, and (credit notes)
/// the invoice line it credits.
pub struct NewLine<'a> {
    pub line: &'a DocLine,
    pub description: &'a str,
    pub credits_line_no: Option<i32>,
}

pub async fn insert(conn: &mut Conn, d: &NewDocument<'_>) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO documents (id, kind, series, sequence, number, corrects, order_id, fulfillment_id, \
           channel_id, external_order_id, legal_entity, seller, buyer, currency, prices, rounding, \
           net_total, tax_total, gross_total, channel_tax_total, reason, issue_date, issued_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
           $19, $20, $21, $22, $23)",
    )
    .bind::<SqlUuid, _>(d.id)
    .bind::<Text, _>(d.kind.as_str())
    .bind::<Text, _>(d.series)
    .bind::<BigInt, _>(d.sequence)
    .bind::<Text, _>(d.number)
    .bind::<Nullable<SqlUuid>, _>(d.corrects)
    .bind::<SqlUuid, _>(d.order_id)
    .bind::<Nullable<Text>, _>(d.fulfillment_id)
    .bind::<Text, _>(d.channel_id)
    .bind::<Text, _>(d.external_order_id)
    .bind::<Text, _>(d.legal_entity)
    .bind::<Jsonb, _>(serde_json::to_value(d.seller).expect("serializes"))
    .bind::<Jsonb, _>(serde_json::to_value(d.buyer).expect("serializes"))
    .bind::<Text, _>(d.currency.code())
    .bind::<Text, _>(d.prices.as_str())
    .bind::<Text, _>(d.rounding.as_str())
    .bind::<Numeric, _>(d.net)
    .bind::<Numeric, _>(d.tax)
    .bind::<Numeric, _>(d.gross)
    .bind::<Nullable<Numeric>, _>(d.channel_tax)
    .bind::<Nullable<Text>, _>(d.reason)
    .bind::<Date, _>(d.issue_date)
    .bind::<Text, _>(d.issued_by)
    .cached()
    .execute(conn)
    .await?;
    let n = d.lines.len();
    let mut cols = LineColumns::with_capacity(n);
    for (i, l) in d.lines.iter().enumerate() {
        cols.push(i as i32 + 1, l);
    }
    diesel::sql_query(
        "INSERT INTO document_lines (document_id, line_no, kind, order_line_no, credits_line_no, sku, \
           description, quantity, unit_price, discount, net, tax, tax_category, tax_rate) \
         SELECT $1, l.* FROM unnest($2::int[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], \
           $8::bigint[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[], $13::text[], \
           $14::numeric[]) AS l",
    )
    .bind::<SqlUuid, _>(d.id)
    .bind::<Array<Integer>, _>(&cols.line_no)
    .bind::<Array<Text>, _>(&cols.kind)
    .bind::<Array<Nullable<Integer>>, _>(&cols.order_line_no)
    .bind::<Array<Nullable<Integer>>, _>(&cols.credits_line_no)
    .bind::<Array<Nullable<Text>>, _>(&cols.sku)
    .bind::<Array<Text>, _>(&cols.description)
    .bind::<Array<BigInt>, _>(&cols.quantity)
    .bind::<Array<Numeric>, _>(&cols.unit_price)
    .bind::<Array<Numeric>, _>(&cols.discount)
    .bind::<Array<Numeric>, _>(&cols.net)
    .bind::<Array<Numeric>, _>(&cols.tax)
    .bind::<Array<Text>, _>(&cols.category)
    .bind::<Array<Numeric>, _>(&cols.rate)
    .cached()
    .execute(conn)
    .await?;
    let categories: Vec<&str> = d.subtotals.iter().map(|s| s.category.code()).collect();
    let rates: Vec<Decimal> = d.subtotals.iter().map(|s| s.rate).collect();
    let taxable: Vec<Decimal> = d.subtotals.iter().map(|s| s.taxable).collect();
    let tax: Vec<Decimal> = d.subtotals.iter().map(|s| s.tax).collect();
    diesel::sql_query(
        "INSERT INTO document_tax_subtotals (document_id, tax_category, tax_rate, taxable, tax) \
         SELECT $1, s.* FROM unnest($2::text[], $3::numeric[], $4::numeric[], $5::numeric[]) AS s",
    )
    .bind::<SqlUuid, _>(d.id)
    .bind::<Array<Text>, _>(&categories)
    .bind::<Array<Numeric>, _>(&rates)
    .bind::<Array<Numeric>, _>(&taxable)
    .bind::<Array<Numeric>, _>(&tax)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Default)]
struct LineColumns<'a> {
    line_no: Vec<i32>,
    kind: Vec<&'static str>,
    order_line_no: Vec<Option<i32>>,
    credits_line_no: Vec<Option<i32>>,
    sku: Vec<Option<&'a str>>,
    description: Vec<&'a str>,
    quantity: Vec<i64>,
    unit_price: Vec<Decimal>,
    discount: Vec<Decimal>,
    net: Vec<Decimal>,
    tax: Vec<Decimal>,
    category: Vec<&'static str>,
    rate: Vec<Decimal>,
}

impl<'a> LineColumns<'a> {
    fn with_capacity(_n: usize) -> Self {
        Self::default()
    }

    fn push(&mut self, line_no: i32, l: &'a NewLine<'a>) {
        self.line_no.push(line_no);
        self.kind.push(l.line.kind.as_str());
        self.order_line_no.push(l.line.order_line_no);
        self.credits_line_no.push(l.credits_line_no);
        self.sku.push(l.line.sku.as_deref());
        self.description.push(l.description);
        self.quantity.push(l.line.quantity);
        self.unit_price.push(l.line.unit_price);
        self.discount.push(l.line.discount);
        self.net.push(l.line.net);
        // NUMERIC(28, 12): an exact share of a tax, kept to explain it.
        self.tax.push(l.line.tax.round_dp(12));
        self.category.push(l.line.category.code());
        self.rate.push(l.line.rate);
    }
}

#[derive(diesel::QueryableByName)]
struct HeadRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    series: String,
    #[diesel(sql_type = BigInt)]
    sequence: i64,
    #[diesel(sql_type = Text)]
    number: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    corrects: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    corrects_number: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    corrects_date: Option<NaiveDate>,
    #[diesel(sql_type = SqlUuid)]
    order_id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    fulfillment_id: Option<String>,
    #[diesel(sql_type = Text)]
    channel_id: String,
    #[diesel(sql_type = Text)]
    external_order_id: String,
    #[diesel(sql_type = Text)]
    legal_entity: String,
    #[diesel(sql_type = Jsonb)]
    seller: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    buyer: serde_json::Value,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Text)]
    prices: String,
    #[diesel(sql_type = Text)]
    rounding: String,
    #[diesel(sql_type = Numeric)]
    net_total: Decimal,
    #[diesel(sql_type = Numeric)]
    tax_total: Decimal,
    #[diesel(sql_type = Numeric)]
    gross_total: Decimal,
    #[diesel(sql_type = Nullable<Numeric>)]
    channel_tax_total: Option<Decimal>,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Date)]
    issue_date: NaiveDate,
    #[diesel(sql_type = Timestamptz)]
    issued_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    issued_by: String,
}

const HEAD_COLUMNS: &str = "d.id, d.kind, d.series, d.sequence, d.number, d.corrects, \
    c.number AS corrects_number, c.issue_date AS corrects_date, d.order_id, d.fulfillment_id, \
    d.channel_id, d.external_order_id, d.legal_entity, d.seller, d.buyer, d.currency, d.prices, \
    d.rounding, d.net_total, d.tax_total, d.gross_total, d.channel_tax_total, d.reason, \
    d.issue_date, d.issued_at, d.issued_by";

#[derive(diesel::QueryableByName)]
struct LineRow {
    #[diesel(sql_type = SqlUuid)]
    document_id: Uuid,
    #[diesel(sql_type = Integer)]
    line_no: i32,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<Integer>)]
    order_line_no: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    sku: Option<String>,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = Numeric)]
    unit_price: Decimal,
    #[diesel(sql_type = Numeric)]
    discount: Decimal,
    #[diesel(sql_type = Numeric)]
    net: Decimal,
    #[diesel(sql_type = Numeric)]
    tax: Decimal,
    #[diesel(sql_type = Text)]
    tax_category: String,
    #[diesel(sql_type = Numeric)]
    tax_rate: Decimal,
    #[diesel(sql_type = BigInt)]
    credited_quantity: i64,
    #[diesel(sql_type = Numeric)]
    credited_net: Decimal,
}

#[derive(diesel::QueryableByName)]
struct SubtotalRow {
    #[diesel(sql_type = SqlUuid)]
    document_id: Uuid,
    #[diesel(sql_type = Text)]
    tax_category: String,
    #[diesel(sql_type = Numeric)]
    tax_rate: Decimal,
    #[diesel(sql_type = Numeric)]
    taxable: Decimal,
    #[diesel(sql_type = Numeric)]
    tax: Decimal,
}

fn category(code: &str) -> Result<Category, ApiError> {
    match code {
        "S" => Ok(Category::Standard),
        "Z" => Ok(Category::Zero),
        "AE" => Ok(Category::ReverseCharge),
        other => Err(corrupt("tax category", other)),
    }
}

fn assemble(
    head: HeadRow,
    lines: Vec<&LineRow>,
    subtotals: Vec<&SubtotalRow>,
) -> Result<DocumentView, ApiError> {
    let currency: Currency = head
        .currency
        .parse()
        .map_err(|_| corrupt("currency", &head.currency))?;
    let money = |amount: Decimal| Money { amount, currency }.canonical();
    let party = |v: serde_json::Value| -> Result<Party, ApiError> {
        serde_json::from_value(v).map_err(|_| corrupt("party", "json"))
    };
    Ok(DocumentView {
        id: head.id,
        kind: DocumentKind::parse(&head.kind).ok_or_else(|| corrupt("kind", &head.kind))?,
        number: head.number,
        series: head.series,
        sequence: head.sequence,
        corrects: match (head.corrects, head.corrects_number, head.corrects_date) {
            (Some(id), Some(number), Some(issue_date)) => Some(DocumentRef {
                id,
                number,
                issue_date,
            }),
            _ => None,
        },
        order_id: head.order_id,
        fulfillment_id: head.fulfillment_id,
        channel_id: head.channel_id,
        external_order_id: head.external_order_id,
        legal_entity: head.legal_entity,
        seller: party(head.seller)?,
        buyer: party(head.buyer)?,
        currency,
        prices: PriceBasis::parse(&head.prices).ok_or_else(|| corrupt("prices", &head.prices))?,
        rounding: TaxRounding::parse(&head.rounding)
            .ok_or_else(|| corrupt("rounding", &head.rounding))?,
        lines: lines
            .into_iter()
            .map(|l| {
                Ok(DocumentLineView {
                    line_no: l.line_no,
                    kind: LineKind::parse(&l.kind).ok_or_else(|| corrupt("line kind", &l.kind))?,
                    order_line_no: l.order_line_no,
                    sku: l.sku.clone(),
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_price: money(l.unit_price),
                    discount: money(l.discount),
                    net: money(l.net),
                    tax_category: l.tax_category.clone(),
                    tax_rate: l.tax_rate.normalize(),
                    credited_quantity: l.credited_quantity,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        tax_subtotals: subtotals
            .into_iter()
            .map(|s| TaxSubtotalView {
                tax_category: s.tax_category.clone(),
                tax_rate: s.tax_rate.normalize(),
                taxable: money(s.taxable),
                tax: money(s.tax),
            })
            .collect(),
        net_total: money(head.net_total),
        tax_total: money(head.tax_total),
        gross_total: money(head.gross_total),
        channel_tax_total: head.channel_tax_total.map(money),
        reason: head.reason,
        issue_date: head.issue_date,
        issued_at: head.issued_at,
        issued_by: head.issued_by,
    })
}

async fn lines_of(
    conn: &mut Conn,
    ids: &[Uuid],
) -> diesel::QueryResult<(Vec<LineRow>, Vec<SubtotalRow>)> {
    let lines: Vec<LineRow> = diesel::sql_query(
        "SELECT document_id, line_no, kind, order_line_no, sku, description, quantity, unit_price, \
           discount, net, tax, tax_category, tax_rate, credited_quantity, credited_net \
         FROM document_lines WHERE document_id = ANY($1) ORDER BY document_id, line_no",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .cached()
    .load(conn)
    .await?;
    let subtotals: Vec<SubtotalRow> = diesel::sql_query(
        "SELECT document_id, tax_category, tax_rate, taxable, tax FROM document_tax_subtotals \
         WHERE document_id = ANY($1) ORDER BY document_id, tax_category, tax_rate",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .cached()
    .load(conn)
    .await?;
    Ok((lines, subtotals))
}

async fn views(conn: &mut Conn, heads: Vec<HeadRow>) -> Result<Vec<DocumentView>, ApiError> {
    let ids: Vec<Uuid> = heads.iter().map(|h| h.id).collect();
    let (lines, subtotals) = lines_of(conn, &ids).await?;
    heads
        .into_iter()
        .map(|h| {
            let id = h.id;
            assemble(
                h,
                lines.iter().filter(|l| l.document_id == id).collect(),
                subtotals.iter().filter(|s| s.document_id == id).collect(),
            )
        })
        .collect()
}

/// One document as the API shows it.
pub async fn load(conn: &mut Conn, id: Uuid) -> Result<Option<DocumentView>, ApiError> {
    let head: Option<HeadRow> = diesel::sql_query(format!(
        "SELECT {HEAD_COLUMNS} FROM documents d LEFT JOIN documents c ON c.id = d.corrects WHERE d.id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    match head {
        Some(h) => Ok(views(conn, vec![h]).await?.pop()),
        None => Ok(None),
    }
}

/// A filter over documents, newest first (UUIDv7 id cursor).
#[derive(Debug, Default)]
pub struct ListFilter {
    pub order_id: Option<Uuid>,
    pub channel: Option<String>,
    pub kind: Option<DocumentKind>,
    pub before: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(conn: &mut Conn, f: &ListFilter) -> Result<Vec<DocumentView>, ApiError> {
    let heads: Vec<HeadRow> = diesel::sql_query(format!(
        "SELECT {HEAD_COLUMNS} FROM documents d LEFT JOIN documents c ON c.id = d.corrects \
         WHERE ($1::uuid IS NULL OR d.order_id = $1) AND ($2::text IS NULL OR d.channel_id = $2) \
           AND ($3::text IS NULL OR d.kind = $3) AND ($4::uuid IS NULL OR d.id < $4) \
         ORDER BY d.id DESC LIMIT $5"
    ))
    .bind::<Nullable<SqlUuid>, _>(f.order_id)
    .bind::<Nullable<Text>, _>(f.channel.as_deref())
    .bind::<Nullable<Text>, _>(f.kind.map(|k| k.as_str()))
    .bind::<Nullable<SqlUuid>, _>(f.before)
    .bind::<BigInt, _>(f.limit)
    .cached()
    .load(conn)
    .await?;
    views(conn, heads).await
}

/// An invoice locked for crediting: its view, its lines as the credit rules
/// take them, its subtotals, and the tax credited before per category.
pub struct Creditable {
    pub view: DocumentView,
    pub issued: Vec<IssuedLine>,
    pub subtotals: Vec<Subtotal>,
    pub credited_tax: BTreeMap<(Category, Decimal), Decimal>,
}

pub async fn lock_creditable(conn: &mut Conn, id: Uuid) -> Result<Option<Creditable>, ApiError> {
    let locked: Option<Uuid> = {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = SqlUuid)]
            id: Uuid,
        }
        diesel::sql_query("SELECT id FROM documents WHERE id = $1 FOR UPDATE")
            .bind::<SqlUuid, _>(id)
            .cached()
            .get_result::<Id>(conn)
            .await
            .optional()?
            .map(|r| r.id)
    };
    if locked.is_none() {
        return Ok(None);
    }
    let Some(view) = load(conn, id).await? else {
        return Ok(None);
    };
    let (lines, subtotal_rows) = lines_of(conn, &[id]).await?;
    let issued = lines
        .iter()
        .map(|l| {
            Ok(IssuedLine {
                line_no: l.line_no,
                line: DocLine {
                    kind: LineKind::parse(&l.kind).ok_or_else(|| corrupt("line kind", &l.kind))?,
                    order_line_no: l.order_line_no,
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    discount: l.discount,
                    net: l.net,
                    tax: l.tax,
                    category: category(&l.tax_category)?,
                    rate: l.tax_rate.normalize(),
                },
                credited_quantity: l.credited_quantity,
                credited_net: l.credited_net,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let subtotals = subtotal_rows
        .iter()
        .map(|s| {
            Ok(Subtotal {
                category: category(&s.tax_category)?,
                rate: s.tax_rate.normalize(),
                taxable: s.taxable,
                tax: s.tax,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let before: Vec<SubtotalRow> = diesel::sql_query(
        "SELECT s.document_id, s.tax_category, s.tax_rate, s.taxable, s.tax \
         FROM document_tax_subtotals s JOIN documents d ON d.id = s.document_id WHERE d.corrects = $1",
    )
    .bind::<SqlUuid, _>(id)
    .cached()
    .load(conn)
    .await?;
    let mut credited_tax = BTreeMap::new();
    for s in &before {
        *credited_tax
            .entry((category(&s.tax_category)?, s.tax_rate.normalize()))
            .or_default() += s.tax;
    }
    Ok(Some(Creditable {
        view,
        issued,
        subtotals,
        credited_tax,
    }))
}

/// Counts what a credit note took back of its invoice's lines.
pub async fn add_credited(
    conn: &mut Conn,
    invoice_id: Uuid,
    taken: &[(i32, i64, Decimal)],
) -> diesel::QueryResult<()> {
    let line_nos: Vec<i32> = taken.iter().map(|t| t.0).collect();
    let quantities: Vec<i64> = taken.iter().map(|t| t.1).collect();
    let nets: Vec<Decimal> = taken.iter().map(|t| t.2).collect();
    diesel::sql_query(
        "UPDATE document_lines l SET credited_quantity = l.credited_quantity + t.quantity, \
           credited_net = l.credited_net + t.net \
         FROM (SELECT line_no, sum(quantity) AS quantity, sum(net) AS net \
                 FROM unnest($2::int[], $3::bigint[], $4::numeric[]) AS u (line_no, quantity, net) \
                GROUP BY line_no) AS t \
         WHERE l.document_id = $1 AND l.line_no = t.line_no",
    )
    .bind::<SqlUuid, _>(invoice_id)
    .bind::<Array<Integer>, _>(&line_nos)
    .bind::<Array<BigInt>, _>(&quantities)
    .bind::<Array<Numeric>, _>(&nets)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
