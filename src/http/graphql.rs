//! `/graphql`, GraphQL over HTTP: reads the request (GET or POST, single or batch), refuses
//! what the spec refuses, runs it within the time limit, and answers in the negotiated media
//! type with the spec's status codes; GET answers carry an `ETag` and a `Cache-Control`.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{
    ACCEPT, AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG, HeaderMap,
    IF_NONE_MATCH, VARY,
};
use actix_web::http::{Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use futures_util::StreamExt;
use sea_orm::DatabaseConnection;
use tokio::time::Instant;

use super::cache::{self, Cached, ResponseCache};
use super::error::HttpError;
use super::etag;
use super::metrics::Operation;
use super::negotiation::{self, MediaType};
use super::persisted::{PersistedQueries, PersistedQueryError};
use super::version::VersionReads;
use super::wire::{self, Incoming, WireRequest};
use crate::access::Principal;
use crate::graphql::error::{code, coded};
use crate::graphql::{self, GnlcSchema};

/// What `/graphql` needs: the schema, the database, and the HTTP settings it applies.
pub struct GraphQLService {
    pub schema: GnlcSchema,
    pub db: DatabaseConnection,
    pub persisted: PersistedQueries,
    pub max_body_bytes: usize,
    pub max_batch_size: usize,
    pub time_limit: Duration,
    pub cache_control: String,
    /// Answers to anonymous public queries, when the response cache is on.
    pub cache: Option<ResponseCache>,
    /// Reads of the data version the cache keys on.
    pub versions: Arc<VersionReads>,
}

/// Where the answer of a cacheable request is kept: its key, at the current data version.
struct CacheSlot {
    key: String,
    version: i64,
}

/// A request ready to run, or already answered (an unknown persisted query, an operation
/// name that names nothing).
enum Prepared {
    Run(async_graphql::Request),
    Answer(async_graphql::Response),
}

pub async fn endpoint(
    request: HttpRequest,
    payload: web::Payload,
    service: web::Data<GraphQLService>,
) -> HttpResponse {
    // Counted as `anonymous` until the request names its operation (or fails before).
    label(&request, "anonymous");
    let media = negotiation::negotiate(header(request.headers(), ACCEPT));
    match serve(&request, payload, &service, media).await {
        Ok(response) => response,
        Err(error) => error.response(media),
    }
}

fn header(headers: &HeaderMap, name: actix_web::http::header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

async fn serve(
    request: &HttpRequest,
    payload: web::Payload,
    service: &GraphQLService,
    media: Option<MediaType>,
) -> Result<HttpResponse, HttpError> {
    let media = media.ok_or(HttpError::NotAcceptable)?;
    let principal = super::auth::principal(&service.db, request).await?;
    let is_get = request.method() == Method::GET;
    let incoming = if is_get {
        Incoming::Single(wire::from_query_string(request.query_string())?)
    } else if request.method() == Method::POST {
        negotiation::check_content_type(header(request.headers(), CONTENT_TYPE))?;
        let body = read_body(request, payload, service.max_body_bytes).await?;
        wire::from_body(&body, service.max_batch_size)?
    } else {
        return Err(HttpError::MethodNotAllowed);
    };
    let deadline = Instant::now() + service.time_limit;
    match incoming {
        Incoming::Single(wire) => {
            let mut prepared = service.prepare(request, wire, is_get)?;
            let slot = service
                .cache_slot(request, &mut prepared, &principal, media)
                .await;
            if let (Some(cache), Some(slot)) = (&service.cache, &slot)
                && let Some(cached) = cache.get(&slot.key, slot.version)
            {
                label(request, &cached.label);
                return Ok(service.respond(
                    request,
                    media,
                    StatusCode::OK,
                    cached.body,
                    true,
                    is_get,
                ));
            }
            let response = service.run(request, prepared, principal, deadline).await;
            let (status, body) = encode(&response, media);
            let body = Bytes::from(body.to_string());
            let clean = status == StatusCode::OK && response.errors.is_empty();
            if let (Some(cache), Some(slot)) = (&service.cache, slot)
                && clean
            {
                let label = request
                    .extensions()
                    .get::<Operation>()
                    .map(|operation| operation.0.clone())
                    .unwrap_or_default();
                cache.insert(
                    slot.key,
                    Cached {
                        version: slot.version,
                        body: body.clone(),
                        label,
                    },
                );
            }
            Ok(service.respond(request, media, status, body, clean, is_get))
        }
        Incoming::Batch(wires) => {
            let prepared: Vec<Prepared> = wires
                .into_iter()
                .map(|wire| service.prepare(request, wire, false))
                .collect::<Result<_, _>>()?;
            // Named after preparing, which names each request's operation in turn.
            label(request, "batch");
            let mut items = Vec::with_capacity(prepared.len());
            for prepared in prepared {
                let response = service
                    .run(request, prepared, principal.clone(), deadline)
                    .await;
                items.push(encode(&response, media).1);
            }
            Ok(HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, media.content_type()))
                .body(serde_json::Value::Array(items).to_string()))
        }
    }
}

