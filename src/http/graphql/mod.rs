//! `/graphql`, GraphQL over HTTP: reads the request (GET or POST, single or batch), refuses
//! what the spec refuses, runs it within the time limit, and answers in the negotiated media
//! type with the spec's status codes; GET answers carry an `ETag` and a `Cache-Control`.
//!
//! A single request ([`single`]) may be answered from the response cache; a batch
//! ([`batch`]) runs its requests in turn. Each request is made ready ([`prepare`]),
//! checked ([`check`]), run on the executor ([`work`]) and encoded ([`encode`]).

mod batch;
mod check;
mod encode;
pub(crate) mod prepare;
mod single;
pub(crate) mod stream;
mod work;

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::Method;
use actix_web::http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use sea_orm::DatabaseConnection;
use tokio::time::Instant;

use super::cache::ResponseCache;
use super::error::HttpError;
use super::executor::Executor;
use super::metrics::Operation;
use super::negotiation::{self, MediaType};
use super::persisted::PersistedQueries;
use super::wire::{self, Incoming};
use crate::access::Principal;
use crate::data_version::DataVersions;
use crate::graphql::cost::CostModel;
use crate::graphql::list_sizes::KnownListSizes;
use crate::graphql::{GnlcSchema, Limits};

/// What `/graphql` needs: the schema, the database, and the HTTP settings it applies.
pub struct GraphQLService {
    pub schema: GnlcSchema,
    pub db: DatabaseConnection,
    pub persisted: PersistedQueries,
    pub max_body_bytes: usize,
    pub max_batch_size: usize,
    pub time_limit: Duration,
    pub cache_control: String,
    /// Answers to queries that did not depend on who asked, when the response cache is on.
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

/// The header every answer that was costed carries: what the cost model found the query
/// costs (the limit is `--max-query-cost`).
pub const QUERY_COST: &str = "gnlc-query-cost";

/// One HTTP request to `/graphql`, read: what running each of its GraphQL requests needs.
struct Call<'a> {
    http: &'a HttpRequest,
    service: &'a web::Data<GraphQLService>,
    /// Who it acts for.
    principal: Principal,
    /// What it is answered in.
    media: MediaType,
    is_get: bool,
    /// When its time limit runs out, for all its GraphQL requests together.
    deadline: Instant,
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

fn header(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
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
    let call = Call {
        http: request,
        service,
        principal,
        media,
        is_get,
        deadline: Instant::now() + service.time_limit,
    };
    match incoming {
        Incoming::Single(wire) => single::serve(&call, wire).await,
        Incoming::Batch(wires) => batch::serve(&call, wires).await,
    }
}

pub(crate) async fn read_body(
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

/// Names the operation for the log line and the metrics.
pub(crate) fn label(http: &HttpRequest, name: &str) {
    let valid = (1..=100).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    let name = if valid { name } else { "invalid" };
    http.extensions_mut().insert(Operation(name.to_owned()));
}
