//! `gnlc-bench`: starts gnlc on a PostgreSQL database and on an SQLite file of its own,
//! loads it, and prints how far it is from "the limit" (a minimal Actix handler answering
//! the same bytes from memory), with the SQL statements each request runs and each server's
//! peak memory; then (on PostgreSQL only) the same queries over a synthetic network of
//! 100,000 cities and one admission fanned out to 1,000 webhook endpoints; one admission
//! pushed to 1,000 and 10,000 subscribers of one process (on both databases); and (on
//! PostgreSQL) the attacks. See BENCHMARKS.md.
//!
//! Every server runs as a child process (this binary in a hidden mode), so each one's peak
//! RSS is its own. The sides of a comparison are measured in the same run, alternately.

mod attacks;
mod child;
mod fanout;
mod limit;
mod load;
mod subscribers;
mod synthetic;
mod table;

use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use child::Server;
use table::{Settings, Side, measure_gnlc};

#[derive(Debug, Parser)]
#[command(
    name = "gnlc-bench",
    about = "Benchmarks gnlc against the limit of its HTTP stack"
)]
struct Args {
    /// A PostgreSQL server (any database on it): the benchmark creates and drops its own.
    #[arg(
        long,
        env = "GNLC_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    database_url: String,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Seconds of each measurement (after a short warm-up).
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Measurements of each side, alternating with the other sides.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Most requests in one measurement.
    #[arg(long, default_value_t = 1_000_000)]
    max_requests: u64,
    /// Cities of the synthetic network (0: no scale runs).
    #[arg(long, default_value_t = 100_000)]
    synthetic_cities: u32,
    #[arg(long, default_value_t = 200)]
    synthetic_countries: u32,
    /// The queries to measure, by name (all by default): nested, paginated, search, near.
    #[arg(long, value_delimiter = ',')]
    queries: Vec<String>,
    /// Also run gnlc on a fresh SQLite file of its own, beside PostgreSQL, in the main table.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    sqlite: bool,
    /// Webhook endpoints of the fan-out run (0: none).
    #[arg(long, default_value_t = 1_000)]
    fanout_endpoints: usize,
    /// Subscribers of the subscriber runs, one run each (a fresh server and database), on
    /// PostgreSQL and, with `--sqlite`, on SQLite (0: none).
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 10_000])]
    subscribers: Vec<usize>,
    /// Subscribers connecting at once (the socket, `connection_init`, `subscribe`).
    #[arg(long, default_value_t = 200)]
    subscribers_connecting: usize,
    /// The subscriber runs alone: no other run.
    #[arg(long)]
    only_subscribers: bool,
    /// Hostile anonymous queries, each against a fresh server (after the subscribers).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    attacks: bool,
    /// The attacks alone: no other run.
    #[arg(long)]
    only_attacks: bool,
    /// Seconds each attack's clients send it.
    #[arg(long, default_value_t = 5.0)]
    attack_seconds: f64,
    /// Concurrent clients of each attack.
    #[arg(long, default_value_t = 8)]
    attack_clients: usize,
    /// The attacks to run, by name (all by default): cycle-4, cycle-aliases,
    /// region-country-cycle, fragments-24, fragments-40, fragments-over-lists,
    /// introspection-cycle, connection-max, at-the-cost-limit, big-document, invalid-apq-flood.
    #[arg(long, value_delimiter = ',')]
    attack_names: Vec<String>,
}

impl Args {
    fn attack_settings(&self) -> attacks::Settings {
        attacks::Settings {
            clients: self.attack_clients,
            duration: Duration::from_secs_f64(self.attack_seconds),
            names: self.attack_names.clone(),
        }
    }
}

/// The benchmarked queries: the whole tree, a filtered page, a search, a distance search.
const QUERIES: [(&str, &str); 4] = [
    (
        "nested",
        "{ regions { name cityCount countries { name iso2 iso3 cities { name slug country { iso2 } cohort { year announcedOn } location { latitude longitude } } } } }",
    ),
    (
        "paginated",
        r#"{ cities(first: 20, region: "europe-and-north-america") { edges { cursor node { name slug country { name } cohort { year } } } pageInfo { hasNextPage endCursor } } }"#,
    ),
    (
        "search",
        r#"{ cities(search: "chisinau") { edges { node { name slug country { name region { name } } } } } }"#,
    ),
    (
        "near",
        "{ citiesNear(latitude: 38.7223, longitude: -9.1393, radiusKm: 150) { distanceKm city { name slug } } }",
    ),
];

