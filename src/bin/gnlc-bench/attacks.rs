//! The attacks phase: how a gnlc server holds up under hostile anonymous queries.
//!
//! Each attack runs against a fresh gnlc child process (on the real data, no response cache),
//! so each peak RSS (`VmHWM`) is the attack's own. Several clients send the attack's request
//! again and again for a fixed time (each request with a client-side timeout of 30 s) while a
//! prober GETs `/healthz` every 10 ms on a keep-alive connection of its own: the probes'
//! latency is what the attack costs everyone else. Per attack it reports the requests sent,
//! the answers by HTTP status and GraphQL error code (`errors[0].extensions.code`), the
//! slowest answer, the largest answer body, the server's peak RSS and the probes' p99 and max.
//!
//! An attack is stopped, and its server killed, when the server's RSS passes 4 GiB or the
//! attack runs 60 s past its duration; its row says so. Figures only: nothing here passes or
//! fails.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

/// Each attack request's client-side timeout.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// Time between the end of one `/healthz` probe and the next.
const PROBE_INTERVAL: Duration = Duration::from_millis(10);
/// How often the server's RSS is read during an attack.
const WATCH_INTERVAL: Duration = Duration::from_millis(20);
/// Past this peak RSS the server is killed.
const RSS_CAP_MIB: f64 = 4096.0;
/// Past the attack's duration by this much the server is killed.
const OVERTIME: Duration = Duration::from_secs(60);
/// gnlc's default request body limit (`--max-body-bytes`): every attack body stays below it.
const MAX_BODY_BYTES: usize = 256 * 1024;
/// Requests of the invalid persisted-query flood, each with a document of its own.
const APQ_REQUESTS: u64 = 1_000;
/// Bytes of each document of the flood (250 KiB).
const APQ_DOCUMENT_BYTES: usize = 250 * 1024;

/// How the phase runs.
pub struct Settings {
    /// Concurrent clients per attack.
    pub clients: usize,
    /// How long each client sends the attack (the flood: until its 1,000 requests are sent).
    pub duration: Duration,
    /// The attacks to run, by name (all when empty).
    pub names: Vec<String>,
}

/// What an attack sends.
#[derive(Clone)]
enum Payload {
    /// The same body, again and again, for the attack's duration.
    Fixed(Bytes),
    /// `APQ_REQUESTS` different invalid documents, each with its correct sha256.
    InvalidApq,
}

struct Attack {
    name: &'static str,
    payload: Payload,
}

fn body(query: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "query": query }).to_string())
}

/// `query { ...F<levels> }`, where each fragment spreads the one below it twice: 2^levels
/// `__typename` selections once expanded.
fn fragments(levels: u32) -> String {
    let mut document = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
    for k in 1..=levels {
        let _ = writeln!(
            document,
            "fragment F{k} on Query {{ ...F{below} ...F{below} }}",
            below = k - 1
        );
    }
    document
}

/// `{ a0: __typename a1: __typename … }`, as long as its JSON body stays under the limit.
fn big_document() -> Bytes {
    // The body is `{"query":"` + the document + `"}`; the document needs no escaping.
    const ENVELOPE: usize = r#"{"query":""}"#.len();
    let mut document = String::from("{");
    for i in 0.. {
        let field = format!(" a{i}: __typename");
        if ENVELOPE + document.len() + field.len() + " }".len() >= MAX_BODY_BYTES {
            break;
        }
        document.push_str(&field);
    }
    document.push_str(" }");
    body(&document)
}

