//! One graphql-transport-ws connection: a small state machine over the socket. It waits for
//! `connection_init` (4408 after the time-out), authenticates it (4403), then runs
//! operations side by side (at most `--subscription-max-per-connection`), pings, and closes
//! when idle, when a subscriber falls too far behind (4508), or when the process stops
//! (1001). Every answer waits for the socket: a client that does not read holds back its
//! own operations only, and is dropped once a send is blocked for the idle time-out.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::web;
use actix_ws::{
    AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError, Session,
};
use async_graphql::Response;
use futures_util::StreamExt;
use futures_util::stream::{AbortHandle, Abortable, BoxStream, SelectAll};
use tokio::time::Instant;

use super::message::{self, ClientMessage, close};
use crate::access::{self, AccessError, Principal};
use crate::graphql::error::{code, coded};
use crate::http::graphql::GraphQLService;
use crate::http::graphql::stream::{self, Operation};
use crate::subscriptions::metrics::Open;
use crate::subscriptions::{ConnectionSlot, Live, Overflow};

/// What the connection was opened with.
pub(super) struct Opening {
    pub session: Session,
    pub messages: AggregatedMessageStream,
    pub service: web::Data<GraphQLService>,
    pub live: Arc<Live>,
    pub slot: ConnectionSlot,
    /// The upgrade request's `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// Why a connection ended, for its log line.
type Ending = (u16, String);

/// An operation's next answer, or its end.
enum Step {
    Answer(Box<Response>),
    Done,
}

struct Running {
    /// Tells this operation's answers from those of an earlier one with the same id.
    generation: u64,
    abort: AbortHandle,
    answered: bool,
    _open: Option<Open>,
}

struct Connection {
    session: Session,
    service: web::Data<GraphQLService>,
    live: Arc<Live>,
    authorization: Option<String>,
    principal: Option<Principal>,
    initialised: bool,
    overflow: Arc<Overflow>,
    running: HashMap<String, Running>,
    answers: SelectAll<BoxStream<'static, (String, u64, Step)>>,
    generation: u64,
    last_heard: Instant,
    idle_since: Instant,
}

/// Serves a connection until it ends, then logs one line.
pub(super) async fn serve(opening: Opening) {
    let Opening {
        session,
        mut messages,
        service,
        live,
        slot,
        authorization,
    } = opening;
    let opened = Instant::now();
    let mut connection = Connection {
        session,
        service,
        live,
        authorization,
        principal: None,
        initialised: false,
        overflow: Arc::default(),
        running: HashMap::new(),
        answers: SelectAll::new(),
        generation: 0,
        last_heard: opened,
        idle_since: opened,
    };
    let (code, reason) = connection.run(&mut messages).await;
    for running in connection.running.values() {
        running.abort.abort();
    }
    drop(slot);
    let account = connection.principal.as_ref().and_then(Principal::account);
    tracing::info!(
        code,
        %reason,
        account,
        elapsed_ms = opened.elapsed().as_secs_f64() * 1000.0,
        "subscription connection closed"
    );
}

impl Connection {
    /// Runs until the connection ends: the close code and reason sent (or why none could be).
    async fn run(&mut self, messages: &mut AggregatedMessageStream) -> Ending {
        let settings = self.live.settings.clone();
        let opened = Instant::now();
        let mut next_ping = opened + settings.keepalive;
        loop {
            let deadline = if self.initialised {
                let idle = if self.running.is_empty() {
                    self.idle_since
                } else {
                    self.last_heard
                };
                next_ping.min(idle + settings.idle_timeout)
            } else {
                opened + settings.init_timeout
            };
            let outcome = tokio::select! {
                biased;
                () = self.live.stopping() => Err((close::GOING_AWAY, "the server is stopping: reconnect and resume".to_owned())),
                () = self.overflow.reported() => {
                    self.live.metrics.subscribers_dropped.inc();
                    Err((close::TOO_SLOW, crate::graphql::TOO_SLOW.to_owned()))
                }
                message = messages.recv() => self.received(message).await,
                Some((id, generation, step)) = self.answers.next(), if !self.answers.is_empty() => {
                    self.answer(id, generation, step).await
                }
                () = tokio::time::sleep_until(deadline) => {
                    let now = Instant::now();
                    if !self.initialised {
                        Err((close::INIT_TIMEOUT, "Connection initialisation timeout".to_owned()))
                    } else if now >= next_ping {
                        next_ping = now + settings.keepalive;
                        self.send(message::ping()).await
                    } else if self.running.is_empty() {
                        Err((close::NORMAL, "idle: no operation running".to_owned()))
                    } else {
                        Err((close::NORMAL, "idle: no message nor pong from the client".to_owned()))
                    }
                }
            };
            if let Err((code, reason)) = outcome {
                return self.close(code, reason).await;
            }
        }
    }

    /// Sends a close frame (unless the socket is gone) and says why.
    async fn close(&mut self, code: u16, reason: String) -> Ending {
        if code != 0 {
            let frame = CloseReason {
                code: CloseCode::from(code),
                description: Some(reason.clone()),
            };
            let session = self.session.clone();
            let _ =
                tokio::time::timeout(self.live.settings.idle_timeout, session.close(Some(frame)))
                    .await;
        }
        (code, reason)
    }

