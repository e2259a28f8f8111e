//! How billing invoices: legal entities, each channel's billing settings,
//! tax rules and product tax categories. Every change is audited and wakes
//! the invoicer (a shipment may have waited for it).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::billing::{
    ChannelBillingInput, ChannelBillingView, LegalEntityInput, LegalEntityView, ProductTaxInput,
    ProductTaxView, TaxRuleInput, TaxRuleView,
};
use platform::error::Problem;
use platform::http::{Json, check_version, etag, if_match};
use platform::{ApiError, Authorized, Runtime, audit};

use super::{Accountants, Readers};
use crate::domain::settings::{
    check_category, check_country, check_entity_code, check_rate, validate_entity,
};
use crate::events::background::INVOICING_DUE;
use crate::store::settings;

pub(super) fn check_channel_id(v: &mut Validator, field: &str, channel_id: &str) {
    let ok = (1..=64).contains(&channel_id.len())
        && channel_id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase())
        && channel_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        v.push(
            field,
            "must be 1-64 of a-z, 0-9 and dashes, starting with a letter",
        );
    }
}

/// Create a legal entity, or replace its fields (`If-Match` optional).
#[utoipa::path(
    put, path = "/v1/legal-entities/{code}", tag = "settings",
    request_body = LegalEntityInput,
    params(
        ("code" = String, Path, pattern = "^[A-Z0-9][A-Z0-9-]{0,19}$"),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Replace only this version"),
    ),
    responses(
        (status = 201, description = "Created", body = LegalEntityView, headers(("ETag" = String))),
        (status = 200, description = "Replaced", body = LegalEntityView, headers(("ETag" = String))),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_entity(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    req: HttpRequest,
    code: web::Path<String>,
    Json(input): Json<LegalEntityInput>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    validate_entity(&code, &input)?;
    let expected = if_match(&req)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let (row, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let current = settings::entity(tx, &code, true).await?;
            if let Some(expected) = expected {
                let current = current.as_ref().ok_or_else(|| {
                    ApiError::NotFound(format!("legal entity {code} does not exist"))
                })?;
                check_version(Some(expected), current.version, "the legal entity")?;
            }
            let row = settings::upsert_entity(tx, &code, &input).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "legal_entity",
                    entity_id: &code,
                    action: if current.is_some() {
                        "replaced"
                    } else {
                        "created"
                    },
                    before: current.as_ref().map(|c| audit::snapshot(&c.view())),
                    after: Some(audit::snapshot(&row.view())),
                },
            )
            .await?;
            Ok((row, current.is_none()))
        })
        .await?;
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()))
}

/// Get a legal entity.
#[utoipa::path(
    get, path = "/v1/legal-entities/{code}", tag = "settings",
    params(("code" = String, Path, pattern = "^[A-Z0-9][A-Z0-9-]{0,19}$")),
    responses(
        (status = 200, body = LegalEntityView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_entity(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let row = settings::entity(&mut conn, &code, false)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("legal entity {code} does not exist")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()))
}