/// The `i`th body of the flood: an invalid document of its own (`{` and then `x x x …`) with
/// its correct hash in `extensions.persistedQuery`, so that the hash check accepts it.
fn invalid_apq(i: u64) -> Bytes {
    let mut document = format!("{{ i{i} ");
    while document.len() + 2 <= APQ_DOCUMENT_BYTES {
        document.push_str("x ");
    }
    let hash: String = Sha256::digest(document.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    // No character of the document needs escaping in JSON.
    Bytes::from(format!(
        r#"{{"query":"{document}","extensions":{{"persistedQuery":{{"version":1,"sha256Hash":"{hash}"}}}}}}"#
    ))
}

fn attacks() -> Vec<Attack> {
    let fixed = |name, query: &str| Attack {
        name,
        payload: Payload::Fixed(body(query)),
    };
    vec![
        fixed(
            "cycle-4",
            "{ cohort(year: 2020) { cities { cohort { cities { cohort { cities { cohort { cities { name } } } } } } } } }",
        ),
        fixed(
            "cycle-aliases",
            "{ cohort(year: 2020) { a: cities { cohort { a: cities { name } b: cities { name } c: cities { name } } } b: cities { cohort { cities { slug } } } } }",
        ),
        fixed(
            "region-country-cycle",
            "{ regions { countries { region { countries { region { countries { cities { name } } } } } } } }",
        ),
        fixed("fragments-24", &fragments(24)),
        fixed("fragments-40", &fragments(40)),
        fixed(
            "fragments-over-lists",
            "fragment C on City { cohort { cities { name } } }\n{ cohort(year: 2020) { cities { ...C cohort { cities { ...C } } } } }",
        ),
        fixed(
            "introspection-cycle",
            "{ __schema { types { fields { type { ofType { fields { type { ofType { fields { name } } } } } } } } } }",
        ),
        fixed(
            "connection-max",
            "{ cities(first: 100) { edges { node { name country { cities { name cohort { cities { name } } } } } } } }",
        ),
        // The worst query the cost model lets through: three aliased cycles, 46,710 of the
        // 50,000 values allowed.
        fixed(
            "at-the-cost-limit",
            "{ cohort(year: 2020) { a: cities { cohort { cities { name slug id isMember withdrawnOn } } } b: cities { cohort { cities { name slug id isMember withdrawnOn } } } c: cities { cohort { cities { name slug id isMember withdrawnOn } } } } }",
        ),
        Attack {
            name: "big-document",
            payload: Payload::Fixed(big_document()),
        },
        Attack {
            name: "invalid-apq-flood",
            payload: Payload::InvalidApq,
        },
    ]
}

/// What one attacker saw.
#[derive(Default)]
struct Tally {
    requests: u64,
    /// By `"<status> <GraphQL code>"`, or why there was no answer.
    answers: HashMap<String, u64>,
    slowest: Duration,
    largest_body: usize,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        for (label, count) in other.answers {
            *self.answers.entry(label).or_default() += count;
        }
        self.slowest = self.slowest.max(other.slowest);
        self.largest_body = self.largest_body.max(other.largest_body);
    }

    /// `400 QUERY_TOO_COMPLEX ×812, 200 data ×3`: the most frequent first.
    fn answers(&self) -> String {
        let mut answers: Vec<_> = self.answers.iter().collect();
        answers.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        answers
            .iter()
            .map(|(label, count)| format!("{label} ×{count}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The GraphQL side of an answer: `errors[0].extensions.code`, or `data` when it has no
/// errors.
fn graphql_code(body: &[u8]) -> String {
    let Ok(parsed) = serde_json::from_slice::<Value>(body) else {
        return "(not JSON)".to_owned();
    };
    match parsed.get("errors").and_then(|errors| errors.get(0)) {
        Some(error) => error["extensions"]["code"]
            .as_str()
            .unwrap_or("(error without a code)")
            .to_owned(),
        None if parsed.get("data").is_some() => "data".to_owned(),
        None => "(neither data nor errors)".to_owned(),
    }
}

/// One client sending the attack until its time is up (or the flood is sent, or the attack
/// is stopped).
async fn attacker(
    client: reqwest::Client,
    url: reqwest::Url,
    payload: Payload,
    deadline: Instant,
    issued: Arc<AtomicU64>,
    stop: watch::Receiver<bool>,
) -> Tally {
    let mut tally = Tally::default();
    loop {
        if *stop.borrow() {
            break;
        }
        let body = match &payload {
            Payload::Fixed(body) => {
                if Instant::now() >= deadline {
                    break;
                }
                body.clone()
            }
            Payload::InvalidApq => {
                let i = issued.fetch_add(1, Ordering::Relaxed);
                if i >= APQ_REQUESTS {
                    break;
                }
                invalid_apq(i)
            }
        };
        tally.requests += 1;
        let begun = Instant::now();
        let result = async {
            let response = client
                .post(url.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body)
                .send()
                .await?;
            let status = response.status();
            Ok::<_, reqwest::Error>((status, response.bytes().await?))
        }
        .await;
        let label = match result {
            Ok((status, bytes)) => {
                tally.slowest = tally.slowest.max(begun.elapsed());
                tally.largest_body = tally.largest_body.max(bytes.len());
                format!("{} {}", status.as_u16(), graphql_code(&bytes))
            }
            Err(error) if error.is_timeout() => "no answer in 30 s".to_owned(),
            Err(_) => "no answer (connection error)".to_owned(),
        };
        *tally.answers.entry(label).or_default() += 1;
    }
    tally
}

/// The `/healthz` probes of one attack.
#[derive(Default)]
struct Probes {
    /// Every probe's time, in microseconds, failed ones too.
    latencies_us: Vec<u64>,
    failed: u64,
}

impl Probes {
    fn quantile_ms(&mut self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        self.latencies_us.sort_unstable();
        let index = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us[index] as f64 / 1000.0
    }

    fn max_ms(&self) -> f64 {
        self.latencies_us
            .iter()
            .max()
            .map_or(f64::NAN, |&us| us as f64 / 1000.0)
    }

    fn summary(&self) -> String {
        match self.failed {
            0 => self.latencies_us.len().to_string(),
            failed => format!("{} ({failed} failed)", self.latencies_us.len()),
        }
    }
}

/// GETs `/healthz` every 10 ms, one probe at a time, until the attack ends. A probe in
/// flight then finishes first (a killed server fails it at once; a hung one, in 30 s).
/// The prober's client: one keep-alive connection.
fn probe_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(CLIENT_TIMEOUT)
        .build()
}

async fn prober(
    client: reqwest::Client,
    url: reqwest::Url,
    mut stop: watch::Receiver<bool>,
) -> Probes {
    let mut probes = Probes::default();
    let mut ticks = tokio::time::interval(PROBE_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|stopped| *stopped) => break,
        }
        let begun = Instant::now();
        let result = async {
            client
                .get(url.clone())
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await
        }
        .await;
        probes
            .latencies_us
            .push(u64::try_from(begun.elapsed().as_micros()).unwrap_or(u64::MAX));
        if result.is_err() {
            probes.failed += 1;
        }
    }
    probes
}

/// How an attack's server ended.
enum End {
    Survived,
    Killed(String),
    Exited(String),
}

struct Row {
    tally: Tally,
    peak_rss_mib: f64,
    idle_rss_mib: f64,
    probes: Probes,
    end: End,
}

/// Runs one attack against a fresh server of its own.
async fn run_one(settings: &Settings, database_url: &str, attack: &Attack) -> anyhow::Result<Row> {
    let server = crate::start_gnlc(
        &format!("gnlc (attack {})", attack.name),
        database_url,
        &["--worker", "false", "--response-cache", "0"],
    )?;
    // The server answers before the attack starts.
    let healthz = reqwest::Url::parse(&server.url("/healthz"))?;
    probe_client()?
        .get(healthz.clone())
        .send()
        .await?
        .error_for_status()?;
    let idle_rss_mib = server.peak_rss_mib()?;

    let (stop, stopped) = watch::channel(false);
    // On a thread and runtime of its own: the attackers' busy runtime must not delay the
    // probes, whose latency is the server's. Its connection is opened there, before the
    // attack.
    let probing = {
        let stopped = stopped.clone();
        std::thread::spawn(move || -> anyhow::Result<Probes> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let client = probe_client()?;
                client
                    .get(healthz.clone())
                    .send()
                    .await?
                    .error_for_status()?;
                Ok(prober(client, healthz, stopped).await)
            })
        })
    };
    let started = Instant::now();
    let deadline = started + settings.duration;
    let issued = Arc::new(AtomicU64::new(0));
    let url = reqwest::Url::parse(&server.url("/graphql"))?;
    let mut attackers = Vec::with_capacity(settings.clients);
    for _ in 0..settings.clients {
        // One client per attacker: each keeps one keep-alive connection.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(CLIENT_TIMEOUT)
            .build()?;
        attackers.push(tokio::spawn(attacker(
            client,
            url.clone(),
            attack.payload.clone(),
            deadline,
            issued.clone(),
            stopped.clone(),
        )));
    }

    // Watch the server until the attackers are done, or until it must be killed.
    let mut peak_rss_mib = idle_rss_mib;
    let end = loop {
        if attackers.iter().all(|attacker| attacker.is_finished()) {
            break End::Survived;
        }
        let seconds = started.elapsed().as_secs_f64();
        match server.peak_rss_mib() {
            Ok(mib) => peak_rss_mib = mib,
            // No VmHWM: the process is gone (its status is a zombie's).
            Err(_) => break End::Exited(format!("exited after {seconds:.1} s")),
        }
        if peak_rss_mib > RSS_CAP_MIB {
            break End::Killed(format!("killed: RSS > 4 GiB after {seconds:.1} s"));
        }
        if started.elapsed() > settings.duration + OVERTIME {
            break End::Killed(format!(
                "killed: still running {} s past its duration",
                OVERTIME.as_secs()
            ));
        }
        tokio::time::sleep(WATCH_INTERVAL).await;
    };
    let _ = stop.send(true);
    let server = match end {
        End::Survived => Some(server),
        // Killed (dropping it kills it), or reaped: the requests in flight fail at once.
        End::Killed(_) | End::Exited(_) => {
            drop(server);
            None
        }
    };
    let mut tally = Tally::default();
    for attacker in attackers {
        tally.merge(attacker.await?);
    }
    let probes = tokio::task::spawn_blocking(move || probing.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the prober panicked"))??;
    if let Some(server) = server {
        peak_rss_mib = server.peak_rss_mib()?;
    }
    Ok(Row {
        tally,
        peak_rss_mib,
        idle_rss_mib,
        probes,
        end,
    })
}

