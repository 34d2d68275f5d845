//! The settings the server and the commands run with, each from a flag with a `GNLC_*`
//! environment fallback (the command line itself is `cli`'s), and the combinations refused.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::{Args, ValueEnum};

use crate::console::ConsoleSettings;
use crate::subscriptions::settings::SubscriptionSettings;
use crate::webhooks::settings::{InvalidWebhookSettings, WebhookSettings};

/// The default database: an SQLite file in the working directory, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://gnlc.sqlite3?mode=rwc";

/// The defaults of the HTTP surface's flags.
pub mod defaults {
    /// 256 KiB: far above any real query, far below a denial of service.
    pub const MAX_BODY_BYTES: usize = 256 * 1024;
    /// GraphiQL's introspection query nests 15 levels deep (`ofType` in `ofType`); the
    /// README's whole tree 5.
    pub const MAX_QUERY_DEPTH: usize = 20;
    /// GraphiQL's introspection query selects about 215 fields (through its fragments); the
    /// README's whole tree 20.
    pub const MAX_QUERY_COMPLEXITY: usize = 500;
    /// The most tokens a document may hold: GraphiQL's introspection query has about 160, a
    /// query of 200 fields with arguments about 1,000; parsing 5,000 takes milliseconds.
    pub const MAX_QUERY_TOKENS: usize = 5_000;
    /// The most values a query's answer could hold, by the cost model: GraphiQL's
    /// introspection query costs about 3,600, the README's whole tree about 2,400, a page
    /// of 100 cities with their country and cohort about 1,600 (a root field costs 1,000).
    pub const MAX_QUERY_COST: u64 = 50_000;
    /// The most values one answer may hold, counted while it is built: twice the cost limit
    /// (a few MB of memory at most).
    pub const MAX_RESPONSE_VALUES: u64 = 100_000;
    /// The most values the requests running at once may hold, by their costs: a request
    /// waits (within its time limit) until its cost fits.
    pub const MAX_VALUES_IN_FLIGHT: u64 = 200_000;
    pub const REQUEST_TIME_LIMIT_MS: &str = "10000";
    pub const MAX_BATCH_SIZE: usize = 10;
    /// 4 MiB of automatic persisted queries: thousands of real queries.
    pub const PERSISTED_QUERY_BYTES: usize = 4 * 1024 * 1024;
    pub const CACHE_CONTROL: &str = "public, max-age=60";
    /// 16 MiB of cached answers: the whole network's nested tree is about 20 KiB.
    pub const RESPONSE_CACHE_BYTES: usize = 16 * 1024 * 1024;
}

/// The database, for the commands that use it.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://USER@HOST:PORT/DB` (a
    /// PostgreSQL database that does not exist is created).
    #[arg(long, env = "GNLC_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Most database connections of each pool: the API's, the delivery worker's, and on
    /// PostgreSQL city search's (opened as needed); plus one listening connection.
    #[arg(long, env = "GNLC_DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,
}

/// How a long-running command logs.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(next_help_heading = "Logging")]
pub struct LogSettings {
    #[command(flatten)]
    pub format: LogFormatSetting,
    /// Log filter in `tracing` syntax, e.g. `info` or `gnlc=debug,sqlx=warn`.
    #[arg(long, env = "GNLC_LOG", default_value = "info")]
    pub log: String,
}

