//! Returns (RMA): a request from a customer's ticket, from ops, or pushed by
//! a marketplace with its channel token is decided by the channel's return
//! policy (`domain::returns`): refused naming its rule, authorised at once,
//! or left for a person (never the one who asked). An authorised return is
//! published as ReturnAuthorized; its saga's steps are kept per RMA.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::contracts::Page;
use domain::contracts::support::{
    ReturnCategoryInput, ReturnDecisionInput, ReturnInput, ReturnLabelPayer, ReturnListQuery,
    ReturnPolicyInput, ReturnPolicyView, ReturnReason, ReturnStatus, ReturnTermsView, ReturnView,
    ReturnWindowFrom,
};
use domain::{FieldError, Money, Validator};
use platform::db::Conn;
use platform::error::Problem;
use platform::http::Json;
use platform::idempotency::{self, IdempotencyKey};
use platform::{ApiError, Authorized, Caller, Runtime, audit};
use uuid::Uuid;

use super::{Admins, Agents, DEFAULT_PAGE, MAX_PAGE, TicketUsers};
use crate::domain::returns::{self, LineRequest, Payer, Policy, Reason, WindowFrom};
use crate::events::published;
use crate::store::returns::{self as store, DEFAULT_CHANNEL, NewReturn, ReturnRow};
use crate::store::{orders as order_store, tickets as ticket_store};

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("return {id} does not exist"))
}

/// The return if the caller may see it (a channel only its own).
fn visible(caller: &Caller, row: Option<ReturnRow>, id: Uuid) -> Result<ReturnRow, ApiError> {
    let row = row.ok_or_else(|| not_found(id))?;
    caller.require_channel(
        &row.channel_id,
        <TicketUsers as platform::auth::Access>::STAFF,
        || not_found(id),
    )?;
    Ok(row)
}

fn reason_of(r: ReturnReason) -> Reason {
    match r {
        ReturnReason::Damaged => Reason::Damaged,
        ReturnReason::WrongItem => Reason::WrongItem,
        ReturnReason::NotAsDescribed => Reason::NotAsDescribed,
        ReturnReason::NoLongerNeeded => Reason::NoLongerNeeded,
        ReturnReason::SizeOrFit => Reason::SizeOrFit,
        ReturnReason::Other => Reason::Other,
    }
}

/// A threshold applies only in the order's currency.
fn in_currency(m: &Option<Money>, currency: &str) -> Option<rust_decimal::Decimal> {
    m.as_ref()
        .filter(|m| m.currency.code() == currency)
        .map(|m| m.amount)
}

fn policy_of(p: &ReturnPolicyInput, currency: &str) -> Policy {
    Policy {
        window_days: p.window_days,
        window_from: match p.window_from {
            ReturnWindowFrom::Delivery => WindowFrom::Delivery,
            ReturnWindowFrom::Shipment => WindowFrom::Shipment,
        },
        non_returnable_categories: p.non_returnable_categories.clone(),
        restocking_fee_percent: p.restocking_fee_percent,
        return_shipping_paid_by: match p.return_shipping_paid_by {
            ReturnLabelPayer::Customer => Payer::Customer,
            ReturnLabelPayer::Merchant => Payer::Merchant,
        },
        return_label_fee: in_currency(&Some(p.return_label_fee), currency).unwrap_or_default(),
        returnless_below: in_currency(&p.returnless_below, currency),
        auto_approve_up_to: in_currency(&p.auto_approve_up_to, currency),
        return_location: p.return_location.clone(),
    }
}

fn money(amount: rust_decimal::Decimal, currency: &str) -> Result<Money, ApiError> {
    Money::parse(&amount.normalize().to_string(), currency).map_err(ApiError::internal)
}

async fn view_response(
    conn: &mut Conn,
    row: &ReturnRow,
    mut builder: actix_web::HttpResponseBuilder,
) -> Result<HttpResponse, ApiError> {
    let view = store::view(conn, row).await?;
    Ok(builder
        .insert_header((header::ETAG, platform::http::etag(view.version)))
        .json(view))
}

