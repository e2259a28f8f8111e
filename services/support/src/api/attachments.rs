//! Attachments of a ticket: upload (return evidence, a photo of the damage)
//! and download, for those who may see the ticket only. Content is checked
//! against its declared type and stored once per SHA-256.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use domain::contracts::support::AttachmentView;
use platform::error::Problem;
use platform::{ApiError, Authorized, Runtime, audit};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::TicketUsers;
use super::tickets::{attachment_view, not_found, visible};
use crate::domain::attachments::{self, clean_filename};
use crate::store::attachments as store;
use crate::store::tickets;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name as the customer sent it.
    #[param(min_length = 1, max_length = 200)]
    pub filename: String,
}

/// Upload an attachment to a ticket: the body is the file, its
/// Content-Type the file's type (image/jpeg, image/png, image/gif,
/// image/webp, image/heic, application/pdf, video/mp4, text/plain; at most
/// 10 MiB). The same content on the same ticket is kept once.
#[utoipa::path(
    post, path = "/v1/tickets/{id}/attachments", tag = "tickets",
    request_body(description = "The file, sent with its own Content-Type",
        content(
            (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/gif"),
            (Vec<u8> = "image/webp"), (Vec<u8> = "image/heic"), (Vec<u8> = "application/pdf"),
            (Vec<u8> = "video/mp4"), (Vec<u8> = "text/plain"),
        )
    ),
    params(("id" = Uuid, Path), UploadQuery),
    responses(
        (status = 201, description = "Attached", body = AttachmentView),
        (status = 200, description = "The ticket holds this content already", body = AttachmentView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A type that is not kept, content that is not its declared type, or too large", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upload(
    rt: web::Data<Runtime>,
    caller: Authorized<TicketUsers>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<UploadQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let declared = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if query.filename.trim().is_empty() || query.filename.contains('\0') {
        return Err(ApiError::field("filename", "must name the file"));
    }
    let (sha, kind) =
        attachments::check(declared, &body).map_err(|why| ApiError::field("body", why))?;
    let filename = clean_filename(&query.filename);
    let actor = caller.actor();
    let mut conn = rt.conn().await?;
    let (view, added) = conn
        .transaction::<_, ApiError, _>(async |tx| {
            visible(&caller, tickets::lock(tx, id).await?, id)?;
            store::store_blob(tx, &sha, kind, &body).await?;
            let added = store::attach(tx, id, &sha, &filename, None, &actor).await?;
            let row = store::of_ticket(tx, id)
                .await?
                .into_iter()
                .find(|a| a.sha256 == sha)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("attachment {sha} vanished")))?;
            let view = attachment_view(id, row);
            if added {
                audit::record(
                    tx,
                    &actor,
                    audit::Change {
                        entity_type: "ticket",
                        entity_id: &id.to_string(),
                        action: "attachment added",
                        before: None,
                        after: Some(audit::snapshot(&view)),
                    },
                )
                .await?;
            }
            Ok((view, added))
        })
        .await?;
    Ok(if added {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(view))
}

/// An attachment's content, served as a download (never rendered inline).
#[utoipa::path(
    get, path = "/v1/tickets/{id}/attachments/{sha256}", tag = "tickets",
    params(("id" = Uuid, Path), ("sha256" = String, Path, pattern = "^[0-9a-f]{64}$")),
    responses(
        (status = 200, description = "The content, with its type",
            content(
                (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/gif"),
                (Vec<u8> = "image/webp"), (Vec<u8> = "image/heic"), (Vec<u8> = "application/pdf"),
                (Vec<u8> = "video/mp4"), (Vec<u8> = "text/plain"),
            )
        ),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn download(
    rt: web::Data<Runtime>,
    caller: Authorized<TicketUsers>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, sha) = path.into_inner();
    let mut conn = rt.conn().await?;
    visible(&caller, tickets::by_id(&mut conn, id).await?, id)?;
    let sha = sha.to_ascii_lowercase();
    let content = store::content(&mut conn, id, &sha)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("ticket {id} holds no attachment {sha}")))?;
    // Notes' attachments are staff-only, like the notes.
    if caller.channel().is_some() && store::on_note(&mut conn, id, &sha).await? {
        return Err(not_found(id));
    }
    let ascii: String = content
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(content.content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\""),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=0"))
        .body(content.content))
}