/// The log's format: the one logging setting of the commands that log only warnings.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(next_help_heading = "Logging")]
pub struct LogFormatSetting {
    /// Log format: `human` lines or one `json` object per line.
    #[arg(long, env = "GNLC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// The partner-facing HTTP surface: limits, batching, persisted queries, caching, CORS, GraphiQL.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(next_help_heading = "HTTP")]
pub struct HttpSettings {
    /// Largest request body accepted, in bytes (413 beyond).
    #[arg(long, env = "GNLC_MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Deepest selection nesting accepted in a query.
    #[arg(long, env = "GNLC_MAX_QUERY_DEPTH", default_value_t = defaults::MAX_QUERY_DEPTH)]
    pub max_query_depth: usize,
    /// Most fields (and fragment spreads) an operation or a fragment selects, counted
    /// through its fragments; a document may select four times as many in all.
    #[arg(long, env = "GNLC_MAX_QUERY_COMPLEXITY", default_value_t = defaults::MAX_QUERY_COMPLEXITY)]
    pub max_query_complexity: usize,
    /// Most tokens (names, punctuation, strings, numbers) a document may hold; counted
    /// before it is parsed.
    #[arg(long, env = "GNLC_MAX_QUERY_TOKENS", default_value_t = defaults::MAX_QUERY_TOKENS)]
    pub max_query_tokens: usize,
    /// Highest cost accepted: the most values a query's answer could hold, each list
    /// multiplying what it selects by its length.
    #[arg(long, env = "GNLC_MAX_QUERY_COST", default_value_t = defaults::MAX_QUERY_COST,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_query_cost: u64,
    /// Most values one answer may hold, counted while it is built (`RESPONSE_TOO_LARGE`
    /// beyond).
    #[arg(long, env = "GNLC_MAX_RESPONSE_VALUES", default_value_t = defaults::MAX_RESPONSE_VALUES,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_response_values: u64,
    /// Most values the requests running at once may hold, by their costs; a request waits
    /// within its time limit until its cost fits.
    #[arg(long, env = "GNLC_MAX_VALUES_IN_FLIGHT", default_value_t = defaults::MAX_VALUES_IN_FLIGHT,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_values_in_flight: u64,
    /// Time limit for one HTTP request's GraphQL work, in milliseconds.
    #[arg(long = "request-time-limit-ms", value_name = "REQUEST_TIME_LIMIT_MS",
          env = "GNLC_REQUEST_TIME_LIMIT_MS", default_value = defaults::REQUEST_TIME_LIMIT_MS,
          value_parser = clap::value_parser!(u64).range(1..).map(Duration::from_millis))]
    pub request_time_limit: Duration,
    /// Most operations in one batched request (a JSON array); 0 refuses batches.
    #[arg(long, env = "GNLC_MAX_BATCH_SIZE", default_value_t = defaults::MAX_BATCH_SIZE)]
    pub max_batch_size: usize,
    /// Bytes of automatic persisted queries remembered (the oldest forgotten first); 0
    /// remembers none.
    #[arg(long = "persisted-queries", env = "GNLC_PERSISTED_QUERIES", default_value_t = defaults::PERSISTED_QUERY_BYTES)]
    pub persisted_query_bytes: usize,
    /// `Cache-Control` of successful GET responses.
    #[arg(long, env = "GNLC_CACHE_CONTROL", default_value = defaults::CACHE_CONTROL)]
    pub cache_control: String,
    /// Bytes of answers to anonymous public queries kept in memory, each valid until the
    /// next admission or withdrawal; 0 turns the response cache off.
    #[arg(long = "response-cache", env = "GNLC_RESPONSE_CACHE", default_value_t = defaults::RESPONSE_CACHE_BYTES)]
    pub response_cache_bytes: usize,
    /// Learn of admissions and withdrawals from notifications (`LISTEN`, on PostgreSQL) or by
    /// watching the database's files (SQLite) instead of reading the data version for each
    /// cached answer.
    #[arg(long, env = "GNLC_DATA_VERSION_NOTIFICATIONS", default_value_t = true,
          action = clap::ArgAction::Set)]
    pub data_version_notifications: bool,
    /// Origins allowed to call the API from a browser (comma-separated; `*` for any). None by default.
    #[arg(long, env = "GNLC_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Folder of GraphiQL's npm packages to serve instead of those built in (`web/vendor`'s
    /// layout, or npm's `node_modules`); when it lacks one, those built in are served.
    #[arg(long, env = "GNLC_WEB_ASSETS_DIR")]
    pub web_assets_dir: Option<PathBuf>,
}

