//! The `gnlc` binary as a person runs it: `gnlc schema`, and `gnlc` with no configuration
//! creating, migrating and seeding an SQLite file in its working directory.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::ChildProcess;

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

    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "gnlc did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
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

/// `gnlc` with a fresh SQLite database in a temporary folder.
fn gnlc_in(dir: &std::path::Path) -> Command {
    let mut command = gnlc();
    command
        .current_dir(dir)
        .env("GNLC_DATABASE_URL", "sqlite://gnlc.sqlite3?mode=rwc");
    command
}

fn run(command: &mut Command) -> (bool, String, String) {
    let output = command.output().expect("gnlc runs");
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        output.status.success(),
        text(output.stdout),
        text(output.stderr),
    )
}

#[test]
fn tokens_are_created_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, token, said) =
        run(gnlc_in(dir.path()).args(["token", "create", "--role", "partner", "--name", "Lisbon"]));
    assert!(ok, "{said}");
    let token = token.trim();
    assert!(token.starts_with("gnlc_") && token.len() > 40, "{token}");
    assert!(said.contains("shown only now"), "{said}");
    let (ok, listing, _) = run(gnlc_in(dir.path()).args(["token", "list"]));
    assert!(ok);
    assert!(
        listing.contains("partner") && listing.contains(&token[..12]) && listing.contains("Lisbon")
    );
    assert!(!listing.contains(token), "the token itself is never listed");
    let (ok, revoked, _) = run(gnlc_in(dir.path()).args(["token", "revoke", &token[..12]]));
    assert!(ok && revoked.starts_with("revoked token 1"), "{revoked}");
    let (ok, _, said) = run(gnlc_in(dir.path()).args(["token", "revoke", "gnlc_nothing"]));
    assert!(!ok && said.contains("no token matches"), "{said}");
    let (ok, _, said) =
        run(gnlc_in(dir.path()).args(["token", "create", "--role", "owner", "--name", "X"]));
    assert!(!ok && said.contains("invalid value 'owner'"), "{said}");
}

#[test]
fn a_cohort_is_admitted_from_a_csv_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cohort.csv");
    std::fs::write(
        &file,
        "name,country,latitude,longitude,geonames_id,country_name,iso3,region\n\
         Reykjavík,IS,64.1355,-21.8954,3413829,Iceland,ISL,europe-and-north-america\n\
         Bălți,MD,47.76171,27.92902,,Republic of Moldova,MDA,europe-and-north-america\n",
    )
    .unwrap();
    let admit = |file: &std::path::Path| {
        run(gnlc_in(dir.path())
            .args([
                "admit",
                "--year",
                "2026",
                "--announced-on",
                "2026-09-01",
                "--file",
            ])
            .arg(file))
    };
    let (ok, said, errors) = admit(&file);
    assert!(ok, "{errors}");
    assert_eq!(
        said.trim(),
        "admitted the 2026 cohort: 2 cities; 0 deliveries queued"
    );
    let (ok, said, _) = admit(&file);
    assert!(ok);
    assert_eq!(
        said.trim(),
        "the 2026 cohort was already admitted with this content: nothing changed"
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "name,country,latitude,longitude\nAtlantis,XA,0,0\nNorth,MD,95,0\n",
    )
    .unwrap();
    let (ok, _, errors) = run(gnlc_in(dir.path())
        .args([
            "admit",
            "--year",
            "2027",
            "--announced-on",
            "2027-09-01",
            "--file",
        ])
        .arg(&bad));
    assert!(!ok);
    assert!(
        errors.contains("row 1: country: there is no country with code `XA`"),
        "{errors}"
    );
    assert!(
        errors.contains("row 2: latitude: 95 is not between -90 and 90"),
        "{errors}"
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
