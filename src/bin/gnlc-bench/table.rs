//! The main table: each query against the limit, on gnlc warm, warm with version reads and
//! cold, on PostgreSQL and on SQLite, every side measured in turns within each query.

use std::path::PathBuf;
use std::time::Duration;

use actix_web::web::Bytes;
use anyhow::bail;

use crate::child::Server;
use crate::load::{self, Outcome, Target};
use crate::{Baseline, QUERIES, answer, cities_in, request_body, start_gnlc, statements};

/// One side of a comparison, measured `rounds` times.
pub struct Side {
    pub outcome: Outcome,
    /// Statements of one request sent alone, once warm.
    statements: Option<u64>,
    /// Statements run during the measurements (divided by their requests: the cost under
    /// load, where concurrent requests share data-version reads).
    statements_under_load: u64,
}

impl Side {
    pub fn new() -> Self {
        Self {
            outcome: Outcome::default(),
            statements: None,
            statements_under_load: 0,
        }
    }

    pub fn statements(&self) -> String {
        match self.statements {
            None => "–".to_owned(),
            Some(alone) => format!(
                "{alone} / {:.2}",
                self.statements_under_load as f64 / self.outcome.requests.max(1) as f64
            ),
        }
    }
}

pub struct Settings {
    pub connections: usize,
    pub duration: Duration,
    pub max_requests: u64,
}

async fn measure(settings: &Settings, target: &Target) -> anyhow::Result<Outcome> {
    // A short warm-up: connections opened, caches filled, pools grown.
    load::run(
        target,
        settings.connections,
        Duration::from_millis(300),
        settings.max_requests,
    )
    .await?;
    load::run(
        target,
        settings.connections,
        settings.duration,
        settings.max_requests,
    )
    .await
}

/// Measures a gnlc server, counting the statements it ran over the whole measurement.
pub async fn measure_gnlc(
    client: &reqwest::Client,
    settings: &Settings,
    server: &Server,
    query: &str,
    side: &mut Side,
) -> anyhow::Result<()> {
    let target = Target {
        url: server.url("/graphql"),
        body: request_body(query),
    };
    // The statements of one request, exactly, once warm.
    answer(client, server, query).await?;
    let before = statements(client, server).await?;
    answer(client, server, query).await?;
    side.statements = Some(statements(client, server).await? - before);
    load::run(
        &target,
        settings.connections,
        Duration::from_millis(300),
        settings.max_requests,
    )
    .await?;
    let before = statements(client, server).await?;
    let outcome = load::run(
        &target,
        settings.connections,
        settings.duration,
        settings.max_requests,
    )
    .await?;
    side.statements_under_load += statements(client, server).await? - before;
    side.outcome.merge(outcome);
    Ok(())
}

fn row(label: &str, side: &mut Side, limit: Option<f64>) -> String {
    let per_second = side.outcome.per_second();
    let ratio = limit.map_or("".to_owned(), |limit| {
        format!("{:.0} %", 100.0 * per_second / limit)
    });
    format!(
        "| {label} | {per_second:.0} | {ratio} | {:.2} | {:.2} | {} | {} |",
        side.outcome.quantile_ms(0.5),
        side.outcome.quantile_ms(0.99),
        side.statements(),
        side.outcome.errors,
    )
}

const HEADER: &str = "| query / side | requests/s | of the limit | p50 ms | p99 ms | SQL statements per request (alone / under load) | errors |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |";

/// A folder of the benchmark's own, removed when dropped.
pub struct Folder(PathBuf);

