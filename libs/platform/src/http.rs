//! HTTP plumbing every service shares: a JSON extractor whose errors name the
//! field, problem+json for framework errors, ETag/If-Match helpers, health and
//! readiness endpoints, and the OpenAPI security scheme.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

use crate::error::ApiError;
use crate::{Readiness, Runtime};

/// A JSON body. Unlike `web::Json`, a type error names the field path
/// (`variants[0].barcode`) and every failure is problem+json.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<Runtime>>()
            .map(|rt| rt.settings.http.max_body_bytes)
            .unwrap_or(262_144);
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.starts_with("application/json") || v.contains("+json"))
            .unwrap_or(false);
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType(
                    "Content-Type must be application/json".into(),
                ));
            }
            if declared_len.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let body = bytes.await.map_err(|err| {
                if err
                    .as_error::<actix_web::error::PayloadError>()
                    .is_some_and(|e| matches!(e, actix_web::error::PayloadError::Overflow))
                {
                    ApiError::PayloadTooLarge { limit }
                } else {
                    ApiError::BadRequest(format!("could not read body: {err}"))
                }
            })?;
            if body.len() > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            parse_json(&body).map(Json)
        })
    }
}

/// An optional JSON body: no body at all (or a JSON `null`) is `None`; a body that is there must
/// be valid, exactly as for [`Json`]. (actix's `Option<Json<T>>` turns a
/// malformed body into `None`, so a bad request would quietly succeed.)
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let headers = req.headers();
        let length = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let chunked = headers.contains_key(header::TRANSFER_ENCODING);
        if length == Some(0) || (length.is_none() && !chunked) {
            return Box::pin(async { Ok(OptionalJson(None)) });
        }
        // A JSON `null` is no body too (the documents say `T or null`).
        let body = Json::<Option<T>>::from_request(req, payload);
        Box::pin(async move { body.await.map(|Json(v)| OptionalJson(v)) })
    }
}

/// Deserializes JSON, reporting the path of the first field that failed. A
/// string (or key) holding U+0000 is a 422 naming its path, whatever the type.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // Well-formed JSON is read as a value first: NUL is found with its path,
    // and numbers like 164.0 (an integer to JSON Schema, and so to clients
    // generated from our documents) become integers. Malformed JSON goes
    // straight to the parser below, whose error says where it broke.
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return deserialize(&mut serde_json::Deserializer::from_slice(body));
    };
    if contains_nul_escape(body)
        && let Some(field) = nul_path(&value, String::new())
    {
        return Err(ApiError::field(field, domain::NUL_MESSAGE));
    }
    integral_floats_to_integers(&mut value);
    deserialize(value)
}

/// Whole numbers written with a fraction (`164.0`, `1e3`) as integers, so an
/// integer field takes them; other numbers stay as they are.
fn integral_floats_to_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9_007_199_254_740_992.0
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

fn deserialize<'de, T: DeserializeOwned, D>(de: D) -> Result<T, ApiError>
where
    D: serde::Deserializer<'de, Error = serde_json::Error>,
{
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        // serde_json appends " at line 1 column 9"; the field path says more.
        let message = message
            .rsplit_once(" at line ")
            .map(|(m, _)| m.to_string())
            .unwrap_or(message);
        let field = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => None,
            _ if path == "." => missing_field(&message),
            _ => Some(path),
        };
        let field = field.map(|f| {
            // A missing field is reported at its parent's path.
            match (missing_field(&message), f.as_str()) {
                (Some(name), parent) if parent != name && !parent.ends_with(&name) => {
                    format!("{parent}.{name}")
                }
                _ => f,
            }
        });
        let detail = match &field {
            Some(f) => format!("{f}: {message}"),
            None => format!("malformed JSON: {message}"),
        };
        ApiError::MalformedBody { detail, field }
    })
}

fn contains_nul_escape(body: &[u8]) -> bool {
    body.windows(6)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].iter().all(|b| *b == b'0'))
}

/// The path of the first string or key in `value` that holds U+0000
/// (`customer.name`, `lines[1].sku`; the root is `body`).
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => {
            Some(if path.is_empty() { "body".into() } else { path })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(&key.replace('\0', "\\u0000")))
            } else {
                nul_path(item, join(key))
            }
        }),
        _ => None,
    }
}

/// Refuses U+0000 in a query parameter or a path segment (after percent-
/// decoding) with a 422 naming the parameter, before any handler or
/// database sees it. Wraps every service's app.
pub async fn refuse_nul_in_url<B: actix_web::body::MessageBody + 'static>(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    if let Some(field) = nul_in_url(req.request()) {
        let response =
            actix_web::ResponseError::error_response(&ApiError::field(field, domain::NUL_MESSAGE));
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req).await.map(|res| res.map_into_left_body())
}

