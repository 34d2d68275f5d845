//! GraphQL over Server-Sent Events at `/graphql`: the `graphql-sse` library's "distinct
//! connections" mode, and the browser's own `EventSource`. A `GET` or `POST` asking for
//! `text/event-stream` runs one operation and streams its answers as `next` events, then
//! `complete`. Each answer made from an event has the event's cursor as its `id`, so a
//! client reconnecting with `Last-Event-ID` resumes after it (the id takes the place of
//! `after`): none missed, none twice.
//!
//! A refusal before the operation runs (a bad token, a document that does not validate, a
//! mutation) is a `next` event holding the errors, then `complete`, as the protocol asks;
//! only a request whose body cannot be read is refused with an HTTP status. Each stream
//! takes one of `--subscription-max-connections` (503 past it), is kept alive by a comment
//! every `--subscription-keepalive`, and is dropped once a write stays blocked for
//! `--subscription-idle-timeout` (a client that stopped reading). A subscriber too slow,
//! or a process stopping, ends the stream with no `complete`: `EventSource` reconnects by
//! itself and resumes with `Last-Event-ID`.

use std::convert::Infallible;
use std::sync::Arc;

use actix_web::guard::GuardContext;
use actix_web::http::Method;
use actix_web::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::{Response, ServerError};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::error::HttpError;
use super::graphql::stream::{self, Operation, Started};
use super::graphql::{GraphQLService, label, read_body};
use super::negotiation::{self, MediaType};
use super::wire::{self, Incoming, WireRequest};
use crate::access::Principal;
use crate::graphql::EventIds;
use crate::graphql::error::{code, coded};
use crate::subscriptions::metrics::Open;
use crate::subscriptions::{ConnectionSlot, Live, Overflow};

/// Events written ahead of the client's reading, at most.
const AHEAD: usize = 16;

/// Whether a request asks for an event stream.
pub fn is_event_stream(context: &GuardContext<'_>) -> bool {
    let accept = context.head().headers().get(ACCEPT);
    negotiation::wants_event_stream(accept.and_then(|value| value.to_str().ok()))
}

pub async fn endpoint(
    request: HttpRequest,
    payload: web::Payload,
    service: web::Data<GraphQLService>,
    live: web::Data<Arc<Live>>,
) -> HttpResponse {
    let wire = match read_request(&request, payload, &service).await {
        Ok(wire) => wire,
        Err(error) => return error.response(Some(MediaType::Json)),
    };
    let live = live.get_ref().clone();
    let Some(slot) = live.open_connection() else {
        return stream::too_many_connections();
    };
    label(
        &request,
        wire.operation_name.as_deref().unwrap_or("anonymous"),
    );
    let last_event_id = request
        .headers()
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let principal = super::auth::principal(&service.db, &request).await;
    let (sender, receiver) = mpsc::channel(AHEAD);
    actix_web::rt::spawn(serve(
        EventStream {
            sender,
            service,
            live,
            _slot: slot,
            resumed: last_event_id.is_some(),
            event_ids: EventIds::resuming(last_event_id),
        },
        principal,
        wire,
    ));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let bytes = receiver.recv().await?;
        Some((Ok::<_, Infallible>(bytes), receiver))
    });
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/event-stream; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        // Proxies that buffer answers (nginx) pass this one on as it is written.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body)
}

/// The request's one GraphQL request: from the query string of a `GET` (all `EventSource`
/// can send), or the JSON body of a `POST`.
async fn read_request(
    request: &HttpRequest,
    payload: web::Payload,
    service: &GraphQLService,
) -> Result<WireRequest, HttpError> {
    if request.method() == Method::GET {
        return wire::from_query_string(request.query_string());
    }
    if request.method() != Method::POST {
        return Err(HttpError::MethodNotAllowed);
    }
    let content_type = request.headers().get(CONTENT_TYPE);
    negotiation::check_content_type(content_type.and_then(|value| value.to_str().ok()))?;
    let body = read_body(request, payload, service.max_body_bytes).await?;
    match wire::from_body(&body, 0)? {
        Incoming::Single(wire) => Ok(wire),
        Incoming::Batch(_) => Err(HttpError::BatchRefused),
    }
}

/// One event stream, written by its own task.
struct EventStream {
    sender: mpsc::Sender<Bytes>,
    service: web::Data<GraphQLService>,
    live: Arc<Live>,
    _slot: ConnectionSlot,
    resumed: bool,
    event_ids: EventIds,
}

/// How a stream ended, for its log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Complete,
    TooSlow,
    Stopping,
    ClientGone,
}

