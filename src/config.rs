//! Every setting of gnlc, from command-line flags with `GNLC_*` environment fallbacks.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::access::Role;
use crate::webhooks::schedule::{RetrySchedule, parse_duration};

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
    pub const REQUEST_TIME_LIMIT_MS: u64 = 10_000;
    pub const MAX_BATCH_SIZE: usize = 10;
    /// 4 MiB of automatic persisted queries: thousands of real queries.
    pub const PERSISTED_QUERY_BYTES: usize = 4 * 1024 * 1024;
    pub const CACHE_CONTROL: &str = "public, max-age=60";
    /// 16 MiB of cached answers: the whole network's nested tree is about 20 KiB.
    pub const RESPONSE_CACHE_BYTES: usize = 16 * 1024 * 1024;
    /// A partner rarely needs more than a few endpoints; the cap bounds the fan-out one
    /// token can cause.
    pub const MAX_ENDPOINTS_PER_PARTNER: u64 = 20;
}

#[derive(Debug, Parser)]
#[command(
    name = "gnlc",
    version,
    about = "Open data API for the UNESCO Global Network of Learning Cities",
    // `gnlc --port 0` serves: the flags of `serve` without a command.
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `serve`'s flags, for `gnlc` with no command.
    #[command(flatten)]
    pub serve: ServeArgs,
}

impl Cli {
    /// The command to run: `serve` when none is named.
    pub fn into_command(self) -> Command {
        self.command
            .unwrap_or_else(|| Command::Serve(Box::new(self.serve)))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default): migrates and seeds the database, then listens.
    Serve(Box<ServeArgs>),
    /// Apply pending migrations (schema and seed data) and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        log: LogSettings,
    },
    /// Print the GraphQL schema (SDL) and exit.
    Schema,
    /// Run the webhook delivery worker alone (no API), until SIGINT or SIGTERM.
    Worker {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        log: LogSettings,
        #[command(flatten)]
        webhooks: WebhookSettings,
    },
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Admit a cohort from a CSV file of its cities (same rules as `admitCohort`).
    Admit(AdmitArgs),
}

/// What `gnlc serve` (and `gnlc` alone) is told: the database, logging, where to listen,
/// the HTTP surface and the notifier.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub log: LogSettings,
    /// Address to listen on.
    #[arg(
        long,
        env = "GNLC_HOST",
        default_value = "127.0.0.1",
        help_heading = "Listening"
    )]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(
        long,
        env = "GNLC_PORT",
        default_value_t = 8000,
        help_heading = "Listening"
    )]
    pub port: u16,
    #[command(flatten)]
    pub http: HttpSettings,
    /// Run the webhook delivery worker inside `gnlc serve`.
    #[arg(long = "worker", env = "GNLC_WORKER", default_value_t = true, action = clap::ArgAction::Set,
          help_heading = "Webhooks")]
    pub run_worker: bool,
    #[command(flatten)]
    pub webhooks: WebhookSettings,
}

/// The database, for the commands that use it.
#[derive(Debug, Clone, Args)]
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
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Logging")]
pub struct LogSettings {
    #[command(flatten)]
    pub format: LogFormatSetting,
    /// Log filter in `tracing` syntax, e.g. `info` or `gnlc=debug,sqlx=warn`.
    #[arg(long, env = "GNLC_LOG", default_value = "info")]
    pub log: String,
}

/// The log's format: the one logging setting of the commands that log only warnings.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Logging")]
pub struct LogFormatSetting {
    /// Log format: `human` lines or one `json` object per line.
    #[arg(long, env = "GNLC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// What the one-shot commands on the database (`token`, `admit`) are told besides their own
/// arguments.
#[derive(Debug, Clone, Args)]
pub struct ToolSettings {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub log: LogFormatSetting,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (it is shown this once).
    Create {
        #[arg(long, value_enum)]
        role: Role,
        /// Who holds it. Tokens of one role with the same name act for one account (partner
        /// tokens with the same name share the partner's endpoints); roles never share one.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        settings: ToolSettings,
    },
    /// List tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        settings: ToolSettings,
    },
    /// Revoke a token by id or by its shown prefix.
    Revoke {
        token: String,
        #[command(flatten)]
        settings: ToolSettings,
    },
}

impl TokenCommand {
    pub fn settings(&self) -> &ToolSettings {
        match self {
            Self::Create { settings, .. }
            | Self::List { settings }
            | Self::Revoke { settings, .. } => settings,
        }
    }
}

