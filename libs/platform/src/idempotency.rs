//! `Idempotency-Key` for creates: the key and a hash of the request are stored in
//! the same transaction as the create, with the response. A retry with the same
//! key and body gets the stored response; the same key with another body is 422.

use std::future::{Ready, ready};

use crate::db::CachedExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use diesel::sql_types::{Jsonb, SmallInt, Text};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::db::Conn;
use crate::error::ApiError;

pub const HEADER: &str = "Idempotency-Key";

/// The optional `Idempotency-Key` header (1-255 visible ASCII characters).
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get(HEADER) {
            None => Ok(IdempotencyKey(None)),
            Some(value) => match value.to_str() {
                Ok(v)
                    if (1..=255).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    Ok(IdempotencyKey(Some(v.to_string())))
                }
                _ => Err(ApiError::BadRequest(
                    "Idempotency-Key must be 1-255 visible ASCII characters".into(),
                )),
            },
        };
        ready(result)
    }
}

/// The SHA-256 of raw bytes (an uploaded file), hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A stable hash of a request body.
pub fn request_hash<T: Serialize>(request: &T) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(request).unwrap_or_default(),
    ))
}

#[derive(diesel::QueryableByName)]
struct Stored {
    #[diesel(sql_type = Text)]
    request_hash: String,
    #[diesel(sql_type = SmallInt)]
    response_status: i16,
    #[diesel(sql_type = Jsonb)]
    response_body: serde_json::Value,
}

/// Claims `key` within `scope` inside the caller's transaction. Returns the
/// stored response when this is a retry; `None` when the caller should do the
/// work and then [`record`] its response.
pub async fn claim<T: DeserializeOwned>(
    conn: &mut Conn,
    scope: &str,
    key: &str,
    hash: &str,
) -> Result<Option<T>, ApiError> {
    let inserted = diesel::sql_query(
        "INSERT INTO idempotency_keys (scope, key, request_hash, response_status, response_body) \
         VALUES ($1, $2, $3, 0, 'null') ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .bind::<Text, _>(hash)
    .cached()
    .execute(conn)
    .await?;
    if inserted == 1 {
        return Ok(None);
    }
    let stored: Stored = diesel::sql_query(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys \
         WHERE scope = $1 AND key = $2",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .cached()
    .get_result(conn)
    .await?;
    if stored.request_hash != hash {
        return Err(ApiError::IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request".into(),
        ));
    }
    if stored.response_status == 0 {
        return Err(ApiError::Conflict(
            "a request with this Idempotency-Key is still in progress".into(),
        ));
    }
    serde_json::from_value(stored.response_body)
        .map(Some)
        .map_err(ApiError::internal)
}

/// Stores the response of the work done under a claimed key.
pub async fn record<T: Serialize>(
    conn: &mut Conn,
    scope: &str,
    key: &str,
    status: u16,
    response: &T,
) -> Result<(), ApiError> {
    let body = serde_json::to_value(response).map_err(ApiError::internal)?;
    diesel::sql_query(
        "UPDATE idempotency_keys SET response_status = $3, response_body = $4 \
         WHERE scope = $1 AND key = $2",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .bind::<SmallInt, _>(status as i16)
    .bind::<Jsonb, _>(body)
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}
