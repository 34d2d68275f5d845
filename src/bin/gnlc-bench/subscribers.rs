//! Subscribers: many graphql-transport-ws clients of one gnlc process, each subscribed to
//! `cohort.admitted` events, then one admission through `admitCohort`. Measures the time
//! from the admission's commit to each subscriber's event (the last one above all), and the
//! server's memory per idle subscriber: its `VmRSS` before the subscribers connect, once the
//! server counts every connection open and initialised, and once it counts every
//! subscription open, over their number.
//!
//! The clients are tasks of the benchmark's own runtime, one socket each, a bounded number
//! connecting at a time so that connecting does not itself fail.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::child::Server;
use crate::fanout::graphql;

/// What every subscriber asks for: the events feed, cohort admissions only.
const SUBSCRIPTION: &str = r#"subscription { events(types: ["cohort.admitted"]) { cursor event { id type createdAt payload } } }"#;

/// How long the benchmark waits for each phase (connecting, the events) before it fails.
const PATIENCE: Duration = Duration::from_secs(120);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One run's size.
pub struct Settings {
    pub subscribers: usize,
    /// Subscribers connecting at once (the socket, `connection_init`, `subscribe`).
    pub connecting: usize,
}

/// What a subscriber task tells the benchmark.
enum Report {
    /// Connected and initialised (`connection_ack` received).
    Initialised,
    /// Its `subscribe` sent.
    Subscribed,
    /// Its first `next`: when it arrived, and the event it carried.
    Event {
        at: Instant,
        id: String,
        created_at: String,
    },
    /// Refused, or ended before its event came.
    Failed(String),
}

/// What the benchmark tells every subscriber task: first connect and initialise, then
/// subscribe, then close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Connecting,
    Subscribing,
    Stopping,
}

pub struct Outcome {
    pub subscribers: usize,
    /// From the first connection to the server counting every connection open.
    pub connecting: Duration,
    /// From telling the connections to subscribe to the server counting every subscription.
    pub subscribing: Duration,
    pub rss_before_kib: f64,
    /// Every connection open and initialised, none subscribed.
    pub rss_connected_kib: f64,
    pub rss_subscribed_kib: f64,
    /// Each subscriber's event after the event's own timestamp, in milliseconds, sorted.
    pub from_event_ms: Vec<f64>,
    /// The admission's answer after it was sent.
    pub admission_ms: f64,
    /// The last event after the admission's answer arrived (negative: before it).
    pub last_from_answer_ms: f64,
    /// Subscribers that had no event, or another one: why.
    pub failures: Vec<String>,
    pub peak_rss_mib: f64,
}

impl Outcome {
    fn per_subscriber(&self, from_kib: f64, to_kib: f64) -> f64 {
        (to_kib - from_kib) / self.subscribers as f64
    }

    /// Memory of an idle connection, initialised, with no subscription (KiB).
    pub fn per_connection_kib(&self) -> f64 {
        self.per_subscriber(self.rss_before_kib, self.rss_connected_kib)
    }

    /// Memory of a subscription on its connection (KiB).
    pub fn per_subscription_kib(&self) -> f64 {
        self.per_subscriber(self.rss_connected_kib, self.rss_subscribed_kib)
    }

    /// Memory of an idle subscriber, its connection and its subscription (KiB).
    pub fn per_subscriber_kib(&self) -> f64 {
        self.per_subscriber(self.rss_before_kib, self.rss_subscribed_kib)
    }

    /// The `q` quantile of the events' delays, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let delays = &self.from_event_ms;
        if delays.is_empty() {
            return f64::NAN;
        }
        delays[((delays.len() - 1) as f64 * q).round() as usize]
    }
}

