//! graphql-transport-ws as the protocol says: initialisation, pings, operations and the
//! close codes of each mistake; the limits of a connection.

use std::time::Duration;

use serde_json::json;

use super::{EVENTS, Socket};
use crate::helpers::{Backend, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_connection_is_acknowledged_once_and_answers_pings() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut socket = Socket::ready(&app, None).await;
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(socket.message().await, json!({"type": "pong"}));
    socket.send(json!({"type": "connection_init"})).await;
    assert_eq!(socket.closed().await.0, 4429, "a second init");
}

#[tokio::test]
async fn the_server_pings_and_closes_what_never_initialises() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.subscriptions.init_timeout = Duration::from_millis(300);
        s.subscriptions.keepalive = Duration::from_millis(100);
    })
    .await;
    let mut socket = Socket::open(&app).await;
    assert_eq!(socket.closed().await.0, 4408);

    let mut socket = Socket::ready(&app, None).await;
    // `receive` answers pings itself: read the raw frame instead.
    socket.subscribe("1", EVENTS, json!({})).await;
    assert_eq!(socket.raw().await, r#"{"type":"ping"}"#);
}

#[tokio::test]
async fn mistakes_close_with_the_protocols_codes() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut socket = Socket::open(&app).await;
    socket.subscribe("1", EVENTS, json!({})).await;
    assert_eq!(socket.closed().await.0, 4401, "subscribe before the ack");

    for bad in [
        "not json",
        r#"{"type":"shout"}"#,
        r#"{"type":"subscribe","id":"1"}"#,
    ] {
        let mut socket = Socket::ready(&app, None).await;
        socket.send_text(bad).await;
        assert_eq!(socket.closed().await.0, 4400, "{bad}");
    }

    let mut socket = Socket::ready(&app, None).await;
    socket.subscribe("1", EVENTS, json!({})).await;
    socket.subscribe("1", EVENTS, json!({})).await;
    assert_eq!(socket.closed().await.0, 4409, "a duplicate id");

    let mut socket = Socket::open(&app).await;
    socket
        .send(json!({"type": "connection_init", "payload": {"token": "gnlc_wrong"}}))
        .await;
    assert_eq!(socket.closed().await.0, 4403, "a wrong token");

    let mut socket = Socket::open_with(&app, None, None).await;
    assert_eq!(socket.closed().await.0, 4406, "no subprotocol");

    let mut socket = Socket::ready(&app, None).await;
    socket.send_text(&"x".repeat(300 * 1024)).await;
    assert_eq!(
        socket.closed().await.0,
        1009,
        "a message over --max-body-bytes"
    );
}

#[tokio::test]
async fn queries_run_over_the_socket_and_mutations_do_not() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut socket = Socket::ready(&app, None).await;
    socket
        .subscribe("q", r#"{ city(slug: "chisinau") { name } }"#, json!({}))
        .await;
    assert_eq!(
        socket.next("q").await,
        json!({"data": {"city": {"name": "Chișinău"}}})
    );
    assert_eq!(
        socket.message().await,
        json!({"type": "complete", "id": "q"})
    );

    socket
        .subscribe(
            "m",
            r#"mutation { withdrawCity(slug: "cahul", withdrawnOn: "2026-01-01") { name } }"#,
            json!({}),
        )
        .await;
    let refused = socket.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );
}

#[tokio::test]
async fn subscriptions_are_checked_as_queries_are() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.http.max_query_depth = 4).await;
    let mut socket = Socket::ready(&app, None).await;
    let code = |message: &serde_json::Value| {
        assert_eq!(message["type"], "error", "{message}");
        message["payload"][0]["extensions"]["code"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    socket
        .subscribe(
            "deep",
            "subscription { cohortAdmitted { cohort { cities { country { cities { name } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&socket.message().await), "QUERY_TOO_DEEP");
    socket
        .subscribe("bad", "subscription { nothing }", json!({}))
        .await;
    assert_eq!(code(&socket.message().await), "GRAPHQL_VALIDATION_FAILED");
    socket
        .subscribe(
            "region",
            "subscription { events(regions: [\"atlantis\"]) { cursor } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&socket.message().await), "BAD_USER_INPUT");
    socket
        .subscribe("cursor", EVENTS, json!({"after": "not-a-cursor"}))
        .await;
    assert_eq!(code(&socket.message().await), "BAD_USER_INPUT");
    // One root field, written directly: aliases would each be a feed of their own under one
    // operation's limits, and a fragment at the root would end at once, silently.
    let aliases = (0..50)
        .map(|i| format!("a{i}: events {{ cursor }}"))
        .collect::<Vec<_>>()
        .join(" ");
    for (id, query) in [
        ("aliases", format!("subscription {{ {aliases} }}")),
        (
            "fragment",
            "subscription { ...F } fragment F on Subscription { events { cursor } }".to_owned(),
        ),
    ] {
        socket.subscribe(id, &query, json!({})).await;
        let refused = socket.message().await;
        assert_eq!(code(&refused), "GRAPHQL_VALIDATION_FAILED", "{id}");
        assert!(
            refused["payload"][0]["message"]
                .as_str()
                .unwrap()
                .contains("root field")
        );
    }
}

#[tokio::test]
async fn a_connection_and_a_process_are_bounded() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.subscriptions.max_per_connection = 2;
        s.subscriptions.max_connections = 2;
    })
    .await;
    let mut socket = Socket::ready(&app, None).await;
    socket.subscribe("1", EVENTS, json!({})).await;
    socket.subscribe("2", EVENTS, json!({})).await;
    socket.subscribe("3", EVENTS, json!({})).await;
    let refused = socket.message().await;
    assert_eq!(
        (&refused["type"], &refused["id"]),
        (&json!("error"), &json!("3")),
        "{refused}"
    );
    // Completing one makes room.
    socket.send(json!({"type": "complete", "id": "1"})).await;
    socket.subscribe("3", EVENTS, json!({})).await;
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(
        socket.message().await,
        json!({"type": "pong"}),
        "no error for 3"
    );

    let _second = Socket::open(&app).await;
    let url = app.url("/graphql").replacen("http://", "ws://", 1);
    let third = tokio_tungstenite::connect_async(url).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = third else {
        panic!("a third connection was accepted");
    };
    assert_eq!(response.status(), 503);
}
