//! The `gnlc` binary as a person runs it: `gnlc schema`, and `gnlc` with no configuration
//! creating, migrating and seeding an SQLite file in its working directory.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

fn gnlc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gnlc"));
    for (key, _) in std::env::vars() {
        if key.starts_with("GNLC_") {
            command.env_remove(key);
        }
    }
    command
}

#[test]
fn schema_graphql_is_what_gnlc_schema_prints() {
    let output = gnlc().arg("schema").output().expect("gnlc runs");
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let committed = include_str!("../../schema.graphql");
    assert!(
        printed == committed,
        "schema.graphql is stale: regenerate it with `cargo run -- schema > schema.graphql`"
    );
    assert_eq!(printed, gnlc::graphql::sdl());
}

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
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
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

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "gnlc did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "gnlc exits cleanly on SIGTERM: {exit:?}");
}
