//! Every route of every service, called with every kind of token: none, a
//! malformed one, one carrying both staff roles and a channel, each staff
//! role, the route's own channel and a foreign channel. The table below is
//! the access policy; the test fails when a service answers otherwise, when a
//! route is served that the table does not list, or when the table lists a
//! route that is not served.
//!
//! Access is checked before the request's body or query is read, so a caller
//! without access gets 403 whatever it sent (bodies here are `{}`).

use std::collections::BTreeSet;

use platform::Role;
use platform::testing::{TEST_SECRET, channel_token, token};
use reqwest::{Method, StatusCode};
use scenarios::Stack;
use serde_json::Value;

use Role::{Admin, Approver, Buyer, Finance, Ops, Support, Warehouse};

/// Who may call a route: staff roles, and whether channel tokens may.
struct Rule {
    staff: &'static [Role],
    channels: bool,
}

const ANY_STAFF: &[Role] = &Role::ALL;
const ADMIN_OPS: &[Role] = &[Admin, Ops];

const fn staff(staff: &'static [Role]) -> Rule {
    Rule {
        staff,
        channels: false,
    }
}
const fn staff_or_channel(staff: &'static [Role]) -> Rule {
    Rule {
        staff,
        channels: true,
    }
}

/// (service, method, path, rule)
fn policy() -> Vec<(&'static str, &'static str, &'static str, Rule)> {
    let order_readers: &'static [Role] = &[Admin, Ops, Support, Finance, Warehouse];
    let floor: &'static [Role] = &[Admin, Ops, Warehouse];
    let floor_readers: &'static [Role] = &[Admin, Ops, Warehouse, Support];
    let buyers: &'static [Role] = &[Admin, Buyer];
    let planners: &'static [Role] = &[Admin, Ops, Buyer, Finance];
    let accountants: &'static [Role] = &[Admin, Finance];
    let billing_readers: &'static [Role] = &[Admin, Finance, Ops];
    let agents: &'static [Role] = &[Admin, Support, Ops];
    vec![
        // catalog: anyone reads (channels their own listings); admin and ops write.
        (
            "catalog",
            "GET",
            "/v1/products",
            staff_or_channel(ANY_STAFF),
        ),
        ("catalog", "POST", "/v1/products", staff(ADMIN_OPS)),
        (
            "catalog",
            "GET",
            "/v1/products/{id}",
            staff_or_channel(ANY_STAFF),
        ),
        ("catalog", "PUT", "/v1/products/{id}", staff(ADMIN_OPS)),
        (
            "catalog",
            "POST",
            "/v1/products/{id}/archive",
            staff(ADMIN_OPS),
        ),
        (
            "catalog",
            "GET",
            "/v1/products/{id}/price-history",
            staff_or_channel(ANY_STAFF),
        ),
        (
            "catalog",
            "PUT",
            "/v1/products/{id}/variants/{sku}/listings/{channel_id}",
            staff(ADMIN_OPS),
        ),
        (
            "catalog",
            "GET",
            "/v1/skus/{sku}",
            staff_or_channel(ANY_STAFF),
        ),
        (
            "catalog",
            "GET",
            "/v1/barcodes/{barcode}",
            staff_or_channel(ANY_STAFF),
        ),
        // orders
        ("orders", "GET", "/v1/channels", staff(order_readers)),
        (
            "orders",
            "GET",
            "/v1/channels/{id}",
            staff_or_channel(order_readers),
        ),
        ("orders", "PUT", "/v1/channels/{id}", staff(ADMIN_OPS)),
        (
            "orders",
            "GET",
            "/v1/channels/{id}/updates",
            staff_or_channel(order_readers),
        ),
        (
            "orders",
            "GET",
            "/v1/channels/{id}/webhook-deliveries",
            staff_or_channel(&[Admin, Ops, Support]),
        ),
        (
            "orders",
            "GET",
            "/v1/exceptions",
            staff(&[Admin, Ops, Support]),
        ),
        (
            "orders",
            "GET",
            "/v1/orders",
            staff_or_channel(order_readers),
        ),
        ("orders", "POST", "/v1/orders", staff_or_channel(ADMIN_OPS)),
        (
            "orders",
            "GET",
            "/v1/orders/{id}",
            staff_or_channel(order_readers),
        ),
        (
            "orders",
            "GET",
            "/v1/orders/{id}/history",
            staff_or_channel(order_readers),
        ),
        (
            "orders",
            "POST",
            "/v1/orders/{id}/cancel",
            staff_or_channel(&[Admin, Ops, Support]),
        ),
        (
            "orders",
            "POST",
            "/v1/orders/{id}/payment",
            staff_or_channel(&[Admin, Ops, Finance]),
        ),
        (
            "orders",
            "POST",
            "/v1/orders/{id}/release",
            staff(ADMIN_OPS),
        ),
        (
            "orders",
            "POST",
            "/v1/orders/{id}/retry-reservation",
            staff(ADMIN_OPS),
        ),
        // inventory
        ("inventory", "POST", "/v1/adjustments", staff(floor)),
        (
            "inventory",
            "GET",
            "/v1/availability",
            staff_or_channel(ANY_STAFF),
        ),
        (
            "inventory",
            "GET",
            "/v1/availability/changes",
            staff_or_channel(ANY_STAFF),
        ),
        (
            "inventory",
            "POST",
            "/v1/holds",
            staff_or_channel(ANY_STAFF),
        ),
        (
            "inventory",
            "GET",
            "/v1/holds/{id}",
            staff_or_channel(ANY_STAFF),
        ),
        (
            "inventory",
            "DELETE",
            "/v1/holds/{id}",
            staff_or_channel(ANY_STAFF),
        ),
        ("inventory", "GET", "/v1/locations", staff(ANY_STAFF)),
        ("inventory", "GET", "/v1/locations/{code}", staff(ANY_STAFF)),
        ("inventory", "PUT", "/v1/locations/{code}", staff(ADMIN_OPS)),
        ("inventory", "GET", "/v1/movements", staff(ANY_STAFF)),
        (
            "inventory",
            "GET",
            "/v1/reservations/{order_id}",
            staff(ANY_STAFF),
        ),
        ("inventory", "GET", "/v1/stock/{sku}", staff(ANY_STAFF)),
        // warehouse: staff only; the floor works, ops plan, support reads.
        ("warehouse", "GET", "/v1/exceptions", staff(floor_readers)),
        (
            "warehouse",
            "POST",
            "/v1/exceptions/{id}/resolve",
            staff(ADMIN_OPS),
        ),
        ("warehouse", "GET", "/v1/fulfillments", staff(floor_readers)),
        (
            "warehouse",
            "GET",
            "/v1/fulfillments/at-risk",
            staff(floor_readers),
        ),
        (
            "warehouse",
            "GET",
            "/v1/fulfillments/{id}",
            staff(floor_readers),
        ),
        (
            "warehouse",
            "GET",
            "/v1/fulfillments/{id}/history",
            staff(floor_readers),
        ),
        (
            "warehouse",
            "POST",
            "/v1/fulfillments/{id}/packages",
            staff(floor),
        ),
        (
            "warehouse",
            "POST",
            "/v1/fulfillments/{id}/pick",
            staff(ADMIN_OPS),
        ),
        (
            "warehouse",
            "GET",
            "/v1/locations/{location}/bins",
            staff(floor_readers),
        ),
        (
            "warehouse",
            "GET",
            "/v1/locations/{location}/bins/{code}",
            staff(floor_readers),
        ),
        (
            "warehouse",
            "PUT",
            "/v1/locations/{location}/bins/{code}",
            staff(ADMIN_OPS),
        ),
        (
            "warehouse",
            "GET",
            "/v1/packages/{id}",
            staff(floor_readers),
        ),
        ("warehouse", "POST", "/v1/packages/{id}/close", staff(floor)),
        ("warehouse", "POST", "/v1/packages/{id}/items", staff(floor)),
        (
            "warehouse",
            "POST",
            "/v1/packages/{id}/quality-check",
            staff(floor),
        ),
        ("warehouse", "POST", "/v1/packages/{id}/ship", staff(floor)),
        (
            "warehouse",
            "GET",
            "/v1/pick-lists/{id}",
            staff(floor_readers),
        ),
        (
            "warehouse",
            "POST",
            "/v1/pick-tasks/{id}/scans",
            staff(floor),
        ),
        (
            "warehouse",
            "POST",
            "/v1/pick-tasks/{id}/short",
            staff(floor),
        ),
        (
            "warehouse",
            "GET",
            "/v1/quality-rules",
            staff(floor_readers),
        ),
        ("warehouse", "POST", "/v1/quality-rules", staff(ADMIN_OPS)),
        (
            "warehouse",
            "DELETE",
            "/v1/quality-rules/{id}",
            staff(ADMIN_OPS),
        ),
        (
            "warehouse",
            "GET",
            "/v1/reports/lead-times",
            staff(floor_readers),
        ),
        (
            "warehouse",
            "GET",
            "/v1/service-levels/{channel_id}",
            staff(floor_readers),
        ),
        (
            "warehouse",
            "PUT",
            "/v1/service-levels/{channel_id}",
            staff(ADMIN_OPS),
        ),
        ("warehouse", "POST", "/v1/waves", staff(ADMIN_OPS)),
        (
            "warehouse",
            "GET",
            "/v1/inbound-orders",
            staff(floor_readers),
        ),
        ("warehouse", "GET", "/v1/returns", staff(floor_readers)),
        ("warehouse", "GET", "/v1/returns/{id}", staff(floor_readers)),
        ("warehouse", "POST", "/v1/returns/{id}/scans", staff(floor)),
        (
            "warehouse",
            "POST",
            "/v1/returns/{id}/inspection",
            staff(floor),
        ),
        ("warehouse", "POST", "/v1/receipts", staff(floor)),
        (
            "warehouse",
            "GET",
            "/v1/receipts/{id}",
            staff(floor_readers),
        ),
        ("warehouse", "POST", "/v1/receipts/{id}/scans", staff(floor)),
        (
            "warehouse",
            "POST",
            "/v1/receipts/{id}/complete",
            staff(floor),
        ),
        (
            "warehouse",
            "GET",
            "/v1/receiving-policy",
            staff(floor_readers),
        ),
        ("warehouse", "PUT", "/v1/receiving-policy", staff(ADMIN_OPS)),
        ("warehouse", "GET", "/v1/waves/{id}", staff(floor_readers)),
        // procurement: buyers plan; planning staff read. No channel access.
        ("procurement", "POST", "/v1/demand-history", staff(buyers)),
        ("procurement", "GET", "/v1/demand/{sku}", staff(planners)),
        ("procurement", "GET", "/v1/forecasts/{sku}", staff(planners)),
        (
            "procurement",
            "GET",
            "/v1/forecast-settings",
            staff(planners),
        ),
        ("procurement", "PUT", "/v1/forecast-settings", staff(buyers)),
        ("procurement", "GET", "/v1/suppliers", staff(planners)),
        ("procurement", "GET", "/v1/reorder-rules", staff(planners)),
        (
            "procurement",
            "GET",
            "/v1/reorder-rules/{sku}/{location}",
            staff(planners),
        ),
        (
            "procurement",
            "PUT",
            "/v1/reorder-rules/{sku}/{location}",
            staff(buyers),
        ),
        (
            "procurement",
            "POST",
            "/v1/replenishment-runs",
            staff(buyers),
        ),
        ("procurement", "GET", "/v1/purchase-orders", staff(planners)),
        (
            "procurement",
            "GET",
            "/v1/purchase-orders/{id}",
            staff(planners),
        ),
        (
            "procurement",
            "POST",
            "/v1/purchase-orders/{id}/approve",
            staff(&[Admin, Buyer, Approver]),
        ),
        (
            "procurement",
            "POST",
            "/v1/purchase-orders/{id}/send",
            staff(buyers),
        ),
        (
            "procurement",
            "POST",
            "/v1/purchase-orders/{id}/cancel",
            staff(buyers),
        ),
        (
            "procurement",
            "POST",
            "/v1/purchase-orders/{id}/close",
            staff(buyers),
        ),
        (
            "procurement",
            "POST",
            "/v1/purchase-orders/{id}/amendments",
            staff(buyers),
        ),
        (
            "procurement",
            "POST",
            "/v1/purchase-orders/{id}/charges",
            staff(buyers),
        ),
        (
            "procurement",
            "GET",
            "/v1/purchase-orders/{id}/history",
            staff(planners),
        ),
        ("procurement", "GET", "/v1/approval-policy", staff(planners)),
        (
            "procurement",
            "PUT",
            "/v1/approval-policy",
            staff(&[Admin, Finance]),
        ),
        (
            "procurement",
            "GET",
            "/v1/suppliers/{code}/scorecard",
            staff(planners),
        ),
        (
            "procurement",
            "GET",
            "/v1/suppliers/{code}",
            staff(planners),
        ),
        ("procurement", "PUT", "/v1/suppliers/{code}", staff(buyers)),
        (
            "procurement",
            "GET",
            "/v1/suppliers/{code}/products",
            staff(planners),
        ),
        (
            "procurement",
            "GET",
            "/v1/suppliers/{code}/products/{sku}",
            staff(planners),
        ),
        (
            "procurement",
            "PUT",
            "/v1/suppliers/{code}/products/{sku}",
            staff(buyers),
        ),
        // billing: finance keeps the books; ops read documents. No channel access.
        ("billing", "GET", "/v1/invoices", staff(billing_readers)),
        (
            "billing",
            "GET",
            "/v1/invoices/{id}",
            staff(billing_readers),
        ),
        ("billing", "PATCH", "/v1/invoices/{id}", staff(accountants)),
        (
            "billing",
            "GET",
            "/v1/invoices/{id}/ubl",
            staff(billing_readers),
        ),
        (
            "billing",
            "POST",
            "/v1/invoices/{id}/credit-notes",
            staff(accountants),
        ),
        (
            "billing",
            "GET",
            "/v1/pending-shipments",
            staff(billing_readers),
        ),
        (
            "billing",
            "GET",
            "/v1/legal-entities/{code}",
            staff(billing_readers),
        ),
        (
            "billing",
            "PUT",
            "/v1/legal-entities/{code}",
            staff(accountants),
        ),
        (
            "billing",
            "GET",
            "/v1/channel-billing/{channel_id}",
            staff(billing_readers),
        ),
        (
            "billing",
            "PUT",
            "/v1/channel-billing/{channel_id}",
            staff(accountants),
        ),
        ("billing", "GET", "/v1/tax-rules", staff(billing_readers)),
        (
            "billing",
            "PUT",
            "/v1/tax-rules/{country}/{tax_category}",
            staff(accountants),
        ),
        (
            "billing",
            "PUT",
            "/v1/product-tax-categories/{sku}",
            staff(accountants),
        ),
        (
            "billing",
            "GET",
            "/v1/fee-schedules/{channel_id}",
            staff(billing_readers),
        ),
        (
            "billing",
            "PUT",
            "/v1/fee-schedules/{channel_id}/{effective_from}",
            staff(accountants),
        ),
        (
            "billing",
            "PUT",
            "/v1/product-fee-categories/{sku}",
            staff(accountants),
        ),
        ("billing", "POST", "/v1/settlements", staff(accountants)),
        (
            "billing",
            "GET",
            "/v1/settlements/{channel_id}/{settlement_id}",
            staff(accountants),
        ),
        (
            "billing",
            "GET",
            "/v1/settlement-exceptions",
            staff(accountants),
        ),
        (
            "billing",
            "POST",
            "/v1/settlement-exceptions/{id}/match",
            staff(accountants),
        ),
        (
            "billing",
            "POST",
            "/v1/settlement-exceptions/{id}/write-off",
            staff(accountants),
        ),
        ("billing", "POST", "/v1/bank-statements", staff(accountants)),
        ("billing", "GET", "/v1/bank-lines", staff(accountants)),
        ("billing", "POST", "/v1/supplier-bills", staff(accountants)),
        ("billing", "GET", "/v1/supplier-bills", staff(accountants)),
        (
            "billing",
            "GET",
            "/v1/supplier-bills/{id}",
            staff(accountants),
        ),
        (
            "billing",
            "POST",
            "/v1/supplier-bills/{id}/approve",
            staff(accountants),
        ),
        (
            "billing",
            "POST",
            "/v1/supplier-bills/{id}/reject",
            staff(accountants),
        ),
        ("billing", "GET", "/v1/bill-tolerances", staff(accountants)),
        (
            "billing",
            "PUT",
            "/v1/bill-tolerances/{currency}",
            staff(accountants),
        ),
        ("billing", "GET", "/v1/refunds", staff(billing_readers)),
        (
            "billing",
            "GET",
            "/v1/refunds/{return_id}",
            staff(billing_readers),
        ),
        (
            "billing",
            "POST",
            "/v1/refunds/{return_id}/approve",
            staff(accountants),
        ),
        (
            "billing",
            "POST",
            "/v1/refunds/{return_id}/reject",
            staff(accountants),
        ),
        (
            "billing",
            "POST",
            "/v1/refunds/{return_id}/retry",
            staff(accountants),
        ),
        (
            "billing",
            "GET",
            "/v1/refund-approval-limits",
            staff(billing_readers),
        ),
        (
            "billing",
            "PUT",
            "/v1/refund-approval-limits/{currency}",
            staff(accountants),
        ),
        ("billing", "GET", "/v1/margin", staff(billing_readers)),
        (
            "billing",
            "GET",
            "/v1/margin/export",
            staff(billing_readers),
        ),
        ("billing", "GET", "/v1/accounts", staff(accountants)),
        ("billing", "GET", "/v1/journal-entries", staff(accountants)),
        ("billing", "POST", "/v1/journal-entries", staff(accountants)),
        ("billing", "GET", "/v1/trial-balance", staff(accountants)),
        ("billing", "GET", "/v1/periods", staff(accountants)),
        (
            "billing",
            "POST",
            "/v1/periods/{period}/close",
            staff(accountants),
        ),
        // support: agents work tickets (channels their own); the email
        // gateway posts mail with a support token; admins set auto-replies.
        ("support", "POST", "/v1/tickets", staff_or_channel(agents)),
        ("support", "GET", "/v1/tickets", staff_or_channel(agents)),
        (
            "support",
            "GET",
            "/v1/tickets/{id}",
            staff_or_channel(agents),
        ),
        ("support", "PATCH", "/v1/tickets/{id}", staff(agents)),
        (
            "support",
            "POST",
            "/v1/tickets/{id}/messages",
            staff_or_channel(agents),
        ),
        (
            "support",
            "POST",
            "/v1/tickets/{id}/attachments",
            staff_or_channel(agents),
        ),
        (
            "support",
            "GET",
            "/v1/tickets/{id}/attachments/{sha256}",
            staff_or_channel(agents),
        ),
        (
            "support",
            "POST",
            "/v1/inbound-email",
            staff(&[Admin, Support]),
        ),
        ("support", "GET", "/v1/auto-replies", staff(agents)),
        (
            "support",
            "PUT",
            "/v1/auto-replies/{category}",
            staff(&[Admin]),
        ),
        ("support", "POST", "/v1/returns", staff_or_channel(agents)),
        ("support", "GET", "/v1/returns", staff_or_channel(agents)),
        (
            "support",
            "GET",
            "/v1/returns/{id}",
            staff_or_channel(agents),
        ),
        (
            "support",
            "POST",
            "/v1/returns/{id}/decision",
            staff(agents),
        ),
        ("support", "GET", "/v1/return-policies", staff(agents)),
        (
            "support",
            "PUT",
            "/v1/return-policies/{channel}",
            staff(&[Admin]),
        ),
        (
            "support",
            "PUT",
            "/v1/return-categories/{sku}",
            staff(&[Admin]),
        ),
        ("support", "GET", "/v1/sla-policies", staff(agents)),
        (
            "support",
            "PUT",
            "/v1/sla-policies/{channel}/{priority}",
            staff(&[Admin]),
        ),
        (
            "support",
            "GET",
            "/v1/tickets/at-risk",
            staff_or_channel(agents),
        ),
    ]
}

