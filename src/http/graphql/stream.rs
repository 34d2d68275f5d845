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
use futures_util::stream::{self, BoxStream};
use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;

use crate::access::Principal;
use crate::graphql::EventIds;
use crate::graphql::access::Caller;
use crate::graphql::budget::{AnswerRoom, ResponseBudget};
use crate::graphql::error::{code, coded};
use crate::graphql::{self, tokens};
use crate::http::executor::Executor;
use crate::http::graphql::GraphQLService;
use crate::http::graphql::prepare::{Prepared, prepare};
use crate::http::wire::WireRequest;
use crate::subscriptions::{Live, Overflow};

/// The answers of an operation, or the errors refusing it before it runs.
pub(crate) type Started = Result<BoxStream<'static, Answer>, Vec<ServerError>>;

/// One answer of an operation, with the cursor of the event it was made from (an event
/// stream's id for it), if any.
pub(crate) struct Answer {
    pub response: Response,
    pub event_id: Option<String>,
}

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
    /// An event stream's: where it resumes (its answers' event ids are taken for all).
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
    let request = graphql::request_data(request, &service.db, caller, budget.clone())
        .data(live.clone())
        .data(overflow.clone())
        .data(AnswerRoom {
            room: service.executor.room(),
            cost,
        });
    if subscription {
        let event_ids = event_ids.unwrap_or_default();
        let responses = graphql::execute_stream(&service.schema, request.data(event_ids.clone()));
        // Each answer takes its event's cursor before the next is made.
        let answers = {
            let event_ids = event_ids.clone();
            responses.map(move |response| Answer {
                response,
                event_id: event_ids.take(),
            })
        };
        let mut answers = on_executor(&service.executor, answers);
        // Started once the subscription listens for events (or has answered first, when it
        // is refused): a client told it started misses no event after.
        let first = tokio::select! {
            answer = answers.next() => Some(answer),
            () = event_ids.listening() => None,
        };
        return Ok(match first {
            None => answers,
            Some(Some(answer)) => stream::once(async { answer }).chain(answers).boxed(),
            Some(None) => stream::empty().boxed(),
        });
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
    let answer = answer.map(|response| Answer {
        response,
        event_id: None,
    });
    Ok(stream::once(answer).boxed())
}

/// A subscription's answers, made on the executor as queries are, not on the thread that
/// serves the connection: a task there makes them one at a time, each once the transport
/// has taken the one before (a subscriber that does not read holds back its own answers
/// only). Dropped, the task stops.
fn on_executor(
    executor: &Executor,
    answers: impl Stream<Item = Answer> + Send + 'static,
) -> BoxStream<'static, Answer> {
    // Boxed: a channel's slots come in blocks of 32, allocated with it, whatever its bound.
    let (sender, receiver) = mpsc::channel::<Box<Answer>>(1);
    let running = executor.spawn(async move {
        let mut answers = std::pin::pin!(answers);
        while let Ok(room) = sender.reserve().await {
            let Some(answer) = answers.next().await else {
                break;
            };
            room.send(Box::new(answer));
        }
    });
    stream::unfold((receiver, running), |(mut receiver, running)| async move {
        let answer = receiver.recv().await?;
        Some((*answer, (receiver, running)))
    })
    .boxed()
}