fn validate(input: &ReturnInput) -> Result<(), ApiError> {
    let mut v = Validator::new();
    let named = [
        input.order_id.is_some(),
        input.external_order_id.is_some(),
        input.ticket_id.is_some(),
    ];
    if !named.iter().any(|n| *n) {
        v.push(
            "order_id",
            "name the order: order_id, external_order_id or ticket_id",
        );
    }
    if input.order_id.is_some() && input.external_order_id.is_some() {
        v.push(
            "external_order_id",
            "name the order by order_id or by external_order_id, not both",
        );
    }
    if let Some(n) = &input.external_order_id {
        v.require_text("external_order_id", n, 100);
    }
    if let Some(n) = &input.external_return_id {
        v.require_text("external_return_id", n, 100);
    }
    if input.lines.is_empty() || input.lines.len() > 200 {
        v.push("lines", "1 to 200 lines");
    }
    for (i, l) in input.lines.iter().enumerate() {
        if l.line_no < 1 {
            v.push(format!("lines[{i}].line_no"), "must be 1 or more");
        }
        if !(1..=1_000_000).contains(&l.quantity) {
            v.push(format!("lines[{i}].quantity"), "must be 1 to 1000000");
        }
        if input.lines[..i].iter().any(|o| o.line_no == l.line_no) {
            v.push(format!("lines[{i}].line_no"), "names a line twice");
        }
    }
    Ok(v.finish()?)
}

