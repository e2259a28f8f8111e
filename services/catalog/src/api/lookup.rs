//! Look-ups by SKU and by barcode: what connectors and scanners call most.

use actix_web::{HttpResponse, web};
use domain::contracts::catalog::SkuView;
use domain::{Gtin, Sku};
use platform::{ApiError, Caller, Runtime};

use crate::{domain as rules, store};

fn respond(mut view: SkuView, caller: &Caller) -> HttpResponse {
    if let Some(channel) = caller.channel() {
        rules::restrict_to_channel(std::slice::from_mut(&mut view.variant), channel);
    }
    HttpResponse::Ok().json(view)
}

/// Find a variant by SKU (case-insensitive).
#[utoipa::path(
    get, path = "/v1/skus/{sku}", tag = "lookup",
    params(("sku" = domain::Sku, Path, description = "The SKU")),
    responses(
        (status = 200, body = SkuView),
    )
)]
pub async fn by_sku(
    rt: web::Data<Runtime>,
    caller: Caller,
    sku: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sku: Sku = sku
        .parse()
        .map_err(|e: domain::sku::SkuError| ApiError::field("sku", e.to_string()))?;
    let mut conn = rt.conn().await?;
    let view = store::find_sku_view(&mut conn, Some(&sku), None)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("SKU {sku} does not exist")))?;
    Ok(respond(view, &caller))
}

/// Find a variant by GTIN barcode (UPC-A and EAN-13 forms of one item match).
#[utoipa::path(
    get, path = "/v1/barcodes/{barcode}", tag = "lookup",
    params(("barcode" = domain::Gtin, Path, description = "GTIN-8/12/13/14")),
    responses(
        (status = 200, body = SkuView),
    )
)]
pub async fn by_barcode(
    rt: web::Data<Runtime>,
    caller: Caller,
    barcode: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let barcode: Gtin = barcode
        .parse()
        .map_err(|e: domain::barcode::GtinError| ApiError::field("barcode", e.to_string()))?;
    let mut conn = rt.conn().await?;
    let view = store::find_sku_view(&mut conn, None, Some(&barcode))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no variant has barcode {barcode}")))?;
    Ok(respond(view, &caller))
}
