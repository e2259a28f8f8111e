//! Inbound email as an email gateway posts it: one raw RFC 5322 message
//! (MIME per RFC 2045–2049), parsed with mail-parser. What a ticket needs
//! from it: who sent it, the ids that thread it (Message-ID, In-Reply-To,
//! References; RFC 5322 §3.6.4), the subject, the text the customer wrote
//! (quoted history cut off for triage) and the attachments.

use domain::validation::FieldError;
use mail_parser::{HeaderName, HeaderValue, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEmail {
    /// Without angle brackets. A message without one gets a stable id from
    /// its content, so a gateway's retry is still recognised.
    pub message_id: String,
    /// In-Reply-To then References, newest first: the messages this answers.
    pub parents: Vec<String>,
    /// The sender's address, lower-cased.
    pub from: String,
    pub from_name: Option<String>,
    pub subject: String,
    /// The whole text body (HTML reduced to text when there is no text part).
    pub body: String,
    /// What the customer wrote in this message: the body without the quoted
    /// earlier messages and the signature.
    pub new_text: String,
    /// Sent by a machine (RFC 3834 Auto-Submitted, bulk Precedence): never
    /// auto-replied to, so two systems can't answer each other forever.
    pub automated: bool,
    pub attachments: Vec<EmailAttachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAttachment {
    pub filename: String,
    /// As declared in the part's Content-Type (checked against the content later).
    pub declared_type: String,
    pub content: Vec<u8>,
}

/// The 1-based line of a byte offset in the raw message.
fn line_of(raw: &[u8], offset: u32) -> u64 {
    let end = (offset as usize).min(raw.len());
    raw[..end].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

fn header_line(message: &mail_parser::Message<'_>, raw: &[u8], name: HeaderName<'_>) -> u64 {
    message
        .headers()
        .iter()
        .find(|h| h.name == name)
        .map(|h| line_of(raw, h.offset_field))
        .unwrap_or(1)
}

/// Message ids as stored: trimmed, without the angle brackets.
pub fn normalize_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![normalize_id(t)],
        HeaderValue::TextList(list) => list.iter().map(|t| normalize_id(t)).collect(),
        _ => Vec::new(),
    }
}

/// Parses a raw message. Refusals name the header (and its line) or the body.
pub fn parse(raw: &[u8]) -> Result<InboundEmail, Vec<FieldError>> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(vec![FieldError::new(
            "body",
            "must be a raw RFC 5322 message (message/rfc822)",
        )]);
    }
    let Some(message) = MessageParser::default().parse(raw) else {
        return Err(vec![FieldError::in_file(
            "body",
            1,
            1,
            "is not an RFC 5322 message: no header section",
        )]);
    };
    if message.headers().is_empty() {
        return Err(vec![FieldError::in_file(
            "body",
            1,
            1,
            "is not an RFC 5322 message: no header section",
        )]);
    }
    let sender = message
        .from()
        .and_then(|a| a.first())
        .or_else(|| message.sender().and_then(|a| a.first()));
    let Some(sender) = sender else {
        let line = header_line(&message, raw, HeaderName::From);
        let what = if message.header(HeaderName::From).is_some() {
            "holds no mailbox address"
        } else {
            "is required: the customer's address"
        };
        return Err(vec![FieldError::in_file("From", line, 0, what)]);
    };
    let from = sender.address().unwrap_or("").trim().to_lowercase();
    if !is_address(&from) {
        let line = header_line(&message, raw, HeaderName::From);
        return Err(vec![FieldError::in_file(
            "From",
            line,
            0,
            format!("'{from}' is not a mailbox address (local@domain)"),
        )]);
    }
    let message_id = match message.message_id().map(normalize_id) {
        Some(id) if !id.is_empty() => id,
        _ => format!(
            "{}@inbound.crossdock",
            hex::encode(&Sha256::digest(raw)[..16])
        ),
    };
    let mut parents = id_list(message.in_reply_to());
    let mut references = id_list(message.references());
    references.reverse();
    parents.extend(references);
    parents.retain(|p| !p.is_empty() && *p != message_id);
    parents.dedup();

    let body = match message.body_text(0) {
        Some(text) if !text.trim().is_empty() => text.into_owned(),
        _ => message
            .body_html(0)
            .map(|h| html_to_text(&h))
            .unwrap_or_default(),
    };
    let body = body
        .replace('\0', "")
        .replace("\r\n", "\n")
        .replace('\u{a0}', " ");
    let subject = message
        .subject()
        .unwrap_or("")
        .replace('\0', "")
        .trim()
        .to_string();
    let automated = message
        .header_raw("Auto-Submitted")
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
        || message.header_raw("Precedence").is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "bulk" | "junk" | "list"
            )
        });
    let attachments = message
        .attachments()
        .filter(|part| !part.is_message())
        .enumerate()
        .map(|(i, part)| EmailAttachment {
            filename: part
                .attachment_name()
                .map(|n| n.replace('\0', ""))
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| format!("attachment-{}", i + 1)),
            declared_type: part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into())
                .to_ascii_lowercase(),
            content: part.contents().to_vec(),
        })
        .collect();
    let new_text = new_text(&body);
    Ok(InboundEmail {
        message_id,
        parents,
        from,
        from_name: sender
            .name()
            .map(|n| n.replace('\0', "").trim().to_string())
            .filter(|n| !n.is_empty()),
        subject,
        body,
        new_text,
        automated,
        attachments,
    })
}

