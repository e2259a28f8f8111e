//! One API error type, rendered as RFC 9457 `application/problem+json`.
//!
//! Every error a client can see has a stable `type` URI per kind, a human `title`,
//! a `detail`, and for bad input the list of fields at fault. Internal errors are
//! logged with the request id and answered without leaking details.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The problem+json body.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// Stable URI naming the kind of problem, e.g. `urn:crossdock:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The fields at fault, for bad input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorSchema>)]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldErrorSchema {
    /// Path of the field, e.g. `variants[0].barcode`.
    field: String,
    message: String,
    /// For an uploaded file: the 1-based line of the problem.
    line: Option<u64>,
    /// For an uploaded file: the 1-based column (absent for the whole line).
    column: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not valid JSON, or a value has the wrong type.
    #[error("{detail}")]
    MalformedBody {
        detail: String,
        field: Option<String>,
    },
    /// Well-formed input that breaks a rule; names every field at fault.
    #[error("request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The `If-Match` ETag does not match the current version.
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PreconditionRequired(String),
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The same `Idempotency-Key` was sent with a different request.
    #[error("{0}")]
    IdempotencyKeyReused(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(err.into())
    }

    /// For code shared by handlers and consumers: an internal error gives back
    /// its cause (so the consumer can still tell a transient database failure),
    /// anything else becomes an error with the problem's text.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            ApiError::Internal(inner) => inner,
            other => anyhow::anyhow!("{other}"),
        }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::MalformedBody { .. } => ("malformed-body", "Malformed request body"),
            ApiError::Validation(_) => ("validation", "Invalid request"),
            ApiError::BadRequest(_) => ("bad-request", "Bad request"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::PreconditionFailed(_) => ("precondition-failed", "Precondition failed"),
            ApiError::PreconditionRequired(_) => ("precondition-required", "Precondition required"),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::IdempotencyKeyReused(_) => {
                ("idempotency-key-reused", "Idempotency key reused")
            }
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.kind();
        let errors = match self {
            ApiError::Validation(errors) => errors.clone(),
            ApiError::MalformedBody {
                field: Some(field),
                detail,
            } => {
                // The detail reads "<field>: <why>"; the entry names the field once.
                let message = detail.strip_prefix(&format!("{field}: ")).unwrap_or(detail);
                vec![FieldError::new(field.clone(), message)]
            }
            _ => Vec::new(),
        };
        let detail = match self {
            ApiError::Validation(errors) => errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        Problem {
            kind: format!("urn:crossdock:problem:{slug}"),
            title: title.to_string(),
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedBody { .. } | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) | ApiError::IdempotencyKeyReused(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(err) = self {
            tracing::error!(error = ?err, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if matches!(self, ApiError::Unauthorized(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::NotFound => ApiError::NotFound("not found".into()),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<crate::db::PoolError> for ApiError {
    fn from(err: crate::db::PoolError) -> Self {
        tracing::warn!(error = %err, "database connection unavailable");
        ApiError::Unavailable("database unavailable, retry later".into())
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        ApiError::Validation(errors)
    }
}

/// True when a diesel error is a unique-constraint violation on `constraint`.
pub fn is_unique_violation(err: &diesel::result::Error, constraint: &str) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info
        ) if info.constraint_name() == Some(constraint)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_lists_fields() {
        let err = ApiError::Validation(vec![FieldError::new("sku", "must not be empty")]);
        let problem = err.problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.kind, "urn:crossdock:problem:validation");
        assert_eq!(problem.errors[0].field, "sku");
        assert_eq!(problem.detail, "sku: must not be empty");
    }

    #[test]
    fn internal_errors_hide_details() {
        let problem = ApiError::internal(anyhow::anyhow!("password=hunter2")).problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("hunter2"));
    }
}
