//! Inbound email against the real stack: a message opens a ticket linked by
//! the tracking number it quotes; a reply threads by In-Reply-To and reopens
//! it; a gateway's retry changes nothing; auto-replies go out only where an
//! admin enabled them, to a person, about their own order; attachments are
//! type-checked, stored once and served only to those who see the ticket;
//! a message that is not one is refused naming the header and its line.

mod common;

use std::time::Duration;

use chrono::{Duration as Days, Utc};
use common::*;
use domain::events::proto::support::v1 as pb;
use domain::events::topics;
use platform::testing::{channel_token, decode_all, fields, problem, read_topic_until};
use reqwest::StatusCode;

const WISMO: &str = "Hello, I ordered two weeks ago and my parcel still hasn't arrived. \
The tracking number 1Z999AA10123456784 shows no update since Monday. Where is my order? \
When will it be delivered?";

#[tokio::test]
async fn email_opens_threads_and_auto_replies_once() {
    let app = app().await;
    let order = place(
        &app,
        "web",
        "WEB-2002",
        "ana@example.com",
        &[("LAMP-1", 1)],
        Utc::now() - Days::days(6),
    )
    .await;
    ship(
        &app,
        &order,
        "WH1",
        "UPS",
        "1Z999AA10123456784",
        &[(1, "LAMP-1", 1)],
        Utc::now() - Days::days(5),
    )
    .await;
    enable_auto_reply(&app, "where_is_my_order", 0.5).await;

    let first = email(
        "Ana@Example.com",
        "m1@mail.example.com",
        "Parcel not arrived",
        WISMO,
    );
    let v = post_email_ok(&app, &first, StatusCode::CREATED).await;
    assert_eq!(v["created"], true);
    assert_eq!(v["duplicate"], false);
    let id = v["ticket_id"].as_str().unwrap().to_string();
    let t = ticket(&app, &id, &agent()).await;
    assert_eq!(t["source"], "email");
    assert_eq!(t["linked_by"], "tracking_number");
    assert_eq!(t["tracking_number"], "1Z999AA10123456784");
    assert_eq!(t["order_id"], order.order_id.as_str());
    assert_eq!(t["channel_id"], "web");
    assert_eq!(t["customer_name"], "Ana Silva");
    assert_eq!(
        t["triage"]["intent"], "where_is_my_order",
        "{}",
        t["triage"]
    );
    assert!(
        t["triage"]["confidence"].as_f64().unwrap() >= 0.5,
        "{}",
        t["triage"]
    );
    let messages = t["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0]["message_id"], "m1@mail.example.com");
    assert_eq!(messages[1]["kind"], "auto_reply");
    assert!(
        messages[1]["body"]
            .as_str()
            .unwrap()
            .contains("UPS tracking number 1Z999AA10123456784")
    );
    assert_eq!(t["status"], "pending_customer");
    assert!(
        t.get("first_response_at").is_none(),
        "an auto-reply is not a person's response"
    );
    let auto_id = messages[1]["message_id"].as_str().unwrap().to_string();

    // The gateway retries the same message: nothing changes.
    let again = post_email_ok(&app, &first, StatusCode::OK).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["ticket_id"], id.as_str());
    assert_eq!(
        ticket(&app, &id, &agent()).await["messages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Her reply to the auto-reply threads onto the ticket and reopens it.
    let reply = format!(
        "From: Ana Silva <ana@example.com>\nTo: support@shop.example\n\
         Subject: Re: [{}] Parcel not arrived\nMessage-ID: <m2@mail.example.com>\n\
         In-Reply-To: <{auto_id}>\nReferences: <m1@mail.example.com> <{auto_id}>\n\
         Content-Type: text/plain; charset=utf-8\n\n\
         The tracking page still says nothing. Please check with UPS.\n\n\
         On Fri, 4 Dec 2026, Customer service wrote:\n> Your order WEB-2002 has shipped.\n",
        t["number"].as_str().unwrap()
    );
    let v = post_email_ok(&app, &reply, StatusCode::OK).await;
    assert_eq!(v["created"], false);
    assert_eq!(v["ticket_id"], id.as_str());
    assert_eq!(v["message_seq"], 3);
    let t = ticket(&app, &id, &agent()).await;
    assert_eq!(t["status"], "open");
    assert_eq!(t["messages"].as_array().unwrap().len(), 3);
    // Only one auto-reply: a reply on a thread is for a person.
    assert_eq!(t["messages"][2]["kind"], "customer");

    // A stranger quoting the order number gets a ticket, linked, but no
    // auto-reply: the facts are not theirs to learn.
    let stranger = email(
        "someone@else.example",
        "s1@else.example",
        "order WEB-2002",
        "Where is order WEB-2002? It has not arrived yet, when will it be delivered?",
    );
    let v = post_email_ok(&app, &stranger, StatusCode::CREATED).await;
    let s = ticket(&app, v["ticket_id"].as_str().unwrap(), &agent()).await;
    assert_eq!(s["linked_by"], "order_number");
    assert_eq!(s["messages"].as_array().unwrap().len(), 1);

    // An auto-responder is never answered.
    let ooo = format!(
        "From: ana@example.com\nSubject: Out of office\nMessage-ID: <ooo@mail.example.com>\n\
         Auto-Submitted: auto-replied\n\n{WISMO}\n"
    );
    let v = post_email_ok(&app, &ooo, StatusCode::CREATED).await;
    let o = ticket(&app, v["ticket_id"].as_str().unwrap(), &agent()).await;
    assert_eq!(o["messages"].as_array().unwrap().len(), 1);

    let records = read_topic_until(
        &app.topic(topics::SUPPORT_TICKET_EVENTS),
        Duration::from_secs(20),
        Duration::from_millis(500),
        |r| decode_all::<pb::TicketCreated>(r).len() >= 3,
    )
    .await;
    let replies = decode_all::<pb::TicketReplied>(&records);
    assert_eq!(replies.len(), 1, "one auto-reply in all");
    assert!(replies[0].auto_reply);
    assert_eq!(replies[0].to, "ana@example.com");
    assert_eq!(replies[0].in_reply_to, "m1@mail.example.com");
    assert_eq!(replies[0].references, ["m1@mail.example.com"]);
    assert_eq!(decode_all::<pb::TicketCreated>(&records).len(), 3);
}

const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

fn with_attachments(message_id: &str) -> String {
    format!(
        "From: Ana Silva <ana@example.com>\nSubject: Broken lamp\nMessage-ID: <{message_id}>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"XYZ\"\n\n\
         --XYZ\nContent-Type: text/plain; charset=utf-8\n\n\
         The lamp arrived broken, the glass is shattered. Photos attached.\n\
         --XYZ\nContent-Type: image/png\nContent-Disposition: attachment; filename=\"lamp.png\"\n\
         Content-Transfer-Encoding: base64\n\n{PNG_B64}\n\
         --XYZ\nContent-Type: image/jpeg\nContent-Disposition: attachment; filename=\"../../evil.jpg\"\n\n\
         this is not a jpeg\n\
         --XYZ--\n"
    )
}

#[tokio::test]
async fn attachments_are_checked_stored_once_and_served_to_those_allowed() {
    let app = app().await;
    let order = place(
        &app,
        "web",
        "WEB-3003",
        "ana@example.com",
        &[("LAMP-1", 1)],
        Utc::now(),
    )
    .await;
    let v = post_email_ok(
        &app,
        &with_attachments("a1@mail.example.com"),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(v["attachments"], 1);
    let refused = v["refused_attachments"].as_array().unwrap();
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0]
            .as_str()
            .unwrap()
            .starts_with("evil.jpg: declared image/jpeg"),
        "{refused:?}"
    );
    let id = v["ticket_id"].as_str().unwrap().to_string();
    let t = ticket(&app, &id, &agent()).await;
    assert_eq!(t["order_id"], order.order_id.as_str(), "the sender's order");
    let a = &t["attachments"][0];
    assert_eq!(a["filename"], "lamp.png");
    assert_eq!(a["content_type"], "image/png");
    assert_eq!(a["message_seq"], 1);

    // The same photo in a second email (another ticket) is stored once.
    let v2 = post_email_ok(
        &app,
        &with_attachments("a2@mail.example.com"),
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(v2["ticket_id"], v["ticket_id"]);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM attachment_blobs").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM ticket_attachments").await,
        2
    );

    // Served back with its type, as a download; the web channel's ticket is
    // not another channel's to read.
    let url = a["url"].as_str().unwrap();
    let res = app
        .client
        .get(app.url(url))
        .bearer_auth(agent())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"\x89PNG");
    let res = app
        .client
        .get(app.url(url))
        .bearer_auth(channel_token("web"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .client
        .get(app.url(url))
        .bearer_auth(channel_token("amazon-de"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Uploads are checked the same way, and refused naming the field.
    let upload = |body: Vec<u8>, ct: &'static str| {
        app.client
            .post(app.url(&format!("/v1/tickets/{id}/attachments?filename=label.pdf")))
            .bearer_auth(agent())
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let p = problem(
        upload(b"MZ\x90\0".to_vec(), "application/pdf")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["body"]);
    let p = problem(
        upload(b"#!/bin/sh".to_vec(), "application/x-sh")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["body"]);
    let res = upload(b"%PDF-1.7\n1 0 obj\n".to_vec(), "application/pdf")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = upload(b"%PDF-1.7\n1 0 obj\n".to_vec(), "application/pdf")
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the same file again is kept once"
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM attachment_blobs").await,
        2
    );
}

#[tokio::test]
async fn what_is_not_a_message_is_refused_naming_the_header() {
    let app = app().await;
    let p = problem(
        post_email(
            &app,
            "Subject: hi\nMessage-ID: <x@y.example>\n\nno sender\n",
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["From"]);
    let p = problem(
        post_email(&app, "Subject: hi\nFrom: nobody\n\nhello\n").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["From"]);
    assert_eq!(p["errors"][0]["line"], 2, "{p}");
    let res = app
        .client
        .post(app.url("/v1/inbound-email"))
        .bearer_auth(agent())
        .header("content-type", "text/plain")
        .body("From: a@b.example\n\nhi\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A channel token is not the email gateway.
    let res = app
        .client
        .post(app.url("/v1/inbound-email"))
        .bearer_auth(channel_token("web"))
        .header("content-type", "message/rfc822")
        .body("From: a@b.example\n\nhi\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM tickets").await, 0);
}
