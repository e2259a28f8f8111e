//! SLA policies per channel and priority (admins set them; agents read
//! them), and the tickets at risk of missing theirs.

use actix_web::{HttpResponse, web};
use chrono::{Duration, Utc};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::support::{
    AtRiskQuery, AtRiskView, SlaPolicyInput, SlaPolicyView, TicketPriority, Weekday,
};
use platform::error::Problem;
use platform::http::Json;
use platform::{ApiError, Authorized, Runtime, audit};

use super::{Admins, Agents, MAX_PAGE, TicketUsers};
use crate::domain::sla::{Calendar, format_hhmm, parse_hhmm};
use crate::store::sla::{self as store, DEFAULT_CHANNEL, PolicyRow};

fn view(row: &PolicyRow) -> Result<SlaPolicyView, ApiError> {
    let calendar = row.calendar()?;
    Ok(SlaPolicyView {
        channel: row.channel_id.clone(),
        priority: TicketPriority::parse(&row.priority).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("stored priority {}", row.priority))
        })?,
        first_response_minutes: row.first_response_seconds / 60,
        resolution_minutes: row.resolution_seconds / 60,
        working_days: calendar
            .working_days
            .iter()
            .filter_map(|d| Weekday::ALL.get(*d as usize - 1).copied())
            .collect(),
        opens: format_hhmm(calendar.opens_minute),
        closes: format_hhmm(calendar.closes_minute),
        holidays: calendar.holidays.iter().copied().collect(),
        time_zone: calendar.time_zone,
        updated_by: row.updated_by.clone(),
        updated_at: row.updated_at,
    })
}

/// Every SLA policy.
#[utoipa::path(
    get, path = "/v1/sla-policies", tag = "settings",
    responses((status = 200, body = Vec<SlaPolicyView>))
)]
pub async fn list(
    rt: web::Data<Runtime>,
    _caller: Authorized<Agents>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let views = store::policies(&mut conn)
        .await?
        .iter()
        .map(view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(views))
}

fn calendar_of(input: &SlaPolicyInput, v: &mut Validator) -> Calendar {
    let opens = parse_hhmm(&input.opens);
    let closes = parse_hhmm(&input.closes);
    if opens.is_none() || input.opens == "24:00" {
        v.push("opens", "must be HH:MM, 00:00 to 23:59");
    }
    if closes.is_none() {
        v.push("closes", "must be HH:MM, up to 24:00");
    }
    let mut days: Vec<u32> = input
        .working_days
        .iter()
        .map(|d| Weekday::ALL.iter().position(|w| w == d).unwrap_or(0) as u32 + 1)
        .collect();
    if input.working_days.len() > 7 {
        v.push("working_days", "at most 7 days");
    }
    days.sort();
    days.dedup();
    if input.holidays.len() > 400 {
        v.push("holidays", "at most 400 days");
    }
    let calendar = Calendar {
        time_zone: input.time_zone.clone(),
        working_days: days,
        opens_minute: opens.unwrap_or(0),
        closes_minute: closes.unwrap_or(24 * 60),
        holidays: input.holidays.iter().copied().collect(),
    };
    for (field, message) in calendar.problems() {
        v.push(field, message);
    }
    calendar
}

/// Set the SLA of a channel's tickets of a priority (`default`: channels
/// without their own): first response and resolution targets in business
/// minutes, and the business hours (time zone, working days, opening hours,
/// holidays). Applies to tickets created, or given this priority, from now on.
#[utoipa::path(
    put, path = "/v1/sla-policies/{channel}/{priority}", tag = "settings",
    request_body = SlaPolicyInput,
    params(
        ("channel" = String, Path, pattern = "^[a-z][a-z0-9-]{0,63}$", description = "A channel id, or default"),
        ("priority" = TicketPriority, Path),
    ),
    responses(
        (status = 200, body = SlaPolicyView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put(
    rt: web::Data<Runtime>,
    caller: Authorized<Admins>,
    path: web::Path<(String, String)>,
    Json(input): Json<SlaPolicyInput>,
) -> Result<HttpResponse, ApiError> {
    let (channel, priority) = path.into_inner();
    let mut v = Validator::new();
    if channel != DEFAULT_CHANNEL {
        v.check("channel", channel.parse::<domain::ChannelId>());
    }
    let priority = TicketPriority::parse(&priority);
    if priority.is_none() {
        v.push("priority", "must be low, normal, high or urgent");
    }
    for (field, minutes) in [
        ("first_response_minutes", input.first_response_minutes),
        ("resolution_minutes", input.resolution_minutes),
    ] {
        if !(1..=525_600).contains(&minutes) {
            v.push(field, "must be 1 to 525600 business minutes");
        }
    }
    if input.resolution_minutes < input.first_response_minutes {
        v.push(
            "resolution_minutes",
            "must not be shorter than first_response_minutes",
        );
    }
    let calendar = calendar_of(&input, &mut v);
    v.finish()?;
    let priority = priority.expect("validated");
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let before = store::policy(tx, &channel, priority.as_str()).await?;
            let row = store::put(
                tx,
                &channel,
                priority.as_str(),
                input.first_response_minutes * 60,
                input.resolution_minutes * 60,
                &calendar,
                &actor,
            )
            .await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "sla_policy",
                    entity_id: &format!("{channel}/{priority}"),
                    action: if before.is_some() {
                        "replaced"
                    } else {
                        "created"
                    },
                    before: before
                        .as_ref()
                        .map(view)
                        .transpose()?
                        .map(|v| audit::snapshot(&v)),
                    after: Some(audit::snapshot(&view(&row)?)),
                },
            )
            .await?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&row)?))
}

/// Tickets whose SLA falls due within `within_minutes` (default 60), and
/// those already breached, the soonest first.
#[utoipa::path(
    get, path = "/v1/tickets/at-risk", tag = "tickets",
    params(AtRiskQuery),
    responses(
        (status = 200, body = Vec<AtRiskView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn at_risk(
    rt: web::Data<Runtime>,
    caller: Authorized<TicketUsers>,
    query: web::Query<AtRiskQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let within = query.within_minutes.unwrap_or(60);
    if !(1..=10_080).contains(&within) {
        v.push("within_minutes", "must be 1 to 10080");
    }
    let limit = platform::http::page_limit(&mut v, query.limit, 100, MAX_PAGE);
    v.finish()?;
    let channel = caller.channel_filter(query.channel.as_deref(), "channel")?;
    let now = Utc::now();
    let mut conn = rt.conn().await?;
    let rows = store::at_risk(
        &mut conn,
        now + Duration::minutes(within),
        channel.as_ref().map(|c| c.as_str()),
        limit,
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (timer, due_at) = match (row.first_response_due_at, row.resolution_due_at) {
            (Some(f), Some(r)) if f <= r => ("first_response", f),
            (_, Some(r)) => ("resolution", r),
            (Some(f), None) => ("first_response", f),
            (None, None) => continue,
        };
        out.push(AtRiskView {
            timer: timer.into(),
            due_at,
            breached: due_at <= now,
            ticket: row.view()?,
        });
    }
    Ok(HttpResponse::Ok().json(out))
}
