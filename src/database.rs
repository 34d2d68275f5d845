//! Connecting to the database, applying migrations, and counting SQL statements.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Counts every SQL statement the application runs, for tests, metrics and benchmarks.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens a connection pool and instruments it with a [`StatementCounter`].
pub async fn connect(
    url: &str,
    max_connections: u32,
) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    let counter = StatementCounter::default();
    let db = open(url, max_connections, Plans::Cached, &counter).await?;
    Ok((db, counter))
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
        // SQLite: readers never wait for the writer (WAL), and a writer waits for another
        // instead of failing at once.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
        });
    if plans == Plans::Custom {
        options.map_sqlx_postgres_opts(|opts| {
            opts.options([("plan_cache_mode", "force_custom_plan")])
        });
    }
    let mut db = Database::connect(options).await?;
    let count = counter.0.clone();
    db.set_metric_callback(move |_| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    Ok(db)
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

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
