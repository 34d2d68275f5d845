//! Live updates over graphql-transport-ws, spoken by a Rust WebSocket client: the protocol's
//! edge cases, catching up from a cursor, who sees what, and events from other processes;
//! over Server-Sent Events ([`sse`]); and by the real client libraries under Node ([`clients`]).

mod catch_up;
mod clients;
mod processes;
mod protocol;
mod sse;
mod visibility;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::TestApp;

/// How long a test waits for a message before it fails.
const PATIENCE: Duration = Duration::from_secs(20);

pub const EVENTS: &str = "subscription($after: String, $types: [String!]) {
    events(after: $after, types: $types) { cursor event { id type payload } }
}";

/// What the server sent: a message, or the close frame.
#[derive(Debug)]
pub enum Received {
    Message(Value),
    Closed(u16, String),
}

pub struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Socket {
    /// Opens a socket to `app`'s `/graphql`, offering `protocol` (none: no offer), with an
    /// `Authorization` header when given.
    pub async fn open_with(
        app: &TestApp,
        protocol: Option<&str>,
        authorization: Option<&str>,
    ) -> Socket {
        Self::open_url(&app.url("/graphql"), protocol, authorization).await
    }

    /// As [`Self::open_with`], to the server at `url` (`http://…/graphql`).
    pub async fn open_url(
        url: &str,
        protocol: Option<&str>,
        authorization: Option<&str>,
    ) -> Socket {
        let url = url.replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().unwrap();
        if let Some(protocol) = protocol {
            request
                .headers_mut()
                .insert("sec-websocket-protocol", protocol.parse().unwrap());
        }
        if let Some(authorization) = authorization {
            request
                .headers_mut()
                .insert("authorization", authorization.parse().unwrap());
        }
        let (stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the socket opens");
        Socket(stream)
    }

    pub async fn open(app: &TestApp) -> Socket {
        Self::open_with(app, Some("graphql-transport-ws"), None).await
    }

    /// Opens a socket and initialises it (with `payload`, when given).
    pub async fn ready(app: &TestApp, payload: Option<Value>) -> Socket {
        let mut socket = Self::open(app).await;
        socket.init(payload).await;
        socket
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.0.send(Message::text(text)).await.expect("sent");
    }

    /// The next frame, by `deadline`.
    async fn frame(
        &mut self,
        deadline: Instant,
    ) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
        tokio::time::timeout_at(deadline, self.0.next())
            .await
            .expect("the server answers in time")
    }

    /// The next message or close frame, within the test's patience; the server's pings are
    /// answered and skipped.
    pub async fn receive(&mut self) -> Received {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.frame(deadline).await {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    if message["type"] == "ping" {
                        self.send(json!({"type": "pong"})).await;
                        continue;
                    }
                    return Received::Message(message);
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame.map_or((1005, String::new()), |f| {
                        (u16::from(f.code), f.reason.to_string())
                    });
                    return Received::Closed(code, reason);
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Received::Closed(1006, error.to_string()),
                None => return Received::Closed(1006, "ended".into()),
            }
        }
    }

    /// The next text frame as the server sent it (pings too).
    pub async fn raw(&mut self) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.frame(deadline).await {
                Some(Ok(Message::Text(text))) => return text.to_string(),
                Some(Ok(_)) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The next message, which must not be a close.
    pub async fn message(&mut self) -> Value {
        match self.receive().await {
            Received::Message(message) => message,
            closed => panic!("expected a message, got {closed:?}"),
        }
    }

    /// The close frame, skipping messages before it; its code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            if let Received::Closed(code, reason) = self.receive().await {
                return (code, reason);
            }
        }
    }

    pub async fn init(&mut self, payload: Option<Value>) {
        let mut init = json!({"type": "connection_init"});
        if let Some(payload) = payload {
            init["payload"] = payload;
        }
        self.send(init).await;
        assert_eq!(self.message().await, json!({"type": "connection_ack"}));
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "type": "subscribe", "id": id,
            "payload": {"query": query, "variables": variables}
        }))
        .await;
    }

    /// Subscribes, and waits until the server has taken the subscription (it answers a
    /// ping sent after it).
    pub async fn subscribed(&mut self, id: &str, query: &str, variables: Value) {
        self.subscribe(id, query, variables).await;
        self.send(json!({"type": "ping"})).await;
        assert_eq!(self.message().await, json!({"type": "pong"}));
    }

    /// The payload of the next `next` message of operation `id`.
    pub async fn next(&mut self, id: &str) -> Value {
        let message = self.message().await;
        assert_eq!(
            (&message["type"], &message["id"]),
            (&json!("next"), &json!(id)),
            "{message}"
        );
        message["payload"].clone()
    }

    /// The next `count` events of subscription `id` (an `events` one), without errors.
    pub async fn events(&mut self, id: &str, count: usize) -> Vec<Value> {
        let mut events = Vec::with_capacity(count);
        while events.len() < count {
            let payload = self.next(id).await;
            assert!(payload.get("errors").is_none(), "{payload}");
            events.push(payload["data"]["events"].clone());
        }
        events
    }
}

/// The types of events, in order.
pub fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"]["type"].as_str().unwrap())
        .collect()
}

/// Withdraws a city, as a coordinator.
pub async fn withdraw(app: &TestApp, admin: &str, slug: &str) {
    app.data(
        Some(admin),
        "mutation($slug: String!) { withdrawCity(slug: $slug, withdrawnOn: \"2026-01-01\") { name } }",
        json!({ "slug": slug }),
    )
    .await;
}

/// Waits until `app` runs at least `count` subscriptions (its `gnlc_subscriptions` metric):
/// taken, so that what is committed next reaches them.
pub async fn until_subscribed(app: &TestApp, count: u64) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let metrics = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let running = metrics
            .lines()
            .find_map(|line| line.strip_prefix("gnlc_subscriptions "))
            .and_then(|value| value.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no gnlc_subscriptions in /metrics:\n{metrics}"));
        if running >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{running} subscriptions, not {count}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
