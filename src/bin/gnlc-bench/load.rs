//! The load generator: N concurrent keep-alive connections, each sending one request after
//! another (closed loop), for a bounded time and a bounded number of requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderValue};

/// One request to send again and again.
#[derive(Clone)]
pub struct Target {
    pub url: String,
    pub body: actix_web::web::Bytes,
}

/// What a run measured.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// One per successful request, in microseconds.
    pub latencies_us: Vec<u32>,
}

impl Outcome {
    pub fn merge(&mut self, other: Outcome) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
    }

    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at quantile `q` (0..1), in milliseconds.
    pub fn quantile_ms(&mut self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        self.latencies_us.sort_unstable();
        let index = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies_us[index]) / 1000.0
    }
}

/// Sends `target` over `connections` connections for `duration` (or until `max_requests`).
pub async fn run(
    target: &Target,
    connections: usize,
    duration: Duration,
    max_requests: u64,
) -> anyhow::Result<Outcome> {
    let sent = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        // One client per connection: each keeps exactly one keep-alive connection.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(10))
            .build()?;
        let body = target.body.clone();
        // Parsed once: the client's own URL parsing is not what is measured.
        let url = reqwest::Url::parse(&target.url)?;
        let sent = sent.clone();
        tasks.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            while Instant::now() < deadline && sent.fetch_add(1, Ordering::Relaxed) < max_requests {
                let begun = Instant::now();
                let result = client
                    .post(url.clone())
                    .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                    .body(body.clone())
                    .send()
                    .await;
                let ok = match result {
                    Ok(response) => {
                        let status = response.status();
                        response.bytes().await.is_ok() && status.is_success()
                    }
                    Err(_) => false,
                };
                outcome.requests += 1;
                if ok {
                    let micros = begun.elapsed().as_micros();
                    outcome
                        .latencies_us
                        .push(u32::try_from(micros).unwrap_or(u32::MAX));
                } else {
                    outcome.errors += 1;
                }
            }
            outcome
        }));
    }
    let mut total = Outcome::default();
    for task in tasks {
        total.merge(task.await?);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}