fn nul_in_url(req: &HttpRequest) -> Option<String> {
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if key.contains('\0') || value.contains('\0') {
            return Some(key.replace('\0', "\\u0000"));
        }
    }
    let pattern = req.match_pattern();
    let pattern: Vec<&str> = pattern.as_deref().unwrap_or("").split('/').collect();
    req.path().split('/').enumerate().find_map(|(i, segment)| {
        let decoded = percent_encoding::percent_decode_str(segment).collect::<Vec<u8>>();
        decoded.contains(&0).then(|| {
            pattern
                .get(i)
                .and_then(|p| p.strip_prefix('{'))
                .and_then(|p| p.split(['}', ':']).next())
                .map(str::to_string)
                .unwrap_or_else(|| "path".into())
        })
    })
}

fn missing_field(message: &str) -> Option<String> {
    message
        .strip_prefix("missing field `")
        .and_then(|s| s.split('`').next())
        .map(str::to_string)
}

/// Path pattern → the methods it serves, from the service's OpenAPI document.
pub struct AllowedMethods(pub std::collections::BTreeMap<String, String>);

/// Turns an error response that carries no JSON body (405 from the router,
/// errors raised inside actix itself) into problem+json, so clients parse one
/// error format everywhere. JSON bodies (problems, readiness reports) pass as they are.
pub fn problem_for_bare_errors<B: actix_web::body::MessageBody + 'static>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    use actix_web::middleware::ErrorHandlerResponse;
    let has_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if has_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let reason = status.canonical_reason().unwrap_or("Error");
    let slug = reason.to_ascii_lowercase().replace(' ', "-");
    let problem = crate::error::Problem {
        kind: format!("urn:crossdock:problem:{slug}"),
        title: reason.to_string(),
        status: status.as_u16(),
        detail: match status.as_u16() {
            405 => format!(
                "{} is not allowed on {}",
                res.request().method(),
                res.request().path()
            ),
            _ => reason.to_string(),
        },
        errors: Vec::new(),
    };
    // RFC 9110: a 405 says which methods the resource does serve.
    let allow = (status == actix_web::http::StatusCode::METHOD_NOT_ALLOWED)
        .then(|| {
            let pattern = res.request().match_pattern()?;
            res.request()
                .app_data::<web::Data<AllowedMethods>>()?
                .0
                .get(&pattern)
                .cloned()
        })
        .flatten();
    let (req, _) = res.into_parts();
    let mut response = HttpResponse::build(status);
    response.content_type(crate::error::PROBLEM_JSON);
    if let Some(allow) = allow {
        response.insert_header((header::ALLOW, allow));
    }
    let response = response.body(serde_json::to_vec(&problem).unwrap_or_default());
    Ok(ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

/// The `ETag` of a versioned resource.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version named by `If-Match`, if the header is present.
/// `Ok(None)`: no header. Malformed headers are 400.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::BadRequest("malformed If-Match header".into()))?
        .trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    // The ETag as returned ("3"), or leniently its bare version (3).
    let bare = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    bare.parse::<i64>().ok().map(Some).ok_or_else(|| {
        ApiError::BadRequest("If-Match must be an ETag returned by this API, e.g. \"3\"".into())
    })
}

/// True when `If-None-Match` names `version` (or is `*`): the client's copy is current.
pub fn if_none_match(req: &HttpRequest, version: i64) -> bool {
    let Some(value) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value.split(',').map(str::trim).any(|tag| {
        tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"') == version.to_string()
    })
}

/// `If-Match` for updates: required, and must name the current version.
pub fn require_if_match(req: &HttpRequest) -> Result<i64, ApiError> {
    if_match(req)?.ok_or_else(|| {
        ApiError::PreconditionRequired(
            "updates need an If-Match header with the current ETag".into(),
        )
    })
}

/// Refuses a change made on a stale version: `expected` (from If-Match, if
/// sent) must be `current`, else 412 naming both.
pub fn check_version(expected: Option<i64>, current: i64, what: &str) -> Result<(), ApiError> {
    match expected {
        Some(e) if e != current => Err(ApiError::PreconditionFailed(format!(
            "{what} changed: If-Match is \"{e}\" but the current ETag is \"{current}\""
        ))),
        _ => Ok(()),
    }
}

/// Problem+json for unknown routes.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such resource".into()))
}

/// Liveness: the process serves requests.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Readiness: database reachable with migrations applied, Kafka reachable,
/// and not shutting down.
pub async fn readyz(rt: web::Data<Runtime>, readiness: web::Data<Readiness>) -> HttpResponse {
    let timeout = Duration::from_secs(3);
    let db = tokio::time::timeout(timeout, crate::db::check(&rt.db, &readiness.migrations))
        .await
        .unwrap_or_else(|_| Err("timed out".into()));
    let kafka = tokio::time::timeout(timeout, rt.producer.check())
        .await
        .unwrap_or_else(|_| Err("timed out".into()));
    let stopping = readiness.is_stopping();
    let status = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => e.clone(),
    };
    let body = serde_json::json!({
        "status": if db.is_ok() && kafka.is_ok() && !stopping { "ready" } else { "not_ready" },
        "checks": {
            "database": status(&db),
            "kafka": status(&kafka),
            "shutting_down": stopping,
        }
    });
    if db.is_ok() && kafka.is_ok() && !stopping {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Adds the bearer-token security scheme every Crossdock API uses.
pub struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// The page size of a list request: `default` when absent, a field error on
/// `limit` outside 1..=`max`.
pub fn page_limit(v: &mut domain::Validator, limit: Option<i64>, default: i64, max: i64) -> i64 {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        v.push("limit", format!("must be between 1 and {max}"));
    }
    limit
}

