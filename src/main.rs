//! The `gnlc` command: `serve` (the default), `migrate`, `schema`, `worker`, `token`,
//! `admit`.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;
use gnlc::access;
use gnlc::admission::{self, AdmissionError, FigureOutcome};
use gnlc::after_commit::AfterCommit;
use gnlc::cli::{AdmitArgs, Cli, Command, TokenCommand};
use gnlc::config::{DatabaseSettings, Settings};
use gnlc::data_version::DataVersions;
use gnlc::shutdown::Shutdown;
use gnlc::startup::Application;
use gnlc::webhooks::worker::{Wakeup, Worker};
use gnlc::{cohort_file, database, graphql, telemetry};
use sea_orm::DatabaseConnection;

/// A failure is one line on stderr, its causes joined, and a non-zero exit code: never a
/// backtrace, even with `RUST_BACKTRACE` set.
#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.into_command() {
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate { database, log } => {
            telemetry::init(log.format.log_format, &log.log);
            open_database(&database).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Worker {
            database,
            log,
            webhooks,
        } => {
            webhooks.validate().context("invalid settings")?;
            telemetry::init(log.format.log_format, &log.log);
            let shutdown = listen_for_signals()?;
            let db = tokio::select! {
                db = open_database(&database) => db?,
                () = shutdown.requested() => return Ok(()),
            };
            let worker = Worker::new(db, webhooks, Wakeup::default())?;
            // The first signal: no more claims, the attempts in flight finish; a second
            // one: at once.
            tokio::select! {
                () = worker.run(shutdown.requested()) => {}
                () = shutdown.forced() => {}
            }
            Ok(())
        }
        Command::Token(command) => {
            let settings = command.settings();
            telemetry::init(settings.log.log_format, "warn");
            token(&open_database(&settings.database).await?, command).await
        }
        Command::Admit(args) => {
            telemetry::init(args.settings.log.log_format, "warn");
            admit(&open_database(&args.settings.database).await?, args).await
        }
        Command::Serve(serve) => {
            telemetry::init(serve.log.format.log_format, &serve.log.log);
            let shutdown = listen_for_signals()?;
            let settings = Settings::from(serve.as_ref());
            let app = tokio::select! {
                app = Application::build(&settings) => app?,
                () = shutdown.requested() => return Ok(()),
            };
            app.run_until(shutdown).await.context("server failed")
        }
    }
}

/// SIGINT and SIGTERM, from before anything starts: a signal while starting stops too.
fn listen_for_signals() -> anyhow::Result<Shutdown> {
    Shutdown::on_signals().context("cannot listen for SIGINT and SIGTERM")
}

async fn open_database(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let (db, _) = database::connect(&settings.database_url, settings.database_max_connections)
        .await
        .context("cannot open the database")?;
    database::migrate(&db)
        .await
        .context("cannot apply migrations")?;
    Ok(db)
}

async fn token(db: &DatabaseConnection, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { role, name, .. } => {
            let role = access::Role::from(role);
            let created = access::create_token(db, &name, role).await?;
            eprintln!(
                "Created {} token {} for {:?}. It is shown only now: store it.",
                role.as_str(),
                created.record.id,
                created.record.name
            );
            println!("{}", created.token);
        }
        TokenCommand::List { .. } => {
            println!(
                "{:>4}  {:<8}  {:<14}  {:<24}  {:<24}  name",
                "id", "role", "prefix", "created", "revoked"
            );
            for t in access::list_tokens(db).await? {
                println!(
                    "{:>4}  {:<8}  {:<14}  {:<24}  {:<24}  {}",
                    t.id,
                    t.role,
                    t.prefix,
                    gnlc::clock::rfc3339(t.created_at),
                    t.revoked_at
                        .map(gnlc::clock::rfc3339)
                        .unwrap_or_else(|| "-".into()),
                    t.name
                );
            }
        }
        TokenCommand::Revoke { token, .. } => {
            let revoked = access::revoke_token(db, &token).await?;
            println!(
                "revoked token {} ({}, {})",
                revoked.id, revoked.prefix, revoked.name
            );
        }
    }
    Ok(())
}

async fn admit(db: &DatabaseConnection, args: AdmitArgs) -> anyhow::Result<()> {
    let text = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let rows = text
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        .saturating_sub(1) as u64;
    let progress = indicatif::ProgressBar::new(rows).with_message("reading cities");
    let read = cohort_file::read(text.as_slice(), || progress.inc(1));
    progress.finish_and_clear();
    let file = match read {
        Ok(file) => file,
        Err(problems) => return report(AdmissionError::Invalid(problems)),
    };
    let intake = cohort_file::Intake {
        year: args.year,
        announced_on: args.announced_on,
        new_cities: args.new_cities,
        new_countries: args.new_countries,
        network_cities: args.network_cities,
        network_countries: args.network_countries,
        replace_published_figures: args.replace_published_figures,
    };
    let admission = intake.admission(&file);
    let spinner = indicatif::ProgressBar::new_spinner().with_message("admitting");
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    let after = AfterCommit::without_workers(DataVersions::new(db.clone()));
    let outcome = admission::admit(db, admission, &after).await;
    spinner.finish_and_clear();
    let admitted = match outcome {
        Ok(admitted) => admitted,
        Err(AdmissionError::Invalid(mut problems)) => {
            file.locate(&mut problems);
            return report(AdmissionError::Invalid(problems));
        }
        Err(error) => return report(error),
    };
    if admitted.created() {
        println!(
            "admitted the {} cohort: {} cities; {} deliveries queued",
            admitted.cohort.year, admitted.cities, admitted.deliveries
        );
    } else {
        println!(
            "the {} cohort was already admitted with this content: nothing changed",
            admitted.cohort.year
        );
    }
    for change in &admitted.figures {
        let (figure, given) = (change.figure.name(), &change.admitted);
        let published = change.published.as_deref().unwrap_or("none");
        match change.outcome {
            FigureOutcome::Kept => println!(
                "kept the published {figure} {published} (this admission says {given}; \
                 --replace-published-figures replaces it)"
            ),
            FigureOutcome::Replaced => {
                println!("replaced the published {figure} {published} with {given}")
            }
            FigureOutcome::Added => println!("added {figure} {given} (none was published)"),
        }
    }
    Ok(())
}

fn report(error: AdmissionError) -> anyhow::Result<()> {
    if let AdmissionError::Invalid(problems) = &error {
        for p in problems {
            match p.city {
                Some(row) => eprintln!("row {row}: {}: {}", p.field, p.message),
                None => eprintln!("{}: {}", p.field, p.message),
            }
        }
    }
    bail!(error)
}