/// Request a return. The channel's return policy decides it: refused (422,
/// each problem naming its rule), authorised at once (ReturnAuthorized), or
/// waiting for a person. A marketplace's retry with the same
/// external_return_id answers the first return.
#[utoipa::path(
    post, path = "/v1/returns", tag = "returns",
    request_body = ReturnInput,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body return the first response")),
    responses(
        (status = 201, description = "Authorised, or waiting for approval", body = ReturnView, headers(("Location" = String))),
        (status = 200, description = "This channel's return id was requested before: that return", body = ReturnView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by a rule of the policy (the rule named in each message), or invalid fields; nothing created", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    rt: web::Data<Runtime>,
    caller: Authorized<TicketUsers>,
    key: IdempotencyKey,
    Json(input): Json<ReturnInput>,
) -> Result<HttpResponse, ApiError> {
    validate(&input)?;
    let actor = caller.actor();
    let scope = format!("support.create-return:{actor}");
    let hash = idempotency::request_hash(&input);
    let now = Utc::now();
    let mut conn = rt.conn().await?;
    let (row, created) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            if let Some(key) = &key.0
                && let Some(id) = idempotency::claim::<Uuid>(tx, &scope, key, &hash).await?
            {
                let row = store::by_id(tx, id).await?.ok_or_else(|| not_found(id))?;
                return Ok((row, false));
            }
            // The order: named, or the ticket's.
            let ticket = match input.ticket_id {
                Some(id) => Some(super::tickets::visible(
                    &caller,
                    ticket_store::lock(tx, id).await?,
                    id,
                )?),
                None => None,
            };
            let order = match (input.order_id, input.external_order_id.as_deref(), &ticket) {
                (Some(id), _, _) => order_store::by_id(tx, id).await?,
                (None, Some(number), _) => {
                    let channel = caller.acting_channel(
                        input.channel_id.as_deref(),
                        "channel_id",
                        <Agents as platform::auth::Access>::STAFF,
                    )?;
                    order_store::by_number(tx, channel.as_str(), number.trim()).await?
                }
                (None, None, Some(t)) => match t.order_id {
                    Some(id) => order_store::by_id(tx, id).await?,
                    None => {
                        return Err(ApiError::field(
                            "ticket_id",
                            "the ticket is not linked to an order: name the order",
                        ));
                    }
                },
                (None, None, None) => unreachable!("validated"),
            };
            let field = if input.order_id.is_some() {
                "order_id"
            } else if input.external_order_id.is_some() {
                "external_order_id"
            } else {
                "ticket_id"
            };
            let Some(order) = order else {
                return Err(ApiError::field(field, "no such order is known"));
            };
            if caller
                .channel()
                .is_some_and(|c| c.as_str() != order.channel_id)
            {
                return Err(ApiError::field(field, "is not an order of this channel"));
            }
            // Under the order's lock, so a marketplace's concurrent retries
            // find each other's return instead of racing to insert it.
            store::lock_order(tx, order.order_id).await?;
            if let Some(ext) = input.external_return_id.as_deref()
                && let Some(existing) =
                    store::by_external(tx, &order.channel_id, ext.trim()).await?
            {
                return Ok((existing, false));
            }
            let facts = order_store::facts(tx, order.order_id)
                .await
                .map_err(ApiError::internal)?
                .expect("the order exists");
            let Some(currency) = order.currency.clone() else {
                return Err(ApiError::field(field, "the order carries no currency"));
            };
            let Some(policy_row) = store::policy_for(tx, &order.channel_id).await? else {
                return Err(ApiError::Validation(vec![FieldError::new(
                    field,
                    format!(
                        "no_policy: channel {} has no return policy (and there is no default)",
                        order.channel_id
                    ),
                )]));
            };
            let policy_input = policy_row.policy()?;
            let policy = policy_of(&policy_input, &currency);
            let returned = store::returned(tx, order.order_id).await?;
            let skus: Vec<String> = facts.lines.iter().map(|l| l.sku.clone()).collect();
            let categories = store::categories(tx, &skus).await?;
            let mut requests = Vec::new();
            let mut unknown = Vec::new();
            for (i, l) in input.lines.iter().enumerate() {
                match facts.lines.iter().find(|o| o.line_no == l.line_no) {
                    Some(o) => requests.push(LineRequest {
                        line_no: o.line_no,
                        sku: o.sku.clone(),
                        quantity: l.quantity,
                        shipped: o.shipped,
                        already_returned: returned.get(&o.line_no).copied().unwrap_or(0),
                        unit_price: o.unit_price.as_ref().map(|p| p.amount).unwrap_or_default(),
                        category: categories.get(&o.sku).cloned(),
                    }),
                    None => unknown.push(FieldError::new(
                        format!("lines[{i}].line_no"),
                        format!(
                            "order {} has no line {}",
                            order.external_order_id, l.line_no
                        ),
                    )),
                }
            }
            if !unknown.is_empty() {
                return Err(ApiError::Validation(unknown));
            }
            let Some(last) = facts.parcels.iter().max_by_key(|p| p.shipped_at) else {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "lines",
                    "not_shipped: nothing of the order has shipped: cancel it instead",
                )]));
            };
            let starts =
                returns::window_start(&policy, last.shipped_at, None, last.expected_delivery);
            let terms = returns::decide(
                &policy,
                reason_of(input.reason),
                &requests,
                starts,
                now.date_naive(),
            )
            .map_err(|refusals| {
                ApiError::Validation(
                    refusals
                        .into_iter()
                        .map(|r| FieldError::new(r.field, format!("{}: {}", r.rule, r.message)))
                        .collect(),
                )
            })?;
            let view_terms = ReturnTermsView {
                value: money(terms.value, &currency)?,
                restocking_fee: money(terms.restocking_fee, &currency)?,
                return_label_fee: money(terms.return_label_fee, &currency)?,
                refund: money(terms.refund, &currency)?,
                returnless: terms.returnless,
                label_paid_by: match terms.label_paid_by {
                    Payer::Customer => ReturnLabelPayer::Customer,
                    Payer::Merchant => ReturnLabelPayer::Merchant,
                },
                return_location: terms.return_location.clone(),
                window_ends: terms.window_ends,
                exchange_reservation: policy_input.exchange_reservation,
            };
            let status = if terms.auto_approved {
                ReturnStatus::Authorized
            } else {
                ReturnStatus::PendingApproval
            };
            let authorized_by = terms.auto_approved.then_some("system:return-policy");
            let row = store::insert(
                tx,
                &NewReturn {
                    id: Uuid::now_v7(),
                    order_id: order.order_id,
                    channel_id: &order.channel_id,
                    external_order_id: &order.external_order_id,
                    ticket_id: ticket.as_ref().map(|t| t.id),
                    external_return_id: input.external_return_id.as_deref().map(str::trim),
                    status,
                    reason: input.reason,
                    resolution: input.resolution,
                    currency: &currency,
                    terms: &view_terms,
                    auto_approved: terms.auto_approved,
                    requested_by: &actor,
                    authorized_by,
                    at: now,
                },
            )
            .await?;
            for l in &requests {
                store::insert_line(
                    tx,
                    row.id,
                    order.order_id,
                    l.line_no,
                    &l.sku,
                    l.quantity,
                    l.unit_price,
                )
                .await?;
            }
            store::add_step(
                tx,
                row.id,
                "requested",
                "done",
                Some(&format!("by {actor}")),
                now,
            )
            .await?;
            if terms.auto_approved {
                authorized(&rt, tx, &row, "system:return-policy", now).await?;
            } else {
                store::add_step(
                    tx,
                    row.id,
                    "approval",
                    "waiting",
                    Some("above the auto-approval value"),
                    now,
                )
                .await?;
            }
            if let Some(t) = &ticket {
                note_on_ticket(tx, t, &row, &view_terms, now).await?;
            }
            let after = audit::snapshot(&store::view(tx, &row).await?);
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "return",
                    entity_id: &row.id.to_string(),
                    action: "requested",
                    before: None,
                    after: Some(after),
                },
            )
            .await?;
            if let Some(key) = &key.0 {
                idempotency::record(tx, &scope, key, 201, &row.id).await?;
            }
            Ok((row, true))
        })
        .await?;
    if created {
        rt.outbox.notify();
    }
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    builder.insert_header((header::LOCATION, format!("/v1/returns/{}", row.id)));
    view_response(&mut conn, &row, builder).await
}