#[derive(Debug, Args)]
pub struct AdmitArgs {
    /// CSV of the cohort's cities: `name,country,latitude,longitude` (+ optional
    /// `geonames_id`, and `country_name,iso3,region` for countries joining with it).
    #[arg(long)]
    pub file: PathBuf,
    #[arg(long)]
    pub year: i32,
    /// Announcement date, YYYY-MM-DD.
    #[arg(long)]
    pub announced_on: chrono::NaiveDate,
    /// Published number of new cities (default: the rows in the file).
    #[arg(long)]
    pub new_cities: Option<i32>,
    /// Published number of new countries (default: the distinct countries in the file).
    #[arg(long)]
    pub new_countries: Option<i32>,
    /// Published network size after the intake, when known.
    #[arg(long)]
    pub network_cities: Option<i32>,
    #[arg(long)]
    pub network_countries: Option<i32>,
    #[command(flatten)]
    pub settings: ToolSettings,
    /// For an intake already published with its figures: replace them with these (by
    /// default they stay, and those given differently are listed).
    #[arg(long)]
    pub replace_published_figures: bool,
}

/// The notifier's settings.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Webhooks")]
pub struct WebhookSettings {
    /// Allow webhook endpoints on loopback, private, link-local and other non-public
    /// addresses (intranets, tests). Off by default.
    #[arg(
        long = "webhook-allow-private-targets",
        env = "GNLC_WEBHOOK_ALLOW_PRIVATE_TARGETS"
    )]
    pub allow_private_targets: bool,
    /// Delays between attempts of a failing delivery, comma-separated (ms, s, m, h, d).
    #[arg(long = "webhook-retry-schedule", env = "GNLC_WEBHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", value_parser = parse_schedule)]
    pub retry_schedule: RetrySchedule,
    /// Time limit of one delivery attempt.
    #[arg(long = "webhook-timeout", env = "GNLC_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Longest `Retry-After` honoured (longer ones are cut to this).
    #[arg(long = "webhook-max-retry-after", env = "GNLC_WEBHOOK_MAX_RETRY_AFTER", default_value = "1h", value_parser = parse_duration)]
    pub max_retry_after: Duration,
    /// An endpoint whose deliveries fail without a success for this long is disabled.
    #[arg(long = "webhook-disable-after", env = "GNLC_WEBHOOK_DISABLE_AFTER", default_value = "5d", value_parser = parse_duration)]
    pub disable_after: Duration,
    /// How long a worker holds a claimed delivery; a delivery whose worker died is taken
    /// up again after it. Must exceed the attempt time limit.
    #[arg(long = "webhook-lease", env = "GNLC_WEBHOOK_LEASE", default_value = "60s", value_parser = parse_duration)]
    pub lease: Duration,
    /// How often an idle worker looks for due deliveries.
    #[arg(long = "webhook-poll-interval", env = "GNLC_WEBHOOK_POLL_INTERVAL", default_value = "1s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Most deliveries one worker attempts at once.
    #[arg(
        long = "webhook-concurrency",
        env = "GNLC_WEBHOOK_CONCURRENCY",
        default_value_t = 64
    )]
    pub concurrency: usize,
    /// Most attempts one worker makes at once to any one endpoint.
    #[arg(
        long = "webhook-endpoint-concurrency",
        env = "GNLC_WEBHOOK_ENDPOINT_CONCURRENCY",
        default_value_t = 4
    )]
    pub endpoint_concurrency: usize,
    /// Whether `gnlc serve` runs the delivery worker (its `--worker` flag).
    #[arg(skip = true)]
    pub run_worker: bool,
    /// Send deliveries through this HTTP proxy (`http://HOST:PORT`), which must then enforce
    /// the address policy itself. Without it, deliveries ignore `HTTP_PROXY`, `HTTPS_PROXY`
    /// and `ALL_PROXY`, and connect directly.
    #[arg(long = "webhook-proxy", env = "GNLC_WEBHOOK_PROXY", value_parser = parse_proxy)]
    pub proxy: Option<url::Url>,
    /// Most webhook endpoints one account (a partner) may have.
    #[arg(
        long = "webhook-max-endpoints-per-partner",
        env = "GNLC_WEBHOOK_MAX_ENDPOINTS_PER_PARTNER",
        default_value_t = defaults::MAX_ENDPOINTS_PER_PARTNER
    )]
    pub max_endpoints_per_partner: u64,
}

fn parse_proxy(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "`{text}` is not an HTTP proxy's URL (http://HOST:PORT or https://HOST:PORT)"
        ));
    }
    Ok(url)
}

