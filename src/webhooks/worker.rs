//! The delivery worker: claims due deliveries with a short lease, posts them signed, and
//! records every attempt. Several workers (in `gnlc serve` processes or `gnlc worker`)
//! share one database: on PostgreSQL the claim skips rows another worker has locked.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use entity::{event, webhook_endpoint};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::{Notify, Semaphore};

use super::delivery::{self, Claim, Outcome, SignedHeaders};
use super::guard::{self, GuardedResolver};
use super::schedule::parse_retry_after;
use super::signing;
use crate::clock::now_ms;
use crate::ids::random_id;
use crate::webhooks::settings::WebhookSettings;

/// Most bytes of a response body kept with an attempt.
pub const RESPONSE_EXCERPT_BYTES: usize = 1024;
/// Most deliveries claimed at once.
const CLAIM_BATCH: u64 = 100;

/// Wakes idle workers of this process when something was just queued, so they need not
/// wait for their next poll.
#[derive(Debug, Clone, Default)]
pub struct Wakeup(Arc<Notify>);

impl Wakeup {
    pub fn wake(&self) {
        self.0.notify_waiters();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("cannot build the HTTP client")]
    Client(#[from] reqwest::Error),
}

pub struct Worker {
    db: DatabaseConnection,
    client: reqwest::Client,
    settings: WebhookSettings,
    name: String,
    wakeup: Wakeup,
    slots: Arc<Semaphore>,
    /// Attempts in flight in this worker, by endpoint.
    in_flight: std::sync::Mutex<HashMap<i32, usize>>,
}

impl Worker {
    pub fn new(
        db: DatabaseConnection,
        settings: WebhookSettings,
        wakeup: Wakeup,
    ) -> Result<Arc<Self>, WorkerError> {
        let client = delivery_client(&settings)?;
        let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        let name = random_id("worker_", 6);
        Ok(Arc::new(Self {
            db,
            client,
            settings,
            name,
            wakeup,
            slots,
            in_flight: Default::default(),
        }))
    }

    /// Claims and delivers until `shutdown` completes, then finishes the attempts in
    /// flight (each within its time limit). Dropped before, it abandons them: their leases
    /// expire and another worker takes them up (at least once).
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        tracing::info!(worker = %self.name, "delivery worker started");
        tokio::pin!(shutdown);
        loop {
            // Registered before claiming, so a wake-up during the claim is not lost.
            let woken = self.wakeup.0.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let claimed = match self.claim().await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(worker = %self.name, %error, "cannot claim deliveries");
                    Vec::new()
                }
            };
            // Anything claimed: more may be due. Claim again at once (waiting for free
            // slots first, below), rather than after the poll interval; an admission fans
            // out at the speed of its endpoints, not one batch per interval.
            let more = !claimed.is_empty();
            for (id, endpoint) in claimed {
                let Ok(permit) = self.slots.clone().acquire_owned().await else {
                    return;
                };
                let worker = self.clone();
                tokio::spawn(async move {
                    worker.deliver(id).await;
                    worker.done_with(endpoint);
                    drop(permit);
                });
            }
            if more {
                continue;
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = &mut woken => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
        let slots = self.settings.concurrency.max(1);
        let in_flight = slots - self.slots.available_permits();
        if in_flight > 0 {
            tracing::info!(worker = %self.name, in_flight, "finishing the attempts in flight");
        }
        // Every slot free: every attempt recorded.
        let _all = self
            .slots
            .acquire_many(u32::try_from(slots).unwrap_or(u32::MAX))
            .await;
        tracing::info!(worker = %self.name, "delivery worker stopped");
    }

    /// Takes a lease on up to a batch of due deliveries whose endpoint is active, as long
    /// as free attempt slots allow, skipping endpoints that already have their share of
    /// attempts in flight here: a slow or dead endpoint never holds every slot.
    pub async fn claim(&self) -> Result<Vec<(i32, i32)>, DbErr> {
        let now = now_ms();
        let claim = Claim {
            worker: &self.name,
            now,
            lease_until: now + self.settings.lease.as_millis() as i64,
            skip_endpoints: self.busy_endpoints(),
            limit: CLAIM_BATCH
                .min(self.slots.available_permits() as u64)
                .max(1),
        };
        let claimed = delivery::claim(&self.db, claim).await?;
        self.within_shares(claimed).await
    }

