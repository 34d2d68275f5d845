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
use super::executor::Executor;
use super::metrics::Operation;
use super::negotiation::{self, MediaType};
use super::persisted::{PersistedQueries, PersistedQueryError, Resolved};
use super::wire::{self, Incoming, WireRequest};
use crate::access::Principal;
use crate::data_version::DataVersions;
use crate::database;
use crate::graphql::budget::ResponseBudget;
use crate::graphql::cost::{self, CostModel, Refusal};
use crate::graphql::error::{self, code, coded};
use crate::graphql::list_sizes::KnownListSizes;
use crate::graphql::nul;
use crate::graphql::tokens;
use crate::graphql::{self, GnlcSchema, Limits};

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
    /// What a query may cost, and the lengths of the data's lists it is costed with.
    pub cost_model: CostModel,
    pub list_sizes: KnownListSizes,
    pub limits: Limits,
    /// Where GraphQL work runs, off the threads that answer connections.
    pub executor: Executor,
}

/// A request ready to run, or already answered (an unknown persisted query, an operation
/// name that names nothing).
enum Prepared {
    /// The request, and its operation's kind once the document parsed.
    Run(async_graphql::Request, Option<OperationType>),
    Answer(async_graphql::Response),
}

/// One request's GraphQL work, done on the executor: what the HTTP layer needs of it.
struct Ran {
    /// The operation's name (for the log line and the metrics), once known.
    operation: Option<String>,
    outcome: Result<Encoded, HttpError>,
}

/// An answer, encoded in the negotiated media type.
struct Encoded {
    status: StatusCode,
    body: Bytes,
    /// No errors: its `ETag` may be given, and it may be cached.
    clean: bool,
    /// A parsed query that selects no token-only field (see [`cache::cacheable`]).
    cacheable: bool,
    /// What the cost model found it costs (before it ran).
    cost: Option<u64>,
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
    service: &web::Data<GraphQLService>,
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
            serve_one(request, service, wire, principal, media, is_get, deadline).await
        }
        Incoming::Batch(wires) => {
            let resolved: Vec<_> = wires
                .into_iter()
                .map(|wire| service.resolve_persisted(request, wire))
                .collect::<Result<_, HttpError>>()?;
            let mut body = b"[".to_vec();
            for (i, resolved) in resolved.into_iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                let encoded = match resolved {
                    Ok((wire, remember_as)) => {
                        let ran = GraphQLService::run(
                            service,
                            request,
                            wire,
                            remember_as,
                            principal.clone(),
                            media,
                            false,
                            deadline,
                        )
                        .await;
                        ran.outcome?
                    }
                    Err(answer) => encode(&answer, media, None),
                };
                body.extend_from_slice(&encoded.body);
            }
            body.push(b']');
            // Named after running, which names each request's operation in turn.
            label(request, "batch");
            Ok(HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, media.content_type()))
                .body(body))
        }
    }
}

