//! A GraphQL response as bytes in the negotiated media type, with the status the spec gives
//! it: 200 for what ran, a 4xx or 5xx under `application/graphql-response+json` for what
//! never did.

use actix_web::http::StatusCode;
use actix_web::web::Bytes;

use crate::graphql::error::{code, coded};
use crate::http::negotiation::MediaType;

/// An answer, encoded in the negotiated media type.
pub(super) struct Encoded {
    pub(super) status: StatusCode,
    pub(super) body: Bytes,
    /// No errors: its `ETag` may be given, and it may be cached.
    pub(super) clean: bool,
    /// A query whose answer did not depend on who asked (see [`crate::graphql::access`]):
    /// it may be kept in the response cache and given to shared caches.
    pub(super) cacheable: bool,
    /// What the cost model found it costs (before it ran).
    pub(super) cost: Option<u64>,
}

/// A response with one coded error and no `data`.
pub(super) fn answer(message: &str, code: &'static str) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![coded(message, code)])
}

/// A response that never executed: its errors (and extensions), no `data`.
#[derive(serde::Serialize)]
struct NotExecuted<'a> {
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

/// The status and body of a GraphQL response in `media`, serialised once, straight to
/// bytes. A response that never executed (parse, validation or limit errors, an unknown
/// operation or persisted query, a time-out, a refusal of the checks) has no `data`; under
/// `application/graphql-response+json` its status says why, under `application/json` it
/// is 200.
pub(super) fn encode(
    response: &async_graphql::Response,
    media: MediaType,
    cost: Option<u64>,
) -> Encoded {
    encode_as(response, media, cost, never_ran(response))
}

/// A refusal of the checks (see [`super::check`]): it never ran, whatever its code (a NUL is
/// refused with `BAD_USER_INPUT`, as a variable GraphQL cannot coerce would be).
pub(super) fn encode_refusal(response: &async_graphql::Response, media: MediaType) -> Encoded {
    encode_as(response, media, None, true)
}

fn encode_as(
    response: &async_graphql::Response,
    media: MediaType,
    cost: Option<u64>,
    not_executed: bool,
) -> Encoded {
    let (status, body) = encode_body(response, media, not_executed);
    Encoded {
        clean: status == StatusCode::OK && response.errors.is_empty(),
        status,
        body: Bytes::from(body),
        cacheable: false,
        cost,
    }
}

/// The codes of a response's errors.
fn codes(response: &async_graphql::Response) -> Vec<&str> {
    response
        .errors
        .iter()
        .filter_map(|error| error.extensions.as_ref()?.get("code"))
        .filter_map(|value| match value {
            async_graphql::Value::String(code) => Some(code.as_str()),
            _ => None,
        })
        .collect()
}

/// Whether a response's errors say it never executed (see [`encode`]).
fn never_ran(response: &async_graphql::Response) -> bool {
    let codes = codes(response);
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && codes.len() == response.errors.len()
        && codes.iter().all(|code| {
            code::REQUEST_ERRORS.contains(code)
                || *code == code::PERSISTED_QUERY_NOT_FOUND
                || *code == code::TIMEOUT
                || *code == code::RESPONSE_TOO_LARGE
        })
}

fn encode_body(
    response: &async_graphql::Response,
    media: MediaType,
    not_executed: bool,
) -> (StatusCode, Vec<u8>) {
    let codes = codes(response);
    let body = if not_executed {
        serde_json::to_vec(&NotExecuted {
            errors: &response.errors,
            extensions: &response.extensions,
        })
    } else {
        serde_json::to_vec(response)
    };
    let body = body.unwrap_or_else(|error| {
        tracing::error!(%error, "cannot serialize a GraphQL response");
        serde_json::json!({ "errors": [{ "message": "internal server error", "extensions": { "code": code::INTERNAL } }] })
            .to_string()
            .into_bytes()
    });
    if !not_executed {
        return (StatusCode::OK, body);
    }
    let status = match media {
        MediaType::Json => StatusCode::OK,
        // Apollo's clients retry with the full query on a 200; some give up on a 4xx.
        MediaType::GraphQLResponse if codes.contains(&code::PERSISTED_QUERY_NOT_FOUND) => {
            StatusCode::OK
        }
        MediaType::GraphQLResponse if codes.contains(&code::TIMEOUT) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        MediaType::GraphQLResponse => StatusCode::BAD_REQUEST,
    };
    (status, body)
}