/// Publishes the authorisation and records the step.
async fn authorized(
    rt: &Runtime,
    conn: &mut Conn,
    row: &ReturnRow,
    by: &str,
    at: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    let view = store::view(conn, row).await?;
    published::return_authorized(&rt.outbox, conn, &view, by, at).await?;
    let next = if view.terms.returnless {
        "returnless: the customer keeps the goods; billing refunds".to_string()
    } else {
        format!("expected at {}", view.terms.return_location)
    };
    store::add_step(
        conn,
        row.id,
        "authorized",
        "done",
        Some(&format!("by {by}; {next}")),
        at,
    )
    .await?;
    Ok(())
}

/// Tells the agents on the customer's ticket what became of the request.
async fn note_on_ticket(
    conn: &mut Conn,
    ticket: &crate::store::tickets::TicketRow,
    row: &ReturnRow,
    terms: &ReturnTermsView,
    at: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    let body = format!(
        "{} {}: refund {} {} (restocking fee {}, label {}){}.",
        row.number,
        row.status.replace('_', " "),
        terms.refund.amount,
        terms.refund.currency,
        terms.restocking_fee.amount,
        terms.return_label_fee.amount,
        if terms.returnless { ", returnless" } else { "" }
    );
    ticket_store::append(
        conn,
        ticket.id,
        &ticket_store::NewMessage {
            kind: domain::contracts::support::MessageKind::Note,
            author: "system:returns",
            body: &body,
            message_id: None,
            created_at: at,
        },
    )
    .await?;
    Ok(())
}

/// A return with its lines, terms and saga steps.
#[utoipa::path(
    get, path = "/v1/returns/{id}", tag = "returns",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ReturnView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    rt: web::Data<Runtime>,
    caller: Authorized<TicketUsers>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = rt.conn().await?;
    let row = visible(&caller, store::by_id(&mut conn, id).await?, id)?;
    view_response(&mut conn, &row, HttpResponse::Ok()).await
}