/// local@domain with a dot in the domain: enough to route a reply.
pub fn is_address(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// What the sender wrote above the quoted history: stops at the first quote
/// header ("On … wrote:", "-----Original Message-----", Outlook's "From:"
/// block) or quoted lines, and drops a signature after "-- ".
pub fn new_text(body: &str) -> String {
    let mut kept = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        let lower = t.to_ascii_lowercase();
        if t.starts_with('>')
            || (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || (lower.starts_with("am ") && lower.ends_with("schrieb:"))
            || (lower.starts_with("le ") && lower.ends_with("a écrit :"))
            || lower.starts_with("-----original message-----")
            || (lower.starts_with("from:") && !kept.is_empty())
            || line == "-- "
        {
            break;
        }
        kept.push(line);
    }
    let text = kept.join("\n").trim().to_string();
    if text.is_empty() {
        body.trim().to_string()
    } else {
        text
    }
}

/// Text of an HTML body: tags dropped, block ends as line breaks, the common
/// entities decoded. Enough to read and classify; the raw part stays attached.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    let mut skip = false;
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if name == "style" || name == "script" {
                    skip = !tag.starts_with('/');
                }
                if matches!(
                    name.as_str(),
                    "br" | "p" | "div" | "li" | "tr" | "h1" | "h2"
                ) {
                    out.push('\n');
                }
            }
            (true, c) => tag.push(c),
            (false, c) if !skip => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &str = "From: Ana Silva <Ana.Silva@Example.COM>\r\n\
To: support@shop.example\r\n\
Subject: Re: [T-000042] Where is my parcel?\r\n\
Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n\
Message-ID: <reply-2@mail.example.com>\r\n\
In-Reply-To: <t-42.1@support.crossdock>\r\n\
References: <orig-1@mail.example.com>\r\n <t-42.1@support.crossdock>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Still nothing arrived, can you check again?\r\n\
\r\n\
On Mon, 30 Nov 2026 at 09:00, Support <support@shop.example> wrote:\r\n\
> We shipped it yesterday.\r\n";

    #[test]
    fn a_reply_threads_by_in_reply_to_then_references_newest_first() {
        let email = parse(REPLY.as_bytes()).unwrap();
        assert_eq!(email.message_id, "reply-2@mail.example.com");
        assert_eq!(
            email.parents,
            vec!["t-42.1@support.crossdock", "orig-1@mail.example.com"]
        );
        assert_eq!(email.from, "ana.silva@example.com");
        assert_eq!(email.from_name.as_deref(), Some("Ana Silva"));
        assert_eq!(email.subject, "Re: [T-000042] Where is my parcel?");
        assert_eq!(
            email.new_text,
            "Still nothing arrived, can you check again?"
        );
        assert!(email.body.contains("We shipped it yesterday."));
        assert!(!email.automated);
    }

    #[test]
    fn a_multipart_message_yields_its_text_and_attachments() {
        let raw = "From: bob@example.org\r\n\
Subject: broken mug\r\n\
Message-ID: <m1@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
The mug arrived broken, photo attached.\r\n\
--b1\r\n\
Content-Type: image/png\r\n\
Content-Disposition: attachment; filename=\"mug.png\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n\
--b1--\r\n";
        let email = parse(raw.as_bytes()).unwrap();
        assert_eq!(email.new_text, "The mug arrived broken, photo attached.");
        assert_eq!(email.attachments.len(), 1);
        let a = &email.attachments[0];
        assert_eq!(a.filename, "mug.png");
        assert_eq!(a.declared_type, "image/png");
        assert_eq!(&a.content[..4], b"\x89PNG");
    }

    #[test]
    fn a_message_without_a_message_id_gets_a_stable_one() {
        let raw = b"From: c@example.net\r\nSubject: hi\r\n\r\nhello\r\n";
        let a = parse(raw).unwrap();
        let b = parse(raw).unwrap();
        assert_eq!(a.message_id, b.message_id);
        assert!(a.message_id.ends_with("@inbound.crossdock"));
    }

    #[test]
    fn refusals_name_the_header_and_its_line() {
        let no_from = parse(b"Subject: hi\r\nMessage-ID: <x@y.z>\r\n\r\nhello\r\n").unwrap_err();
        assert_eq!(no_from[0].field, "From");
        let bad = parse(b"Subject: hi\r\nFrom: not an address\r\n\r\nhello\r\n").unwrap_err();
        assert_eq!(bad[0].field, "From");
        assert_eq!(bad[0].line, Some(2));
        let empty = parse(b"  \r\n").unwrap_err();
        assert_eq!(empty[0].field, "body");
    }

    #[test]
    fn auto_submitted_mail_is_marked_automated() {
        let raw = b"From: mailer-daemon@example.org\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nI am away\r\n";
        assert!(parse(raw).unwrap().automated);
        let raw = b"From: a@example.org\r\nAuto-Submitted: no\r\nSubject: x\r\n\r\ny\r\n";
        assert!(!parse(raw).unwrap().automated);
    }

    #[test]
    fn html_only_mail_is_read_as_text() {
        let raw = b"From: d@example.org\r\nSubject: q\r\nContent-Type: text/html\r\n\r\n<html><style>p{}</style><p>Where is my order&nbsp;#1234?</p></html>\r\n";
        let email = parse(raw).unwrap();
        assert!(
            email.body.contains("Where is my order #1234?"),
            "{}",
            email.body
        );
        assert!(!email.body.contains("p{}"));
    }
}
