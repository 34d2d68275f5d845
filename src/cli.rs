//! The `gnlc` command line: its commands and their flags. The settings the flags fill are
//! `config`'s and the notifier's; `gnlc` with no command serves.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::access::Role;
use crate::config::{DatabaseSettings, HttpSettings, LogFormatSetting, LogSettings, Settings};
use crate::console::ConsoleSettings;
use crate::subscriptions::settings::SubscriptionSettings;
use crate::webhooks::settings::WebhookSettings;

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
    #[command(flatten)]
    pub subscriptions: SubscriptionSettings,
    #[command(flatten)]
    pub console: ConsoleSettings,
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
        role: RoleFlag,
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

/// A token's role, as `--role` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleFlag {
    /// Coordinators: admit cohorts, see every endpoint and delivery.
    Admin,
    /// Partner sites: manage their own webhook endpoints.
    Partner,
}

impl From<RoleFlag> for Role {
    fn from(role: RoleFlag) -> Self {
        match role {
            RoleFlag::Admin => Role::Admin,
            RoleFlag::Partner => Role::Partner,
        }
    }
}

impl From<&ServeArgs> for Settings {
    /// The settings `gnlc serve` runs with: its flags, `--worker` among the notifier's,
    /// and the CORS origins as listed (without the spaces around them, nor empty ones).
    fn from(serve: &ServeArgs) -> Self {
        let cors_origins = serve
            .http
            .cors_origins
            .iter()
            .map(|origin| origin.trim().to_owned())
            .filter(|origin| !origin.is_empty())
            .collect();
        Self {
            database: serve.database.clone(),
            host: serve.host.clone(),
            port: serve.port,
            webhooks: WebhookSettings {
                run_worker: serve.run_worker,
                ..serve.webhooks.clone()
            },
            http: HttpSettings {
                cors_origins,
                ..serve.http.clone()
            },
            subscriptions: serve.subscriptions.clone(),
            console: serve.console.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::{CommandFactory, FromArgMatches};

    use super::*;
    use crate::config::LogFormat;
    use crate::flags::without_env;

    /// `gnlc ARGS`, with no `GNLC_*` variable read.
    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let matches = without_env(Cli::command())
            .try_get_matches_from(std::iter::once("gnlc").chain(args.iter().copied()))?;
        Cli::from_arg_matches(&matches)
    }

    /// The settings `gnlc ARGS` serves with; panics on another command.
    fn serve(args: &[&str]) -> Settings {
        match parse(args).unwrap().into_command() {
            Command::Serve(serve) => Settings::from(serve.as_ref()),
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn gnlc_alone_serves_with_the_documented_defaults() {
        let cli = parse(&[]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(
            cli.serve.log,
            LogSettings {
                format: LogFormatSetting {
                    log_format: LogFormat::Human
                },
                log: "info".to_owned(),
            }
        );
        assert!(cli.serve.run_worker);
        assert_eq!(
            serve(&[]),
            Settings {
                database: DatabaseSettings {
                    database_url: "sqlite://gnlc.sqlite3?mode=rwc".to_owned(),
                    database_max_connections: 10,
                },
                host: "127.0.0.1".to_owned(),
                port: 8000,
                // Each checked against the documented values beside its flags.
                webhooks: WebhookSettings::default(),
                http: HttpSettings::default(),
                subscriptions: SubscriptionSettings::default(),
                console: ConsoleSettings::default(),
            }
        );
        assert_eq!(serve(&["serve"]), serve(&[]));
    }

    #[test]
    fn the_other_commands_default_as_serve_does() {
        let serve = parse(&[]).unwrap().serve;
        let Some(Command::Worker {
            database,
            log,
            webhooks,
        }) = parse(&["worker"]).unwrap().command
        else {
            panic!("not worker");
        };
        assert_eq!((database, log), (serve.database.clone(), serve.log.clone()));
        assert_eq!(webhooks, WebhookSettings::default());
        let Some(Command::Token(token)) = parse(&["token", "list"]).unwrap().command else {
            panic!("not token");
        };
        assert_eq!(token.settings().database, serve.database);
        assert_eq!(token.settings().log, serve.log.format);
    }

    #[test]
    fn serve_is_the_default_and_flags_parse() {
        assert_eq!(
            serve(&["--database-url", "sqlite::memory:"])
                .database
                .database_url,
            "sqlite::memory:"
        );
        let cli = parse(&["serve", "--port", "0", "--log-format", "json"]).unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("not serve");
        };
        assert_eq!(args.port, 0);
        assert_eq!(args.log.format.log_format, LogFormat::Json);
        // A command's flags go after it; serve's before another command are refused.
        assert!(parse(&["--port", "0", "schema"]).is_err());
        assert!(parse(&["schema", "--port", "0"]).is_err());
        assert!(parse(&["token", "list", "--cors-origins", "*"]).is_err());
        let cli = parse(&["token", "list", "--database-url", "sqlite::memory:"]).unwrap();
        let Some(Command::Token(token)) = cli.command else {
            panic!("not token");
        };
        assert_eq!(token.settings().database.database_url, "sqlite::memory:");
    }

    #[test]
    fn tokens_are_created_with_a_role() {
        let cli = parse(&["token", "create", "--role", "partner", "--name", "Ministry"]).unwrap();
        let Some(Command::Token(TokenCommand::Create { role, name, .. })) = cli.command else {
            panic!("not token create");
        };
        assert_eq!(
            (Role::from(role), name.as_str()),
            (Role::Partner, "Ministry")
        );
        let cli = parse(&["token", "create", "--role", "admin", "--name", "UIL"]).unwrap();
        let Some(Command::Token(TokenCommand::Create { role, .. })) = cli.command else {
            panic!("not token create");
        };
        assert_eq!(Role::from(role), Role::Admin);
        assert!(parse(&["token", "create", "--role", "owner", "--name", "x"]).is_err());
    }

    #[test]
    fn webhook_flags_reach_the_worker_and_serve() {
        assert!(!serve(&["--worker", "false"]).webhooks.run_worker);
        let Some(Command::Worker { webhooks, .. }) = parse(&["worker", "--webhook-timeout", "2s"])
            .unwrap()
            .command
        else {
            panic!("not worker");
        };
        assert_eq!(webhooks.timeout, Duration::from_secs(2));
        // `--worker` is serve's: the worker is the worker.
        assert!(parse(&["worker", "--worker", "false"]).is_err());
        let settings = serve(&["--webhook-lease", "5s"]);
        assert_eq!(settings.webhooks.lease, Duration::from_secs(5));
        assert!(settings.validate().is_err());
    }

    #[test]
    fn http_flags_parse() {
        let http = serve(&[
            "--cors-origins",
            "https://a.example, https://b.example,",
            "--max-batch-size",
            "0",
            "--request-time-limit-ms",
            "1500",
        ])
        .http;
        assert_eq!(
            http.cors_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(http.max_batch_size, 0);
        assert_eq!(http.request_time_limit, Duration::from_millis(1500));
        assert_eq!(
            serve(&["--response-cache", "0"]).http.response_cache_bytes,
            0
        );
        assert!(parse(&["--request-time-limit-ms", "0"]).is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