fn main() -> anyhow::Result<()> {
    let mut raw = std::env::args().skip(1);
    match raw.next().as_deref() {
        Some("child-gnlc") => return child_gnlc(raw.collect()),
        Some("child-limit") => return child_limit(raw.collect()),
        _ => {}
    }
    let args = Args::parse();
    // Databases of this run's own: another run at the same time keeps its own.
    tokio::runtime::Runtime::new()?.block_on(benchmark(args))
}

/// Hidden mode: gnlc itself, with gnlc's own flags (no request log: `--log warn`).
fn child_gnlc(flags: Vec<String>) -> anyhow::Result<()> {
    let mut all = vec![
        "gnlc".to_owned(),
        "--port".into(),
        "0".into(),
        "--log".into(),
        "warn".into(),
    ];
    all.extend(flags);
    let gnlc::cli::Command::Serve(serve) = gnlc::cli::Cli::try_parse_from(all)?.into_command()
    else {
        bail!("gnlc's flags only, not a command");
    };
    let settings = gnlc::config::Settings::from(serve.as_ref());
    actix_web::rt::System::new().block_on(async move {
        let app = gnlc::startup::Application::build(&settings).await?;
        println!("port={}", app.port());
        app.run_until_stopped().await?;
        Ok(())
    })
}

/// Hidden mode: the limit, answering the bytes of the files given.
fn child_limit(files: Vec<String>) -> anyhow::Result<()> {
    let bodies = files
        .iter()
        .map(|file| std::fs::read(file).map(actix_web::web::Bytes::from))
        .collect::<Result<Vec<_>, _>>()?;
    actix_web::rt::System::new().block_on(limit::serve(bodies))
}

/// A database of the benchmark's own on the server of `url`, dropped first if it exists.
async fn fresh_database(url: &str, name: &str) -> anyhow::Result<String> {
    let admin = Database::connect(url)
        .await
        .context("connecting to PostgreSQL")?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    admin.close().await?;
    let (server, _) = url.rsplit_once('/').context("a database URL with a path")?;
    Ok(format!("{server}/{name}"))
}

