//! Packages: opened at the packing bench, filled by item scans, sealed with
//! weight and dimensions, quality checked where a rule asks, and shipped.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::warehouse::{
    ClosePackageRequest, PackageItemView, PackageStatus, PackageView, QcStatus,
};
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

use crate::domain::packing::PackageState;

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct PackageRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub fulfillment_id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub qc_status: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub weight_grams: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub length_mm: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub width_mm: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub height_mm: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub carrier: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub carrier_service: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub tracking_number: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub shipped_at: Option<DateTime<Utc>>,
}

impl PackageRow {
    pub fn state(&self) -> PackageState {
        PackageState {
            id: self.id,
            status: PackageStatus::parse(&self.status).unwrap_or(PackageStatus::Open),
            qc: QcStatus::parse(&self.qc_status).unwrap_or(QcStatus::NotRequired),
        }
    }
}

const PACKAGE_COLUMNS: &str = "id, fulfillment_id, status, qc_status, weight_grams, length_mm, \
    width_mm, height_mm, carrier, carrier_service, tracking_number, shipped_at";

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ItemRow {
    #[diesel(sql_type = SqlUuid)]
    pub package_id: Uuid,
    #[diesel(sql_type = Integer)]
    pub line_no: i32,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
}

pub async fn create(
    conn: &mut Conn,
    fulfillment_id: Uuid,
    actor: &str,
) -> diesel::QueryResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO packages (id, fulfillment_id, status, qc_status, created_by) \
         VALUES ($1, $2, 'open', 'not_required', $3)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(fulfillment_id)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn get(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<PackageRow>> {
    fetch(conn, id, false).await
}

/// Locks a package (its fulfillment is locked first, by the caller).
pub async fn lock(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<PackageRow>> {
    fetch(conn, id, true).await
}

async fn fetch(
    conn: &mut Conn,
    id: Uuid,
    for_update: bool,
) -> diesel::QueryResult<Option<PackageRow>> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    diesel::sql_query(format!(
        "SELECT {PACKAGE_COLUMNS} FROM packages WHERE id = $1{lock}"
    ))
    .bind::<SqlUuid, _>(id)
    .cached()
    .get_result(conn)
    .await
    .optional()
}

pub async fn of_fulfillment(
    conn: &mut Conn,
    fulfillment_id: Uuid,
) -> diesel::QueryResult<Vec<PackageRow>> {
    diesel::sql_query(format!(
        "SELECT {PACKAGE_COLUMNS} FROM packages WHERE fulfillment_id = $1 ORDER BY id"
    ))
    .bind::<SqlUuid, _>(fulfillment_id)
    .cached()
    .load(conn)
    .await
}

pub async fn add_item(
    conn: &mut Conn,
    package_id: Uuid,
    line_no: i32,
    sku: &str,
    quantity: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO package_items (package_id, line_no, sku, quantity) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (package_id, line_no) DO UPDATE SET quantity = package_items.quantity + EXCLUDED.quantity",
    )
    .bind::<SqlUuid, _>(package_id)
    .bind::<Integer, _>(line_no)
    .bind::<Text, _>(sku)
    .bind::<BigInt, _>(quantity)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn items(conn: &mut Conn, package_ids: &[Uuid]) -> diesel::QueryResult<Vec<ItemRow>> {
    diesel::sql_query(
        "SELECT package_id, line_no, sku, quantity FROM package_items \
         WHERE package_id = ANY($1) ORDER BY package_id, line_no",
    )
    .bind::<Array<SqlUuid>, _>(package_ids)
    .cached()
    .load(conn)
    .await
}

pub async fn close(
    conn: &mut Conn,
    id: Uuid,
    dims: &ClosePackageRequest,
    qc: QcStatus,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE packages SET status = 'packed', qc_status = $2, weight_grams = $3, length_mm = $4, \
         width_mm = $5, height_mm = $6, packed_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(qc.as_str())
    .bind::<BigInt, _>(dims.weight_grams)
    .bind::<BigInt, _>(dims.length_mm)
    .bind::<BigInt, _>(dims.width_mm)
    .bind::<BigInt, _>(dims.height_mm)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_qc(conn: &mut Conn, id: Uuid, qc: QcStatus) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE packages SET qc_status = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(qc.as_str())
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut Conn,
    id: Uuid,
    status: PackageStatus,
) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE packages SET status = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(status.as_str())
        .cached()
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the carrier label and marks the package shipped. A tracking number
/// already used for this carrier is a unique violation (`packages_tracking`).
pub async fn ship(
    conn: &mut Conn,
    id: Uuid,
    carrier: &str,
    service: &str,
    tracking_number: &str,
    actor: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE packages SET status = 'shipped', carrier = $2, carrier_service = $3, \
         tracking_number = $4, shipped_by = $5, shipped_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(carrier)
    .bind::<Text, _>(service)
    .bind::<Text, _>(tracking_number)
    .bind::<Text, _>(actor)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

fn view(p: PackageRow, items: Vec<PackageItemView>) -> PackageView {
    let state = p.state();
    let dimensions_mm = match (p.length_mm, p.width_mm, p.height_mm) {
        (Some(l), Some(w), Some(h)) => Some([l, w, h]),
        _ => None,
    };
    PackageView {
        id: p.id,
        fulfillment_id: p.fulfillment_id,
        status: state.status,
        qc_status: state.qc,
        items,
        weight_grams: p.weight_grams,
        dimensions_mm,
        carrier: p.carrier,
        carrier_service: p.carrier_service,
        tracking_number: p.tracking_number,
        shipped_at: p.shipped_at,
    }
}

/// Package views of these fulfillments, by fulfillment.
pub async fn views_of(
    conn: &mut Conn,
    fulfillment_ids: &[Uuid],
) -> diesel::QueryResult<HashMap<Uuid, Vec<PackageView>>> {
    let packages: Vec<PackageRow> = diesel::sql_query(format!(
        "SELECT {PACKAGE_COLUMNS} FROM packages WHERE fulfillment_id = ANY($1) ORDER BY id"
    ))
    .bind::<Array<SqlUuid>, _>(fulfillment_ids)
    .cached()
    .load(conn)
    .await?;
    let ids: Vec<Uuid> = packages.iter().map(|p| p.id).collect();
    let mut items_by: HashMap<Uuid, Vec<PackageItemView>> = HashMap::new();
    for i in items(conn, &ids).await? {
        items_by
            .entry(i.package_id)
            .or_default()
            .push(PackageItemView {
                line_no: i.line_no,
                sku: i.sku,
                quantity: i.quantity,
            });
    }
    let mut out: HashMap<Uuid, Vec<PackageView>> = HashMap::new();
    for p in packages {
        let items = items_by.remove(&p.id).unwrap_or_default();
        out.entry(p.fulfillment_id)
            .or_default()
            .push(view(p, items));
    }
    Ok(out)
}

pub async fn package_view(conn: &mut Conn, id: Uuid) -> diesel::QueryResult<Option<PackageView>> {
    let Some(p) = get(conn, id).await? else {
        return Ok(None);
    };
    let items = items(conn, &[id])
        .await?
        .into_iter()
        .map(|i| PackageItemView {
            line_no: i.line_no,
            sku: i.sku,
            quantity: i.quantity,
        })
        .collect();
    Ok(Some(view(p, items)))
}