    /// Sends a text message, unless the client has not read for the idle time-out.
    async fn send(&mut self, text: String) -> Result<(), Ending> {
        let sent =
            tokio::time::timeout(self.live.settings.idle_timeout, self.session.text(text)).await;
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_closed)) => Err((0, "the client went away".to_owned())),
            Err(_) => Err((0, "the client stopped reading".to_owned())),
        }
    }

    async fn received(
        &mut self,
        message: Option<Result<AggregatedMessage, ProtocolError>>,
    ) -> Result<(), Ending> {
        self.last_heard = Instant::now();
        let text = match message {
            None => return Err((0, "the client went away".to_owned())),
            Some(Err(ProtocolError::Overflow)) => {
                return Err((close::MESSAGE_TOO_BIG, "message too big".to_owned()));
            }
            // The aggregated message's own limit.
            Some(Err(ProtocolError::Io(error))) if error.to_string().contains("size") => {
                return Err((close::MESSAGE_TOO_BIG, "message too big".to_owned()));
            }
            Some(Err(error)) => {
                return Err((close::BAD_REQUEST, format!("invalid frame: {error}")));
            }
            Some(Ok(AggregatedMessage::Text(text))) => text,
            Some(Ok(AggregatedMessage::Binary(_))) => {
                return Err((
                    close::BAD_REQUEST,
                    "binary messages are not part of the protocol".to_owned(),
                ));
            }
            Some(Ok(AggregatedMessage::Ping(bytes))) => {
                return self
                    .session
                    .pong(&bytes)
                    .await
                    .map_err(|_| (0, "the client went away".to_owned()));
            }
            Some(Ok(AggregatedMessage::Pong(_))) => return Ok(()),
            Some(Ok(AggregatedMessage::Close(_))) => {
                return Err((close::NORMAL, "closed by the client".to_owned()));
            }
        };
        let message: ClientMessage = serde_json::from_str(&text).map_err(|error| {
            (
                close::BAD_REQUEST,
                format!("Invalid message received: {error}"),
            )
        })?;
        match message {
            ClientMessage::ConnectionInit { payload } => self.initialise(payload).await,
            ClientMessage::Ping {} => self.send(message::pong()).await,
            ClientMessage::Pong {} => Ok(()),
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, payload).await,
            ClientMessage::Complete { id } => {
                if let Some(running) = self.running.remove(&id) {
                    running.abort.abort();
                    self.now_idle();
                }
                Ok(())
            }
        }
    }

    async fn initialise(&mut self, payload: Option<serde_json::Value>) -> Result<(), Ending> {
        if self.initialised {
            return Err((
                close::TOO_MANY_INITS,
                "Too many initialisation requests".to_owned(),
            ));
        }
        let authorization =
            message::init_authorization(payload.as_ref()).or(self.authorization.take());
        let principal = access::authenticate(&self.service.db, authorization.as_deref())
            .await
            .map_err(|error| match error {
                AccessError::Database(error) => {
                    tracing::error!(%error, "cannot check a socket's token");
                    (close::INTERNAL, "internal server error".to_owned())
                }
                error => (close::FORBIDDEN, format!("Forbidden: {error}")),
            })?;
        self.principal = Some(principal);
        self.initialised = true;
        self.idle_since = Instant::now();
        self.send(message::connection_ack()).await
    }

    async fn subscribe(
        &mut self,
        id: String,
        payload: message::SubscribePayload,
    ) -> Result<(), Ending> {
        let Some(principal) = self.principal.clone() else {
            return Err((close::UNAUTHORIZED, "Unauthorized".to_owned()));
        };
        if self.running.contains_key(&id) {
            return Err((
                close::DUPLICATE_ID,
                format!("Subscriber for {id} already exists"),
            ));
        }
        let max = self.live.settings.max_per_connection;
        if self.running.len() >= max {
            let error = coded(
                format!("a connection runs at most {max} operations at once: complete one first"),
                code::BAD_REQUEST,
            );
            return self.send(message::error(&id, &[error])).await;
        }
        let operation = Operation {
            service: &self.service,
            live: &self.live,
            overflow: &self.overflow,
            principal: &principal,
            event_ids: None,
        };
        let started = stream::start(operation, payload.into_wire()).await;
        let answers = match started {
            Ok(answers) => answers,
            Err(errors) => return self.send(message::error(&id, &errors)).await,
        };
        self.generation += 1;
        let generation = self.generation;
        let (abort, registration) = AbortHandle::new_pair();
        let tagged = {
            let id = id.clone();
            answers
                .map(|answer| Step::Answer(Box::new(answer)))
                .chain(futures_util::stream::once(async { Step::Done }))
                .map(move |step| (id.clone(), generation, step))
        };
        self.answers
            .push(Abortable::new(tagged, registration).boxed());
        self.running.insert(
            id,
            Running {
                generation,
                abort,
                answered: false,
                _open: Some(Open::count(&self.live.metrics.subscriptions)),
            },
        );
        Ok(())
    }

    /// Sends an operation's answer: `next`, or `error` when its first answer is only errors
    /// (refused before it ran); `complete` once it has no more.
    async fn answer(&mut self, id: String, generation: u64, step: Step) -> Result<(), Ending> {
        let Some(running) = self
            .running
            .get_mut(&id)
            .filter(|r| r.generation == generation)
        else {
            // Completed by the client: it is told nothing more.
            return Ok(());
        };
        match step {
            Step::Answer(response)
                if !running.answered
                    && response.data == async_graphql::Value::Null
                    && !response.errors.is_empty() =>
            {
                if let Some(running) = self.running.remove(&id) {
                    running.abort.abort();
                }
                self.now_idle();
                self.send(message::error(&id, &response.errors)).await
            }
            Step::Answer(response) => {
                running.answered = true;
                self.send(message::next(&id, &response)).await
            }
            Step::Done => {
                self.running.remove(&id);
                self.now_idle();
                self.send(message::complete(&id)).await
            }
        }
    }

    fn now_idle(&mut self) {
        if self.running.is_empty() {
            self.idle_since = Instant::now();
        }
    }
}
