//! How errors reach clients: every error carries a stable `extensions.code`, and internal
//! details go to the log, never to the client.

use std::sync::Arc;

use async_graphql::{ErrorExtensions, Response, ServerError};
use sea_orm::DbErr;

use crate::access::AccessError;
use crate::admission::AdmissionError;
use crate::membership::MembershipError;
use crate::pagination::PageError;
use crate::webhooks::endpoints::EndpointError;

/// The stable codes clients can match on.
pub mod code {
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const CONFLICT: &str = "CONFLICT";
    pub const INTERNAL: &str = "INTERNAL";
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The query nests deeper than the server's limit.
    pub const QUERY_TOO_DEEP: &str = "QUERY_TOO_DEEP";
    /// The query selects more than the server's complexity limit.
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    /// `operationName` names no operation of the document, or is needed and missing.
    pub const OPERATION_RESOLUTION_FAILURE: &str = "OPERATION_RESOLUTION_FAILURE";
    /// An automatic persisted query's hash the server does not know (yet).
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// The answer would hold more values than one answer may (`--max-response-values`).
    pub const RESPONSE_TOO_LARGE: &str = "RESPONSE_TOO_LARGE";
    /// The request took longer than the server's time limit.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// The HTTP request is not a GraphQL-over-HTTP request gnlc can read.
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The request body is larger than the server's limit.
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// Neither `application/graphql-response+json` nor `application/json` is acceptable.
    pub const NOT_ACCEPTABLE: &str = "NOT_ACCEPTABLE";
    /// A POST body that is not `application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
    /// A mutation over GET, or a method `/graphql` does not serve.
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    /// A subscriber fell more events behind than its buffer holds: it resumes from its
    /// last cursor.
    pub const SUBSCRIBER_TOO_SLOW: &str = "SUBSCRIBER_TOO_SLOW";

    /// Codes of errors raised before execution starts: such a response has no `data`.
    pub const REQUEST_ERRORS: [&str; 5] = [
        GRAPHQL_PARSE_FAILED,
        GRAPHQL_VALIDATION_FAILED,
        QUERY_TOO_DEEP,
        QUERY_TOO_COMPLEX,
        OPERATION_RESOLUTION_FAILURE,
    ];
}

/// async-graphql's messages for its limits, matched to give them their own codes.
const TOO_DEEP_MESSAGE: &str = "Query is nested too deep.";
const TOO_COMPLEX_MESSAGE: &str = "Query is too complex.";

/// An error raised outside the resolvers (by the HTTP layer), with its code.
pub fn coded(message: impl Into<String>, code: &'static str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

pub fn with_code(message: impl Into<String>, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// An error whose cause must stay on the server: logged here, opaque to the client. One
/// that lost its database connection carries [`ConnectionLost`] as its source.
pub fn internal(error: &(dyn std::error::Error + 'static)) -> async_graphql::Error {
    tracing::error!(error = %error, debug = ?error, "internal error while resolving a request");
    let mut coded = with_code("internal server error", code::INTERNAL);
    if lost_connection(error) {
        coded.source = Some(Arc::new(ConnectionLost));
    }
    coded
}

/// The mark of an error that lost its database connection (one PostgreSQL dropped): the
/// statement never ran to its end, and a read may run again on a fresh connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLost;

/// Whether an error, or one of its causes, is a database error that lost its connection.
fn lost_connection(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |error| error.source()).any(|error| {
        error
            .downcast_ref::<DbErr>()
            .is_some_and(crate::database::connection_lost)
    })
}

/// Whether a response holds an error that lost its database connection.
pub fn lost_its_connection(response: &Response) -> bool {
    response
        .errors
        .iter()
        .any(|error| error.source::<ConnectionLost>().is_some())
}

impl ErrorExtensions for MembershipError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            MembershipError::Database(e) => internal(e),
            // An unknown region, country or cohort named in an argument is bad input; an
            // unknown single object asked for by its ID is `null`, not an error.
            MembershipError::UnknownRegion(_)
            | MembershipError::UnknownCountry(_)
            | MembershipError::UnknownCohort(_)
            | MembershipError::MalformedCountryCode(_)
            | MembershipError::InvalidArgument(_) => {
                with_code(self.to_string(), code::BAD_USER_INPUT)
            }
        }
    }
}

