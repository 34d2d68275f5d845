//! Every setting of gnlc, from command-line flags with `GNLC_*` environment fallbacks.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::access::Role;
use crate::webhooks::schedule::{RetrySchedule, parse_duration};

/// The default database: an SQLite file in the working directory, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://gnlc.sqlite3?mode=rwc";

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
    /// Run the webhook delivery worker alone (no API), until SIGINT or SIGTERM.
    Worker,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Admit a cohort from a CSV file of its cities (same rules as `admitCohort`).
    Admit(AdmitArgs),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (it is shown this once).
    Create {
        #[arg(long, value_enum)]
        role: Role,
        /// Who holds it; partner tokens with the same name share the partner's endpoints.
        #[arg(long)]
        name: String,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token by id or by its shown prefix.
    Revoke { token: String },
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
}

/// The notifier's settings.
#[derive(Debug, Clone, Args)]
pub struct WebhookSettings {
    /// Allow webhook endpoints on loopback, private, link-local and other non-public
    /// addresses (intranets, tests). Off by default.
    #[arg(
        long = "webhook-allow-private-targets",
        env = "GNLC_WEBHOOK_ALLOW_PRIVATE_TARGETS",
        global = true
    )]
    pub allow_private_targets: bool,
    /// Delays between attempts of a failing delivery, comma-separated (ms, s, m, h, d).
    #[arg(long = "webhook-retry-schedule", env = "GNLC_WEBHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", value_parser = parse_schedule, global = true)]
    pub retry_schedule: RetrySchedule,
    /// Time limit of one delivery attempt.
    #[arg(long = "webhook-timeout", env = "GNLC_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_duration, global = true)]
    pub timeout: Duration,
    /// Longest `Retry-After` honoured (longer ones are cut to this).
    #[arg(long = "webhook-max-retry-after", env = "GNLC_WEBHOOK_MAX_RETRY_AFTER", default_value = "1h", value_parser = parse_duration, global = true)]
    pub max_retry_after: Duration,
    /// An endpoint whose deliveries fail without a success for this long is disabled.
    #[arg(long = "webhook-disable-after", env = "GNLC_WEBHOOK_DISABLE_AFTER", default_value = "5d", value_parser = parse_duration, global = true)]
    pub disable_after: Duration,
    /// How long a worker holds a claimed delivery; a delivery whose worker died is taken
    /// up again after it. Must exceed the attempt time limit.
    #[arg(long = "webhook-lease", env = "GNLC_WEBHOOK_LEASE", default_value = "60s", value_parser = parse_duration, global = true)]
    pub lease: Duration,
    /// How often an idle worker looks for due deliveries.
    #[arg(long = "webhook-poll-interval", env = "GNLC_WEBHOOK_POLL_INTERVAL", default_value = "1s", value_parser = parse_duration, global = true)]
    pub poll_interval: Duration,
    /// Most deliveries one worker attempts at once.
    #[arg(
        long = "webhook-concurrency",
        env = "GNLC_WEBHOOK_CONCURRENCY",
        default_value_t = 64,
        global = true
    )]
    pub concurrency: usize,
    /// Run the delivery worker inside `gnlc serve`.
    #[arg(long = "worker", env = "GNLC_WORKER", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub run_worker: bool,
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
            run_worker: true,
        }
    }
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
    pub webhooks: WebhookSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// What the server needs to start: the database and where to listen.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub database_max_connections: u32,
    pub host: String,
    pub port: u16,
    pub webhooks: WebhookSettings,
}

impl From<&GlobalSettings> for Settings {
    fn from(global: &GlobalSettings) -> Self {
        Self {
            database_url: global.database_url.clone(),
            database_max_connections: global.database_max_connections,
            host: global.host.clone(),
            port: global.port,
            webhooks: global.webhooks.clone(),
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
            webhooks: WebhookSettings::default(),
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
    fn webhook_settings_parse_and_default_as_documented() {
        let cli = Cli::try_parse_from(["gnlc"]).unwrap();
        assert_eq!(cli.global.webhooks.retry_schedule, RetrySchedule::default());
        assert!(!cli.global.webhooks.allow_private_targets);
        assert!(cli.global.webhooks.run_worker);
        let cli = Cli::try_parse_from([
            "gnlc",
            "worker",
            "--webhook-retry-schedule",
            "100ms,1s",
            "--webhook-timeout",
            "2s",
            "--worker",
            "false",
        ])
        .unwrap();
        assert_eq!(cli.global.webhooks.retry_schedule.0.len(), 2);
        assert_eq!(cli.global.webhooks.timeout, Duration::from_secs(2));
        assert!(!cli.global.webhooks.run_worker);
        assert!(Cli::try_parse_from(["gnlc", "--webhook-retry-schedule", "soon"]).is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