/// Every service serves the event ledger and the audit trail to ops.
const SHARED: &[(&str, &str, Rule)] = &[
    (
        "GET",
        "/v1/ops/event-ledger",
        Rule {
            staff: ADMIN_OPS,
            channels: false,
        },
    ),
    (
        "GET",
        "/v1/audit",
        Rule {
            staff: ADMIN_OPS,
            channels: false,
        },
    ),
];

const OWN_CHANNEL: &str = "web-eu";
const FOREIGN_CHANNEL: &str = "ebay-de";

/// A concrete path: channel ids name the own channel, other ids are
/// well-formed values that exist nowhere.
fn concrete(path: &str) -> String {
    let channel_resource = path.starts_with("/v1/channels/");
    path.split('/')
        .map(|segment| match segment {
            "{id}" if channel_resource => OWN_CHANNEL,
            "{channel_id}" => OWN_CHANNEL,
            "{id}" | "{order_id}" => "0190b6f0-0000-7000-8000-000000000000",
            "{sku}" => "ACCESS-SKU-1",
            "{currency}" => "EUR",
            "{barcode}" => "4006381333931",
            "{code}" | "{location}" => "WH-ACCESS",
            "{sha256}" => "0000000000000000000000000000000000000000000000000000000000000000",
            "{category}" => "other",
            "{channel}" => OWN_CHANNEL,
            "{priority}" => "normal",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn mixed_token() -> String {
    platform::auth::mint_hs256(
        TEST_SECRET,
        "crossdock",
        "crossdock",
        platform::auth::TokenRequest {
            subject: "confused",
            roles: &[Admin],
            channel: Some(OWN_CHANNEL.parse().unwrap()),
            ttl: std::time::Duration::from_secs(600),
        },
    )
    .unwrap()
}

#[derive(Debug, PartialEq)]
enum Expect {
    Status(StatusCode),
    /// Past authorization: anything but 401 and 403 (and never a 5xx).
    Allowed,
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    has_body: bool,
) -> StatusCode {
    let method: Method = method.parse().unwrap();
    let mut req = client.request(method, format!("{base}{path}"));
    if let Some(bearer) = bearer {
        req = req.bearer_auth(bearer);
    }
    if has_body {
        req = req.json(&serde_json::json!({}));
    }
    req.send().await.expect("request").status()
}

#[tokio::test]
async fn every_route_enforces_its_access_rule_for_every_kind_of_token() {
    let stack = Stack::start().await;
    let apps = [
        ("catalog", &stack.catalog),
        ("orders", &stack.orders),
        ("inventory", &stack.inventory),
        ("warehouse", &stack.warehouse),
        ("procurement", &stack.procurement),
        ("billing", &stack.billing),
        ("support", &stack.support),
    ];
    let mut policy = policy();
    for (service, _) in &apps {
        for (method, path, rule) in SHARED {
            policy.push((
                service,
                method,
                path,
                Rule {
                    staff: rule.staff,
                    channels: rule.channels,
                },
            ));
        }
    }

    let mut failures = Vec::new();
    let mut served = BTreeSet::new();
    let client = platform::testing::http_client();
    let mixed = mixed_token();
    for (service, app) in apps {
        let doc: Value = client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (path, ops) in doc["paths"].as_object().expect("paths") {
            for (method, op) in ops.as_object().unwrap() {
                let method = method.to_uppercase();
                if !["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method.as_str()) {
                    continue;
                }
                served.insert((service.to_string(), method.clone(), path.clone()));
                let Some((_, _, _, rule)) = policy
                    .iter()
                    .find(|(s, m, p, _)| *s == service && *m == method && p == path)
                else {
                    failures.push(format!(
                        "{service} {method} {path}: not in the access table"
                    ));
                    continue;
                };
                let has_body = op.get("requestBody").is_some();
                let target = concrete(path);
                let names_channel = target.starts_with(&format!("/v1/channels/{OWN_CHANNEL}"));
                let mut cases: Vec<(String, Option<String>, Expect)> = vec![
                    (
                        "no token".into(),
                        None,
                        Expect::Status(StatusCode::UNAUTHORIZED),
                    ),
                    (
                        "malformed token".into(),
                        Some("not.a.jwt".into()),
                        Expect::Status(StatusCode::UNAUTHORIZED),
                    ),
                    (
                        "staff roles and a channel in one token".into(),
                        Some(mixed.clone()),
                        Expect::Status(StatusCode::UNAUTHORIZED),
                    ),
                ];
                for role in Role::ALL {
                    let expect = if rule.staff.contains(&role) {
                        Expect::Allowed
                    } else {
                        Expect::Status(StatusCode::FORBIDDEN)
                    };
                    cases.push((
                        format!("role {}", role.as_str()),
                        Some(token(&[role])),
                        expect,
                    ));
                }
                let (own, foreign) = match (rule.channels, names_channel) {
                    (false, _) => (
                        Expect::Status(StatusCode::FORBIDDEN),
                        Expect::Status(StatusCode::FORBIDDEN),
                    ),
                    // Another channel's resource does not exist for this token.
                    (true, true) => (Expect::Allowed, Expect::Status(StatusCode::NOT_FOUND)),
                    (true, false) => (Expect::Allowed, Expect::Allowed),
                };
                cases.push(("own channel".into(), Some(channel_token(OWN_CHANNEL)), own));
                cases.push((
                    "foreign channel".into(),
                    Some(channel_token(FOREIGN_CHANNEL)),
                    foreign,
                ));
                for (who, bearer, expect) in cases {
                    let status = send(
                        &client,
                        &app.base_url,
                        &method,
                        &target,
                        bearer.as_deref(),
                        has_body,
                    )
                    .await;
                    let ok = match &expect {
                        Expect::Status(wanted) => status == *wanted,
                        Expect::Allowed => {
                            status != StatusCode::UNAUTHORIZED
                                && status != StatusCode::FORBIDDEN
                                && !status.is_server_error()
                        }
                    };
                    if !ok {
                        failures.push(format!(
                            "{service} {method} {target} as {who}: got {status}, expected {expect:?}"
                        ));
                    }
                }
            }
        }
    }
    for (service, method, path, _) in &policy {
        if !served.contains(&(service.to_string(), method.to_string(), path.to_string())) {
            failures.push(format!(
                "{service} {method} {path}: in the table but not served"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Role::ALL is what the table's ANY_STAFF means; keep them one list.
    assert_eq!(
        ANY_STAFF,
        [Admin, Ops, Warehouse, Buyer, Finance, Support, Approver]
    );
}
