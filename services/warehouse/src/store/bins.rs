//! Bins inside each location, the SKUs stocked in them, and their walking order.

use diesel::OptionalExtension;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::contracts::warehouse::{BinInput, BinView};
use platform::db::{CachedExt, Conn};
use uuid::Uuid;

#[derive(diesel::QueryableByName)]
struct BinRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    location_code: String,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    zone: String,
    #[diesel(sql_type = Text)]
    aisle: String,
    #[diesel(sql_type = Text)]
    shelf: String,
    #[diesel(sql_type = Text)]
    level: String,
    #[diesel(sql_type = Integer)]
    walk_sequence: i32,
    #[diesel(sql_type = Bool)]
    active: bool,
    #[diesel(sql_type = BigInt)]
    version: i64,
    #[diesel(sql_type = Array<Text>)]
    skus: Vec<String>,
}

impl BinRow {
    fn view(self) -> BinView {
        BinView {
            id: self.id,
            location_code: self.location_code,
            code: self.code,
            zone: self.zone,
            aisle: self.aisle,
            shelf: self.shelf,
            level: self.level,
            walk_sequence: self.walk_sequence,
            skus: self.skus,
            active: self.active,
            version: self.version,
        }
    }
}

const BIN_SELECT: &str = "SELECT b.id, b.location_code, b.code, b.zone, b.aisle, b.shelf, b.level, \
    b.walk_sequence, b.active, b.version, \
    COALESCE(ARRAY(SELECT s.sku FROM bin_skus s WHERE s.bin_id = b.id ORDER BY s.sku), '{}') AS skus \
    FROM bins b";

/// Creates or replaces a bin and the SKUs stocked in it.
pub async fn put(
    conn: &mut Conn,
    location: &str,
    code: &str,
    input: &BinInput,
) -> diesel::QueryResult<(BinView, bool)> {
    #[derive(diesel::QueryableByName)]
    struct Upserted {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = Bool)]
        created: bool,
    }
    let row: Upserted = diesel::sql_query(
        "INSERT INTO bins (id, location_code, code, zone, aisle, shelf, level, walk_sequence, active) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (location_code, code) DO UPDATE SET zone = EXCLUDED.zone, aisle = EXCLUDED.aisle, \
           shelf = EXCLUDED.shelf, level = EXCLUDED.level, walk_sequence = EXCLUDED.walk_sequence, \
           active = EXCLUDED.active, version = bins.version + 1, updated_at = now() \
         RETURNING id, (xmax = 0) AS created",
    )
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<Text, _>(location)
    .bind::<Text, _>(code)
    .bind::<Text, _>(input.zone.trim())
    .bind::<Text, _>(input.aisle.trim())
    .bind::<Text, _>(input.shelf.trim())
    .bind::<Text, _>(input.level.trim())
    .bind::<Integer, _>(input.walk_sequence)
    .bind::<Bool, _>(input.active)
    .cached()
    .get_result(conn)
    .await?;
    let skus: Vec<String> = input.skus.iter().map(|s| s.trim().to_string()).collect();
    diesel::sql_query(
        "WITH gone AS (DELETE FROM bin_skus WHERE bin_id = $1 AND sku <> ALL($2)) \
         INSERT INTO bin_skus (bin_id, sku) SELECT $1, s FROM unnest($2::text[]) s ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(row.id)
    .bind::<Array<Text>, _>(&skus)
    .cached()
    .execute(conn)
    .await?;
    let view = get(conn, location, code).await?.expect("just written");
    Ok((view, row.created))
}

pub async fn get(
    conn: &mut Conn,
    location: &str,
    code: &str,
) -> diesel::QueryResult<Option<BinView>> {
    let row: Option<BinRow> = diesel::sql_query(format!(
        "{BIN_SELECT} WHERE b.location_code = $1 AND b.code = $2"
    ))
    .bind::<Text, _>(location)
    .bind::<Text, _>(code)
    .cached()
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(BinRow::view))
}

/// A location's bins in walking order, optionally only those stocking `sku`.
pub async fn list(
    conn: &mut Conn,
    location: &str,
    sku: Option<&str>,
) -> diesel::QueryResult<Vec<BinView>> {
    let rows: Vec<BinRow> = diesel::sql_query(format!(
        "{BIN_SELECT} WHERE b.location_code = $1 \
         AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM bin_skus s WHERE s.bin_id = b.id AND s.sku = $2)) \
         ORDER BY b.walk_sequence, b.code"
    ))
    .bind::<Text, _>(location)
    .bind::<Nullable<Text>, _>(sku)
    .cached()
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(BinRow::view).collect())
}

/// Where a SKU is picked at a location: the first active bin on the walk.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct PickFace {
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = SqlUuid)]
    pub bin_id: Uuid,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub zone: String,
    #[diesel(sql_type = Integer)]
    pub walk_sequence: i32,
}

impl PickFace {
    pub fn face(self) -> crate::domain::picking::PickFace {
        crate::domain::picking::PickFace {
            bin_id: self.bin_id,
            code: self.code,
            zone: self.zone,
            walk_sequence: self.walk_sequence,
        }
    }
}

pub async fn pick_faces(
    conn: &mut Conn,
    location: &str,
    skus: &[String],
) -> diesel::QueryResult<Vec<PickFace>> {
    diesel::sql_query(
        "SELECT DISTINCT ON (s.sku) s.sku, b.id AS bin_id, b.code, b.zone, b.walk_sequence \
         FROM bin_skus s JOIN bins b ON b.id = s.bin_id \
         WHERE b.location_code = $1 AND b.active AND s.sku = ANY($2) \
         ORDER BY s.sku, b.walk_sequence, b.code",
    )
    .bind::<Text, _>(location)
    .bind::<Array<Text>, _>(skus)
    .cached()
    .load(conn)
    .await
}

/// Whether `bin_code` is an active bin at `location` stocking `sku` (a picker
/// may take the item from any of its bins, not only the one on the list).
pub async fn stocks(
    conn: &mut Conn,
    location: &str,
    bin_code: &str,
    sku: &str,
) -> diesel::QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    let row: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM bins b JOIN bin_skus s ON s.bin_id = b.id \
         WHERE b.location_code = $1 AND b.code = $2 AND b.active AND s.sku = $3) AS found",
    )
    .bind::<Text, _>(location)
    .bind::<Text, _>(bin_code)
    .bind::<Text, _>(sku)
    .cached()
    .get_result(conn)
    .await?;
    Ok(row.found)
}