fn parse_schedule(text: &str) -> Result<RetrySchedule, String> {
    text.parse()
        .map_err(|e: crate::webhooks::schedule::BadDuration| e.to_string())
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            retry_schedule: RetrySchedule::default(),
            timeout: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(3600),
            disable_after: Duration::from_secs(5 * 86_400),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            concurrency: 64,
            endpoint_concurrency: 4,
            run_worker: true,
            proxy: None,
            max_endpoints_per_partner: defaults::MAX_ENDPOINTS_PER_PARTNER,
        }
    }
}

/// The partner-facing HTTP surface: limits, batching, persisted queries, caching, CORS, GraphiQL.
#[derive(Debug, Clone, Args)]
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
    #[arg(long, env = "GNLC_REQUEST_TIME_LIMIT_MS", default_value_t = defaults::REQUEST_TIME_LIMIT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub request_time_limit_ms: u64,
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
    /// On PostgreSQL, learn of admissions and withdrawals from notifications (`LISTEN`)
    /// instead of reading the data version for each cached answer.
    #[arg(long, env = "GNLC_DATA_VERSION_NOTIFICATIONS", default_value_t = true,
          action = clap::ArgAction::Set)]
    pub data_version_notifications: bool,
    /// Origins allowed to call the API from a browser (comma-separated; `*` for any). None by default.
    #[arg(long, env = "GNLC_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Folder holding GraphiQL's npm packages (`npm ci` in `web/` fills it).
    #[arg(long, env = "GNLC_WEB_ASSETS_DIR", default_value = DEFAULT_WEB_ASSETS_DIR)]
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
    pub webhooks: WebhookSettings,
    pub http: Http,
}

/// The HTTP surface's settings, as the server uses them.
#[derive(Debug, Clone)]
pub struct Http {
    pub max_body_bytes: usize,
    pub max_query_depth: usize,
    pub max_query_complexity: usize,
    pub max_query_tokens: usize,
    pub max_query_cost: u64,
    pub max_response_values: u64,
    pub max_values_in_flight: u64,
    pub request_time_limit: Duration,
    pub max_batch_size: usize,
    pub persisted_query_bytes: usize,
    pub cache_control: String,
    pub response_cache_bytes: usize,
    pub data_version_notifications: bool,
    pub cors_origins: Vec<String>,
    pub web_assets_dir: PathBuf,
}

impl Default for Http {
    fn default() -> Self {
        Self {
            max_body_bytes: defaults::MAX_BODY_BYTES,
            max_query_depth: defaults::MAX_QUERY_DEPTH,
            max_query_complexity: defaults::MAX_QUERY_COMPLEXITY,
            max_query_tokens: defaults::MAX_QUERY_TOKENS,
            max_query_cost: defaults::MAX_QUERY_COST,
            max_response_values: defaults::MAX_RESPONSE_VALUES,
            max_values_in_flight: defaults::MAX_VALUES_IN_FLIGHT,
            request_time_limit: Duration::from_millis(defaults::REQUEST_TIME_LIMIT_MS),
            max_batch_size: defaults::MAX_BATCH_SIZE,
            persisted_query_bytes: defaults::PERSISTED_QUERY_BYTES,
            cache_control: defaults::CACHE_CONTROL.to_owned(),
            response_cache_bytes: defaults::RESPONSE_CACHE_BYTES,
            data_version_notifications: true,
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
            max_query_tokens: http.max_query_tokens,
            max_query_cost: http.max_query_cost,
            max_response_values: http.max_response_values,
            max_values_in_flight: http.max_values_in_flight,
            request_time_limit: Duration::from_millis(http.request_time_limit_ms),
            max_batch_size: http.max_batch_size,
            persisted_query_bytes: http.persisted_query_bytes,
            cache_control: http.cache_control.clone(),
            response_cache_bytes: http.response_cache_bytes,
            data_version_notifications: http.data_version_notifications,
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

impl From<&ServeArgs> for Settings {
    fn from(serve: &ServeArgs) -> Self {
        Self {
            database_url: serve.database.database_url.clone(),
            database_max_connections: serve.database.database_max_connections,
            host: serve.host.clone(),
            port: serve.port,
            webhooks: WebhookSettings {
                run_worker: serve.run_worker,
                ..serve.webhooks.clone()
            },
            http: Http::from(&serve.http),
        }
    }
}

/// Settings that cannot work, alone or together: refused at start, before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSettings {
    #[error("{flag} must be at least {least}")]
    TooSmall {
        flag: &'static str,
        least: &'static str,
    },
    #[error(
        "--webhook-lease ({lease}) must be longer than --webhook-timeout ({timeout}): a worker \
         holds a delivery for its lease, so an attempt still running when the lease ends is \
         claimed and sent again by another worker, and copies of one delivery run at once"
    )]
    LeaseNotLongerThanTimeout { lease: String, timeout: String },
}