async fn serve_one(
    request: &HttpRequest,
    service: &web::Data<GraphQLService>,
    wire: WireRequest,
    principal: Principal,
    media: MediaType,
    is_get: bool,
    deadline: Instant,
) -> Result<HttpResponse, HttpError> {
    let (wire, remember_as) = match service.resolve_persisted(request, wire)? {
        Ok(resolved) => resolved,
        Err(answer) => {
            let encoded = encode(&answer, media, None);
            return Ok(service.respond(request, media, &encoded, None, is_get));
        }
    };
    // The cache is looked up before the document is parsed: an answer is only ever kept
    // for a cacheable query, so finding one under the key is enough.
    let slot = service.cache_key(request, &principal, media, &wire);
    // Read before the query runs (if it does), so an answer is never newer than the
    // version it is kept at.
    let mut version = None;
    if let (Some(cache), Some(key)) = (&service.cache, &slot) {
        if let Some(cached) = cache.get(key) {
            version = service.versions.current().await;
            if version == Some(cached.version) {
                label(request, &cached.label);
                let encoded = Encoded {
                    status: StatusCode::OK,
                    body: cached.body.clone(),
                    clean: true,
                    cacheable: true,
                    cost: Some(cached.cost),
                };
                return Ok(service.respond(request, media, &encoded, Some(&cached.etag), is_get));
            }
        } else {
            version = service.versions.current().await;
        }
    }
    let ran = GraphQLService::run(
        service,
        request,
        wire,
        remember_as,
        principal,
        media,
        is_get,
        deadline,
    )
    .await;
    let encoded = ran.outcome?;
    let tag = (encoded.clean && (is_get || (slot.is_some() && encoded.cacheable)))
        .then(|| etag::tag(media.content_type(), &encoded.body));
    if let (Some(cache), Some(key), Some(version), Some(tag), true) =
        (&service.cache, slot, version, &tag, encoded.cacheable)
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
                body: encoded.body.clone(),
                etag: tag.clone(),
                label,
                cost: encoded.cost.unwrap_or_default(),
            },
        );
    }
    Ok(service.respond(request, media, &encoded, tag.as_deref(), is_get))
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
    /// its query (and the hash to remember it under once it validates), or the answer when
    /// the hash is unknown.
    #[allow(clippy::type_complexity)]
    fn resolve_persisted(
        &self,
        http: &HttpRequest,
        mut wire: WireRequest,
    ) -> Result<Result<(WireRequest, Option<String>), async_graphql::Response>, HttpError> {
        if let Some(name) = &wire.operation_name {
            label(http, name);
        }
        match self
            .persisted
            .resolve(wire.query.take(), wire.extensions.as_ref())
        {
            Ok(Resolved {
                query: Some(query),
                remember_as,
            }) => {
                wire.query = Some(query);
                Ok(Ok((wire, remember_as)))
            }
            Ok(Resolved { query: None, .. }) => Err(HttpError::MissingQuery),
            Err(PersistedQueryError::NotFound) => Ok(Err(answer(
                &PersistedQueryError::NotFound.to_string(),
                code::PERSISTED_QUERY_NOT_FOUND,
            ))),
            Err(error) => Err(HttpError::PersistedQuery(error)),
        }
    }

    /// Runs a request's GraphQL work on the executor (parsing, checking its shape and
    /// cost, validating, executing, encoding), unless the deadline passes first: then the
    /// work is stopped and the answer is `TIMEOUT`.
    #[allow(clippy::too_many_arguments)]
    async fn run(
        this: &web::Data<Self>,
        http: &HttpRequest,
        wire: WireRequest,
        remember_as: Option<String>,
        principal: Principal,
        media: MediaType,
        is_get: bool,
        deadline: Instant,
    ) -> Ran {
        let service = this.clone();
        let running = this.executor.spawn(async move {
            service
                .work(wire, remember_as, principal, media, is_get)
                .await
        });
        // A batch's later requests may find the time already spent.
        let ran = if Instant::now() < deadline {
            tokio::time::timeout_at(deadline, running.finish())
                .await
                .ok()
        } else {
            None
        };
        let ran = match ran {
            Some(Ok(ran)) => Some(ran),
            Some(Err(error)) => {
                tracing::error!(%error, path = http.path(), "GraphQL work failed");
                let internal = answer("internal server error", code::INTERNAL);
                Some(Ran {
                    operation: None,
                    outcome: Ok(encode(&internal, media, None)),
                })
            }
            None => None,
        };
        let ran = ran.unwrap_or_else(|| {
            tracing::warn!(
                path = http.path(),
                limit_ms = this.time_limit.as_millis(),
                "request timed out"
            );
            let timeout = answer(
                &format!(
                    "the request took longer than the limit of {} ms",
                    this.time_limit.as_millis()
                ),
                code::TIMEOUT,
            );
            Ran {
                operation: None,
                outcome: Ok(encode(&timeout, media, None)),
            }
        });
        if let Some(operation) = &ran.operation {
            label(http, operation);
        }
        ran
    }

    /// A request's GraphQL work, on the executor.
    async fn work(
        &self,
        wire: WireRequest,
        remember_as: Option<String>,
        principal: Principal,
        media: MediaType,
        is_get: bool,
    ) -> Ran {
        let tokens = tokens::count(
            wire.query.as_deref().unwrap_or_default(),
            self.limits.tokens,
        );
        if tokens.is_err() {
            let refusal = answer(
                &format!(
                    "the document holds more than {} tokens, the most one may hold",
                    self.limits.tokens
                ),
                code::QUERY_TOO_COMPLEX,
            );
            return Ran {
                operation: None,
                outcome: Ok(encode(&refusal, media, None)),
            };
        }
        let query = remember_as.as_ref().and(wire.query.clone());
        let (prepared, operation) = match prepare(wire, is_get) {
            Ok(prepared) => prepared,
            Err(error) => {
                return Ran {
                    operation: None,
                    outcome: Err(error),
                };
            }
        };
        let (mut request, kind) = match prepared {
            Prepared::Run(request, kind) => (request, kind),
            Prepared::Answer(response) => {
                return Ran {
                    operation,
                    outcome: Ok(encode(&response, media, None)),
                };
            }
        };
        let cacheable = {
            let operation_name = request.operation_name.clone();
            request
                .parsed_query()
                .is_ok_and(|document| cache::cacheable(document, operation_name.as_deref()))
        };
        let cost = match self.check(&mut request).await {
            Ok(cost) => cost,
            Err(refusal) => {
                return Ran {
                    operation,
                    outcome: Ok(encode_refusal(&refusal, media)),
                };
            }
        };
        // Waits for room among the requests running; the deadline still holds meanwhile.
        let _room = self.executor.admit(cost.unwrap_or(1)).await;
        // A read that lost its database connection (one PostgreSQL dropped) runs once more,
        // on a fresh one: it wrote nothing. (SQLite's connections are files: never dropped.)
        let retried = kind == Some(OperationType::Query)
            && self.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        let again = retried.then(|| copy(&request));
        let mut response = self.execute(request, principal.clone()).await;
        if let Some(again) = again
            && error::lost_its_connection(&response)
        {
            tracing::warn!("a read lost its database connection: running it again");
            database::renew_connections();
            response = self.execute(again, principal).await;
        }
        if let (Some(hash), Some(query)) = (remember_as, query)
            && validated(&response)
        {
            self.persisted.remember(hash, &query);
        }
        let mut encoded = encode(&response, media, cost);
        encoded.cacheable = cacheable;
        Ran {
            operation,
            outcome: Ok(encoded),
        }
    }

    /// Executes a request with its per-request data and a budget of its own.
    async fn execute(
        &self,
        request: async_graphql::Request,
        principal: Principal,
    ) -> async_graphql::Response {
        let budget = ResponseBudget::new(self.limits.response_values);
        let request = graphql::request_data(request, &self.db, principal, budget.clone());
        graphql::execute(&self.schema, request, &budget).await
    }

    /// Checks a parsed document's shape and its operation's cost before async-graphql
    /// validates it: the cost, or the answer refusing it. A document that does not parse,
    /// or names no operation, is left to the schema, which reports it.
    async fn check(
        &self,
        request: &mut async_graphql::Request,
    ) -> Result<Option<u64>, async_graphql::Response> {
        let sizes = self.list_sizes.current().await;
        let operation_name = request.operation_name.clone();
        let variables = request.variables.clone();
        let Ok(document) = request.parsed_query() else {
            return Ok(None);
        };
        let refuse = |refusal: Refusal| {
            let code = match refusal {
                Refusal::FragmentCycle(_) => code::GRAPHQL_VALIDATION_FAILED,
                Refusal::TooDeep => code::QUERY_TOO_DEEP,
                Refusal::TooManyFields { .. }
                | Refusal::DocumentTooLarge { .. }
                | Refusal::TooCostly { .. } => code::QUERY_TOO_COMPLEX,
            };
            let mut error = coded(refusal.to_string(), code);
            if let Refusal::TooCostly { cost, limit } = refusal {
                let extensions = error.extensions.get_or_insert_with(Default::default);
                extensions.set("cost", cost);
                extensions.set("limit", limit);
            }
            async_graphql::Response::from_errors(vec![error])
        };
        cost::check_shape(document, self.limits.complexity as u64).map_err(refuse)?;
        if let Some(nul) = nul::find(document, &variables) {
            let mut error = coded(nul.to_string(), code::BAD_USER_INPUT);
            error.locations.extend(nul.pos);
            return Err(async_graphql::Response::from_errors(vec![error]));
        }
        let Ok((_, operation)) = graphql::operation(document, operation_name.as_deref()) else {
            return Ok(None);
        };
        let cost = self.cost_model.cost(
            document,
            &operation.node.selection_set.node,
            operation.node.ty == OperationType::Mutation,
            &variables,
            &sizes,
        );
        if cost > self.limits.cost {
            return Err(refuse(Refusal::TooCostly {
                cost,
                limit: self.limits.cost,
            }));
        }
        Ok(Some(cost))
    }

    /// The cache key of a request whose answer may be cached: the cache is on and the
    /// request is anonymous. (Whether its operation is a cacheable query is known once it
    /// is parsed: see [`Encoded::cacheable`].)
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

    /// The HTTP response for one encoded GraphQL response (`clean`: without errors); on
    /// GET, with caching headers and a 304 when the client's tag is current.
    fn respond(
        &self,
        http: &HttpRequest,
        media: MediaType,
        encoded: &Encoded,
        tag: Option<&str>,
        is_get: bool,
    ) -> HttpResponse {
        let (status, body) = (encoded.status, encoded.body.clone());
        let mut builder = HttpResponse::build(status);
        builder.insert_header((CONTENT_TYPE, media.content_type()));
        if let Some(cost) = encoded.cost {
            builder.insert_header((QUERY_COST, cost.to_string()));
        }
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

/// The header every answer that was costed carries: what the cost model found the query
/// costs (the limit is `--max-query-cost`).
pub const QUERY_COST: &str = "gnlc-query-cost";

/// Reads variables and extensions of a request whose query is resolved, and parses the
/// document to name the operation and to refuse a mutation over GET before validation:
/// the request (or its answer) and the operation's name, once known.
fn prepare(wire: WireRequest, is_get: bool) -> Result<(Prepared, Option<String>), HttpError> {
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
    let mut operation = operation_name.clone();
    let mut kind = None;
    // A document that does not parse is left to the schema, which reports it with its code.
    if let Ok(document) = request.parsed_query() {
        match select_operation(document, operation_name.as_deref()) {
            Ok((name, operation_kind)) => {
                if operation_name.is_none() {
                    operation = Some(name.unwrap_or("anonymous").to_owned());
                }
                if is_get && operation_kind != OperationType::Query {
                    return Err(HttpError::MutationOverGet);
                }
                kind = Some(operation_kind);
            }
            Err(message) => {
                let answer = answer(&message, code::OPERATION_RESOLUTION_FAILURE);
                return Ok((Prepared::Answer(answer), operation));
            }
        }
    }
    Ok((Prepared::Run(request, kind), operation))
}

/// A request as it came, to run again (its document is parsed again then: that is rare).
fn copy(request: &async_graphql::Request) -> async_graphql::Request {
    let mut copy = async_graphql::Request::new(request.query.clone());
    copy.operation_name = request.operation_name.clone();
    copy.variables = request.variables.clone();
    copy.extensions = request.extensions.clone();
    copy.introspection_mode = request.introspection_mode;
    copy
}

/// Whether a response's document parsed and passed validation and the limits (what an
/// automatic persisted query must do before it is remembered).
fn validated(response: &async_graphql::Response) -> bool {
    !response.errors.iter().any(|error| {
        error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(|code| match code {
                async_graphql::Value::String(code) => code::REQUEST_ERRORS.contains(&code.as_str()),
                _ => false,
            })
    })
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
/// operation or persisted query, a time-out, a refusal of the checks) has no `data`; under
/// `application/graphql-response+json` its status says why, under `application/json` it
/// is 200.
fn encode(response: &async_graphql::Response, media: MediaType, cost: Option<u64>) -> Encoded {
    encode_as(response, media, cost, never_ran(response))
}

/// A refusal of [`GraphQLService::check`]: it never ran, whatever its code (a NUL is
/// refused with `BAD_USER_INPUT`, as a variable GraphQL cannot coerce would be).
fn encode_refusal(response: &async_graphql::Response, media: MediaType) -> Encoded {
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