/// Runs every attack (or those named), one fresh server each, and prints a table row each.
pub async fn run(settings: &Settings, database_url: &str) -> anyhow::Result<()> {
    println!(
        "\nAttacks: {} anonymous clients per attack for {:.1} s each (invalid-apq-flood: {APQ_REQUESTS} requests), a {} s timeout per request, /healthz probed every {} ms on a connection of its own; each attack against a fresh gnlc (real data, no response cache), killed when its RSS passes 4 GiB or the attack runs {} s past its duration.\n",
        settings.clients,
        settings.duration.as_secs_f64(),
        CLIENT_TIMEOUT.as_secs(),
        PROBE_INTERVAL.as_millis(),
        OVERTIME.as_secs(),
    );
    println!(
        "| attack | requests | answers (status, GraphQL code) | slowest answer ms | largest body bytes | peak RSS MiB | /healthz p99 ms | /healthz max ms | probes | server |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    let mut idle = Vec::new();
    for attack in attacks() {
        if !settings.names.is_empty() && !settings.names.iter().any(|n| n == attack.name) {
            continue;
        }
        let mut row = run_one(settings, database_url, &attack).await?;
        let end = match &row.end {
            End::Survived => "up".to_owned(),
            End::Killed(how) | End::Exited(how) => how.clone(),
        };
        println!(
            "| {} | {} | {} | {:.1} | {} | {:.1} | {:.1} | {:.1} | {} | {end} |",
            attack.name,
            row.tally.requests,
            row.tally.answers(),
            row.tally.slowest.as_secs_f64() * 1000.0,
            row.tally.largest_body,
            row.peak_rss_mib,
            row.probes.quantile_ms(0.99),
            row.probes.max_ms(),
            row.probes.summary(),
        );
        idle.push(row.idle_rss_mib);
    }
    if !idle.is_empty() {
        let least = idle.iter().copied().fold(f64::INFINITY, f64::min);
        let most = idle.iter().copied().fold(0.0, f64::max);
        println!(
            "\nEach server's peak RSS before its attack (started, one /healthz answered): {least:.1}–{most:.1} MiB."
        );
    }
    Ok(())
}