async fn read_body(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, HttpError> {
    let declared = header(request.headers(), CONTENT_LENGTH).and_then(|n| n.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(HttpError::PayloadTooLarge { limit });
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            tracing::debug!(%error, "cannot read a request body");
            HttpError::BodyUnreadable
        })?;
        if body.len() + chunk.len() > limit {
            return Err(HttpError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl GraphQLService {
    /// Resolves the persisted query, reads variables and extensions, and parses the document
    /// to name the operation and to refuse a mutation over GET before validation.
    fn prepare(
        &self,
        http: &HttpRequest,
        wire: WireRequest,
        is_get: bool,
    ) -> Result<Prepared, HttpError> {
        if let Some(name) = &wire.operation_name {
            label(http, name);
        }
        let query = match self.persisted.resolve(wire.query, wire.extensions.as_ref()) {
            Ok(Some(query)) => query,
            Ok(None) => return Err(HttpError::MissingQuery),
            Err(PersistedQueryError::NotFound) => {
                return Ok(Prepared::Answer(answer(
                    &PersistedQueryError::NotFound.to_string(),
                    code::PERSISTED_QUERY_NOT_FOUND,
                )));
            }
            Err(error) => return Err(HttpError::PersistedQuery(error)),
        };
        let mut request = async_graphql::Request::new(query);
        if let Some(name) = wire.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = wire.variables {
            request.variables =
                async_graphql::Variables::from_json(serde_json::Value::Object(variables));
        }
        if let Some(extensions) = wire.extensions {
            request.extensions = async_graphql::Extensions(
                extensions
                    .into_iter()
                    .filter_map(|(name, value)| {
                        async_graphql::Value::from_json(value)
                            .ok()
                            .map(|value| (name, value))
                    })
                    .collect(),
            );
        }
        let operation_name = request.operation_name.clone();
        // A document that does not parse is left to the schema, which reports it with its code.
        if let Ok(document) = request.parsed_query() {
            match select_operation(document, operation_name.as_deref()) {
                Ok((name, kind)) => {
                    if operation_name.is_none() {
                        label(http, name.unwrap_or("anonymous"));
                    }
                    if is_get && kind != OperationType::Query {
                        return Err(HttpError::MutationOverGet);
                    }
                }
                Err(message) => {
                    return Ok(Prepared::Answer(answer(
                        &message,
                        code::OPERATION_RESOLUTION_FAILURE,
                    )));
                }
            }
        }
        Ok(Prepared::Run(request))
    }

    /// Where a request's answer is cached, when it may be: the cache is on, the request is
    /// anonymous, and it runs a query that selects no token-only field. Reads the current
    /// data version (one statement, shared with the requests waiting at the same time); if
    /// that fails, the request just runs.
    async fn cache_slot(
        &self,
        http: &HttpRequest,
        prepared: &mut Prepared,
        principal: &Principal,
        media: MediaType,
    ) -> Option<CacheSlot> {
        self.cache.as_ref()?;
        if !matches!(principal, Principal::Anonymous) || http.headers().contains_key(AUTHORIZATION)
        {
            return None;
        }
        let Prepared::Run(request) = prepared else {
            return None;
        };
        let operation_name = request.operation_name.clone();
        let document = request.parsed_query().ok()?;
        if !cache::cacheable(document, operation_name.as_deref()) {
            return None;
        }
        let key = cache::key(
            media.content_type(),
            operation_name.as_deref(),
            &request.variables,
            &request.query,
        );
        let version = self.versions.current().await?;
        Some(CacheSlot { key, version })
    }

    /// Runs a request with its per-request data, unless the deadline passes first.
    async fn run(
        &self,
        http: &HttpRequest,
        prepared: Prepared,
        principal: Principal,
        deadline: Instant,
    ) -> async_graphql::Response {
        let request = match prepared {
            Prepared::Run(request) => graphql::request_data(request, &self.db, principal),
            Prepared::Answer(response) => return response,
        };
        // A batch's later requests may find the time already spent.
        if Instant::now() < deadline
            && let Ok(response) =
                tokio::time::timeout_at(deadline, self.schema.execute(request)).await
        {
            return response;
        }
        tracing::warn!(
            path = http.path(),
            limit_ms = self.time_limit.as_millis(),
            "request timed out"
        );
        answer(
            &format!(
                "the request took longer than the limit of {} ms",
                self.time_limit.as_millis()
            ),
            code::TIMEOUT,
        )
    }

    /// The HTTP response for one encoded GraphQL response (`clean`: without errors); on
    /// GET, with caching headers and a 304 when the client's tag is current.
    fn respond(
        &self,
        http: &HttpRequest,
        media: MediaType,
        status: StatusCode,
        body: Bytes,
        clean: bool,
        is_get: bool,
    ) -> HttpResponse {
        let mut builder = HttpResponse::build(status);
        builder.insert_header((CONTENT_TYPE, media.content_type()));
        if !is_get {
            return builder.body(body);
        }
        builder.insert_header((VARY, "Accept, Authorization"));
        if status != StatusCode::OK || !clean {
            return builder
                .insert_header((CACHE_CONTROL, "no-store"))
                .body(body);
        }
        let tag = etag::tag(media.content_type(), &body);
        // What a token may see is for its holder only: never for shared caches.
        let cache_control = if http.headers().contains_key(AUTHORIZATION) {
            "private, no-cache"
        } else {
            self.cache_control.as_str()
        };
        if header(http.headers(), IF_NONE_MATCH).is_some_and(|wanted| etag::matches(wanted, &tag)) {
            return HttpResponse::NotModified()
                .insert_header((ETAG, tag))
                .insert_header((CACHE_CONTROL, cache_control))
                .insert_header((VARY, "Accept, Authorization"))
                .finish();
        }
        builder
            .insert_header((ETAG, tag))
            .insert_header((CACHE_CONTROL, cache_control))
            .body(body)
    }
}

/// Names the operation for the log line and the metrics.
fn label(http: &HttpRequest, name: &str) {
    let valid = (1..=100).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    let name = if valid { name } else { "invalid" };
    http.extensions_mut().insert(Operation(name.to_owned()));
}

/// The operation a request runs (by `operationName`, or the document's only one), and its
/// kind; or why there is none.
fn select_operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Result<(Option<&'a str>, OperationType), String> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Ok((None, operation.node.ty)),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(candidate, _)| candidate.as_str() == name)
            .map(|(name, operation)| (Some(name.as_str()), operation.node.ty))
            .ok_or_else(|| format!("the document has no operation named `{name}`")),
        (DocumentOperations::Multiple(operations), None) => match operations.iter().next() {
            Some((name, operation)) if operations.len() == 1 => {
                Ok((Some(name.as_str()), operation.node.ty))
            }
            _ => Err("the document holds several operations: name one in `operationName`".into()),
        },
    }
}

/// A response with one coded error and no `data`.
fn answer(message: &str, code: &'static str) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![coded(message, code)])
}

/// The status and body of a GraphQL response in `media`. A response that never executed
/// (parse, validation or limit errors, an unknown operation or persisted query, a time-out)
/// has no `data`; under `application/graphql-response+json` its status says why, under
/// `application/json` it is 200.
fn encode(response: &async_graphql::Response, media: MediaType) -> (StatusCode, serde_json::Value) {
    let mut body = serde_json::to_value(response).unwrap_or_else(|error| {
        tracing::error!(%error, "cannot serialize a GraphQL response");
        serde_json::json!({ "errors": [{ "message": "internal server error", "extensions": { "code": code::INTERNAL } }] })
    });
    let codes: Vec<&str> = response
        .errors
        .iter()
        .filter_map(|error| error.extensions.as_ref()?.get("code"))
        .filter_map(|value| match value {
            async_graphql::Value::String(code) => Some(code.as_str()),
            _ => None,
        })
        .collect();
    let not_executed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && codes.len() == response.errors.len()
        && codes.iter().all(|code| {
            code::REQUEST_ERRORS.contains(code)
                || *code == code::PERSISTED_QUERY_NOT_FOUND
                || *code == code::TIMEOUT
        });
    if !not_executed {
        return (StatusCode::OK, body);
    }
    if let Some(object) = body.as_object_mut() {
        object.remove("data");
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
