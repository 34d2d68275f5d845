//! The `gnlc` command: `serve` (the default), `migrate`, `schema`.

use anyhow::Context;
use clap::Parser;
use gnlc::config::{Cli, Command, Settings};
use gnlc::startup::Application;
use gnlc::{database, graphql, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Schema) => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Some(Command::Migrate) => {
            telemetry::init(cli.global.log_format, &cli.global.log);
            let (db, _) = database::connect(&cli.global.database_url, 1)
                .await
                .context("cannot open the database")?;
            database::migrate(&db)
                .await
                .context("cannot apply migrations")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Some(Command::Serve) | None => {
            telemetry::init(cli.global.log_format, &cli.global.log);
            let app = Application::build(&Settings::from(&cli.global)).await?;
            app.run_until_stopped().await.context("server failed")
        }
    }
}