async fn drop_database(url: &str, name: &str) -> anyhow::Result<()> {
    let admin = Database::connect(url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    Ok(())
}

fn start_gnlc(name: &str, database_url: &str, extra: &[&str]) -> anyhow::Result<Server> {
    let mut args = vec![
        "child-gnlc".to_owned(),
        "--database-url".into(),
        database_url.into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Server::start(name, &args)
}

/// `gnlc_database_statements_total` from a server's `/metrics`.
async fn statements(client: &reqwest::Client, server: &Server) -> anyhow::Result<u64> {
    let text = client
        .get(server.url("/metrics"))
        .send()
        .await?
        .text()
        .await?;
    text.lines()
        .find_map(|line| line.strip_prefix("gnlc_database_statements_total "))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .map(|n| n as u64)
        .context("gnlc_database_statements_total in /metrics")
}

fn request_body(query: &str) -> actix_web::web::Bytes {
    actix_web::web::Bytes::from(json!({ "query": query }).to_string())
}

/// gnlc's answer to a query: it must succeed.
async fn answer(
    client: &reqwest::Client,
    server: &Server,
    query: &str,
) -> anyhow::Result<actix_web::web::Bytes> {
    let response = client
        .post(server.url("/graphql"))
        .header("content-type", "application/json")
        .body(request_body(query))
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    let parsed: Value = serde_json::from_slice(&body)?;
    if !status.is_success() || parsed.get("errors").is_some() {
        bail!("{} answered {status}: {parsed}", server.name);
    }
    Ok(body)
}

/// A query's cold cost on the real data, for the scale runs to compare with.
struct Baseline {
    per_second: f64,
    p50_ms: f64,
    statements: String,
    cities: usize,
}

/// How many cities an answer holds: a query's result size, which the scale runs compare.
fn cities_in(body: &[u8]) -> anyhow::Result<usize> {
    let parsed: Value = serde_json::from_slice(body)?;
    fn count(value: &Value) -> usize {
        match value {
            Value::Object(fields) => {
                usize::from(fields.contains_key("slug")) + fields.values().map(count).sum::<usize>()
            }
            Value::Array(items) => items.iter().map(count).sum(),
            _ => 0,
        }
    }
    Ok(count(&parsed["data"]))
}

async fn benchmark(args: Args) -> anyhow::Result<()> {
    let settings = Settings {
        connections: args.connections,
        duration: Duration::from_secs_f64(args.seconds),
        max_requests: args.max_requests,
    };
    let client = reqwest::Client::new();
    if args.only_subscribers {
        return subscribers(&args).await;
    }
    let real_name = format!("gnlc_bench_real_{}", std::process::id());
    let real_url = fresh_database(&args.database_url, &real_name).await?;
    if args.only_attacks {
        attacks::run(&args.attack_settings(), &real_url).await?;
        drop_database(&args.database_url, &real_name).await?;
        return Ok(());
    }
    let mut backends = vec![table::Backend::postgres(&real_url)?];
    if args.sqlite {
        backends.push(table::Backend::sqlite()?);
    }
    println!(
        "{} connections, {} × {:.1} s per side, alternating the sides.\n",
        args.connections, args.rounds, args.seconds
    );
    let real_cold = table::run(&client, &settings, args.rounds, &args.queries, &backends).await?;
    drop(backends);

    if args.synthetic_cities > 0 {
        scale(&args, &settings, &client, &real_cold).await?;
    }
    if args.fanout_endpoints > 0 {
        fan_out(&args, &real_url).await?;
    }
    // A subscriber that missed the admission fails the benchmark, after the other runs.
    let missed = subscribers(&args).await;
    if args.attacks {
        attacks::run(&args.attack_settings(), &real_url).await?;
    }
    drop_database(&args.database_url, &real_name).await?;
    missed
}

/// The same queries, cold, over a synthetic network; beside their cost on the real data.
async fn scale(
    args: &Args,
    settings: &Settings,
    client: &reqwest::Client,
    real_cold: &[Option<Baseline>],
) -> anyhow::Result<()> {
    let synthetic_name = format!("gnlc_bench_synthetic_{}", std::process::id());
    let url = fresh_database(&args.database_url, &synthetic_name).await?;
    let server = start_gnlc(
        "gnlc (cold, synthetic)",
        &url,
        &["--worker", "false", "--response-cache", "0"],
    )?;
    let db = Database::connect(&url).await?;
    let started = std::time::Instant::now();
    synthetic::seed(&db, args.synthetic_countries, args.synthetic_cities).await?;
    let cities: Value =
        serde_json::from_slice(&answer(client, &server, "{ cities { totalCount } }").await?)?;
    println!(
        "\nScale: {} cities in all ({} synthetic, {} synthetic countries; seeded in {:.1} s), cold (no response cache).\n",
        cities["data"]["cities"]["totalCount"],
        args.synthetic_cities,
        args.synthetic_countries,
        started.elapsed().as_secs_f64()
    );
    println!(
        "| query | real data req/s | synthetic req/s | cost ratio | real p50 ms | synthetic p50 ms | statements per request, real → synthetic (alone / under load) | cities answered, real → synthetic |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (i, (name, query)) in QUERIES.iter().enumerate().skip(1) {
        let Some(real) = &real_cold[i] else {
            continue;
        };
        let mut side = Side::new();
        for _ in 0..args.rounds {
            measure_gnlc(client, settings, &server, query, &mut side).await?;
        }
        let rate = side.outcome.per_second();
        let cities = cities_in(&answer(client, &server, query).await?)?;
        println!(
            "| {name} | {:.0} | {rate:.0} | {:.2}× | {:.2} | {:.2} | {} → {} | {} → {cities} |",
            real.per_second,
            real.per_second / rate,
            real.p50_ms,
            side.outcome.quantile_ms(0.5),
            real.statements,
            side.statements(),
            real.cities,
        );
    }
    println!(
        "\nPeak RSS of the synthetic server: {:.1} MiB.",
        server.peak_rss_mib()?
    );
    drop(server);
    db.close().await?;
    drop_database(&args.database_url, &synthetic_name).await?;
    Ok(())
}

/// One admission fanned out to many loopback endpoints by gnlc's own delivery worker.
async fn fan_out(args: &Args, url: &str) -> anyhow::Result<()> {
    // Every endpoint is the one partner's: lift the cap on endpoints per account.
    let endpoints = args.fanout_endpoints.to_string();
    let server = start_gnlc(
        "gnlc (worker)",
        url,
        &[
            "--webhook-allow-private-targets",
            "--webhook-max-endpoints-per-partner",
            &endpoints,
        ],
    )?;
    let db = Database::connect(url).await?;
    let partner = gnlc::access::create_token(&db, "benchmark partner", gnlc::access::Role::Partner)
        .await?
        .token;
    let admin = gnlc::access::create_token(&db, "benchmark coordinator", gnlc::access::Role::Admin)
        .await?
        .token;
    let result = fanout::run(
        &server.url("/graphql"),
        &partner,
        &admin,
        args.fanout_endpoints,
    )
    .await?;
    println!(
        "\nFan-out: one admission to {} endpoints (each on its own loopback address): last 2xx {:.0} ms after the admission's answer (its commit), {:.0} ms after it was sent; {:.0} deliveries/s. Peak RSS of that server: {:.1} MiB.",
        result.endpoints,
        result.from_commit.as_secs_f64() * 1000.0,
        result.from_request.as_secs_f64() * 1000.0,
        result.endpoints as f64 / result.from_commit.as_secs_f64().max(1e-9),
        server.peak_rss_mib()?,
    );
    db.close().await?;
    Ok(())
}

/// Each number of subscribers on a fresh server and database of its own: PostgreSQL, and
/// SQLite with `--sqlite`. Fails (after every run) if a subscriber missed the admission.
async fn subscribers(args: &Args) -> anyhow::Result<()> {
    let runs: Vec<usize> = args
        .subscribers
        .iter()
        .copied()
        .filter(|n| *n > 0)
        .collect();
    let Some(most) = runs.iter().max() else {
        return Ok(());
    };
    // Each subscriber's socket, in this process and in the server's.
    subscribers::allow_open_files(*most as u64 + 256)?;
    println!(
        "\nSubscribers: one admission pushed to every subscriber of `events(types: [\"cohort.admitted\"])` on one process, connecting {} at a time, then all subscribing; the admission's answer after sending it; event delays after the event's own timestamp (taken in the admission's transaction, before its commit); server RSS (VmRSS) before, with every connection initialised, with every subscription open.\n",
        args.subscribers_connecting
    );
    println!(
        "| database | subscribers | connected in s | subscribed in s | RSS before MiB | RSS connected MiB | RSS subscribed MiB | KiB per connection | KiB per subscription | KiB per idle subscriber | admission answered ms | first event ms | p50 ms | p99 ms | last ms | last − answer ms | received | peak RSS MiB |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let mut missed = 0;
    for &n in &runs {
        let name = format!("gnlc_bench_subscribers_{}", std::process::id());
        let url = fresh_database(&args.database_url, &name).await?;
        let outcome = subscriber_run(args, "PostgreSQL", &url, n).await;
        drop_database(&args.database_url, &name).await?;
        missed += report_subscribers("PostgreSQL", &outcome?);
        if args.sqlite {
            let (_folder, url) = table::Folder::sqlite("subscribers")?;
            missed += report_subscribers("SQLite", &subscriber_run(args, "SQLite", &url, n).await?);
        }
    }
    if missed > 0 {
        bail!("{missed} subscribers missed the admission's event");
    }
    Ok(())
}

/// A fresh gnlc on `url` taking `n` sockets (and idle for longer than connecting them all
/// takes), a coordinator's token, and the run.
async fn subscriber_run(
    args: &Args,
    database: &str,
    url: &str,
    n: usize,
) -> anyhow::Result<subscribers::Outcome> {
    let connections = n.to_string();
    let server = start_gnlc(
        &format!("gnlc (subscribers, {database})"),
        url,
        &[
            "--worker",
            "false",
            "--subscription-max-connections",
            &connections,
            // Connections wait without an operation while the others connect.
            "--subscription-idle-timeout",
            "5m",
        ],
    )?;
    let db = Database::connect(url).await?;
    let admin = gnlc::access::create_token(&db, "benchmark coordinator", gnlc::access::Role::Admin)
        .await?
        .token;
    db.close().await?;
    let settings = subscribers::Settings {
        subscribers: n,
        connecting: args.subscribers_connecting,
    };
    subscribers::run(&server, &admin, &settings, 2027).await
}

/// Prints a run's row, and loudly each subscriber that missed the event; how many did.
fn report_subscribers(database: &str, outcome: &subscribers::Outcome) -> usize {
    let mib = |kib: f64| kib / 1024.0;
    println!(
        "| {database} | {} | {:.2} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} of {} | {:.1} |",
        outcome.subscribers,
        outcome.connecting.as_secs_f64(),
        outcome.subscribing.as_secs_f64(),
        mib(outcome.rss_before_kib),
        mib(outcome.rss_connected_kib),
        mib(outcome.rss_subscribed_kib),
        outcome.per_connection_kib(),
        outcome.per_subscription_kib(),
        outcome.per_subscriber_kib(),
        outcome.admission_ms,
        outcome.quantile_ms(0.0),
        outcome.quantile_ms(0.5),
        outcome.quantile_ms(0.99),
        outcome.quantile_ms(1.0),
        outcome.last_from_answer_ms,
        outcome.from_event_ms.len(),
        outcome.subscribers,
        outcome.peak_rss_mib,
    );
    if !outcome.failures.is_empty() {
        println!(
            "\n**FAILED: {} of {} subscribers on {database} missed the admission's event**, e.g.: {}\n",
            outcome.subscribers - outcome.from_event_ms.len(),
            outcome.subscribers,
            outcome.failures[..outcome.failures.len().min(3)].join("; ")
        );
    }
    outcome.subscribers - outcome.from_event_ms.len()
}
