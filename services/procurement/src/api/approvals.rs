//! The approval policy (thresholds per currency, approval by rule) and what
//! follows a run's drafting: each order's first version, and its approval by
//! rule when the policy allows.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::Validator;
use domain::contracts::procurement::{
    ApprovalPolicyInput, ApprovalPolicyView, PurchaseOrderStatus as Status, PurchaseOrderView,
};
use platform::error::Problem;
use platform::http::{Json, check_version, etag, if_match};
use platform::{ApiError, Authorized, Runtime, audit};

use super::Planners;
use super::lifecycle::record;
use crate::domain::purchase_orders as rules;
use crate::store::lifecycle::{self, Stamp};

platform::access!(
    /// Who sets the approval policy.
    pub PolicyAdmins: [Admin, Finance]
);

/// The approval policy: thresholds per currency, and whether drafts within
/// them are approved by rule.
#[utoipa::path(
    get, path = "/v1/approval-policy", tag = "purchase-orders",
    responses((status = 200, body = ApprovalPolicyView, headers(("ETag" = String))))
)]
pub async fn policy(
    rt: web::Data<Runtime>,
    _caller: Authorized<Planners>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = rt.conn().await?;
    let view = lifecycle::policy(&mut conn, false).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(view.version)))
        .json(view))
}

/// Replace the approval policy (admin or finance).
#[utoipa::path(
    put, path = "/v1/approval-policy", tag = "purchase-orders",
    request_body = ApprovalPolicyInput,
    params(("If-Match" = Option<String>, Header, pattern = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$", description = "Replace only this version")),
    responses(
        (status = 200, body = ApprovalPolicyView, headers(("ETag" = String))),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A currency given twice", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_policy(
    rt: web::Data<Runtime>,
    caller: Authorized<PolicyAdmins>,
    req: HttpRequest,
    Json(input): Json<ApprovalPolicyInput>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let mut seen = std::collections::HashSet::new();
    for (i, t) in input.thresholds.iter().enumerate() {
        if !seen.insert(t.currency) {
            v.push(
                format!("thresholds[{i}].currency"),
                format!("{} is given twice", t.currency),
            );
        }
    }
    v.finish()?;
    let expected = if_match(&req)?;
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let before = lifecycle::policy(tx, true).await?;
            check_version(expected, before.version, "the policy")?;
            lifecycle::set_policy(tx, &input, &actor).await?;
            let after = lifecycle::policy(tx, false).await?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    entity_type: "approval_policy",
                    entity_id: "approval_policy",
                    action: "replaced",
                    before: Some(audit::snapshot(&before)),
                    after: Some(audit::snapshot(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(view.version)))
        .json(view))
}

/// Who approvals by rule are recorded as.
pub const AUTO_APPROVER: &str = "system:procurement.auto-approval";

/// What follows a run's drafting, in its transaction: each new order's
/// first version and audit entry, and its approval by rule when the policy
/// approves drafts within their currency's threshold.
pub async fn on_drafted(
    rt: &Runtime,
    tx: &mut platform::db::Conn,
    drafted: Vec<PurchaseOrderView>,
    actor: &str,
) -> Result<Vec<PurchaseOrderView>, ApiError> {
    let policy = lifecycle::policy(tx, false).await?;
    let mut out = Vec::with_capacity(drafted.len());
    for po in drafted {
        lifecycle::record_version(tx, &po, "drafted", actor, None).await?;
        audit::record(
            tx,
            actor,
            audit::Change {
                entity_type: "purchase_order",
                entity_id: &po.id.to_string(),
                action: "drafted",
                before: None,
                after: Some(audit::snapshot(&po)),
            },
        )
        .await?;
        let threshold = policy
            .thresholds
            .iter()
            .find(|t| t.currency == po.total.currency)
            .copied();
        if rules::auto_approves(policy.auto_approve_below, po.total, threshold) {
            lifecycle::set_status(tx, po.id, Status::Approved, AUTO_APPROVER, Stamp::Approved)
                .await?;
            out.push(record(rt, tx, po.id, &po, "auto_approved", AUTO_APPROVER, None).await?);
        } else {
            out.push(po);
        }
    }
    Ok(out)
}
