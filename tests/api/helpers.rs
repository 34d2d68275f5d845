//! Spawns the real server on port 0 against a fresh database: an SQLite file in a
//! temporary folder, or a new PostgreSQL database dropped when the test ends.
//!
//! The servers are silent. To see their logs, set `TEST_LOG` (filtered by `RUST_LOG`,
//! `info` by default): `TEST_LOG=1 cargo test --test api some_test`. The log of a server
//! spawned in the test's process goes to the test's output (shown when it fails, or with
//! `-- --nocapture`); a `gnlc` process a test starts writes its log to the terminal.

use gnlc::access::Role;
use gnlc::config::Settings;
use gnlc::database::StatementCounter;
use gnlc::startup::Application;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// The PostgreSQL server tests create their databases on. Missing PostgreSQL is a failure,
/// not a skip: every storage test runs on both backends.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    pub statements: StatementCounter,
    pub db: sea_orm::DatabaseConnection,
    _database: TestDatabase,
}

enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another app's database: that app removes it.
    Shared,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

fn unique_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "gnlc_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Replaces the database name (the URL's path) of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database path");
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

async fn fresh_database(backend: Backend) -> (String, TestDatabase) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary folder");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("gnlc.sqlite3").display()
            );
            (url, TestDatabase::Sqlite(dir))
        }
        Backend::Postgres => {
            let admin_url = std::env::var("TEST_DATABASE_URL")
                .unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned());
            let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL at {admin_url} is needed for the storage tests ({e}); start it or set TEST_DATABASE_URL"
                )
            });
            let name = unique_name();
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            admin.close().await.ok();
            (
                with_database(&admin_url, &name),
                TestDatabase::Postgres { admin_url, name },
            )
        }
    }
}

/// A database of a test's own, used as the test likes, removed when dropped.
pub struct OwnDatabase {
    pub url: String,
    _database: TestDatabase,
}

/// A fresh, empty database (no migration applied).
pub async fn empty_database(backend: Backend) -> OwnDatabase {
    let (url, database) = fresh_database(backend).await;
    OwnDatabase {
        url,
        _database: database,
    }
}

/// A PostgreSQL database that does not exist yet, on the tests' server, dropped at the end
/// if something created it.
pub fn missing_postgres_database() -> OwnDatabase {
    let admin_url =
        std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned());
    let name = unique_name();
    OwnDatabase {
        url: with_database(&admin_url, &name),
        _database: TestDatabase::Postgres { admin_url, name },
    }
}

/// Whether the servers' logs are wanted (`TEST_LOG` is set).
fn test_log() -> bool {
    std::env::var_os("TEST_LOG").is_some()
}

/// With `TEST_LOG`, sends the logs of the servers spawned in this process to the output
/// of the test that spawned them, once.
fn log_to_test_output() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if test_log() {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
    });
}

/// Where a `gnlc` process a test starts writes its log: the terminal with `TEST_LOG`,
/// nowhere otherwise.
pub fn server_log() -> std::process::Stdio {
    if test_log() {
        std::process::Stdio::inherit()
    } else {
        std::process::Stdio::null()
    }
}

/// Notifier settings for tests: loopback receivers allowed, fast retries and polls.
pub fn test_settings(url: String) -> Settings {
    let mut settings = Settings::for_tests(url);
    settings.webhooks.allow_private_targets = true;
    settings.webhooks.retry_schedule = "200ms,400ms,800ms".parse().unwrap();
    settings.webhooks.timeout = std::time::Duration::from_secs(3);
    settings.webhooks.poll_interval = std::time::Duration::from_millis(50);
    settings.webhooks.lease = std::time::Duration::from_secs(10);
    settings
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Spawns the app with settings changed by `configure` (from [`test_settings`]).
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (url, database) = fresh_database(backend).await;
    spawn_on(url, database, configure).await
}

/// Spawns a second app on the database of `other`, as a second gnlc process sharing it
/// would be (its own pools, caches and worker).
pub async fn spawn_app_sharing(other: &TestApp, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_on(other.database_url.clone(), TestDatabase::Shared, configure).await
}

async fn spawn_on(
    url: String,
    database: TestDatabase,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    log_to_test_output();
    let mut settings = test_settings(url.clone());
    configure(&mut settings);
    let app = Application::build(&settings)
        .await
        .expect("the server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let statements = app.statements();
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        database_url: url,
        client: reqwest::Client::new(),
        statements,
        db,
        _database: database,
    }
}

impl TestApp {
    /// The URL of a path on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs a GraphQL request, with a bearer token or anonymously; returns the status and
    /// the JSON body (in `application/graphql-response+json`: 200, or 400 for a request
    /// that cannot run).
    pub async fn graphql_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        assert_eq!(
            response.headers()["content-type"],
            "application/graphql-response+json; charset=utf-8"
        );
        (status, response.json().await.expect("a JSON response"))
    }

    /// Runs a query, with a token or anonymously; it must succeed. Returns its `data`.
    pub async fn data(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql_as(token, query, variables).await;
        assert!(
            status.is_success() && body.get("errors").is_none(),
            "status {status}: {body:#}"
        );
        body["data"].clone()
    }

    /// Runs a query, with a token or anonymously; it must fail. Returns the first error's
    /// code and message.
    pub async fn error(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (String, String) {
        let (status, body) = self.graphql_as(token, query, variables).await;
        assert!(status == 200 || status == 400, "status {status}: {body}");
        let error = &body["errors"][0];
        assert!(error.is_object(), "expected an error, got {body:#}");
        (
            error["extensions"]["code"]
                .as_str()
                .unwrap_or("<no code>")
                .to_owned(),
            error["message"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Creates an API token, as `gnlc token create` does.
    pub async fn token(&self, role: Role, name: &str) -> String {
        gnlc::access::create_token(&self.db, name, role)
            .await
            .expect("token created")
            .token
    }

    /// How many SQL statements a query runs.
    pub async fn statements_for(&self, query: &str) -> u64 {
        let before = self.statements.get();
        self.data(None, query, json!({})).await;
        self.statements.get() - before
    }
}

/// A child process killed when the test ends, however it ends.
pub struct ChildProcess(pub std::process::Child);

impl ChildProcess {
    /// SIGKILL: no clean-up, a held lease stays.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// Sends a signal (`INT`, `TERM`) to the process.
    pub fn signal(&self, name: &str) {
        let sent = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.0.id().to_string())
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIG{name} not sent");
    }

    /// Waits for the process to exit (a minute at most: a test never hangs).
    pub async fn exit(&mut self) -> std::process::ExitStatus {
        let started = std::time::Instant::now();
        loop {
            if let Some(exit) = self.0.try_wait().expect("the process's status") {
                return exit;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "the process did not exit"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs an async test scenario `fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await).await
            }

            #[tokio::test]
            async fn postgres() {
                super::$scenario($crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await).await
            }
        }
    )+};
}

/// Runs an async test scenario `fn(Backend)` (one that spawns its own app, with its own
/// settings) once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! for_each_backend {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                super::$scenario($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}
