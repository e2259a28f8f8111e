//! Channel updates: the cursor feed and signed webhooks delivered to a real
//! HTTP receiver started by the test, retried with backoff, with a delivery log.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use common::*;
use orders::domain::webhook;
use platform::testing::fixtures::serve_http;
use platform::testing::{channel_token, eventually, eventually_some};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// What the receiver saw: the signature header and the body.
type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A webhook receiver on 127.0.0.1 that fails its first request.
async fn receiver() -> (String, Seen, actix_web::dev::ServerHandle) {
    let seen: Seen = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let (seen2, calls2) = (seen.clone(), calls.clone());
    let (base, handle) = serve_http(move |cfg: &mut web::ServiceConfig| {
        let (seen, calls) = (seen2.clone(), calls2.clone());
        cfg.route(
            "/hooks",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let (seen, calls) = (seen.clone(), calls.clone());
                async move {
                    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        return HttpResponse::InternalServerError().finish();
                    }
                    let signature = req
                        .headers()
                        .get(webhook::SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    seen.lock().unwrap().push((signature, body.to_vec()));
                    HttpResponse::NoContent().finish()
                }
            }),
        );
    });
    (format!("{base}/hooks"), seen, handle)
}

const SECRET: &str = "whsec-0123456789abcdef";

#[tokio::test]
async fn status_changes_reach_the_feed_and_a_signed_webhook_with_retries() {
    let app = app().await;
    let (url, seen, server) = receiver().await;
    let mut body = channel_body("marketplace", "reject");
    body["webhook_url"] = json!(url);
    body["webhook_secret"] = json!(SECRET);
    channel(&app, "amazon-de", body).await;
    channel(&app, "web-eu", channel_body("web", "reject")).await;
    list_sku(&app, "TEE-RED-M", &["amazon-de", "web-eu"]).await;

    let order = place(
        &app,
        "amazon-de",
        &order_body("AMZ-W1", &[("TEE-RED-M", 1)]),
    )
    .await;
    place(&app, "web-eu", &order_body("WEB-W1", &[("TEE-RED-M", 1)])).await;
    reserve(&app, &order, "WH-PRIMARY").await;
    let order_id = order["id"].as_str().unwrap();
    wait_status(&app, order_id, "confirmed").await;

    // The feed: received, reserved, confirmed, in order, only this channel's.
    let feed = eventually_some(Duration::from_secs(10), || async {
        let (status, page) = get(
            &app,
            "/v1/channels/amazon-de/updates",
            &channel_token("amazon-de"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        (page["items"].as_array().unwrap().len() == 3).then_some(page)
    })
    .await
    .expect("three updates in the feed");
    let items = feed["items"].as_array().unwrap();
    let statuses: Vec<&str> = items
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["received", "reserved", "confirmed"]);
    assert!(items.iter().all(|i| i["external_order_id"] == "AMZ-W1"));
    let seqs: Vec<i64> = items
        .iter()
        .map(|i| i["sequence"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let cursor = feed["next_cursor"].as_str().unwrap();
    let (_, rest) = get(
        &app,
        &format!("/v1/channels/amazon-de/updates?cursor={cursor}"),
        &channel_token("amazon-de"),
    )
    .await;
    assert!(rest["items"].as_array().unwrap().is_empty());
    let (status, _) = get(
        &app,
        "/v1/channels/amazon-de/updates",
        &channel_token("web-eu"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another channel's feed");

    // Webhooks: the first attempt fails (500), the retry after ~1 s succeeds;
    // every delivered body is signed with the channel's secret.
    let delivered = eventually(Duration::from_secs(20), || async {
        seen.lock().unwrap().len() >= 3
    })
    .await;
    assert!(delivered, "three updates delivered");
    let received = seen.lock().unwrap().clone();
    let mut statuses = Vec::new();
    for (signature, body) in &received {
        assert!(
            webhook::verify(SECRET, signature, body),
            "valid signature: {signature}"
        );
        assert!(!webhook::verify("wrong-secret-0000", signature, body));
        let payload: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(payload["type"], "order.status_changed");
        assert_eq!(payload["update"]["order_id"], order_id);
        statuses.push(payload["update"]["status"].as_str().unwrap().to_string());
    }
    statuses.sort();
    assert_eq!(statuses, ["confirmed", "received", "reserved"]);

    // The receiver answers before the sender records the delivery: wait for
    // the log to show all three delivered rather than reading it once.
    let log = eventually_some(Duration::from_secs(20), || async {
        let (status, log) = get(&app, "/v1/channels/amazon-de/webhook-deliveries", &ops()).await;
        assert_eq!(status, StatusCode::OK);
        let log = log.as_array().unwrap().clone();
        (log.len() == 3 && log.iter().all(|d| d["status"] == "delivered")).then_some(log)
    })
    .await
    .expect("three deliveries recorded as delivered");
    let retried: Vec<&Value> = log.iter().filter(|d| d["attempts"] == 2).collect();
    assert_eq!(
        retried.len(),
        1,
        "exactly one delivery needed a retry: {log:?}"
    );
    assert_eq!(
        count(&app, "webhook_attempts").await,
        4,
        "every attempt is logged"
    );
    assert_eq!(
        count(&app, "webhook_attempts WHERE status_code = 500").await,
        1
    );
    server.stop(false).await;
}

/// A receiver whose `/hooks` answers 307 to `/internal`, which counts hits.
async fn redirecting_receiver() -> (String, Arc<AtomicUsize>, actix_web::dev::ServerHandle) {
    let internal_hits = Arc::new(AtomicUsize::new(0));
    let hits = internal_hits.clone();
    let (base, handle) = serve_http(move |cfg: &mut web::ServiceConfig| {
        let hits = hits.clone();
        cfg.route(
            "/hooks",
            web::post().to(|| async {
                HttpResponse::TemporaryRedirect()
                    .insert_header(("location", "/internal"))
                    .finish()
            }),
        )
        .route(
            "/internal",
            web::post().to(move || {
                let hits = hits.clone();
                async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    HttpResponse::NoContent().finish()
                }
            }),
        );
    });
    (format!("{base}/hooks"), internal_hits, handle)
}

/// The channel's first webhook delivery once it has been tried.
async fn first_attempted_delivery(app: &platform::testing::TestApp, channel: &str) -> Value {
    eventually_some(Duration::from_secs(20), || async {
        let (_, log) = get(
            app,
            &format!("/v1/channels/{channel}/webhook-deliveries"),
            &ops(),
        )
        .await;
        log.as_array().and_then(|l| {
            l.iter()
                .find(|d| d["attempts"].as_i64() >= Some(1))
                .cloned()
        })
    })
    .await
    .expect("a delivery was attempted")
}

#[tokio::test]
async fn webhooks_never_follow_redirects() {
    let app = app().await;
    let (url, internal_hits, server) = redirecting_receiver().await;
    let mut body = channel_body("marketplace", "reject");
    body["webhook_url"] = json!(url);
    channel(&app, "amazon-de", body).await;
    list_sku(&app, "TEE-RED-M", &["amazon-de"]).await;
    place(
        &app,
        "amazon-de",
        &order_body("AMZ-R1", &[("TEE-RED-M", 1)]),
    )
    .await;

    let delivery = first_attempted_delivery(&app, "amazon-de").await;
    assert_eq!(delivery["last_status_code"], 307, "{delivery}");
    assert_eq!(
        delivery["status"], "pending",
        "a redirect is a failed attempt: {delivery}"
    );
    assert_eq!(
        internal_hits.load(Ordering::SeqCst),
        0,
        "the redirect target was never called"
    );
    server.stop(false).await;
}

#[tokio::test]
async fn webhooks_never_reach_internal_addresses() {
    // A deployment's policy: loopback is not allowed either.
    let app = platform::testing::TestApp::spawn_with(&orders::service(), |s| {
        s.outbound.allow_loopback = false
    })
    .await;
    // Literals are refused when registered.
    for url in [
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/hooks",
        "https://[fd00:ec2::254]/hooks",
        "https://127.0.0.1/hooks",
        "http://localhost:9/hooks",
    ] {
        let mut body = channel_body("marketplace", "reject");
        body["webhook_url"] = json!(url);
        let res = put_channel(&app, "ebay-de", &body).await;
        let p = platform::testing::problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(platform::testing::fields(&p), ["webhook_url"], "{url}: {p}");
    }
    // A name is checked where it matters, after DNS resolution at connect
    // time: localhost is a fine-looking https URL that resolves to loopback.
    let (url, seen, server) = receiver().await;
    let port = url.rsplit(':').next().unwrap().split('/').next().unwrap();
    let mut body = channel_body("marketplace", "reject");
    body["webhook_url"] = json!(format!("https://localhost:{port}/hooks"));
    channel(&app, "amazon-de", body).await;
    list_sku(&app, "TEE-RED-M", &["amazon-de"]).await;
    place(
        &app,
        "amazon-de",
        &order_body("AMZ-I1", &[("TEE-RED-M", 1)]),
    )
    .await;
    let delivery = first_attempted_delivery(&app, "amazon-de").await;
    let error = delivery["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("may not reach"),
        "refused at connect time: {delivery}"
    );
    assert!(delivery.get("last_status_code").is_none(), "{delivery}");
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reached the receiver"
    );
    server.stop(false).await;
}
