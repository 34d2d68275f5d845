//! Every setting of gnlc, from command-line flags with `GNLC_*` environment fallbacks.

use clap::{Args, Parser, Subcommand, ValueEnum};

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
}

impl From<&GlobalSettings> for Settings {
    fn from(global: &GlobalSettings) -> Self {
        Self {
            database_url: global.database_url.clone(),
            database_max_connections: global.database_max_connections,
            host: global.host.clone(),
            port: global.port,
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
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