/// Returns, newest first; a channel token sees its own channel's.
#[utoipa::path(
    get, path = "/v1/returns", tag = "returns",
    params(ReturnListQuery),
    responses(
        (status = 200, body = Page<ReturnView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    rt: web::Data<Runtime>,
    caller: Authorized<TicketUsers>,
    query: web::Query<ReturnListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let limit = platform::http::page_limit(&mut v, query.limit, DEFAULT_PAGE, MAX_PAGE);
    v.finish()?;
    let channel = caller.channel_filter(query.channel.as_deref(), "channel")?;
    let mut conn = rt.conn().await?;
    let rows = store::list(
        &mut conn,
        &store::Filter {
            order_id: query.order_id,
            status: query.status,
            channel: channel.as_ref().map(|c| c.as_str()),
            before: query.cursor,
            limit,
        },
    )
    .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in &rows {
        views.push(store::view(&mut conn, row).await?);
    }
    Ok(HttpResponse::Ok().json(Page::list(views, limit, |r| r.id.to_string())))
}

/// Authorise or reject a return waiting for approval. The person who
/// requested it can't decide it.
#[utoipa::path(
    post, path = "/v1/returns/{id}/decision", tag = "returns",
    request_body = ReturnDecisionInput,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ReturnView),
        (status = 403, description = "The requester can't decide their own request", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not waiting for approval", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decide(
    rt: web::Data<Runtime>,
    caller: Authorized<Agents>,
    id: web::Path<Uuid>,
    Json(input): Json<ReturnDecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if let Some(note) = &input.note {
        let mut v = Validator::new();
        v.require_text("note", note, 1000);
        v.finish()?;
    }
    let actor = caller.actor();
    let now = Utc::now();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let row = store::lock(tx, id).await?.ok_or_else(|| not_found(id))?;
            if row.status()? != ReturnStatus::PendingApproval {
                return Err(ApiError::Conflict(format!(
                    "{} is {}, not waiting for approval",
                    row.number, row.status
                )));
            }
            if row.requested_by == actor {
                return Err(ApiError::Forbidden(
                    "a return is decided by someone other than who requested it".into(),
                ));
            }
            let (status, step) = if input.approve {
                (ReturnStatus::Authorized, "approved")
            } else {
                (ReturnStatus::Rejected, "rejected")
            };
            let updated =
                store::decide(tx, id, status, input.approve.then_some(actor.as_str()), now).await?;
            let detail = match &input.note {
                Some(n) => format!("by {actor}: {}", n.trim()),
                None => format!("by {actor}"),
            };
            store::add_step(tx, id, "approval", step, Some(&detail), now).await?;
            if input.approve {
                authorized(&rt, tx, &updated, &actor, now).await?;
            }
            let before = audit::snapshot(&store::view(tx, &row).await?);
            let after = audit::snapshot(&store::view(tx, &updated).await?);
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "return",
                    entity_id: &id.to_string(),
                    action: step,
                    before: Some(before),
                    after: Some(after),
                },
            )
            .await?;
            Ok(updated)
        })
        .await?;
    rt.outbox.notify();
    view_response(&mut conn, &row, HttpResponse::Ok()).await
}

fn validate_policy(p: &ReturnPolicyInput) -> Result<(), ApiError> {
    let mut v = Validator::new();
    if !(0..=365).contains(&p.window_days) {
        v.push("window_days", "must be 0 to 365");
    }
    if p.restocking_fee_percent.is_sign_negative()
        || p.restocking_fee_percent > rust_decimal::Decimal::from(100)
    {
        v.push("restocking_fee_percent", "must be 0 to 100");
    }
    if p.restocking_fee_percent.normalize().scale() > 2 {
        v.push("restocking_fee_percent", "at most 2 decimals");
    }
    if let Err(e) = p
        .return_label_fee
        .validated()
        .and_then(|m| m.non_negative())
    {
        v.push("return_label_fee", e.to_string());
    }
    for (field, m) in [
        ("returnless_below", &p.returnless_below),
        ("auto_approve_up_to", &p.auto_approve_up_to),
    ] {
        if let Some(m) = m
            && let Err(e) = (*m).validated().and_then(|m| m.non_negative())
        {
            v.push(field, e.to_string());
        }
    }
    if p.non_returnable_categories.len() > 100 {
        v.push("non_returnable_categories", "at most 100");
    }
    for (i, c) in p.non_returnable_categories.iter().enumerate() {
        v.require_text(&format!("non_returnable_categories[{i}]"), c, 64);
    }
    let location_ok = !p.return_location.is_empty()
        && p.return_location.len() <= 40
        && p.return_location
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && !p.return_location.starts_with('-');
    if !location_ok {
        v.push(
            "return_location",
            "must be a location code: A-Z, 0-9 and dashes",
        );
    }
    Ok(v.finish()?)
}

