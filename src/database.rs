//! Connecting to the database, applying migrations, and counting SQL statements.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgSslMode;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::sqlx::{self, AssertSqlSafe, Connection};
use sea_orm::{
    ConnAcquireErr, ConnectOptions, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, RuntimeErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// Counts every SQL statement the application runs, for tests, metrics and benchmarks.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens a connection pool and instruments it with a [`StatementCounter`]. A PostgreSQL
/// database that does not exist is created first (on the same server, as the same user).
pub async fn connect(
    url: &str,
    max_connections: u32,
) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    let counter = StatementCounter::default();
    let db = match open(url, max_connections, Plans::Cached, &counter).await {
        Err(error)
            if sqlx_cause(&error)
                .and_then(sqlstate)
                .is_some_and(|code| code == INVALID_CATALOG_NAME) =>
        {
            create_database(url).await.map_err(sqlx_error)?;
            open(url, max_connections, Plans::Cached, &counter).await?
        }
        opened => opened?,
    };
    Ok((db, counter))
}

/// PostgreSQL's SQLSTATE for a database that does not exist.
const INVALID_CATALOG_NAME: &str = "3D000";
/// PostgreSQL's SQLSTATE for a database that exists already.
const DUPLICATE_DATABASE: &str = "42P04";

/// The sqlx error under a database error, if there is one.
fn sqlx_cause(error: &DbErr) -> Option<&sqlx::Error> {
    match error {
        DbErr::Conn(RuntimeErr::SqlxError(error))
        | DbErr::Exec(RuntimeErr::SqlxError(error))
        | DbErr::Query(RuntimeErr::SqlxError(error)) => Some(error),
        _ => None,
    }
}

/// The SQLSTATE of the database's error, if it is one.
fn sqlstate(error: &sqlx::Error) -> Option<std::borrow::Cow<'_, str>> {
    error.as_database_error()?.code()
}

fn sqlx_error(error: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(error)))
}

/// Creates the database a PostgreSQL URL names, from the server's `postgres` database; a
/// database another process created meanwhile is as good.
async fn create_database(url: &str) -> Result<(), sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let name = options.get_database().unwrap_or_default().to_owned();
    let mut server = PgConnection::connect_with(&options.clone().database("postgres")).await?;
    let created = sqlx::raw_sql(AssertSqlSafe(format!(
        "CREATE DATABASE \"{}\"",
        name.replace('"', "\"\"")
    )))
    .execute(&mut server)
    .await;
    server.close().await.ok();
    match created {
        Ok(_) => {
            tracing::info!(database = %name, "the database did not exist: created it");
            Ok(())
        }
        Err(error) if sqlstate(&error).is_some_and(|code| code == DUPLICATE_DATABASE) => Ok(()),
        Err(error) => Err(error),
    }
}

/// A pool for the statements whose best plan depends on their values, counted with `db`'s
/// statements: on PostgreSQL a pool of its own, whose statements are planned for their
/// values every time; on SQLite, `db` itself.
///
/// City search (`search_name LIKE $1 ORDER BY slug LIMIT n`) needs it: a prepared
/// statement's generic plan cannot know the pattern, walks the slug index and filters
/// every city (40 ms at 100,000 cities) instead of using the trigram index. Planning
/// every statement that way would cost the other queries a third of their throughput, so
/// only search goes through this pool.
pub async fn connect_custom_plans(
    db: &DatabaseConnection,
    url: &str,
    max_connections: u32,
    counter: &StatementCounter,
) -> Result<DatabaseConnection, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(db.clone());
    }
    open(url, max_connections, Plans::Custom, counter).await
}

/// How PostgreSQL plans a pool's prepared statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plans {
    /// PostgreSQL's default: a generic plan once it costs no more than the custom ones.
    Cached,
    /// `plan_cache_mode = force_custom_plan`: planned for the values of each execution.
    Custom,
}

async fn open(
    url: &str,
    max_connections: u32,
    plans: Plans,
    counter: &StatementCounter,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        // Search's pool opens its connections when a search needs them.
        .min_connections(match plans {
            Plans::Cached => 1,
            Plans::Custom => 0,
        })
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // A connection is pinged before it is handed out only once it has been idle long
        // enough for a server or a firewall to have dropped it: a ping on every checkout is a
        // round trip per statement (on SQLite, to its worker thread and back).
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        // SQLite: readers never wait for the writer (WAL), and a writer waits for another
        // instead of failing at once. A statement's rows reach the request without its
        // connection's thread waiting for each to be taken.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .row_buffer_size(SQLITE_ROWS_IN_FLIGHT)
        });
    let without_tls = loopback_without_tls_mode(url);
    options.map_sqlx_postgres_opts(move |mut opts| {
        if plans == Plans::Custom {
            opts = opts.options([("plan_cache_mode", "force_custom_plan")]);
        }
        if without_tls {
            opts = opts.ssl_mode(PgSslMode::Disable);
        }
        opts
    });
    // Connections opened before a renewal are closed rather than handed out (PostgreSQL's
    // pools only: an SQLite file does not drop its connections).
    options.map_sqlx_postgres_before_acquire(|_, connection| {
        Box::pin(async move { Ok(!opened_before_renewal(connection.age)) })
    });
    let mut db = Database::connect(options).await?;
    let count = counter.0.clone();
    db.set_metric_callback(move |_| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    Ok(db)
}

