//! Requests `/graphql` refuses before GraphQL sees them, with their HTTP status and code.
//! The body is a GraphQL response with `errors` only, in whichever media type was chosen.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::json;

use super::negotiation::{ContentTypeError, MediaType};
use super::persisted::PersistedQueryError;
use crate::graphql::error::code;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(
        "gnlc answers in `application/graphql-response+json` or `application/json`; the `Accept` header allows neither"
    )]
    NotAcceptable,
    #[error(transparent)]
    UnsupportedMediaType(#[from] ContentTypeError),
    #[error("the request body is over the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body cannot be read")]
    BodyUnreadable,
    #[error("the request body is not JSON in UTF-8: {0}")]
    NotJson(String),
    #[error(
        "the request must be a JSON object with a `query` (or, when batches are allowed, an array of them)"
    )]
    NotAnObject,
    #[error("`{field}` must be {expected}")]
    BadField {
        field: &'static str,
        expected: &'static str,
    },
    #[error("the query string is not valid: {0}")]
    BadQueryString(String),
    #[error("a GraphQL request needs a `query`")]
    MissingQuery,
    #[error("batched requests (a JSON array) are not accepted here; send one request at a time")]
    BatchRefused,
    #[error("a batch holds {size} requests, over the limit of {limit}")]
    BatchTooLarge { size: usize, limit: usize },
    #[error("a batch must hold at least one request")]
    EmptyBatch,
    #[error("mutations are only accepted over POST")]
    MutationOverGet,
    #[error("/graphql answers GET and POST only")]
    MethodNotAllowed,
    #[error(transparent)]
    PersistedQuery(PersistedQueryError),
    #[error(transparent)]
    Unauthenticated(crate::access::AccessError),
    #[error("internal server error")]
    Internal,
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            HttpError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HttpError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::MutationOverGet | HttpError::MethodNotAllowed => {
                StatusCode::METHOD_NOT_ALLOWED
            }
            HttpError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            HttpError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            HttpError::NotAcceptable => code::NOT_ACCEPTABLE,
            HttpError::UnsupportedMediaType(_) => code::UNSUPPORTED_MEDIA_TYPE,
            HttpError::PayloadTooLarge { .. } => code::PAYLOAD_TOO_LARGE,
            HttpError::MutationOverGet | HttpError::MethodNotAllowed => code::METHOD_NOT_ALLOWED,
            HttpError::Unauthenticated(_) => code::UNAUTHENTICATED,
            HttpError::Internal => code::INTERNAL,
            _ => code::BAD_REQUEST,
        }
    }

    /// The response, in `media` (a 406 answers in `application/json`: the client accepts
    /// nothing gnlc speaks).
    pub fn response(&self, media: Option<MediaType>) -> HttpResponse {
        let media = media.unwrap_or(MediaType::Json);
        let mut response = HttpResponse::build(self.status());
        response.insert_header((CONTENT_TYPE, media.content_type()));
        match self {
            HttpError::MutationOverGet => {
                response.insert_header((ALLOW, "POST"));
            }
            HttpError::MethodNotAllowed => {
                response.insert_header((ALLOW, "GET, POST"));
            }
            HttpError::Unauthenticated(_) => {
                response.insert_header((WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.body(
            json!({ "errors": [{ "message": self.to_string(), "extensions": { "code": self.code() } }] })
                .to_string(),
        )
    }
}