fn policy_view(row: &store::PolicyRow) -> Result<ReturnPolicyView, ApiError> {
    Ok(ReturnPolicyView {
        channel: row.channel_id.clone(),
        policy: row.policy()?,
        updated_by: row.updated_by.clone(),
        updated_at: row.updated_at,
    })
}

/// Every return policy.
#[utoipa::path(
    get, path = "/v1/return-policies", tag = "settings",
    responses((status = 200, body = Vec<ReturnPolicyView>))
)]
pub async fn policies(
    rt: web::Data<Runtime>,
    _caller: Authorized<Agents>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let views = store::policies(&mut conn)
        .await?
        .iter()
        .map(policy_view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(views))
}

/// Set a channel's return policy (`default`: channels without their own).
/// Applies to returns requested from now on.
#[utoipa::path(
    put, path = "/v1/return-policies/{channel}", tag = "settings",
    request_body = ReturnPolicyInput,
    params(("channel" = String, Path, pattern = "^[a-z][a-z0-9-]{0,63}$", description = "A channel id, or default")),
    responses(
        (status = 200, body = ReturnPolicyView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_policy(
    rt: web::Data<Runtime>,
    caller: Authorized<Admins>,
    channel: web::Path<String>,
    Json(input): Json<ReturnPolicyInput>,
) -> Result<HttpResponse, ApiError> {
    let channel = channel.into_inner();
    if channel != DEFAULT_CHANNEL {
        let mut v = Validator::new();
        v.check("channel", channel.parse::<domain::ChannelId>());
        v.finish()?;
    }
    validate_policy(&input)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let before = store::policy_of(tx, &channel).await?;
            let row = store::put_policy(tx, &channel, &input, &actor).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "return_policy",
                    entity_id: &channel,
                    action: if before.is_some() {
                        "replaced"
                    } else {
                        "created"
                    },
                    before: before
                        .as_ref()
                        .map(policy_view)
                        .transpose()?
                        .map(|v| audit::snapshot(&v)),
                    after: Some(audit::snapshot(&policy_view(&row)?)),
                },
            )
            .await?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(policy_view(&row)?))
}

/// Set a SKU's return category (what policies' non-returnable categories name).
#[utoipa::path(
    put, path = "/v1/return-categories/{sku}", tag = "settings",
    request_body = ReturnCategoryInput,
    params(("sku" = domain::Sku, Path)),
    responses(
        (status = 204, description = "Set"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_category(
    rt: web::Data<Runtime>,
    caller: Authorized<Admins>,
    sku: web::Path<String>,
    Json(input): Json<ReturnCategoryInput>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let sku = v.check("sku", sku.parse::<domain::Sku>());
    let category = input.category.trim();
    let ok = !category.is_empty()
        && category.len() <= 64
        && category.starts_with(|c: char| c.is_ascii_lowercase())
        && category
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok {
        v.push(
            "category",
            "must be lower-case letters, digits, _ and - (starting with a letter)",
        );
    }
    v.finish()?;
    let sku = sku.expect("validated").to_string();
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    conn.transaction::<_, ApiError, _>(async |tx| {
        store::put_category(tx, &sku, category).await?;
        audit::record(
            tx,
            &actor,
            audit::Change {
                entity_type: "return_category",
                entity_id: &sku,
                action: "set",
                before: None,
                after: Some(serde_json::json!({ "category": category })),
            },
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
