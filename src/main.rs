//! The `gnlc` command: `serve` (the default), `migrate`, `schema`, `worker`, `token`,
//! `admit`.

use anyhow::{Context, bail};
use clap::Parser;
use gnlc::access;
use gnlc::admission::{self, AdmissionError, CohortAdmission};
use gnlc::config::{AdmitArgs, Cli, Command, GlobalSettings, Settings, TokenCommand};
use gnlc::startup::Application;
use gnlc::webhooks::worker::{Wakeup, Worker};
use gnlc::{cohort_file, database, graphql, telemetry};
use sea_orm::DatabaseConnection;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let global = &cli.global;
    match cli.command {
        Some(Command::Schema) => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Some(Command::Migrate) => {
            telemetry::init(global.log_format, &global.log);
            open_database(global).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Some(Command::Worker) => {
            Settings::from(global)
                .validate()
                .context("invalid settings")?;
            telemetry::init(global.log_format, &global.log);
            let db = open_database(global).await?;
            let worker = Worker::new(db, global.webhooks.clone(), Wakeup::default())?;
            worker.run(shutdown_signal()).await;
            Ok(())
        }
        Some(Command::Token(command)) => {
            telemetry::init(global.log_format, "warn");
            token(&open_database(global).await?, command).await
        }
        Some(Command::Admit(args)) => {
            telemetry::init(global.log_format, "warn");
            admit(&open_database(global).await?, args).await
        }
        Some(Command::Serve) | None => {
            telemetry::init(global.log_format, &global.log);
            let app = Application::build(&Settings::from(global)).await?;
            app.run_until_stopped().await.context("server failed")
        }
    }
}

async fn open_database(global: &GlobalSettings) -> anyhow::Result<DatabaseConnection> {
    let (db, _) = database::connect(&global.database_url, global.database_max_connections)
        .await
        .context("cannot open the database")?;
    database::migrate(&db)
        .await
        .context("cannot apply migrations")?;
    Ok(db)
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! { _ = interrupt => {}, _ = terminate.recv() => {} }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

async fn token(db: &DatabaseConnection, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { role, name } => {
            let created = access::create_token(db, &name, role).await?;
            eprintln!(
                "Created {} token {} for {:?}. It is shown only now: store it.",
                role.as_str(),
                created.record.id,
                created.record.name
            );
            println!("{}", created.token);
        }
        TokenCommand::List => {
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
        TokenCommand::Revoke { token } => {
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
    let (cities, new_countries) = match read {
        Ok(read) => read,
        Err(problems) => return report(AdmissionError::Invalid(problems)),
    };
    let distinct: std::collections::HashSet<_> = cities
        .iter()
        .map(|c| c.country.to_ascii_uppercase())
        .collect();
    let admission = CohortAdmission {
        year: args.year,
        announced_on: args.announced_on,
        new_city_count: args.new_cities.unwrap_or(cities.len() as i32),
        new_country_count: args.new_countries.unwrap_or(distinct.len() as i32),
        network_city_count: args.network_cities,
        network_country_count: args.network_countries,
        new_countries,
        cities,
    };
    let spinner = indicatif::ProgressBar::new_spinner().with_message("admitting");
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    let outcome = admission::admit(db, admission).await;
    spinner.finish_and_clear();
    match outcome {
        Ok(admitted) if admitted.created() => {
            println!(
                "admitted the {} cohort: {} cities; {} deliveries queued",
                admitted.cohort.year, admitted.cities, admitted.deliveries
            );
            Ok(())
        }
        Ok(admitted) => {
            println!(
                "the {} cohort was already admitted with this content: nothing changed",
                admitted.cohort.year
            );
            Ok(())
        }
        Err(error) => report(error),
    }
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