/// A feed cursor: a sequence number this API returned (0, the beginning, when
/// absent); anything else is a field error on `cursor`.
pub fn sequence_cursor(v: &mut domain::Validator, cursor: Option<&str>) -> i64 {
    match cursor {
        None => 0,
        Some(c) => v
            .check(
                "cursor",
                c.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or("not a cursor from this API"),
            )
            .unwrap_or(0),
    }
}

/// A list cursor that is an id this API returned; anything else is a field
/// error on `cursor`.
pub fn id_cursor(v: &mut domain::Validator, cursor: Option<&str>) -> Option<uuid::Uuid> {
    cursor.and_then(|c| {
        v.check(
            "cursor",
            uuid::Uuid::parse_str(c).map_err(|_| "not a cursor from this API"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Line {
        sku: domain::Sku,
        qty: i64,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        lines: Vec<Line>,
    }

    fn field_of(json: &str) -> (Option<String>, String) {
        match parse_json::<Body>(json.as_bytes()).unwrap_err() {
            ApiError::MalformedBody { field, detail } => (field, detail),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn names_the_path_of_a_bad_value() {
        let (field, detail) = field_of(r#"{"lines":[{"sku":"A","qty":1},{"sku":"a b","qty":1}]}"#);
        assert_eq!(field.as_deref(), Some("lines[1].sku"));
        assert!(detail.contains("SKU may contain only"), "{detail}");
    }

    #[test]
    fn names_a_missing_field() {
        let (field, _) = field_of(r#"{"lines":[{"qty":1}]}"#);
        assert_eq!(field.as_deref(), Some("lines[0].sku"));
        let (field, _) = field_of(r#"{}"#);
        assert_eq!(field.as_deref(), Some("lines"));
    }

    #[test]
    fn nul_in_any_string_or_key_is_a_422_naming_its_path() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Loose {
            name: String,
            tags: Vec<String>,
            extra: serde_json::Value,
        }
        let named = |json: &str| match parse_json::<Loose>(json.as_bytes()).unwrap_err() {
            ApiError::Validation(errors) => errors[0].field.clone(),
            other => panic!("expected a 422, got {other:?}"),
        };
        assert_eq!(named(r#"{"name":"A\u0000","tags":[],"extra":1}"#), "name");
        assert_eq!(
            named(r#"{"name":"A","tags":["x","\u0000"],"extra":1}"#),
            "tags[1]"
        );
        assert_eq!(
            named(r#"{"name":"A","tags":[],"extra":{"deep":["\u0000"]}}"#),
            "extra.deep[0]"
        );
        assert_eq!(
            named(r#"{"name":"A","tags":[],"extra":{"k\u0000":1}}"#),
            "extra.k\\u0000"
        );
        // An escaped backslash followed by "u0000" is six characters of text, not NUL.
        let ok = parse_json::<Loose>(br#"{"name":"\\u0000","tags":[],"extra":1}"#).unwrap();
        assert_eq!(ok.name, "\\u0000");
    }

    #[test]
    fn whole_numbers_with_a_fraction_are_integers() {
        let body: Body =
            parse_json(br#"{"lines":[{"sku":"A","qty":164.0},{"sku":"B","qty":2e1}]}"#).unwrap();
        assert_eq!(body.lines[0].qty, 164);
        assert_eq!(body.lines[1].qty, 20);
        let (field, _) = field_of(r#"{"lines":[{"sku":"A","qty":1.5}]}"#);
        assert_eq!(field.as_deref(), Some("lines[0].qty"));
    }

    #[test]
    fn malformed_json_has_no_field() {
        let (field, detail) = field_of(r#"{"lines": ["#);
        assert_eq!(field, None);
        assert!(detail.starts_with("malformed JSON"), "{detail}");
    }

    #[test]
    fn paging_helpers_name_the_field() {
        let mut v = domain::Validator::new();
        assert_eq!(page_limit(&mut v, None, 50, 500), 50);
        assert_eq!(sequence_cursor(&mut v, Some("42")), 42);
        assert_eq!(sequence_cursor(&mut v, None), 0);
        assert!(id_cursor(&mut v, Some("0190b6f0-0000-7000-8000-000000000000")).is_some());
        assert!(v.is_empty());
        page_limit(&mut v, Some(501), 50, 500);
        sequence_cursor(&mut v, Some("-1"));
        id_cursor(&mut v, Some("nope"));
        let fields: Vec<String> = v
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["limit", "cursor", "cursor"]);
    }
}
