//! Every setting of gnlc, from command-line flags with `GNLC_*` environment fallbacks.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The default database: an SQLite file in the working directory, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://gnlc.sqlite3?mode=rwc";

/// Where `npm ci` in `web/` puts GraphiQL and its peers: the crate's own `web/node_modules`.
pub const DEFAULT_WEB_ASSETS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/web/node_modules");

/// The defaults of the HTTP surface, shared by the flags and [`Settings::for_tests`].
pub mod defaults {
    /// 256 KiB: far above any real query, far below a denial of service.
    pub const MAX_BODY_BYTES: usize = 256 * 1024;
    /// GraphiQL's introspection query nests 15 levels deep (`ofType` in `ofType`); the
    /// README's whole tree 5.
    pub const MAX_QUERY_DEPTH: usize = 20;
    /// GraphiQL's introspection query costs about 215 (one per field selected); the README's
    /// whole tree 20.
    pub const MAX_QUERY_COMPLEXITY: usize = 500;
    pub const REQUEST_TIME_LIMIT_MS: u64 = 10_000;
    pub const MAX_BATCH_SIZE: usize = 10;
    pub const PERSISTED_QUERIES: usize = 1_000;
    pub const CACHE_CONTROL: &str = "public, max-age=60";
}

#[derive(Debug, Parser)]
#[command(
    name = "gnlc",
    version,
    about = "Open data API for the UNESCO Global Network of Learning Cities"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub global: GlobalSettings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default): migrates and seeds the database, then listens.
    Serve,
    /// Apply pending migrations (schema and seed data) and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) and exit.
    Schema,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalSettings {
    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, env = "GNLC_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Most database connections kept open at once.
    #[arg(
        long,
        env = "GNLC_DATABASE_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub database_max_connections: u32,
    /// Log format: `human` lines or one `json` object per line.
    #[arg(long, env = "GNLC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,
    /// Log filter in `tracing` syntax, e.g. `info` or `gnlc=debug,sqlx=warn`.
    #[arg(long, env = "GNLC_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Address to listen on.
    #[arg(long, env = "GNLC_HOST", default_value = "127.0.0.1", global = true)]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "GNLC_PORT", default_value_t = 8000, global = true)]
    pub port: u16,
    #[command(flatten)]
    pub http: HttpSettings,
}

/// The partner-facing HTTP surface: limits, batching, persisted queries, caching, CORS, GraphiQL.
#[derive(Debug, Clone, Args)]
pub struct HttpSettings {
    /// Largest request body accepted, in bytes (413 beyond).
    #[arg(long, env = "GNLC_MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES, global = true)]
    pub max_body_bytes: usize,
    /// Deepest selection nesting accepted in a query.
    #[arg(long, env = "GNLC_MAX_QUERY_DEPTH", default_value_t = defaults::MAX_QUERY_DEPTH, global = true)]
    pub max_query_depth: usize,
    /// Highest complexity (one per field selected) accepted in a query.
    #[arg(long, env = "GNLC_MAX_QUERY_COMPLEXITY", default_value_t = defaults::MAX_QUERY_COMPLEXITY, global = true)]
    pub max_query_complexity: usize,
    /// Time limit for one HTTP request's GraphQL work, in milliseconds.
    #[arg(long, env = "GNLC_REQUEST_TIME_LIMIT_MS", default_value_t = defaults::REQUEST_TIME_LIMIT_MS,
          value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub request_time_limit_ms: u64,
    /// Most operations in one batched request (a JSON array); 0 refuses batches.
    #[arg(long, env = "GNLC_MAX_BATCH_SIZE", default_value_t = defaults::MAX_BATCH_SIZE, global = true)]
    pub max_batch_size: usize,
    /// Most automatic persisted queries remembered (the oldest are forgotten first).
    #[arg(long, env = "GNLC_PERSISTED_QUERIES", default_value_t = defaults::PERSISTED_QUERIES, global = true)]
    pub persisted_queries: usize,
    /// `Cache-Control` of successful GET responses.
    #[arg(long, env = "GNLC_CACHE_CONTROL", default_value = defaults::CACHE_CONTROL, global = true)]
    pub cache_control: String,
    /// Origins allowed to call the API from a browser (comma-separated; `*` for any). None by default.
    #[arg(long, env = "GNLC_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,
    /// Folder holding GraphiQL's npm packages (`npm ci` in `web/` fills it).
    #[arg(long, env = "GNLC_WEB_ASSETS_DIR", default_value = DEFAULT_WEB_ASSETS_DIR, global = true)]
    pub web_assets_dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// What the server needs to start: the database, where to listen, and the HTTP surface.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub database_max_connections: u32,
    pub host: String,
    pub port: u16,
    pub http: Http,
}

