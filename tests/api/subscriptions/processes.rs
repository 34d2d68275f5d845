//! Events committed by other processes on the same database (another server, `gnlc admit`)
//! reach a server's subscribers, each once, in order; a stopping server closes its sockets
//! with 1001, and ends its event streams without `complete`, so clients reconnect elsewhere
//! and resume.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gnlc::access::Role;
use serde_json::json;

use super::sse::EventStream;
use super::{EVENTS, Socket, types, withdraw};
use crate::helpers::{Backend, ChildProcess, server_log, spawn_app_sharing, spawn_app_with};
use crate::notify::{admit, cohort_2026, subscribe};

crate::for_each_backend!(events_from_other_processes_reach_every_subscriber_once_in_order);

async fn events_from_other_processes_reach_every_subscriber_once_in_order(backend: Backend) {
    // No poll: only notifications (PostgreSQL) or the file watcher (SQLite) tell of others'
    // events. No delivery worker: the test endpoint's failing deliveries are not the point.
    let no_poll = |s: &mut gnlc::config::Settings| {
        s.subscriptions.poll_interval = Duration::from_secs(3600);
        s.webhooks.run_worker = false;
    };
    let app = spawn_app_with(backend, no_poll).await;
    let other = spawn_app_sharing(&app, no_poll).await;
    let admin = app.token(Role::Admin, "UIL").await;
    let partner = app.token(Role::Partner, "Partner").await;
    let (endpoint, _) = subscribe(&other, &partner, "http://127.0.0.1:9/hooks", json!({})).await;
    let mut socket = Socket::ready(&app, Some(json!({"token": partner}))).await;
    socket.subscribed("all", EVENTS, json!({})).await;

    admit(&other, &admin, cohort_2026()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cohort.csv"),
        "name,country,latitude,longitude\nTesttown,PT,41.15,-8.61\n",
    )
    .unwrap();
    let admitted = Command::new(env!("CARGO_BIN_EXE_gnlc"))
        .args([
            "admit",
            "--file",
            "cohort.csv",
            "--year",
            "2028",
            "--announced-on",
            "2028-09-01",
        ])
        .current_dir(dir.path())
        .env("GNLC_DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    let said = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    assert!(
        admitted.status.success(),
        "{}{}",
        said(&admitted.stdout),
        said(&admitted.stderr)
    );
    withdraw(&other, &admin, "cahul").await;
    // Last, an event that changes no public data (so no data version): only its own
    // notification tells of it.
    other
        .data(
            Some(&partner),
            "mutation($id: ID!) { sendTestEvent(endpointId: $id) { id } }",
            json!({ "id": endpoint }),
        )
        .await;

    let events = socket.events("all", 7).await;
    assert_eq!(
        types(&events),
        [
            "cohort.admitted",
            "city.admitted",
            "city.admitted",
            "cohort.admitted",
            "city.admitted",
            "city.withdrawn",
            "webhook.test"
        ]
    );
    assert_eq!(
        events[3]["event"]["payload"]["data"]["cohort"]["year"],
        2028
    );
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(socket.message().await["type"], "pong", "no event twice");
}

#[tokio::test]
async fn a_stopping_server_closes_its_sockets_going_away() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_gnlc"))
        .current_dir(dir.path())
        .env("GNLC_DATABASE_URL", "sqlite://gnlc.sqlite3?mode=rwc")
        .env("GNLC_PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(server_log())
        .spawn()
        .map(ChildProcess)
        .expect("gnlc starts");
    let mut child = child;
    let url = format!("http://127.0.0.1:{port}/graphql");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "gnlc did not listen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut socket = Socket::open_url(&url, Some("graphql-transport-ws"), None).await;
    socket.init(None).await;
    socket.subscribe("all", EVENTS, json!({})).await;
    let stream = reqwest::Client::new()
        .post(&url)
        .header("accept", "text/event-stream")
        .json(&json!({"query": EVENTS}))
        .send()
        .await
        .unwrap();
    let mut stream = EventStream::opened(stream).await;
    child.signal("TERM");
    let (code, _) = socket.closed().await;
    assert_eq!(code, 1001);
    // The event stream ends with no `complete`: `EventSource` reconnects and resumes.
    assert_eq!(stream.event().await, None);
    assert!(child.exit().await.success());
}