/// Runs the operation and writes its answers until it completes or the stream ends.
async fn serve(stream: EventStream, principal: Result<Principal, HttpError>, wire: WireRequest) {
    let opened = Instant::now();
    let overflow = Arc::new(Overflow::default());
    let account = principal.as_ref().ok().and_then(Principal::account);
    let started = match &principal {
        Ok(principal) => {
            let operation = Operation {
                service: &stream.service,
                live: &stream.live,
                overflow: &overflow,
                principal,
                event_ids: Some(stream.event_ids.clone()),
            };
            stream::start(operation, wire).await
        }
        Err(HttpError::Unauthenticated(error)) => {
            Err(vec![coded(error.to_string(), code::UNAUTHENTICATED)])
        }
        Err(error) => Err(vec![coded(error.to_string(), error.code())]),
    };
    let ending = stream.run(started, &overflow).await;
    tracing::info!(
        ending = ?ending,
        resumed = stream.resumed,
        account,
        elapsed_ms = opened.elapsed().as_secs_f64() * 1000.0,
        "event stream closed"
    );
}

impl EventStream {
    async fn run(&self, started: Started, overflow: &Overflow) -> Ending {
        let mut answers = match started {
            Ok(answers) => answers,
            Err(errors) => return self.refused(errors).await,
        };
        let _open = Open::count(&self.live.metrics.subscriptions);
        // A comment first, once a subscription listens (or the operation has answered
        // before): from then on the client misses no event.
        let first = tokio::select! {
            answer = answers.next() => Some(answer),
            () = self.event_ids.listening() => None,
        };
        let opened = self.write(Bytes::from_static(b":\n\n")).await;
        if let Err(ending) = opened {
            return ending;
        }
        let mut too_slow = false;
        if let Some(answer) = first
            && let Err(ending) = self.answered(answer, too_slow).await
        {
            return ending;
        }
        let keepalive = self.live.settings.keepalive;
        loop {
            let outcome = tokio::select! {
                biased;
                () = self.live.stopping() => return Ending::Stopping,
                () = overflow.reported(), if !too_slow => {
                    // Its answer holding the error comes next, then the stream ends.
                    self.live.metrics.subscribers_dropped.inc();
                    too_slow = true;
                    Ok(())
                }
                answer = answers.next() => self.answered(answer, too_slow).await,
                () = tokio::time::sleep(keepalive) => self.write(Bytes::from_static(b":\n\n")).await,
            };
            if let Err(ending) = outcome {
                return ending;
            }
        }
    }

    /// Writes the operation's next answer, or ends the stream when it has none: with
    /// `complete`, unless its subscriber was too slow (the client is to resume).
    async fn answered(&self, answer: Option<Response>, too_slow: bool) -> Result<(), Ending> {
        match answer {
            Some(answer) => {
                let id = self.event_ids.take();
                self.write(next(&answer, id.as_deref())).await
            }
            None if too_slow => Err(Ending::TooSlow),
            None => {
                self.write(complete()).await?;
                Err(Ending::Complete)
            }
        }
    }

    /// The errors refusing the operation, then `complete`.
    async fn refused(&self, errors: Vec<ServerError>) -> Ending {
        let answer = Response::from_errors(errors);
        let written = async {
            self.write(Bytes::from_static(b":\n\n")).await?;
            self.write(next(&answer, None)).await?;
            self.write(complete()).await
        };
        written.await.err().unwrap_or(Ending::Complete)
    }

    /// Writes an event, unless the client has gone or not read for the idle time-out.
    async fn write(&self, event: Bytes) -> Result<(), Ending> {
        let timeout = self.live.settings.idle_timeout;
        self.sender
            .send_timeout(event, timeout)
            .await
            .map_err(|_| Ending::ClientGone)
    }
}

/// A `next` event: the answer, and the cursor of its event as the event's id.
fn next(answer: &Response, id: Option<&str>) -> Bytes {
    let data = serde_json::to_string(answer).unwrap_or_else(|error| {
        tracing::error!(%error, "cannot encode an answer");
        r#"{"errors":[{"message":"internal server error","extensions":{"code":"INTERNAL"}}]}"#
            .to_owned()
    });
    let mut event = String::with_capacity(data.len() + 64);
    event.push_str("event: next\n");
    // A cursor is URL-safe text; anything else would break the stream's framing.
    if let Some(id) = id.filter(|id| !id.contains(['\n', '\r', '\0'])) {
        event.push_str("id: ");
        event.push_str(id);
        event.push('\n');
    }
    event.push_str("data: ");
    event.push_str(&data);
    event.push_str("\n\n");
    Bytes::from(event)
}

/// The `complete` event, with the empty `data` `EventSource` needs to dispatch it.
fn complete() -> Bytes {
    Bytes::from_static(b"event: complete\ndata: \n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_framed_as_the_protocol_says() {
        let answer = Response::new(
            async_graphql::Value::from_json(serde_json::json!({"a": "x\ny"})).unwrap(),
        );
        assert_eq!(
            next(&answer, Some("Y3Vyc29y")),
            "event: next\nid: Y3Vyc29y\ndata: {\"data\":{\"a\":\"x\\ny\"}}\n\n"
        );
        assert_eq!(
            next(&answer, Some("bad\nid")),
            "event: next\ndata: {\"data\":{\"a\":\"x\\ny\"}}\n\n"
        );
        assert_eq!(complete(), "event: complete\ndata: \n\n");
    }
}
