//! One operation of a live transport (a socket's `subscribe` message, or an event stream's
//! request): checked as a request over HTTP is (its size, shape, NUL strings and cost, then
//! validation), and run as a stream of answers. A subscription answers once per event; a
//! query once, on the executor within the request time limit; a mutation is refused (it
//! belongs to `POST /graphql` answered in JSON).

use std::sync::Arc;

use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpResponse, web};
use async_graphql::parser::types::OperationType;
use async_graphql::{Response, ServerError};
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};

use crate::access::Principal;
use crate::graphql::EventIds;
use crate::graphql::access::Caller;
use crate::graphql::budget::{AnswerRoom, ResponseBudget};
use crate::graphql::error::{code, coded};
use crate::graphql::{self, tokens};
use crate::http::graphql::GraphQLService;
use crate::http::graphql::prepare::{Prepared, prepare};
use crate::http::wire::WireRequest;
use crate::subscriptions::{Live, Overflow};

/// The answers of an operation, or the errors refusing it before it runs.
pub(crate) type Started = Result<BoxStream<'static, Response>, Vec<ServerError>>;

/// The answer to a live transport's request past `--subscription-max-connections`.
pub(crate) fn too_many_connections() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((RETRY_AFTER, "5"))
        .json(serde_json::json!({"errors": [{
            "message": "too many subscription connections: try again later",
            "extensions": {"code": "TOO_MANY_CONNECTIONS"}
        }]}))
}

/// Where an operation runs, for whom, and how its transport follows it.
pub(crate) struct Operation<'a> {
    pub service: &'a web::Data<GraphQLService>,
    pub live: &'a Arc<Live>,
    /// Told when the subscription falls too far behind.
    pub overflow: &'a Arc<Overflow>,
    pub principal: &'a Principal,
    /// An event stream's: where it resumes, and its answers' event ids.
    pub event_ids: Option<EventIds>,
}

/// Checks an operation and starts it.
pub(crate) async fn start(operation: Operation<'_>, wire: WireRequest) -> Started {
    let Operation {
        service,
        live,
        overflow,
        principal,
        event_ids,
    } = operation;
    let limits = service.limits;
    let query = wire.query.as_deref().unwrap_or_default();
    if tokens::count(query, limits.tokens).is_err() {
        return Err(vec![coded(
            format!(
                "the document holds more than {} tokens, the most one may hold",
                limits.tokens
            ),
            code::QUERY_TOO_COMPLEX,
        )]);
    }
    let (mut request, kind) = match prepare(wire, false) {
        Ok((Prepared::Run(request, kind), _)) => (request, kind),
        Ok((Prepared::Answer(answer), _)) => return Err(answer.errors),
        Err(error) => return Err(vec![coded(error.to_string(), code::BAD_REQUEST)]),
    };
    if kind == Some(OperationType::Mutation) {
        return Err(vec![coded(
            "mutations are not run over the socket: POST them to /graphql",
            code::METHOD_NOT_ALLOWED,
        )]);
    }
    let cost = match service.check(&mut request).await {
        Ok(cost) => cost.unwrap_or_default(),
        Err(refusal) => return Err(refusal.errors),
    };
    // A subscription's answers are bounded one by one by its cost, and each takes room for it
    // among the values in flight while it is made (see `AnswerRoom`); a query's as over HTTP.
    let subscription = kind == Some(OperationType::Subscription);
    let budget = ResponseBudget::new(if subscription {
        u64::MAX
    } else {
        limits.response_values
    });
    let caller = Caller::new(principal.clone());
    let mut request = graphql::request_data(request, &service.db, caller, budget.clone())
        .data(live.clone())
        .data(overflow.clone())
        .data(AnswerRoom {
            room: service.executor.room(),
            cost,
        });
    if let Some(event_ids) = event_ids {
        request = request.data(event_ids);
    }
    if subscription {
        return Ok(graphql::execute_stream(&service.schema, request).boxed());
    }
    let service = service.clone();
    let answer = async move {
        let limit = service.time_limit;
        let work = {
            let service = service.clone();
            async move {
                let _room = service.executor.admit(cost).await;
                graphql::execute(&service.schema, request, &budget).await
            }
        };
        let running = service.executor.spawn(work);
        match tokio::time::timeout(limit, running.finish()).await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => {
                tracing::error!(%error, "GraphQL work over a socket failed");
                Response::from_errors(vec![coded("internal server error", code::INTERNAL)])
            }
            Err(_) => Response::from_errors(vec![coded(
                format!(
                    "the request took longer than the limit of {} ms",
                    limit.as_millis()
                ),
                code::TIMEOUT,
            )]),
        }
    };
    Ok(stream::once(answer).boxed())
}
