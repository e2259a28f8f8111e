//! Channel updates: the cursor feed and signed webhooks delivered to a real
//! HTTP receiver started by the test, retried with backoff, with a delivery log.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use common::*;
use orders::domain::webhook;
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
    let server = HttpServer::new(move || {
        let (seen, calls) = (seen2.clone(), calls2.clone());
        App::new().route(
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
        )
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (format!("http://{addr}/hooks"), seen, handle)
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

    let (status, log) = get(&app, "/v1/channels/amazon-de/webhook-deliveries", &ops()).await;
    assert_eq!(status, StatusCode::OK);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|d| d["status"] == "delivered"));
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