impl Default for HttpSettings {
    /// The flags' defaults.
    fn default() -> Self {
        crate::flags::defaults()
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// What the server needs to start: the database, where to listen, the HTTP surface and the
/// notifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub host: String,
    pub port: u16,
    pub webhooks: WebhookSettings,
    pub http: HttpSettings,
    pub subscriptions: SubscriptionSettings,
    pub console: ConsoleSettings,
}

/// Settings that cannot work, alone or together: refused at start, before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSettings {
    #[error("--database-max-connections must be at least 1")]
    NoDatabaseConnection,
    #[error(transparent)]
    Webhooks(#[from] InvalidWebhookSettings),
    #[error("{0} must be more than 0")]
    ZeroSubscriptionTimer(&'static str),
}

impl Settings {
    /// Refuses settings the server cannot work with: the notifier's (see
    /// [`WebhookSettings::validate`]) and a pool with no connection.
    pub fn validate(&self) -> Result<(), InvalidSettings> {
        if self.database.database_max_connections == 0 {
            return Err(InvalidSettings::NoDatabaseConnection);
        }
        if let Some(flag) = self.subscriptions.zero_timer() {
            return Err(InvalidSettings::ZeroSubscriptionTimer(flag));
        }
        Ok(self.webhooks.validate()?)
    }

    /// Settings for a server on a free local port, as tests use.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Self {
            database: DatabaseSettings {
                database_url: database_url.into(),
                database_max_connections: 5,
            },
            host: "127.0.0.1".into(),
            port: 0,
            webhooks: WebhookSettings::default(),
            http: HttpSettings::default(),
            subscriptions: SubscriptionSettings::default(),
            console: ConsoleSettings::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags;

    #[test]
    fn the_http_defaults_are_the_documented_ones() {
        assert_eq!(
            HttpSettings::default(),
            HttpSettings {
                max_body_bytes: 256 * 1024,
                max_query_depth: 20,
                max_query_complexity: 500,
                max_query_tokens: 5_000,
                max_query_cost: 50_000,
                max_response_values: 100_000,
                max_values_in_flight: 200_000,
                request_time_limit: Duration::from_secs(10),
                max_batch_size: 10,
                persisted_query_bytes: 4 * 1024 * 1024,
                cache_control: "public, max-age=60".to_owned(),
                response_cache_bytes: 16 * 1024 * 1024,
                data_version_notifications: true,
                cors_origins: Vec::new(),
                web_assets_dir: None,
            }
        );
    }

    #[test]
    fn the_database_and_log_defaults_are_the_documented_ones() {
        assert_eq!(
            flags::defaults::<DatabaseSettings>(),
            DatabaseSettings {
                database_url: "sqlite://gnlc.sqlite3?mode=rwc".to_owned(),
                database_max_connections: 10,
            }
        );
        assert_eq!(
            flags::defaults::<LogSettings>(),
            LogSettings {
                format: LogFormatSetting {
                    log_format: LogFormat::Human
                },
                log: "info".to_owned(),
            }
        );
    }

    #[test]
    fn http_flags_parse() {
        let http = flags::parse::<HttpSettings>(&[
            "--request-time-limit-ms",
            "250",
            "--persisted-queries",
            "0",
            "--data-version-notifications",
            "false",
        ])
        .unwrap();
        assert_eq!(http.request_time_limit, Duration::from_millis(250));
        assert_eq!(http.persisted_query_bytes, 0);
        assert!(!http.data_version_notifications);
        for zero in [
            "--request-time-limit-ms",
            "--max-query-cost",
            "--max-response-values",
            "--max-values-in-flight",
        ] {
            assert!(
                flags::parse::<HttpSettings>(&[zero, "0"]).is_err(),
                "{zero}"
            );
        }
    }

    #[test]
    fn the_test_settings_are_valid() {
        assert_eq!(Settings::for_tests("sqlite::memory:").validate(), Ok(()));
    }

    #[test]
    fn settings_that_cannot_work_are_refused_with_their_flag() {
        let mut settings = Settings::for_tests("sqlite::memory:");
        settings.database.database_max_connections = 0;
        assert_eq!(
            settings.validate().unwrap_err().to_string(),
            "--database-max-connections must be at least 1"
        );
        let mut settings = Settings::for_tests("sqlite::memory:");
        settings.webhooks.concurrency = 0;
        assert_eq!(
            settings.validate().unwrap_err().to_string(),
            "--webhook-concurrency must be at least 1",
            "the server's settings check the notifier's"
        );
    }
}