/// A duration as the flags spell it: `1500ms`, `90s`.
fn spelled(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

impl WebhookSettings {
    /// Refuses settings the notifier cannot work with (see [`InvalidSettings`]). Called by
    /// `Application::build` (through [`Settings::validate`]) and by `gnlc worker`.
    pub fn validate(&self) -> Result<(), InvalidSettings> {
        let too_small = |flag, least| Err(InvalidSettings::TooSmall { flag, least });
        if self.timeout.is_zero() {
            return too_small("--webhook-timeout", "1ms");
        }
        if self.poll_interval.is_zero() {
            // An idle worker would claim in a loop, one statement after another.
            return too_small("--webhook-poll-interval", "1ms");
        }
        if self.max_retry_after < Duration::from_secs(1) {
            // A `Retry-After` is honoured for at least 1 s: a lower ceiling contradicts it.
            return too_small("--webhook-max-retry-after", "1s");
        }
        if self.concurrency == 0 {
            return too_small("--webhook-concurrency", "1");
        }
        if self.endpoint_concurrency == 0 {
            return too_small("--webhook-endpoint-concurrency", "1");
        }
        if self.lease <= self.timeout {
            return Err(InvalidSettings::LeaseNotLongerThanTimeout {
                lease: spelled(self.lease),
                timeout: spelled(self.timeout),
            });
        }
        Ok(())
    }
}

impl Settings {
    /// Refuses settings the server cannot work with: the notifier's (see
    /// [`WebhookSettings::validate`]) and a pool with no connection.
    pub fn validate(&self) -> Result<(), InvalidSettings> {
        if self.database_max_connections == 0 {
            return Err(InvalidSettings::TooSmall {
                flag: "--database-max-connections",
                least: "1",
            });
        }
        self.webhooks.validate()
    }

    /// Settings for a server on a free local port, as tests use.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            database_max_connections: 5,
            host: "127.0.0.1".into(),
            port: 0,
            webhooks: WebhookSettings::default(),
            http: Http::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings `gnlc ARGS` serves with; panics on another command.
    fn serve(args: &[&str]) -> Settings {
        let cli = Cli::try_parse_from(std::iter::once("gnlc").chain(args.iter().copied())).unwrap();
        match cli.into_command() {
            Command::Serve(serve) => Settings::from(serve.as_ref()),
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn serve_is_the_default_and_flags_parse() {
        let cli = Cli::try_parse_from(["gnlc", "--database-url", "sqlite::memory:"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(
            serve(&["--database-url", "sqlite::memory:"]).database_url,
            "sqlite::memory:"
        );
        let cli =
            Cli::try_parse_from(["gnlc", "serve", "--port", "0", "--log-format", "json"]).unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("not serve");
        };
        assert_eq!(args.port, 0);
        assert_eq!(args.log.format.log_format, LogFormat::Json);
        // A command's flags go after it; serve's before another command are refused.
        assert!(Cli::try_parse_from(["gnlc", "--port", "0", "schema"]).is_err());
        assert!(Cli::try_parse_from(["gnlc", "schema", "--port", "0"]).is_err());
        assert!(Cli::try_parse_from(["gnlc", "token", "list", "--cors-origins", "*"]).is_err());
        let cli =
            Cli::try_parse_from(["gnlc", "token", "list", "--database-url", "sqlite::memory:"])
                .unwrap();
        let Some(Command::Token(token)) = cli.command else {
            panic!("not token");
        };
        assert_eq!(token.settings().database.database_url, "sqlite::memory:");
    }

    #[test]
    fn webhook_settings_parse_and_default_as_documented() {
        let settings = serve(&[]);
        assert_eq!(settings.webhooks.retry_schedule, RetrySchedule::default());
        assert!(!settings.webhooks.allow_private_targets);
        assert!(settings.webhooks.run_worker);
        assert!(!serve(&["--worker", "false"]).webhooks.run_worker);
        let cli = Cli::try_parse_from([
            "gnlc",
            "worker",
            "--webhook-retry-schedule",
            "100ms,1s",
            "--webhook-timeout",
            "2s",
        ])
        .unwrap();
        let Some(Command::Worker { webhooks, .. }) = cli.command else {
            panic!("not worker");
        };
        assert_eq!(webhooks.retry_schedule.0.len(), 2);
        assert_eq!(webhooks.timeout, Duration::from_secs(2));
        // `--worker` is serve's: the worker is the worker.
        assert!(Cli::try_parse_from(["gnlc", "worker", "--worker", "false"]).is_err());
        assert!(Cli::try_parse_from(["gnlc", "--webhook-retry-schedule", "soon"]).is_err());
    }

    #[test]
    fn http_settings_have_sane_defaults_and_parse() {
        let http = serve(&[]).http;
        assert_eq!(http.max_body_bytes, defaults::MAX_BODY_BYTES);
        assert_eq!(http.request_time_limit, Duration::from_secs(10));
        assert!(http.cors_origins.is_empty(), "no CORS origin by default");
        assert_eq!(http.response_cache_bytes, defaults::RESPONSE_CACHE_BYTES);
        let http = serve(&[
            "--cors-origins",
            "https://a.example, https://b.example",
            "--max-batch-size",
            "0",
        ])
        .http;
        assert_eq!(
            http.cors_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(http.max_batch_size, 0);
        assert_eq!(
            serve(&["--response-cache", "0"]).http.response_cache_bytes,
            0
        );
        assert!(Cli::try_parse_from(["gnlc", "--request-time-limit-ms", "0"]).is_err());
    }

    fn webhooks(flags: &[&str]) -> WebhookSettings {
        serve(flags).webhooks
    }

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(webhooks(&[]).validate(), Ok(()));
        assert_eq!(WebhookSettings::default().validate(), Ok(()));
        assert_eq!(Settings::for_tests("sqlite::memory:").validate(), Ok(()));
        assert_eq!(serve(&[]).validate(), Ok(()));
    }

    #[test]
    fn a_lease_not_longer_than_the_time_out_is_refused() {
        for (lease, timeout) in [("10s", "10s"), ("5s", "10s"), ("60s", "2m")] {
            let refused = webhooks(&["--webhook-lease", lease, "--webhook-timeout", timeout])
                .validate()
                .unwrap_err();
            assert!(
                matches!(refused, InvalidSettings::LeaseNotLongerThanTimeout { .. }),
                "{lease} / {timeout}: {refused}"
            );
            let message = refused.to_string();
            assert!(
                message.contains("--webhook-lease") && message.contains("--webhook-timeout"),
                "{message}"
            );
        }
        let refused = webhooks(&["--webhook-lease", "1500ms", "--webhook-timeout", "2s"])
            .validate()
            .unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with("--webhook-lease (1500ms) must be longer than --webhook-timeout (2s)"),
            "{refused}"
        );
        assert_eq!(
            webhooks(&["--webhook-lease", "11s", "--webhook-timeout", "10s"]).validate(),
            Ok(())
        );
    }

    #[test]
    fn settings_that_cannot_work_are_refused_with_their_flag() {
        for (flags, flag) in [
            (
                &["--webhook-timeout", "0s"][..],
                "--webhook-timeout must be at least 1ms",
            ),
            (
                &["--webhook-poll-interval", "0ms"][..],
                "--webhook-poll-interval must be at least 1ms",
            ),
            (
                &["--webhook-max-retry-after", "500ms"][..],
                "--webhook-max-retry-after must be at least 1s",
            ),
            (
                &["--webhook-concurrency", "0"][..],
                "--webhook-concurrency must be at least 1",
            ),
            (
                &["--webhook-endpoint-concurrency", "0"][..],
                "--webhook-endpoint-concurrency must be at least 1",
            ),
        ] {
            let refused = webhooks(flags).validate().unwrap_err().to_string();
            assert_eq!(refused, flag, "{flags:?}");
        }
        let mut settings = Settings::for_tests("sqlite::memory:");
        settings.database_max_connections = 0;
        assert_eq!(
            settings.validate().unwrap_err().to_string(),
            "--database-max-connections must be at least 1"
        );
        let mut settings = Settings::for_tests("sqlite::memory:");
        settings.webhooks.lease = settings.webhooks.timeout;
        assert!(
            settings.validate().is_err(),
            "the server's settings check the notifier's"
        );
    }

    #[test]
    fn the_webhook_proxy_and_endpoint_cap_parse() {
        let settings = webhooks(&[]);
        assert_eq!(settings.proxy, None);
        assert_eq!(settings.max_endpoints_per_partner, 20);
        let settings = webhooks(&[
            "--webhook-proxy",
            "http://egress.internal:3128",
            "--webhook-max-endpoints-per-partner",
            "3",
        ]);
        assert_eq!(
            settings.proxy.map(|url| url.to_string()),
            Some("http://egress.internal:3128/".to_owned())
        );
        assert_eq!(settings.max_endpoints_per_partner, 3);
        assert!(Cli::try_parse_from(["gnlc", "--webhook-proxy", "socks5://x:1"]).is_err());
        assert!(Cli::try_parse_from(["gnlc", "--webhook-proxy", "egress:3128"]).is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
