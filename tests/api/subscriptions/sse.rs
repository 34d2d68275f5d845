//! Live updates over Server-Sent Events (GraphQL over SSE, distinct connections), read by a
//! Rust client of the event stream format: `next` events with the events' cursors as ids, a
//! reconnect with `Last-Event-ID` that resumes with nothing missed nor twice, refusals as
//! a `next` event then `complete`, and the limits.

use std::time::Duration;

use gnlc::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::catch_up::big_cohort;
use super::{EVENTS, PATIENCE, types, withdraw};
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::notify::{admit, cohort_2026};

crate::for_each_backend!(events_stream_and_a_reconnect_resumes_after_the_last_event_id);
crate::for_each_backend!(refusals_come_as_a_next_event_then_complete_and_change_nothing);
crate::for_each_backend!(a_subscriber_too_slow_is_ended_without_complete_to_resume);
crate::for_each_backend!(a_long_filter_costs_one_lookup_per_spelling_and_is_bounded);

/// One event of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: String,
    pub id: Option<String>,
    pub data: String,
}

impl Event {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|_| panic!("JSON data: {self:?}"))
    }
}

/// A client of one event stream.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
    /// Comments received (the server's keep-alives).
    pub comments: usize,
}

impl EventStream {
    /// POSTs `query` as `graphql-sse` does, with these extra headers.
    pub async fn post(
        app: &TestApp,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Self {
        let request = app.client.post(app.url("/graphql"));
        let body = json!({"query": query, "variables": variables});
        Self::send(request.json(&body), headers).await
    }

    /// GETs `query` as a browser's `EventSource` does: the request in the query string.
    pub async fn get(
        app: &TestApp,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Self {
        let request = app.client.get(app.url("/graphql"));
        let variables = variables.to_string();
        Self::send(
            request.query(&[("query", query), ("variables", &variables)]),
            headers,
        )
        .await
    }

    async fn send(mut request: reqwest::RequestBuilder, headers: &[(&str, &str)]) -> Self {
        request = request.header("accept", "text/event-stream");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::opened(request.send().await.unwrap()).await
    }

    /// The stream, once its first comment says the operation has started (a subscription
    /// listens for events from then on).
    pub async fn opened(response: reqwest::Response) -> Self {
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert_eq!(content_type, "text/event-stream; charset=utf-8");
        assert_eq!(response.headers()["cache-control"], "no-cache");
        let mut stream = Self {
            response,
            buffer: String::new(),
            comments: 0,
        };
        while stream.buffer.len() < 3 {
            let chunk = tokio::time::timeout(PATIENCE, stream.response.chunk()).await;
            let chunk = chunk.unwrap().unwrap().expect("the stream opens");
            stream.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        assert!(stream.buffer.starts_with(":\n\n"), "{:?}", stream.buffer);
        stream.buffer.drain(..3);
        stream.comments = 1;
        stream
    }

    /// The next event, or `None` once the server has ended the stream.
    pub async fn event(&mut self) -> Option<Event> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = Event {
                    kind: "message".into(),
                    id: None,
                    data: String::new(),
                };
                let mut fields = 0;
                for line in block.lines().filter(|line| !line.is_empty()) {
                    if line.starts_with(':') {
                        self.comments += 1;
                        continue;
                    }
                    let (field, value) = line.split_once(": ").unwrap_or((line, ""));
                    fields += 1;
                    match field {
                        "event" => event.kind = value.to_owned(),
                        "id" => event.id = Some(value.to_owned()),
                        "data" => event.data = value.to_owned(),
                        other => panic!("unexpected field {other:?} in {block:?}"),
                    }
                }
                if fields > 0 {
                    return Some(event);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .expect("the server writes in time")
                .expect("the stream reads");
            match chunk {
                Some(bytes) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                None => {
                    assert_eq!(self.buffer.trim(), "", "a partial event at the end");
                    return None;
                }
            }
        }
    }

    /// The next event, which must be a `next`: its id and answer.
    pub async fn next(&mut self) -> (Option<String>, Value) {
        let event = self.event().await.expect("an event, not the end");
        assert_eq!(event.kind, "next", "{event:?}");
        (event.id.clone(), event.json())
    }

    /// The next `count` events of an `events` subscription, each with its id.
    pub async fn events(&mut self, count: usize) -> Vec<(String, Value)> {
        let mut events = Vec::new();
        while events.len() < count {
            let (id, answer) = self.next().await;
            assert!(answer.get("errors").is_none(), "{answer}");
            let event = answer["data"]["events"].clone();
            let id = id.expect("an answer made from an event has an id");
            assert_eq!(event["cursor"], json!(id), "the id is the event's cursor");
            events.push((id, event));
        }
        events
    }

    /// The stream's end: `complete`, then nothing.
    pub async fn completes(&mut self) {
        let event = self.event().await.expect("complete");
        assert_eq!((event.kind.as_str(), event.data.as_str()), ("complete", ""));
        assert_eq!(self.event().await, None);
    }
}

fn values(events: &[(String, Value)]) -> Vec<Value> {
    events.iter().map(|(_, event)| event.clone()).collect()
}

async fn events_stream_and_a_reconnect_resumes_after_the_last_event_id(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.token(Role::Admin, "UIL").await;
    let mut stream = EventStream::post(&app, EVENTS, json!({}), &[]).await;
    admit(&app, &admin, cohort_2026()).await;
    let events = stream.events(3).await;
    assert_eq!(
        types(&values(&events)),
        ["cohort.admitted", "city.admitted", "city.admitted"]
    );
    // The client goes away after the second event; a withdrawal is committed meanwhile.
    drop(stream);
    withdraw(&app, &admin, "cahul").await;
    // `EventSource` reconnects with the last id it saw (and the request it first made, whose
    // `after` the id takes the place of).
    let mut resumed = EventStream::get(
        &app,
        EVENTS,
        json!({"after": events[0].0}),
        &[("last-event-id", &events[1].0)],
    )
    .await;
    let rest = resumed.events(2).await;
    assert_eq!(rest[0], events[2], "after the last id, nothing twice");
    assert_eq!(types(&values(&rest[1..])), ["city.withdrawn"]);
    // And live ones after.
    withdraw(&app, &admin, "balti").await;
    assert_eq!(types(&values(&resumed.events(1).await)), ["city.withdrawn"]);

    // A typed subscription: the answer's id resumes it too.
    let mut cohorts = EventStream::post(
        &app,
        "subscription { cohortAdmitted { cursor cohort { year } } }",
        json!({}),
        &[("last-event-id", &events[0].0)],
    )
    .await;
    admit(&app, &admin, big_cohort(1)).await;
    let (id, answer) = cohorts.next().await;
    assert_eq!(answer["data"]["cohortAdmitted"]["cohort"]["year"], 2027);
    assert_eq!(
        json!(id.unwrap()),
        answer["data"]["cohortAdmitted"]["cursor"]
    );
}

async fn refusals_come_as_a_next_event_then_complete_and_change_nothing(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.token(Role::Admin, "UIL").await;
    let refused = |answer: &Value| answer["errors"][0]["extensions"]["code"].clone();

    let bearer = "Bearer gnlc_not_a_token";
    let mut stream = EventStream::post(&app, EVENTS, json!({}), &[("authorization", bearer)]).await;
    let (id, answer) = stream.next().await;
    assert_eq!((id, refused(&answer)), (None, json!("UNAUTHENTICATED")));
    stream.completes().await;

    let mut stream =
        EventStream::get(&app, "subscription { events { nope } }", json!({}), &[]).await;
    assert_eq!(refused(&stream.next().await.1), "GRAPHQL_VALIDATION_FAILED");
    stream.completes().await;

    let bad_id = [("last-event-id", "not a cursor")];
    let mut stream = EventStream::get(&app, EVENTS, json!({}), &bad_id).await;
    assert_eq!(refused(&stream.next().await.1), "BAD_USER_INPUT");
    stream.completes().await;

    // A mutation belongs to a JSON POST: it is refused, and does nothing.
    let withdrawal =
        "mutation { withdrawCity(slug: \"cahul\", withdrawnOn: \"2026-01-01\") { name } }";
    let auth = format!("Bearer {admin}");
    let mut stream =
        EventStream::post(&app, withdrawal, json!({}), &[("authorization", &auth)]).await;
    assert_eq!(refused(&stream.next().await.1), "METHOD_NOT_ALLOWED");
    stream.completes().await;
    let city = app
        .data(None, "{ city(slug: \"cahul\") { withdrawnOn } }", json!({}))
        .await;
    assert_eq!(city["city"]["withdrawnOn"], Value::Null, "{city}");

    // A query answers once, then completes.
    let mut stream = EventStream::post(&app, "{ network { cityCount } }", json!({}), &[]).await;
    let (id, answer) = stream.next().await;
    assert_eq!(id, None);
    assert!(
        answer["data"]["network"]["cityCount"].is_number(),
        "{answer}"
    );
    stream.completes().await;
}

async fn a_subscriber_too_slow_is_ended_without_complete_to_resume(backend: Backend) {
    // A buffer of one event: an admission's three come at once.
    let app = spawn_app_with(backend, |s| s.subscriptions.buffer = 1).await;
    let admin = app.token(Role::Admin, "UIL").await;
    let mut stream = EventStream::post(&app, EVENTS, json!({}), &[]).await;
    admit(&app, &admin, cohort_2026()).await;
    let mut codes = Vec::new();
    while let Some(event) = stream.event().await {
        assert_eq!(event.kind, "next", "no complete: {event:?}");
        if let Some(code) = event.json()["errors"][0]["extensions"]["code"].as_str() {
            codes.push(code.to_owned());
        }
    }
    assert_eq!(codes, ["SUBSCRIBER_TOO_SLOW"]);
}

#[tokio::test]
async fn a_request_that_cannot_be_read_is_refused_with_its_status() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await;
    let post = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .header("accept", "text/event-stream")
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let cases = [
        (
            post("{", "application/json").await.unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            post(
                r#"[{"query": "{ network { cityCount } }"}]"#,
                "application/json",
            )
            .await
            .unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            post(r#"{"query": "{ network { cityCount } }"}"#, "text/plain")
                .await
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            app.client
                .put(app.url("/graphql"))
                .header("accept", "text/event-stream")
                .send()
                .await
                .unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    for (response, status) in cases {
        assert_eq!(response.status(), status);
        let body: Value = response.json().await.unwrap();
        assert!(body["errors"][0]["message"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn streams_are_kept_alive_and_bounded_in_number() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.subscriptions.max_connections = 1;
        settings.subscriptions.keepalive = Duration::from_millis(100);
    })
    .await;
    let mut stream = EventStream::post(&app, EVENTS, json!({}), &[]).await;
    let busy = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "text/event-stream")
        .json(&json!({"query": EVENTS}))
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()["retry-after"], "5");
    // Comments keep it alive while nothing happens.
    while stream.comments < 3 {
        let chunk = tokio::time::timeout(PATIENCE, stream.response.chunk()).await;
        let chunk = chunk.unwrap().unwrap().expect("the stream stays open");
        stream.comments += std::str::from_utf8(&chunk)
            .unwrap()
            .matches(":\n\n")
            .count();
    }
    // Its place is free once the client goes.
    drop(stream);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let again = app
            .client
            .post(app.url("/graphql"))
            .header("accept", "text/event-stream")
            .json(&json!({"query": "{ network { cityCount } }"}))
            .send()
            .await
            .unwrap();
        if again.status() == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "the stream's place is freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An anonymous filter of many thousand words costs one lookup per different spelling, and
/// one of more different words than any real filter is refused before any lookup.
async fn a_long_filter_costs_one_lookup_per_spelling_and_is_bounded(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let query = "subscription($c: [String!]) { events(countries: $c) { cursor } }";
    let before = app.statements.get();
    let moldova = vec!["MD"; 20_000];
    let stream = EventStream::post(&app, query, json!({ "c": moldova }), &[]).await;
    let statements = app.statements.get() - before;
    assert!(
        statements < 20,
        "{statements} statements to open the stream"
    );
    drop(stream);

    let words: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
    let before = app.statements.get();
    let mut stream = EventStream::post(&app, query, json!({ "c": words }), &[]).await;
    let (_, answer) = stream.next().await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("at most 250 different values"),
        "{message}"
    );
    stream.completes().await;
    assert!(
        app.statements.get() - before < 5,
        "refused before any lookup"
    );
}