/// Lets this process (and the servers it starts after) hold `needed` open files, raising
/// the soft limit towards the hard one.
#[cfg(target_os = "linux")]
pub fn allow_open_files(needed: u64) -> anyhow::Result<()> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given, setrlimit reads it.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        bail!("cannot read the limit of open files");
    }
    if limit.rlim_cur < needed && limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max.min(needed);
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            bail!("cannot raise the limit of open files");
        }
    }
    if limit.rlim_cur < needed {
        bail!(
            "{needed} open files are needed and the limit is {} (hard {})",
            limit.rlim_cur,
            limit.rlim_max
        );
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn allow_open_files(_needed: u64) -> anyhow::Result<()> {
    Ok(())
}

/// Connects `settings.subscribers` subscribers to `server` (all of them, then all subscribe),
/// admits a cohort of `year` with the coordinator's token `admin`, and waits for every
/// subscriber's event.
pub async fn run(
    server: &Server,
    admin: &str,
    settings: &Settings,
    year: i32,
) -> anyhow::Result<Outcome> {
    let n = settings.subscribers;
    let client = reqwest::Client::new();
    // The baseline is a server that has answered a GraphQL request.
    crate::answer(&client, server, "{ __typename }").await?;
    let rss_before_kib = server.rss_kib()?;

    let (reports, mut received) = mpsc::unbounded_channel();
    // Dropped on any return: every subscriber closes its socket.
    let (stage, staged) = watch::channel(Stage::Connecting);
    let connecting = Arc::new(Semaphore::new(settings.connecting.max(1)));
    let url = server.url("/graphql").replacen("http://", "ws://", 1);
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            tokio::spawn(subscriber(
                url.clone(),
                connecting.clone(),
                reports.clone(),
                staged.clone(),
            ))
        })
        .collect();
    drop(reports);
    reported(&mut received, n, "connected", |report| {
        matches!(report, Report::Initialised)
    })
    .await?;
    open(&client, server, "gnlc_subscription_connections", n).await?;
    let connected = started.elapsed();
    let rss_connected_kib = server.rss_kib()?;

    let started = Instant::now();
    stage.send_replace(Stage::Subscribing);
    reported(&mut received, n, "subscribed", |report| {
        matches!(report, Report::Subscribed)
    })
    .await?;
    open(&client, server, "gnlc_subscriptions", n).await?;
    let subscribed = started.elapsed();
    let rss_subscribed_kib = server.rss_kib()?;

    let sent = Instant::now();
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH)?;
    admit(&client, server, admin, year).await?;
    let answered = Instant::now();

    let mut events = Vec::with_capacity(n);
    let mut failures = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while events.len() + failures.len() < n {
        match tokio::time::timeout_at(deadline, received.recv()).await {
            Ok(Some(Report::Event { at, id, created_at })) => events.push((at, id, created_at)),
            Ok(Some(Report::Failed(why))) => failures.push(why),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let missing = n - events.len() - failures.len();
    if missing > 0 {
        failures.push(format!(
            "{missing} subscribers had no event within {PATIENCE:?}"
        ));
    }
    stage.send_replace(Stage::Stopping);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }

    // Every subscriber must have had the same event: the admission's.
    let Some((_, admission, created_at)) = events.first().cloned() else {
        bail!("no subscriber had the admission's event: {failures:?}");
    };
    let created_ms = chrono::DateTime::parse_from_rfc3339(&created_at)
        .with_context(|| format!("the event's createdAt, {created_at:?}"))?
        .timestamp_millis() as f64;
    let sent_ms = since_epoch.as_secs_f64() * 1000.0;
    let after_sending = |at: Instant| at.duration_since(sent).as_secs_f64() * 1000.0;
    let mut from_event_ms = Vec::with_capacity(events.len());
    let mut last = sent;
    for (at, id, _) in &events {
        if *id != admission {
            failures.push(format!("event {id}, not the admission's {admission}"));
            continue;
        }
        from_event_ms.push((sent_ms + after_sending(*at) - created_ms).max(0.0));
        last = last.max(*at);
    }
    from_event_ms.sort_by(f64::total_cmp);
    Ok(Outcome {
        subscribers: n,
        connecting: connected,
        subscribing: subscribed,
        rss_before_kib,
        rss_connected_kib,
        rss_subscribed_kib,
        from_event_ms,
        admission_ms: after_sending(answered),
        last_from_answer_ms: after_sending(last) - after_sending(answered),
        failures,
        peak_rss_mib: server.peak_rss_mib()?,
    })
}

/// Waits for `n` reports that `wanted` accepts; fails at the first failure, or after the
/// benchmark's patience.
async fn reported(
    received: &mut mpsc::UnboundedReceiver<Report>,
    n: usize,
    what: &str,
    wanted: impl Fn(&Report) -> bool,
) -> anyhow::Result<()> {
    let mut done = 0;
    while done < n {
        match tokio::time::timeout(PATIENCE, received.recv()).await {
            Ok(Some(Report::Failed(why))) => {
                bail!("a subscriber failed after {done} of {n} {what}: {why}")
            }
            Ok(Some(report)) if wanted(&report) => done += 1,
            Ok(Some(_)) => bail!("a subscriber reported out of turn ({done} of {n} {what})"),
            Ok(None) => bail!("the subscribers ended"),
            Err(_) => bail!("only {done} of {n} subscribers {what} within {PATIENCE:?}"),
        }
    }
    Ok(())
}