impl Folder {
    /// A new folder in the temporary one, named `gnlc-bench-<label>-<pid>`, and the URL of a
    /// fresh SQLite file in it.
    pub fn sqlite(label: &str) -> anyhow::Result<(Self, String)> {
        let path = std::env::temp_dir().join(format!("gnlc-bench-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        let url = format!("sqlite://{}?mode=rwc", path.join("gnlc.sqlite3").display());
        Ok((Self(path), url))
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// gnlc three ways on one database: warm, warm with version reads, cold.
pub struct Backend {
    pub name: &'static str,
    warm: Server,
    reading: Server,
    cold: Server,
    /// Dropped after the servers: an SQLite file's folder.
    _folder: Option<Folder>,
}

impl Backend {
    /// gnlc on `database_url`; the first server to start migrates and seeds the database.
    fn start(
        name: &'static str,
        database_url: &str,
        folder: Option<Folder>,
    ) -> anyhow::Result<Self> {
        let cold = start_gnlc(
            &format!("gnlc (cold, {name})"),
            database_url,
            &["--worker", "false", "--response-cache", "0"],
        )?;
        let warm = start_gnlc(
            &format!("gnlc (warm, {name})"),
            database_url,
            &["--worker", "false"],
        )?;
        let reading = start_gnlc(
            &format!("gnlc (warm, version reads, {name})"),
            database_url,
            &["--worker", "false", "--data-version-notifications", "false"],
        )?;
        Ok(Self {
            name,
            warm,
            reading,
            cold,
            _folder: folder,
        })
    }

    /// On PostgreSQL, the database at `url` (created by the caller, empty).
    pub fn postgres(url: &str) -> anyhow::Result<Self> {
        Self::start("PostgreSQL", url, None)
    }

    /// On a fresh SQLite file of its own, in a temporary folder removed when dropped.
    pub fn sqlite() -> anyhow::Result<Self> {
        let (folder, url) = Folder::sqlite("sqlite")?;
        Self::start("SQLite", &url, Some(folder))
    }

    /// The cold server's answer to each query, checked against the warm servers' answers.
    async fn answers(&self, client: &reqwest::Client) -> anyhow::Result<Vec<Bytes>> {
        let mut answers = Vec::new();
        for (name, query) in QUERIES {
            let expected = answer(client, &self.cold, query).await?;
            for server in [&self.warm, &self.reading] {
                if answer(client, server, query).await? != expected {
                    bail!(
                        "{} and the cold server answer {name} differently",
                        server.name
                    );
                }
            }
            answers.push(expected);
        }
        Ok(answers)
    }

    fn peak_rss(&self) -> anyhow::Result<String> {
        Ok(format!(
            "{}: gnlc warm {:.1} MiB, warm with version reads {:.1} MiB, cold {:.1} MiB",
            self.name,
            self.warm.peak_rss_mib()?,
            self.reading.peak_rss_mib()?,
            self.cold.peak_rss_mib()?,
        ))
    }
}

/// The three sides of one backend for one query.
struct Sides {
    warm: Side,
    reading: Side,
    cold: Side,
}

impl Sides {
    fn new() -> Self {
        Self {
            warm: Side::new(),
            reading: Side::new(),
            cold: Side::new(),
        }
    }

    async fn measure(
        &mut self,
        client: &reqwest::Client,
        settings: &Settings,
        backend: &Backend,
        query: &str,
    ) -> anyhow::Result<()> {
        measure_gnlc(client, settings, &backend.warm, query, &mut self.warm).await?;
        measure_gnlc(client, settings, &backend.reading, query, &mut self.reading).await?;
        measure_gnlc(client, settings, &backend.cold, query, &mut self.cold).await
    }

    fn print(&mut self, query: &str, backend: &Backend, limit: f64) {
        let name = backend.name;
        for (label, side) in [
            ("warm", &mut self.warm),
            ("warm, version reads", &mut self.reading),
            ("cold", &mut self.cold),
        ] {
            println!(
                "{}",
                row(
                    &format!("{query}: gnlc, {label}, {name}"),
                    side,
                    Some(limit)
                )
            );
        }
    }
}

/// Measures every query (all of `only`, or all if empty) on every backend against the limit,
/// in turns; prints the table and peak RSS, and returns the first backend's cold cost of
/// each query (for the scale runs).
pub async fn run(
    client: &reqwest::Client,
    settings: &Settings,
    rounds: usize,
    only: &[String],
    backends: &[Backend],
) -> anyhow::Result<Vec<Option<Baseline>>> {
    // The limit answers each backend's bytes: backend b's answer to query i at /(b·n + i).
    let folder = Folder(std::env::temp_dir().join(format!("gnlc-bench-{}", std::process::id())));
    std::fs::create_dir_all(&folder.0)?;
    let mut answers = Vec::new();
    let mut limit_args = vec!["child-limit".to_owned()];
    for backend in backends {
        let bodies = backend.answers(client).await?;
        for (i, body) in bodies.iter().enumerate() {
            let path = folder.0.join(format!("{}-{i}.json", backend.name));
            std::fs::write(&path, body)?;
            limit_args.push(path.display().to_string());
        }
        answers.push(bodies);
    }
    let limit = Server::start("the limit", &limit_args)?;
    drop(folder);

    println!("{HEADER}");
    let mut baselines = Vec::new();
    for (i, (name, query)) in QUERIES.iter().enumerate() {
        if !only.is_empty() && !only.iter().any(|q| q == name) {
            baselines.push(None);
            continue;
        }
        // One limit per distinct answer (an answer can hold a database's own cursors).
        let mut limits: Vec<(usize, Side)> = Vec::new();
        let limit_of: Vec<usize> = (0..backends.len())
            .map(|b| {
                let same = (0..b).find(|&other| answers[other][i] == answers[b][i]);
                match same {
                    Some(other) => limits.iter().position(|(at, _)| *at == other).unwrap_or(0),
                    None => {
                        limits.push((b, Side::new()));
                        limits.len() - 1
                    }
                }
            })
            .collect();
        let mut sides: Vec<Sides> = backends.iter().map(|_| Sides::new()).collect();
        for _ in 0..rounds {
            for (b, backend) in backends.iter().enumerate() {
                if let Some((at, side)) = limits.iter_mut().find(|(at, _)| *at == b) {
                    let target = Target {
                        url: limit.url(&format!("/{}", *at * QUERIES.len() + i)),
                        body: request_body(query),
                    };
                    side.outcome.merge(measure(settings, &target).await?);
                }
                sides[b].measure(client, settings, backend, query).await?;
            }
        }
        let rates: Vec<f64> = limits
            .iter()
            .map(|(_, side)| side.outcome.per_second())
            .collect();
        for (b, backend) in backends.iter().enumerate() {
            if let Some((_, side)) = limits.iter_mut().find(|(at, _)| *at == b) {
                let label = if b == 0 {
                    format!("{name}: the limit")
                } else {
                    format!("{name}: the limit ({}'s answer)", backend.name)
                };
                println!("{}", row(&label, side, None));
            }
            sides[b].print(name, backend, rates[limit_of[b]]);
        }
        let first = &mut sides[0].cold;
        baselines.push(Some(Baseline {
            per_second: first.outcome.per_second(),
            p50_ms: first.outcome.quantile_ms(0.5),
            statements: first.statements(),
            cities: cities_in(&answers[0][i])?,
        }));
    }
    println!();
    let mut rss = Vec::new();
    for backend in backends {
        rss.push(backend.peak_rss()?);
    }
    println!(
        "Peak RSS (VmHWM of each server process): {}; the limit {:.1} MiB.",
        rss.join("; "),
        limit.peak_rss_mib()?
    );
    Ok(baselines)
}
