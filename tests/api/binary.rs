//! The `gnlc` binary as a person runs it: `gnlc schema`; `gnlc` with no configuration
//! creating, migrating and seeding an SQLite file in its working directory, and stopping
//! gracefully; its commands, their help and their errors.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{ChildProcess, missing_postgres_database};

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

#[test]
fn user_errors_are_one_line_without_a_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let failures: [&[&str]; 4] = [
        &["token", "revoke", "gnlc_nothing"],
        &[
            "admit",
            "--file",
            "no-such-file.csv",
            "--year",
            "2026",
            "--announced-on",
            "2026-09-01",
        ],
        &["--port", "0", "--cors-origins", "not an origin"],
        &["migrate", "--database-url", "nosuchdb://here"],
    ];
    for args in failures {
        let (ok, _, said) = run(gnlc_in(dir.path())
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .env("RUST_LIB_BACKTRACE", "1"));
        assert!(!ok, "gnlc {args:?} failed");
        let lines: Vec<_> = said
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        assert!(
            lines.len() == 1 && lines[0].starts_with("error: "),
            "gnlc {args:?} says one line:\n{said}"
        );
    }
    let (_, _, said) = run(gnlc_in(dir.path())
        .args(["token", "revoke", "gnlc_nothing"])
        .env("RUST_BACKTRACE", "1"));
    assert!(said.contains("no token matches"), "{said}");
}

#[test]
fn each_command_lists_its_own_flags() {
    let help = |args: &[&str]| {
        let (ok, said, errors) = run(gnlc().args(args).arg("--help"));
        assert!(ok, "{errors}");
        said
    };
    for serving in [help(&[]), help(&["serve"])] {
        for flag in [
            "--cors-origins",
            "--port",
            "--database-url",
            "--webhook-timeout",
            "--worker",
        ] {
            assert!(serving.contains(flag), "{flag} missing:\n{serving}");
        }
    }
    let worker = help(&["worker"]);
    assert!(worker.contains("--database-url") && worker.contains("--webhook-timeout"));
    for (args, flags) in [
        (&["admit"][..], &["--file", "--database-url"][..]),
        (&["token", "create"][..], &["--role", "--database-url"][..]),
        (
            &["worker"][..],
            &["--webhook-timeout", "--database-url"][..],
        ),
        (&["migrate"][..], &["--database-url"][..]),
    ] {
        let said = help(args);
        for flag in flags {
            assert!(
                said.contains(flag),
                "gnlc {args:?}: {flag} missing:\n{said}"
            );
        }
        for flag in ["--cors-origins", "--port", "--max-query-cost", "--worker "] {
            assert!(!said.contains(flag), "gnlc {args:?} lists {flag}:\n{said}");
        }
    }
    assert!(!help(&["admit"]).contains("--webhook-timeout"));
    assert!(!help(&["schema"]).contains("--database-url"));
}

#[test]
fn a_missing_postgresql_database_is_created() {
    let database = missing_postgres_database();
    let (ok, _, log) = run(gnlc()
        .args(["migrate", "--database-url", &database.url])
        .env("GNLC_LOG", "info"));
    assert!(ok, "{log}");
    assert!(log.contains("did not exist: created it"), "{log}");
    let (ok, listing, errors) =
        run(gnlc().args(["token", "list", "--database-url", &database.url]));
    assert!(ok && listing.starts_with("  id"), "{errors}");
    // Once there, it is used as it is.
    let (ok, _, log) = run(gnlc().args(["migrate", "--database-url", &database.url]));
    assert!(ok && !log.contains("created it"), "{log}");
}

/// Writes `csv` to a file in `dir` and runs `gnlc admit --year YEAR --announced-on DATE
/// --file FILE` on it, with more arguments.
fn admit_csv(
    dir: &std::path::Path,
    year: &str,
    date: &str,
    csv: &str,
    more: &[&str],
) -> (bool, String, String) {
    std::fs::write(dir.join("cohort.csv"), csv).unwrap();
    run(gnlc_in(dir)
        .args(["admit", "--year", year, "--announced-on", date])
        .args(["--file", "cohort.csv"])
        .args(more))
}

#[test]
fn a_csv_file_without_its_header_row_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, said, errors) = admit_csv(
        dir.path(),
        "2026",
        "2026-09-01",
        "Reykjavík,IS,64.1355,-21.8954,3413829,Iceland,ISL,europe-and-north-america\n\
         Bălți,MD,47.76171,27.92902,,,,\n",
        &[],
    );
    assert!(!ok, "{said}");
    assert!(
        errors.contains("header: the first line is not a header row (it is `Reykjavík,IS,"),
        "{errors}"
    );
    let (ok, _, errors) = admit_csv(
        dir.path(),
        "2026",
        "2026-09-01",
        "name,country,latitude,longitude,geonames\nBălți,MD,47.76171,27.92902,618405\n",
        &[],
    );
    assert!(!ok);
    assert!(
        errors.contains("header: unknown column `geonames`"),
        "{errors}"
    );
}

#[test]
fn an_intake_published_without_its_members_keeps_its_figures_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, said, errors) = admit_csv(
        dir.path(),
        "2019",
        "2019-07-17",
        "name,country,latitude,longitude\nBălți,MD,47.76171,27.92902\n",
        &[],
    );
    assert!(ok, "{errors}");
    assert_eq!(
        said.lines().collect::<Vec<_>>(),
        [
            "admitted the 2019 cohort: 1 cities; 0 deliveries queued",
            "kept the published newCityCount 38 (this admission says 1; --replace-published-figures replaces it)",
            "kept the published newCountryCount 23 (this admission says 1; --replace-published-figures replaces it)",
        ]
    );

    let (ok, said, errors) = admit_csv(
        dir.path(),
        "2022",
        "2022-09-02",
        "name,country,latitude,longitude\nSoroca,MD,48.15659,28.28489\n",
        &["--network-cities", "300", "--replace-published-figures"],
    );
    assert!(ok, "{errors}");
    assert_eq!(
        said.lines().collect::<Vec<_>>(),
        [
            "admitted the 2022 cohort: 1 cities; 0 deliveries queued",
            "replaced the published newCityCount 77 with 1",
            "replaced the published newCountryCount 44 with 1",
            "replaced the published networkCityCount 294 with 300",
        ]
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

/// A new user copies the README's commands into a shell right after cloning: none may
/// need `gnlc` on `PATH` (it is not there until `cargo install --path .`).
#[test]
fn the_readme_commands_run_from_a_fresh_clone() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut in_shell_block = false;
    let mut commands = 0;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_shell_block = line == "```sh";
            continue;
        }
        if !in_shell_block || line.starts_with(' ') || line.trim().is_empty() {
            continue;
        }
        commands += 1;
        let program = line.split_whitespace().next().unwrap_or_default();
        assert!(
            ["cargo", "curl", "npm"].contains(&program),
            "a README command a fresh clone cannot run as written: {line}"
        );
    }
    assert!(commands >= 5, "the README's shell commands were found");
}