/// Waits until the server's `/metrics` gives the gauge `name` at least `n`.
async fn open(
    client: &reqwest::Client,
    server: &Server,
    name: &str,
    n: usize,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = client
            .get(server.url("/metrics"))
            .send()
            .await?
            .text()
            .await?;
        let open = text
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|n| n.trim().parse::<f64>().ok())
            .with_context(|| format!("{name} in /metrics"))? as usize;
        if open >= n {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the server's {name} is {open}, not {n}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One cohort of one city, admitted through the server's `admitCohort`.
async fn admit(
    client: &reqwest::Client,
    server: &Server,
    admin: &str,
    year: i32,
) -> anyhow::Result<()> {
    let admit =
        "mutation($input: CohortAdmissionInput!) { admitCohort(input: $input) { deliveryCount } }";
    let input = json!({
        "year": year, "announcedOn": format!("{year}-09-01"), "newCityCount": 1, "newCountryCount": 0,
        "cities": [{ "name": "Benchmark Subscribers City", "country": "MD", "latitude": 47.0, "longitude": 28.8 }]
    });
    graphql(
        client,
        &server.url("/graphql"),
        admin,
        admit,
        json!({ "input": input }),
    )
    .await?;
    Ok(())
}

/// One subscriber: connects and initialises, subscribes when told, reports its first
/// event, answers the server's pings, and keeps its socket open until told to stop.
async fn subscriber(
    url: String,
    connecting: Arc<Semaphore>,
    reports: mpsc::UnboundedSender<Report>,
    mut stage: watch::Receiver<Stage>,
) {
    let mut socket = match initialised(&url, &connecting).await {
        Ok(socket) => socket,
        Err(error) => {
            let _ = reports.send(Report::Failed(format!("{error:#}")));
            return;
        }
    };
    let _ = reports.send(Report::Initialised);
    let (mut subscribed, mut had_event) = (false, false);
    let ending = loop {
        let now = *stage.borrow();
        if now == Stage::Stopping {
            break None;
        }
        if now == Stage::Subscribing && !subscribed {
            if let Err(error) = socket.send(subscribe()).await {
                break Some(format!("subscribing: {error}"));
            }
            subscribed = true;
            let _ = reports.send(Report::Subscribed);
        }
        tokio::select! {
            changed = stage.changed() => if changed.is_err() {
                break None;
            },
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let at = Instant::now();
                    let message: Value = serde_json::from_str(&text).unwrap_or_default();
                    match message["type"].as_str() {
                        Some("ping") => {
                            if let Err(error) = socket.send(pong()).await {
                                break Some(format!("answering a ping: {error}"));
                            }
                        }
                        Some("next") if !had_event => {
                            had_event = true;
                            let event = &message["payload"]["data"]["events"]["event"];
                            let text = |field: &str| event[field].as_str().unwrap_or_default().to_owned();
                            let _ = reports.send(Report::Event {
                                at,
                                id: text("id"),
                                created_at: text("createdAt"),
                            });
                        }
                        Some("next") => {}
                        _ => break Some(format!("the server sent {text}")),
                    }
                }
                Some(Ok(Message::Close(frame))) => break Some(format!("closed: {frame:?}")),
                Some(Ok(_)) => {}
                Some(Err(error)) => break Some(format!("the socket failed: {error}")),
                None => break Some("the socket ended".to_owned()),
            },
        }
    };
    match ending {
        Some(why) if !had_event => {
            let _ = reports.send(Report::Failed(why));
        }
        _ => {
            let _ = tokio::time::timeout(Duration::from_secs(2), socket.close(None)).await;
        }
    }
}

fn subscribe() -> Message {
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIPTION } });
    Message::text(subscribe.to_string())
}

fn pong() -> Message {
    Message::text(json!({ "type": "pong" }).to_string())
}

/// Opens a socket offering graphql-transport-ws and initialises it, while it holds one of
/// the places to connect.
async fn initialised(url: &str, connecting: &Semaphore) -> anyhow::Result<Socket> {
    let _place = connecting.acquire().await?;
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    // Small buffers: the events are small, and there are many sockets.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .context("opening the socket")?;
    let init = json!({ "type": "connection_init" }).to_string();
    socket.send(Message::text(init)).await?;
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .context("waiting for connection_ack")?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text)?;
                match message["type"].as_str() {
                    Some("connection_ack") => break,
                    Some("ping") => socket.send(pong()).await?,
                    _ => bail!("expected connection_ack, got {text}"),
                }
            }
            Some(Ok(Message::Close(frame))) => bail!("closed before connection_ack: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
            None => bail!("the socket ended before connection_ack"),
        }
    }
    Ok(socket)
}