/// Set who invoices a channel's orders and how they are taxed (`If-Match`
/// optional). Shipments waiting for it are invoiced next.
#[utoipa::path(
    put, path = "/v1/channel-billing/{channel_id}", tag = "settings",
    request_body = ChannelBillingInput,
    params(
        ("channel_id" = String, Path, pattern = "^[a-z][a-z0-9-]{0,63}$"),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Replace only this version"),
    ),
    responses(
        (status = 201, description = "Created", body = ChannelBillingView, headers(("ETag" = String))),
        (status = 200, description = "Replaced", body = ChannelBillingView, headers(("ETag" = String))),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid, or the legal entity does not exist", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_channel(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    req: HttpRequest,
    channel_id: web::Path<String>,
    Json(input): Json<ChannelBillingInput>,
) -> Result<HttpResponse, ApiError> {
    let channel_id = channel_id.into_inner();
    let mut v = Validator::new();
    check_channel_id(&mut v, "channel_id", &channel_id);
    check_entity_code(&mut v, "legal_entity", &input.legal_entity);
    v.finish()?;
    let expected = if_match(&req)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let (row, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            if settings::entity(tx, &input.legal_entity, false)
                .await?
                .is_none()
            {
                return Err(ApiError::field(
                    "legal_entity",
                    format!("legal entity {} does not exist", input.legal_entity),
                ));
            }
            let current = settings::channel(tx, &channel_id, true).await?;
            if let Some(expected) = expected {
                let current = current.as_ref().ok_or_else(|| {
                    ApiError::NotFound(format!("channel {channel_id} has no billing settings"))
                })?;
                check_version(
                    Some(expected),
                    current.version,
                    "the channel's billing settings",
                )?;
            }
            let row = settings::upsert_channel(tx, &channel_id, &input).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "channel_billing",
                    entity_id: &channel_id,
                    action: if current.is_some() {
                        "replaced"
                    } else {
                        "created"
                    },
                    before: current
                        .as_ref()
                        .map(|c| c.view())
                        .transpose()?
                        .map(|v| audit::snapshot(&v)),
                    after: Some(audit::snapshot(&row.view()?)),
                },
            )
            .await?;
            Ok((row, current.is_none()))
        })
        .await?;
    rt.waker(INVOICING_DUE).notify_one();
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// Get a channel's billing settings.
#[utoipa::path(
    get, path = "/v1/channel-billing/{channel_id}", tag = "settings",
    params(("channel_id" = String, Path, pattern = "^[a-z][a-z0-9-]{0,63}$")),
    responses(
        (status = 200, body = ChannelBillingView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_channel(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    channel_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let row = settings::channel(&mut conn, &channel_id, false)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!("channel {channel_id} has no billing settings"))
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(row.view()?))
}

/// Set the rate of a tax category in a destination country. Shipments
/// waiting for it are invoiced next; issued invoices keep their rate.
#[utoipa::path(
    put, path = "/v1/tax-rules/{country}/{tax_category}", tag = "settings",
    request_body = TaxRuleInput,
    params(
        ("country" = String, Path, pattern = "^[A-Z]{2}$"),
        ("tax_category" = String, Path, pattern = "^[a-z][a-z0-9_]{0,31}$"),
    ),
    responses(
        (status = 200, body = TaxRuleView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_rule(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    path: web::Path<(String, String)>,
    Json(input): Json<TaxRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let (country, category) = path.into_inner();
    let mut v = Validator::new();
    check_country(&mut v, "country", &country);
    check_category(&mut v, "tax_category", &category);
    check_rate(&mut v, "rate", input.rate);
    v.finish()?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let current = settings::rule(tx, &country, &category).await?;
            let row =
                settings::upsert_rule(tx, &country, &category, input.rate.normalize()).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "tax_rule",
                    entity_id: &format!("{country}/{category}"),
                    action: if current.is_some() {
                        "replaced"
                    } else {
                        "created"
                    },
                    before: current.as_ref().map(|c| audit::snapshot(&c.view())),
                    after: Some(audit::snapshot(&row.view())),
                },
            )
            .await?;
            Ok(row)
        })
        .await?;
    rt.waker(INVOICING_DUE).notify_one();
    Ok(HttpResponse::Ok().json(row.view()))
}

/// Every tax rule, by country and category.
#[utoipa::path(
    get, path = "/v1/tax-rules", tag = "settings",
    responses((status = 200, body = Vec<TaxRuleView>))
)]
pub async fn list_rules(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let rows = settings::rules(&mut conn).await?;
    let views: Vec<TaxRuleView> = rows.iter().map(|r| r.view()).collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Set a product's tax category (a SKU without one is `standard`).
#[utoipa::path(
    put, path = "/v1/product-tax-categories/{sku}", tag = "settings",
    request_body = ProductTaxInput,
    params(("sku" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses(
        (status = 200, body = ProductTaxView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_product_tax(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    sku: web::Path<String>,
    Json(input): Json<ProductTaxInput>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    v.check("sku", sku.parse::<domain::Sku>());
    check_category(&mut v, "tax_category", &input.tax_category);
    v.finish()?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let current = settings::product_tax(tx, &sku).await?;
            let row = settings::upsert_product_tax(tx, &sku, &input.tax_category).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "product_tax_category",
                    entity_id: &sku,
                    action: if current.is_some() {
                        "replaced"
                    } else {
                        "created"
                    },
                    before: current.as_ref().map(|c| audit::snapshot(&c.view())),
                    after: Some(audit::snapshot(&row.view())),
                },
            )
            .await?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(row.view()))
}