    /// Endpoints with their full share of attempts in flight in this worker.
    fn busy_endpoints(&self) -> Vec<i32> {
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let share = self.settings.endpoint_concurrency.max(1);
        in_flight
            .iter()
            .filter(|(_, n)| **n >= share)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Keeps the claimed deliveries each endpoint's share allows (counting them in flight)
    /// and hands the others back at once.
    async fn within_shares(&self, claimed: Vec<(i32, i32)>) -> Result<Vec<(i32, i32)>, DbErr> {
        let share = self.settings.endpoint_concurrency.max(1);
        let (mut kept, mut returned) = (Vec::new(), Vec::new());
        {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (id, endpoint) in claimed {
                let n = in_flight.entry(endpoint).or_insert(0);
                if *n < share {
                    *n += 1;
                    kept.push((id, endpoint));
                } else {
                    returned.push(id);
                }
            }
        }
        if !returned.is_empty() {
            delivery::release(&self.db, returned, &self.name).await?;
        }
        Ok(kept)
    }

    /// Marks an attempt of an endpoint's as finished.
    fn done_with(&self, endpoint: i32) {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = in_flight.get_mut(&endpoint) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                in_flight.remove(&endpoint);
            }
        }
    }

    /// One attempt of one claimed delivery, recorded whatever happens.
    pub async fn deliver(&self, delivery_id: i32) {
        if let Err(error) = self.try_deliver(delivery_id).await {
            tracing::error!(worker = %self.name, delivery = delivery_id, %error, "delivery attempt not recorded");
        }
    }

    async fn try_deliver(&self, delivery_id: i32) -> Result<(), DbErr> {
        // The delivery with its event and endpoint, in one query.
        let found = entity::delivery::Entity::find_by_id(delivery_id)
            .find_also_related(event::Entity)
            .find_also_related(webhook_endpoint::Entity)
            .one(&self.db)
            .await?;
        let Some((delivery, Some(event), Some(endpoint))) = found else {
            return Ok(());
        };
        if !delivery::held_by(&delivery, &self.name) {
            return Ok(()); // another worker took it over after our lease ran out
        }

        let outcome = self.attempt(&event, &endpoint).await;
        let attempt_number = delivery.attempt_count + 1;
        tracing::info!(
            worker = %self.name,
            delivery = delivery.id,
            event = %event.public_id,
            endpoint = %endpoint.public_id,
            attempt = attempt_number,
            status = outcome.status_code,
            duration_ms = outcome.duration.as_millis() as u64,
            error = outcome.error.as_deref(),
            "delivery attempt"
        );
        delivery::record(
            &self.db,
            &self.settings,
            &self.name,
            &delivery,
            &endpoint,
            attempt_number,
            &outcome,
        )
        .await
    }

    async fn attempt(&self, event: &event::Model, endpoint: &webhook_endpoint::Model) -> Outcome {
        let started = Instant::now();
        let failed = |error: String| Outcome {
            status_code: None,
            excerpt: None,
            error: Some(error),
            retry_after: None,
            duration: started.elapsed(),
            signed: None,
        };
        let url = match guard::check_url(&endpoint.url, self.settings.allow_private_targets) {
            Ok(url) => url,
            Err(error) => return failed(format!("refused: {error}")),
        };
        let now = now_ms();
        let timestamp = now / 1000;
        let mut secrets = vec![endpoint.secret.as_str()];
        if let (Some(previous), Some(until)) = (
            &endpoint.previous_secret,
            endpoint.previous_secret_expires_at,
        ) && until > now
        {
            secrets.push(previous);
        }
        let body = event.payload.as_bytes();
        let signature = match signing::signature_header(&secrets, &event.public_id, timestamp, body)
        {
            Ok(signature) => signature,
            Err(error) => return failed(format!("cannot sign: {error}")),
        };
        let signed = SignedHeaders {
            timestamp,
            signature: signature.clone(),
        };
        let request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &event.public_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(event.payload.clone());
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                return Outcome {
                    signed: Some(signed),
                    ..failed(describe(&error))
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        let mut excerpt = Vec::new();
        let mut read_error = None;
        while excerpt.len() < RESPONSE_EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(error) => {
                    read_error = Some(describe(&error));
                    break;
                }
            }
        }
        excerpt.truncate(RESPONSE_EXCERPT_BYTES);
        let mut outcome = Outcome {
            status_code: Some(status),
            excerpt: Some(String::from_utf8_lossy(&excerpt).into_owned()),
            error: None,
            retry_after,
            duration: started.elapsed(),
            signed: Some(signed),
        };
        if !outcome.succeeded() {
            outcome.error =
                Some(read_error.unwrap_or_else(|| format!("the endpoint answered {status}")));
        }
        outcome
    }
}

/// The HTTP client deliveries go out with: no redirects, the attempt's time limit, and
/// the address guard in its resolver. It connects directly, whatever `HTTP_PROXY`,
/// `HTTPS_PROXY` or `ALL_PROXY` say (a proxy would resolve names itself, past the guard),
/// unless a proxy is set (`--webhook-proxy`): that one is reached whatever its address,
/// and must enforce the address policy itself.
pub fn delivery_client(settings: &WebhookSettings) -> Result<reqwest::Client, WorkerError> {
    let proxy_host = settings
        .proxy
        .as_ref()
        .and_then(|proxy| proxy.host_str())
        .map(str::to_owned);
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .dns_resolver(GuardedResolver::shared(
            settings.allow_private_targets,
            proxy_host,
        ))
        .user_agent(concat!("gnlc-webhooks/", env!("CARGO_PKG_VERSION")));
    let builder = match &settings.proxy {
        Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy.as_str())?),
        None => builder.no_proxy(),
    };
    Ok(builder.build()?)
}

/// A transport error in words, with its causes (reqwest's own message is terse).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut message = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