/// Rows of one SQLite statement its connection's thread may read ahead of the request.
const SQLITE_ROWS_IN_FLIGHT: usize = 1024;

/// Whether `url` is a PostgreSQL server on the loopback interface whose URL does not say
/// how to use TLS (`sslmode`): then gnlc connects without it. TLS there protects nothing
/// (whoever can read loopback traffic is already the machine's administrator) and costs an
/// encryption of every message both ways; sqlx's default, `prefer`, would use it.
fn loopback_without_tls_mode(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    let loopback = match url.host() {
        // Not a special scheme: an IPv4 address is left as a name.
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|address| address.is_loopback())
        }
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    };
    matches!(url.scheme(), "postgres" | "postgresql")
        && loopback
        && !url.query_pairs().any(|(key, _)| key == "sslmode")
}

/// Applies pending migrations (schema and seed data). A no-op when there are none.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a transaction that read first and wrote later could otherwise fail
/// when another connection wrote in between, instead of waiting its turn.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Whether an error lost its database connection rather than the statement failing: the
/// connection broke or was closed (PostgreSQL restarting, or an administrator terminating
/// its backend), so the statement may run again on a fresh one.
pub fn connection_lost(error: &DbErr) -> bool {
    if let DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed) = error {
        return true;
    }
    if let DbErr::Conn(RuntimeErr::Internal(message))
    | DbErr::Exec(RuntimeErr::Internal(message))
    | DbErr::Query(RuntimeErr::Internal(message)) = error
    {
        return dropped(message);
    }
    match sqlx_cause(error) {
        Some(sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed) => true,
        Some(sqlx::Error::Protocol(message)) => dropped(message),
        // Class 08, connection exception; 57P01-57P05: the server ended the session
        // (terminated, crashed, starting, its database dropped, idle too long).
        Some(error) => {
            sqlstate(error).is_some_and(|code| code.starts_with("08") || code.starts_with("57P"))
        }
        None => false,
    }
}

/// When the connections were last renewed, in nanoseconds after [`CLOCK`]'s start, plus
/// one; 0: never.
static RENEWED: AtomicU64 = AtomicU64::new(0);
static CLOCK: LazyLock<Instant> = LazyLock::new(Instant::now);

/// After a connection was lost, the others opened as long ago likely were too (PostgreSQL
/// restarted, failed over, or had its backends terminated), and a ping may not tell yet:
/// from now on, every pool of the process closes the connections opened until now instead
/// of handing them out, and opens new ones as needed.
pub fn renew_connections() {
    let now = u64::try_from(CLOCK.elapsed().as_nanos()).unwrap_or(u64::MAX);
    RENEWED.fetch_max(now.saturating_add(1), Ordering::Relaxed);
}

/// Whether a connection of this age was opened before the last renewal.
fn opened_before_renewal(age: Duration) -> bool {
    let renewed = RENEWED.load(Ordering::Relaxed);
    let opened = CLOCK.elapsed().saturating_sub(age);
    renewed != 0 && u64::try_from(opened.as_nanos()).unwrap_or(u64::MAX) < renewed
}

/// Whether a message says the connection went away.
fn dropped(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "terminating connection",
        "connection reset",
        "connection closed",
        "broken pipe",
    ]
    .iter()
    .any(|symptom| message.contains(symptom))
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

#[cfg(test)]
mod tests {
    use super::loopback_without_tls_mode;

    #[test]
    fn tls_is_left_out_only_on_loopback_when_the_url_is_silent_about_it() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgresql://u:p@localhost/db",
            "postgres://u@[::1]:5432/db?application_name=gnlc",
        ] {
            assert!(loopback_without_tls_mode(url), "{url}");
        }
        for url in [
            "postgres://u@db.example.org/db",
            "postgres://u@10.0.0.5/db",
            "postgres://u@127.0.0.1/db?sslmode=require",
            "postgres://u@localhost/db?sslmode=prefer",
            "sqlite://gnlc.sqlite3?mode=rwc",
            "not a url",
        ] {
            assert!(!loopback_without_tls_mode(url), "{url}");
        }
    }
}
