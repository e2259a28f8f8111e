//! The OpenAPI document a service serves and commits: its own operations,
//! the routes every service shares (event ledger, audit trail), and the
//! problem responses that every operation can return, declared here once
//! instead of on every handler.
//!
//! What the platform itself answers, before or around any handler, is the
//! same for every operation, so it is added to every operation that does not
//! already describe it: 400 (a malformed header, query string or path), 401
//! (every `/v1` route authenticates), 403 (access rules), 422 (a field breaks
//! a rule; U+0000 in any text), 503 (database or broker unavailable); 404 when
//! the path names a resource; 413 and 415 when it takes a body. A handler's
//! own annotations keep what is particular to it (409, 412, 428, a 404 for a
//! referenced resource) with their descriptions.

use std::collections::BTreeMap;

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::error::PROBLEM_JSON;

/// The service's document as served at `/openapi.json` and committed.
pub fn document(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    doc.merge(crate::ledger::ApiDoc::openapi());
    doc.merge(crate::audit::ApiDoc::openapi());
    doc.merge(ProblemSchemas::openapi());
    add_problem_responses(&mut doc);
    doc
}

/// The problem+json body every error response carries, and the shared
/// identifiers that path parameters name by type.
#[derive(OpenApi)]
#[openapi(components(schemas(
    crate::error::Problem,
    crate::error::FieldErrorSchema,
    domain::Sku,
    domain::Gtin,
    domain::ChannelId,
    domain::LocationCode,
)))]
struct ProblemSchemas;

fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

/// Adds the platform's problem responses to every operation (see the module docs).
pub fn add_problem_responses(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let names_resource = path.contains('{');
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            headers_are_never_null(operation);
            let has_body = operation.request_body.is_some();
            let has_path_params = names_resource || path_parameters(operation);
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem(description));
            };
            add(
                "400",
                "Malformed request: a header, the query string, the path or the body",
            );
            add("401", "No bearer token, or an invalid one");
            add(
                "403",
                "The token may not use this operation, or not for this channel",
            );
            add(
                "422",
                "A field breaks a rule; `errors` names every field at fault",
            );
            add(
                "503",
                "A dependency (database, broker) is unavailable; retry with backoff",
            );
            if has_path_params {
                add("404", "No such resource");
            }
            if has_body {
                add("413", "The body is larger than the limit");
                add("415", "The body is not application/json");
            }
        }
    }
}

/// An optional header is absent or a string, never `null` (utoipa writes an
/// `Option<String>` header as string-or-null, and a client would send "null").
fn headers_are_never_null(operation: &mut Operation) {
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    for parameter in operation.parameters.iter_mut().flatten() {
        if let RefOr::T(parameter) = parameter
            && matches!(parameter.parameter_in, ParameterIn::Header)
            && let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut()
            && let SchemaType::Array(types) = &object.schema_type
        {
            let types: Vec<Type> = types
                .iter()
                .filter(|t| **t != Type::Null)
                .cloned()
                .collect();
            if types.len() == 1 {
                object.schema_type = SchemaType::Type(types[0].clone());
            }
        }
    }
}

fn path_parameters(operation: &Operation) -> bool {
    operation.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => matches!(p.parameter_in, ParameterIn::Path),
        RefOr::Ref(_) => false,
    })
}

/// Path pattern → the methods it serves (`GET, PUT`), for the `Allow` header
/// of a 405.
pub fn allowed_methods(doc: &utoipa::openapi::OpenApi) -> BTreeMap<String, String> {
    doc.paths
        .paths
        .iter()
        .map(|(path, item)| {
            let methods: Vec<&str> = [
                ("GET", item.get.is_some()),
                ("PUT", item.put.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
            ]
            .into_iter()
            .filter_map(|(m, present)| present.then_some(m))
            .collect();
            (path.clone(), methods.join(", "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(OpenApi)]
    #[openapi(paths(crate::ledger::event_ledger))]
    struct Doc;

    #[test]
    fn every_operation_declares_the_platform_problems() {
        let doc = document(Doc::openapi());
        let audit = doc.paths.paths["/v1/audit"].get.as_ref().unwrap();
        for status in ["400", "401", "403", "422", "503"] {
            assert!(audit.responses.responses.contains_key(status), "{status}");
        }
        assert!(
            !audit.responses.responses.contains_key("413"),
            "no body, no 413"
        );
        // A handler's own description wins.
        let ledger = doc.paths.paths["/v1/ops/event-ledger"]
            .get
            .as_ref()
            .unwrap();
        assert!(ledger.responses.responses.contains_key("200"));
        let allow = allowed_methods(&doc);
        assert_eq!(allow["/v1/audit"], "GET");
    }
}
