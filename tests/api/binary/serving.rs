//! `gnlc` serving: with no configuration, a seeded SQLite file in its working directory;
//! stopping gracefully; contradictory settings refused at start.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{gnlc, gnlc_in, run};
use crate::helpers::ChildProcess;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn gnlc_with_no_configuration_serves_a_seeded_sqlite_file_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = gnlc()
        .current_dir(dir.path())
        .env("GNLC_PORT", port.to_string())
        .env("GNLC_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map(ChildProcess)
        .expect("gnlc starts");
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/graphql");
    let started = Instant::now();
    let response = loop {
        let attempt = client
            .post(&url)
            .json(&json!({ "query": r#"{ cohort(year: 2020) { cityCount } city(slug: "chisinau") { name } }"# }))
            .send()
            .await;
        if let Ok(response) = attempt {
            break response;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "gnlc did not start listening"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["data"],
        json!({ "cohort": { "cityCount": 55 }, "city": { "name": "Chișinău" } })
    );
    assert!(
        dir.path().join("gnlc.sqlite3").exists(),
        "the database file is in the working directory"
    );

    drop(client);
    child.signal("TERM");
    let exit = child.exit().await;
    assert!(exit.success(), "gnlc exits cleanly on SIGTERM: {exit:?}");

    // `--log-format json`: every line a JSON object, and one line for the request.
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut log).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let requests: Vec<_> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert_eq!(requests.len(), 1, "{log}");
    assert_eq!(requests[0]["path"], "/graphql");
    assert_eq!(requests[0]["status"], 200);
    assert!(requests[0]["request_id"].is_string());
}

/// `gnlc` serving a fresh SQLite database in `dir` on `port`, its log on stderr.
fn serve_in(dir: &std::path::Path, port: u16) -> ChildProcess {
    gnlc_in(dir)
        .env("GNLC_PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map(ChildProcess)
        .expect("gnlc starts")
}

/// A connection to `port`, once something listens there.
fn connect(port: u16) -> TcpStream {
    let started = Instant::now();
    loop {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
            stream
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            return stream;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "gnlc did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn ctrl_c_lets_the_requests_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = serve_in(dir.path(), port);

    // A request in flight: its head read and its handler called (the server says `100
    // Continue` then), its body not sent yet when Ctrl-C comes.
    let mut stream = connect(port);
    let body = br#"{"query":"{ cohort(year: 2020) { cityCount } }"}"#;
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
         expect: 100-continue\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let mut interim = Vec::new();
    let mut byte = [0u8];
    while !interim.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("an interim response");
        interim.push(byte[0]);
    }
    assert_eq!(interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    child.signal("INT");

    // Stopping: no new connection is taken...
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "gnlc did not stop listening on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // ...but the request in flight is answered in full.
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    drop(stream);
    let exit = child.exit().await;
    let mut log = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200")
            && answer.ends_with(r#"{"data":{"cohort":{"cityCount":55}}}"#),
        "no answer: {answer:?}\n{log}"
    );
    assert!(
        exit.success(),
        "gnlc exits cleanly on SIGINT: {exit:?}\n{log}"
    );
}

/// Settings that contradict each other stop `gnlc serve` and `gnlc worker` at start, with
/// the flags named, before anything runs.
#[test]
fn contradictory_settings_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["serve", "worker"] {
        let (ok, _, said) = run(gnlc_in(dir.path())
            .arg(command)
            .env("GNLC_PORT", "0")
            .args(["--webhook-lease", "10s", "--webhook-timeout", "30s"]));
        assert!(!ok, "{command}: {said}");
        assert!(
            said.contains("--webhook-lease (10s) must be longer than --webhook-timeout (30s)"),
            "{command}: {said}"
        );
    }
    assert!(
        !dir.path().join("gnlc.sqlite3").exists(),
        "refused before the database was opened"
    );
}