/// The HTTP surface's settings, as the server uses them.
#[derive(Debug, Clone)]
pub struct Http {
    pub max_body_bytes: usize,
    pub max_query_depth: usize,
    pub max_query_complexity: usize,
    pub request_time_limit: Duration,
    pub max_batch_size: usize,
    pub persisted_queries: usize,
    pub cache_control: String,
    pub cors_origins: Vec<String>,
    pub web_assets_dir: PathBuf,
}

impl Default for Http {
    fn default() -> Self {
        Self {
            max_body_bytes: defaults::MAX_BODY_BYTES,
            max_query_depth: defaults::MAX_QUERY_DEPTH,
            max_query_complexity: defaults::MAX_QUERY_COMPLEXITY,
            request_time_limit: Duration::from_millis(defaults::REQUEST_TIME_LIMIT_MS),
            max_batch_size: defaults::MAX_BATCH_SIZE,
            persisted_queries: defaults::PERSISTED_QUERIES,
            cache_control: defaults::CACHE_CONTROL.to_owned(),
            cors_origins: Vec::new(),
            web_assets_dir: PathBuf::from(DEFAULT_WEB_ASSETS_DIR),
        }
    }
}

impl From<&HttpSettings> for Http {
    fn from(http: &HttpSettings) -> Self {
        Self {
            max_body_bytes: http.max_body_bytes,
            max_query_depth: http.max_query_depth,
            max_query_complexity: http.max_query_complexity,
            request_time_limit: Duration::from_millis(http.request_time_limit_ms),
            max_batch_size: http.max_batch_size,
            persisted_queries: http.persisted_queries,
            cache_control: http.cache_control.clone(),
            cors_origins: http
                .cors_origins
                .iter()
                .map(|origin| origin.trim().to_owned())
                .filter(|origin| !origin.is_empty())
                .collect(),
            web_assets_dir: http.web_assets_dir.clone(),
        }
    }
}

impl From<&GlobalSettings> for Settings {
    fn from(global: &GlobalSettings) -> Self {
        Self {
            database_url: global.database_url.clone(),
            database_max_connections: global.database_max_connections,
            host: global.host.clone(),
            port: global.port,
            http: Http::from(&global.http),
        }
    }
}

impl Settings {
    /// Settings for a server on a free local port, as tests use.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            database_max_connections: 5,
            host: "127.0.0.1".into(),
            port: 0,
            http: Http::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_is_the_default_and_flags_parse() {
        let cli = Cli::try_parse_from(["gnlc", "--database-url", "sqlite::memory:"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.global.database_url, "sqlite::memory:");
        let cli =
            Cli::try_parse_from(["gnlc", "serve", "--port", "0", "--log-format", "json"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve)));
        assert_eq!(cli.global.port, 0);
        assert_eq!(cli.global.log_format, LogFormat::Json);
    }

    #[test]
    fn http_settings_have_sane_defaults_and_parse() {
        let cli = Cli::try_parse_from(["gnlc"]).unwrap();
        let http = Http::from(&cli.global.http);
        assert_eq!(http.max_body_bytes, defaults::MAX_BODY_BYTES);
        assert_eq!(http.request_time_limit, Duration::from_secs(10));
        assert!(http.cors_origins.is_empty(), "no CORS origin by default");
        let cli = Cli::try_parse_from([
            "gnlc",
            "--cors-origins",
            "https://a.example, https://b.example",
            "--max-batch-size",
            "0",
        ])
        .unwrap();
        let http = Http::from(&cli.global.http);
        assert_eq!(
            http.cors_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(http.max_batch_size, 0);
        assert!(Cli::try_parse_from(["gnlc", "--request-time-limit-ms", "0"]).is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
