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
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use futures_util::StreamExt;
use sea_orm::DatabaseConnection;
use tokio::time::Instant;

use super::cache::{self, Cached, ResponseCache};
use super::error::HttpError;
use super::etag;
use super::metrics::Operation;
use super::negotiation::{self, MediaType};
use super::persisted::{PersistedQueries, PersistedQueryError};
use super::wire::{self, Incoming, WireRequest};
use crate::access::Principal;
use crate::data_version::DataVersions;
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
    /// The data version the cache keys on.
    pub versions: Arc<DataVersions>,
}

/// A request ready to run, or already answered (an unknown persisted query, an operation
/// name that names nothing).
enum Prepared {
    Run(async_graphql::Request),
    Answer(async_graphql::Response),
}

impl Prepared {
    /// Whether its answer may be cached: a parsed query (not a mutation) that selects no
    /// token-only field.
    fn cacheable(&mut self) -> bool {
        let Prepared::Run(request) = self else {
            return false;
        };
        let operation_name = request.operation_name.clone();
        request
            .parsed_query()
            .is_ok_and(|document| cache::cacheable(document, operation_name.as_deref()))
    }
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
            let wire = match service.resolve_persisted(request, wire)? {
                Ok(wire) => wire,
                Err(answer) => {
                    let (status, body) = encode(&answer, media);
                    return Ok(service.respond(request, media, status, body.into(), None, is_get));
                }
            };
            // The cache is looked up before the document is parsed: an answer is only
            // ever kept for a cacheable query, so finding one under the key is enough.
            let mut slot = service.cache_key(request, &principal, media, &wire);
            // Read before the query runs (if it does), so an answer is never newer than
            // the version it is kept at.
            let mut version = None;
            if let (Some(cache), Some(key)) = (&service.cache, &slot)
                && let Some(cached) = cache.get(key)
            {
                version = service.versions.current().await;
                if version == Some(cached.version) {
                    label(request, &cached.label);
                    return Ok(service.respond(
                        request,
                        media,
                        StatusCode::OK,
                        cached.body.clone(),
                        Some(&cached.etag),
                        is_get,
                    ));
                }
            }
            let mut prepared = service.prepare(request, wire, is_get)?;
            if !prepared.cacheable() {
                slot = None;
            }
            let version = match (&slot, version) {
                (None, _) => None,
                (Some(_), Some(version)) => Some(version),
                (Some(_), None) => service.versions.current().await,
            };
            let response = service.run(request, prepared, principal, deadline).await;
            let (status, body) = encode(&response, media);
            let body = Bytes::from(body);
            let clean = status == StatusCode::OK && response.errors.is_empty();
            let tag = (clean && (is_get || version.is_some()))
                .then(|| etag::tag(media.content_type(), &body));
            if let (Some(cache), Some(key), Some(version), Some(tag)) =
                (&service.cache, slot, version, &tag)
            {
                let label = request
                    .extensions()
                    .get::<Operation>()
                    .map(|operation| operation.0.clone())
                    .unwrap_or_default();
                cache.insert(
                    key,
                    Cached {
                        version,
                        body: body.clone(),
                        etag: tag.clone(),
                        label,
                    },
                );
            }
            Ok(service.respond(request, media, status, body, tag.as_deref(), is_get))
        }
        Incoming::Batch(wires) => {
            let prepared: Vec<Prepared> = wires
                .into_iter()
                .map(|wire| {
                    Ok(match service.resolve_persisted(request, wire)? {
                        Ok(wire) => service.prepare(request, wire, false)?,
                        Err(answer) => Prepared::Answer(answer),
                    })
                })
                .collect::<Result<_, HttpError>>()?;
            // Named after preparing, which names each request's operation in turn.
            label(request, "batch");
            let mut body = b"[".to_vec();
            for (i, prepared) in prepared.into_iter().enumerate() {
                let response = service
                    .run(request, prepared, principal.clone(), deadline)
                    .await;
                if i > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(&encode(&response, media).1);
            }
            body.push(b']');
            Ok(HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, media.content_type()))
                .body(body))
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
    /// Names the operation, and resolves an automatic persisted query: the request with
    /// its query, or the answer when the hash is unknown.
    fn resolve_persisted(
        &self,
        http: &HttpRequest,
        mut wire: WireRequest,
    ) -> Result<Result<WireRequest, async_graphql::Response>, HttpError> {
        if let Some(name) = &wire.operation_name {
            label(http, name);
        }
        match self
            .persisted
            .resolve(wire.query.take(), wire.extensions.as_ref())
        {
            Ok(Some(query)) => {
                wire.query = Some(query);
                Ok(Ok(wire))
            }
            Ok(None) => Err(HttpError::MissingQuery),
            Err(PersistedQueryError::NotFound) => Ok(Err(answer(
                &PersistedQueryError::NotFound.to_string(),
                code::PERSISTED_QUERY_NOT_FOUND,
            ))),
            Err(error) => Err(HttpError::PersistedQuery(error)),
        }
    }

    /// Reads variables and extensions of a request whose query is resolved, and parses the
    /// document to name the operation and to refuse a mutation over GET before validation.
    fn prepare(
        &self,
        http: &HttpRequest,
        wire: WireRequest,
        is_get: bool,
    ) -> Result<Prepared, HttpError> {
        let Some(query) = wire.query else {
            return Err(HttpError::MissingQuery);
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

    /// The cache key of a request whose answer may be cached: the cache is on and the
    /// request is anonymous. (Whether its operation is a cacheable query is known once it
    /// is parsed: see [`Prepared::cacheable`].)
    fn cache_key(
        &self,
        http: &HttpRequest,
        principal: &Principal,
        media: MediaType,
        wire: &WireRequest,
    ) -> Option<String> {
        self.cache.as_ref()?;
        if !matches!(principal, Principal::Anonymous) || http.headers().contains_key(AUTHORIZATION)
        {
            return None;
        }
        Some(cache::key(
            media.content_type(),
            wire.operation_name.as_deref(),
            wire.variables.as_ref(),
            wire.query.as_deref()?,
        ))
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
                tokio::time::timeout_at(deadline, graphql::execute(&self.schema, request)).await
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
        tag: Option<&str>,
        is_get: bool,
    ) -> HttpResponse {
        let mut builder = HttpResponse::build(status);
        builder.insert_header((CONTENT_TYPE, media.content_type()));
        if !is_get {
            return builder.body(body);
        }
        builder.insert_header((VARY, "Accept, Authorization"));
        // Only a clean answer (200, no errors) has a tag.
        let Some(tag) = tag.filter(|_| status == StatusCode::OK) else {
            return builder
                .insert_header((CACHE_CONTROL, "no-store"))
                .body(body);
        };
        // What a token may see is for its holder only: never for shared caches.
        let cache_control = if http.headers().contains_key(AUTHORIZATION) {
            "private, no-cache"
        } else {
            self.cache_control.as_str()
        };
        if header(http.headers(), IF_NONE_MATCH).is_some_and(|wanted| etag::matches(wanted, tag)) {
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

/// The operation a request runs (see [`graphql::operation`]) and its kind.
fn select_operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Result<(Option<&'a str>, OperationType), String> {
    graphql::operation(document, name).map(|(name, operation)| (name, operation.node.ty))
}

/// A response with one coded error and no `data`.
fn answer(message: &str, code: &'static str) -> async_graphql::Response {
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
/// operation or persisted query, a time-out) has no `data`; under
/// `application/graphql-response+json` its status says why, under `application/json` it
/// is 200.
fn encode(response: &async_graphql::Response, media: MediaType) -> (StatusCode, Vec<u8>) {
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
