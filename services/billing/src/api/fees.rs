//! Channel fee schedules (effective-dated) and products' fee categories.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::billing::{
    FeeScheduleInput, FeeScheduleView, ProductFeeInput, ProductFeeView,
};
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime, audit};
use rust_decimal::Decimal;

use super::settings::check_channel_id;
use super::{Accountants, Readers};
use crate::domain::fees::Schedule;
use crate::domain::settings::{check_category, check_rate};
use crate::store::fees;

fn schedule_of(v: &mut Validator, input: &FeeScheduleInput) -> Schedule {
    check_rate(
        v,
        "default_commission_percent",
        input.default_commission_percent,
    );
    check_rate(v, "payment_percent", input.payment_percent);
    check_rate(v, "refund_admin_percent", input.refund_admin_percent);
    let mut commissions = std::collections::BTreeMap::new();
    for (category, rate) in &input.commission_percent_by_category {
        let field = format!("commission_percent_by_category.{category}");
        check_category(v, &field, category);
        match rate.parse::<Decimal>() {
            Ok(r) => {
                check_rate(v, &field, r);
                commissions.insert(category.clone(), r.normalize());
            }
            Err(_) => v.push(field, "must be a percentage, e.g. \"15\""),
        }
    }
    let fixed = [
        ("per_order_fee", Some(&input.per_order_fee)),
        (
            "per_unit_fulfillment_fee",
            Some(&input.per_unit_fulfillment_fee),
        ),
        ("payment_fixed_fee", Some(&input.payment_fixed_fee)),
        ("refund_admin_max_fee", input.refund_admin_max_fee.as_ref()),
    ];
    for (field, m) in fixed.into_iter().filter_map(|(f, m)| Some((f, m?))) {
        if m.currency != input.currency {
            v.push(
                field,
                format!("must be in the schedule's currency {}", input.currency),
            );
        }
        if m.amount.is_sign_negative() {
            v.push(field, "must not be negative");
        }
    }
    Schedule {
        currency: input.currency,
        default_commission: input.default_commission_percent.normalize(),
        commissions,
        per_order: input.per_order_fee.amount,
        per_unit_fulfillment: input.per_unit_fulfillment_fee.amount,
        payment_percent: input.payment_percent.normalize(),
        payment_fixed: input.payment_fixed_fee.amount,
        refund_admin_percent: input.refund_admin_percent.normalize(),
        refund_admin_max: input.refund_admin_max_fee.map(|m| m.amount),
    }
}

/// Set a channel's fee schedule from a day on: it applies to shipments from
/// that day until the next schedule's day. Shipments estimate their fees
/// with the schedule in force on their shipping day.
#[utoipa::path(
    put, path = "/v1/fee-schedules/{channel_id}/{effective_from}", tag = "fees",
    request_body = FeeScheduleInput,
    params(
        ("channel_id" = String, Path, pattern = "^[a-z][a-z0-9-]{0,63}$"),
        ("effective_from" = String, Path, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    ),
    responses(
        (status = 200, body = FeeScheduleView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    path: web::Path<(String, String)>,
    Json(input): Json<FeeScheduleInput>,
) -> Result<HttpResponse, ApiError> {
    let (channel_id, from) = path.into_inner();
    let mut v = Validator::new();
    check_channel_id(&mut v, "channel_id", &channel_id);
    let from = v.check("effective_from", from.parse::<NaiveDate>());
    let schedule = schedule_of(&mut v, &input);
    v.finish()?;
    let from = from.expect("checked");
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let current = fees::get(tx, &channel_id, from).await?;
            let row = fees::upsert(tx, &channel_id, from, &schedule).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "fee_schedule",
                    entity_id: &format!("{channel_id}/{from}"),
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
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(row.view()?))
}

/// A channel's fee schedules, oldest first.
#[utoipa::path(
    get, path = "/v1/fee-schedules/{channel_id}", tag = "fees",
    params(("channel_id" = String, Path, pattern = "^[a-z][a-z0-9-]{0,63}$")),
    responses(
        (status = 200, body = Vec<FeeScheduleView>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Readers>,
    channel_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    check_channel_id(&mut v, "channel_id", &channel_id);
    v.finish()?;
    let mut conn = rt.conn().await?;
    let rows = fees::list(&mut conn, &channel_id).await?;
    let views = rows
        .iter()
        .map(|r| r.view())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(views))
}

/// Set a product's fee category (which commission rate of a schedule its
/// sales pay; a SKU without one pays the default rate).
#[utoipa::path(
    put, path = "/v1/product-fee-categories/{sku}", tag = "fees",
    request_body = ProductFeeInput,
    params(("sku" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses(
        (status = 200, body = ProductFeeView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_product(
    rt: web::Data<Runtime>,
    caller: Authorized<Accountants>,
    sku: web::Path<String>,
    Json(input): Json<ProductFeeInput>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    v.check("sku", sku.parse::<domain::Sku>());
    check_category(&mut v, "fee_category", &input.fee_category);
    v.finish()?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let current = fees::product_fee(tx, &sku).await?;
            let row = fees::upsert_product_fee(tx, &sku, &input.fee_category).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "product_fee_category",
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