impl ErrorExtensions for PageError {
    fn extend(&self) -> async_graphql::Error {
        with_code(self.to_string(), code::BAD_USER_INPUT)
    }
}

impl ErrorExtensions for AdmissionError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            AdmissionError::Database(e) => internal(e),
            AdmissionError::Invalid(problems) => {
                let problems = async_graphql::Value::from_json(
                    serde_json::to_value(problems).unwrap_or_default(),
                )
                .unwrap_or_default();
                with_code(self.to_string(), code::BAD_USER_INPUT)
                    .extend_with(|_, e| e.set("problems", problems))
            }
            AdmissionError::Conflict(_) | AdmissionError::AlreadyWithdrawn(..) => {
                with_code(self.to_string(), code::CONFLICT)
            }
            AdmissionError::UnknownCity(_) => with_code(self.to_string(), code::NOT_FOUND),
        }
    }
}

impl ErrorExtensions for EndpointError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            EndpointError::Database(e) => internal(e),
            EndpointError::Unauthenticated => with_code(self.to_string(), code::UNAUTHENTICATED),
            EndpointError::Forbidden => with_code(self.to_string(), code::FORBIDDEN),
            EndpointError::NotFound(..) => with_code(self.to_string(), code::NOT_FOUND),
            EndpointError::Invalid(_) | EndpointError::Guard(_) | EndpointError::Page(_) => {
                with_code(self.to_string(), code::BAD_USER_INPUT)
            }
            EndpointError::TooMany(limit) => with_code(self.to_string(), code::BAD_USER_INPUT)
                .extend_with(|_, e| e.set("limit", *limit)),
        }
    }
}

impl ErrorExtensions for AccessError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            AccessError::Database(e) => internal(e),
            AccessError::InvalidToken | AccessError::MalformedHeader => {
                with_code(self.to_string(), code::UNAUTHENTICATED)
            }
            AccessError::InvalidName | AccessError::UnknownToken(_) => {
                with_code(self.to_string(), code::BAD_USER_INPUT)
            }
        }
    }
}

/// The error type of the DataLoaders: cheap to clone, as they share it between waiters.
#[derive(Debug, Clone)]
pub struct LoadError(pub Arc<DbErr>);

impl From<DbErr> for LoadError {
    fn from(e: DbErr) -> Self {
        Self(Arc::new(e))
    }
}

impl ErrorExtensions for LoadError {
    fn extend(&self) -> async_graphql::Error {
        internal(self.0.as_ref())
    }
}

/// The longest parse error message sent back, in bytes.
const MAX_PARSE_MESSAGE: usize = 512;

/// Cuts a message to [`MAX_PARSE_MESSAGE`] bytes (on a character boundary), marking the cut.
fn shorten(message: &mut String) {
    if message.len() <= MAX_PARSE_MESSAGE {
        return;
    }
    let mut end = MAX_PARSE_MESSAGE;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    message.push_str(" …");
}

/// Gives the errors async-graphql raises itself the codes GraphQL clients know from Apollo
/// Server. A document that did not parse (`parsed` false) failed with syntax errors. Errors
/// with no path were raised before execution: validation, or the depth and complexity
/// limits. During execution, the only errors without a code are argument values it could
/// not coerce (every error of ours carries its code), so those are `BAD_USER_INPUT`.
///
/// Applied to the response rather than as a schema extension: any extension sends every
/// field through async-graphql's extension chain, which costs more than the whole answer.
pub fn assign_codes(response: &mut Response, parsed: bool) {
    for error in &mut response.errors {
        let code = if !parsed {
            // The parser quotes the line it stopped on: a document of one long line would
            // come back whole.
            shorten(&mut error.message);
            code::GRAPHQL_PARSE_FAILED
        } else if error.path.is_empty() {
            match error.message.as_str() {
                TOO_DEEP_MESSAGE => code::QUERY_TOO_DEEP,
                TOO_COMPLEX_MESSAGE => code::QUERY_TOO_COMPLEX,
                _ => code::GRAPHQL_VALIDATION_FAILED,
            }
        } else {
            code::BAD_USER_INPUT
        };
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code);
        }
    }
}
