//! The delivery worker: claims due deliveries with a short lease, posts them signed, and
//! records every attempt. Several workers (in `gnlc serve` processes or `gnlc worker`)
//! share one database: on PostgreSQL the claim skips rows another worker has locked.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use entity::{delivery, delivery_attempt, event, webhook_endpoint};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, Statement, UpdateMany,
};
use tokio::sync::{Notify, Semaphore};

use super::guard::{self, GuardedResolver};
use super::schedule::parse_retry_after;
use super::signing;
use crate::clock::now_ms;
use crate::ids::{random_bytes, random_id};
use crate::webhooks::settings::WebhookSettings;

/// Most bytes of a response body kept with an attempt.
pub const RESPONSE_EXCERPT_BYTES: usize = 1024;
/// Most deliveries claimed at once.
const CLAIM_BATCH: u64 = 100;

/// Bound parameters of a raw statement, numbered the backend's way (`$1` or `?`).
struct Params {
    postgres: bool,
    values: Vec<sea_orm::Value>,
}

impl Params {
    fn new(backend: DatabaseBackend) -> Self {
        Self {
            postgres: backend == DatabaseBackend::Postgres,
            values: Vec::new(),
        }
    }

    /// Binds a value; returns its placeholder.
    fn push(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        if self.postgres {
            format!("${}", self.values.len())
        } else {
            "?".to_owned()
        }
    }
}

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

/// How an attempt went.
struct Outcome {
    status_code: Option<u16>,
    excerpt: Option<String>,
    error: Option<String>,
    retry_after: Option<Duration>,
    duration: Duration,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
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
        let limit = CLAIM_BATCH
            .min(self.slots.available_permits() as u64)
            .max(1);
        let now = now_ms();
        let lease_until = now + self.settings.lease.as_millis() as i64;
        let backend = self.db.get_database_backend();
        let mut params = Params::new(backend);
        let (lease, me, due, expired) = (
            params.push(lease_until),
            params.push(self.name.clone()),
            params.push(now),
            params.push(now),
        );
        let busy: Vec<String> = self
            .busy_endpoints()
            .into_iter()
            .map(|id| params.push(id))
            .collect();
        let not_busy = if busy.is_empty() {
            String::new()
        } else {
            format!(" AND d.endpoint_id NOT IN ({})", busy.join(", "))
        };
        let limit = params.push(limit as i64);
        // PostgreSQL: rows another worker is claiming are skipped, not waited for. SQLite runs
        // one writer at a time: the UPDATE is atomic on its own.
        let lock = if backend == DatabaseBackend::Postgres {
            " FOR UPDATE OF d SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE delivery SET lease_until = {lease}, leased_by = {me} WHERE id IN (\
               SELECT d.id FROM delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id \
               WHERE d.status = 'pending' AND d.next_attempt_at <= {due} \
                 AND (d.lease_until IS NULL OR d.lease_until < {expired}) AND e.status = 'active'{not_busy} \
               ORDER BY d.next_attempt_at, d.id LIMIT {limit}{lock}) \
             RETURNING id, endpoint_id"
        );
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, params.values))
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            claimed.push((
                row.try_get::<i32>("", "id")?,
                row.try_get::<i32>("", "endpoint_id")?,
            ));
        }
        claimed.sort_unstable();
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
            without_lease(delivery::Entity::update_many())
                .filter(delivery::Column::Id.is_in(returned))
                .filter(delivery::Column::LeasedBy.eq(self.name.as_str()))
                .exec(&self.db)
                .await?;
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
        let Some(delivery) = delivery::Entity::find_by_id(delivery_id)
            .one(&self.db)
            .await?
        else {
            return Ok(());
        };
        if delivery.leased_by.as_deref() != Some(self.name.as_str()) || delivery.status != "pending"
        {
            return Ok(()); // another worker took it over after our lease ran out
        }
        let event = event::Entity::find_by_id(delivery.event_id)
            .one(&self.db)
            .await?;
        let endpoint = webhook_endpoint::Entity::find_by_id(delivery.endpoint_id)
            .one(&self.db)
            .await?;
        let (Some(event), Some(endpoint)) = (event, endpoint) else {
            return Ok(());
        };

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
        self.record(&delivery, &endpoint, attempt_number, &outcome)
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
            Err(error) => return failed(describe(&error)),
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
        let success = (200..300).contains(&status);
        Outcome {
            status_code: Some(status),
            excerpt: Some(String::from_utf8_lossy(&excerpt).into_owned()),
            error: if success {
                None
            } else {
                Some(read_error.unwrap_or_else(|| format!("the endpoint answered {status}")))
            },
            retry_after,
            duration: started.elapsed(),
        }
    }

    async fn record(
        &self,
        delivery: &delivery::Model,
        endpoint: &webhook_endpoint::Model,
        attempt_number: i32,
        outcome: &Outcome,
    ) -> Result<(), DbErr> {
        let now = now_ms();
        let txn = crate::database::begin_write(&self.db).await?;
        delivery_attempt::Entity::insert(delivery_attempt::ActiveModel {
            delivery_id: Set(delivery.id),
            attempted_at: Set(now - outcome.duration.as_millis() as i64),
            status_code: Set(outcome.status_code.map(i32::from)),
            duration_ms: Set(outcome.duration.as_millis().min(i32::MAX as u128) as i32),
            response_excerpt: Set(outcome.excerpt.clone()),
            error: Set(outcome.error.clone()),
            ..Default::default()
        })
        .exec(&txn)
        .await?;

        let gone = outcome.status_code == Some(410);
        let (status, next_attempt_at) = if outcome.succeeded() {
            ("succeeded", delivery.next_attempt_at)
        } else {
            let jitter = f64::from(random_bytes(1)[0]) / 256.0;
            let delay = if gone {
                None
            } else {
                self.settings.retry_schedule.next_delay(
                    attempt_number as usize,
                    outcome.retry_after,
                    self.settings.max_retry_after,
                    jitter,
                )
            };
            match delay {
                Some(delay) => ("pending", now + delay.as_millis() as i64),
                None => ("failed", delivery.next_attempt_at),
            }
        };
        // Only the lease holder moves the delivery on.
        without_lease(delivery::Entity::update_many())
            .col_expr(delivery::Column::Status, Expr::value(status))
            .col_expr(delivery::Column::AttemptCount, Expr::value(attempt_number))
            .col_expr(
                delivery::Column::NextAttemptAt,
                Expr::value(next_attempt_at),
            )
            .col_expr(
                delivery::Column::LastStatusCode,
                Expr::value(outcome.status_code.map(i32::from)),
            )
            .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
            .filter(delivery::Column::Id.eq(delivery.id))
            .filter(delivery::Column::LeasedBy.eq(self.name.as_str()))
            .exec(&txn)
            .await?;

        let mut update = webhook_endpoint::Entity::update_many()
            .filter(webhook_endpoint::Column::Id.eq(endpoint.id));
        if outcome.succeeded() {
            update = update.col_expr(
                webhook_endpoint::Column::FailingSince,
                Expr::value(Option::<i64>::None),
            );
        } else {
            let failing_since = endpoint.failing_since.unwrap_or(now);
            let failing_for = Duration::from_millis((now - failing_since).max(0) as u64);
            let reason = if gone {
                Some("the endpoint answered 410 Gone".to_owned())
            } else if failing_for >= self.settings.disable_after {
                Some(format!(
                    "deliveries have failed for {} without a success",
                    in_words(failing_for)
                ))
            } else {
                None
            };
            update = update.col_expr(
                webhook_endpoint::Column::FailingSince,
                Expr::value(failing_since),
            );
            if let Some(reason) = reason {
                tracing::warn!(endpoint = %endpoint.public_id, %reason, "webhook endpoint disabled");
                update = update
                    .col_expr(webhook_endpoint::Column::Status, Expr::value("disabled"))
                    .col_expr(
                        webhook_endpoint::Column::DisabledReason,
                        Expr::value(reason),
                    )
                    .col_expr(webhook_endpoint::Column::UpdatedAt, Expr::value(now));
            }
        }
        update.exec(&txn).await?;
        txn.commit().await
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

/// An update that also gives up a delivery's lease.
pub(crate) fn without_lease(update: UpdateMany<delivery::Entity>) -> UpdateMany<delivery::Entity> {
    update
        .col_expr(
            delivery::Column::LeaseUntil,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            delivery::Column::LeasedBy,
            Expr::value(Option::<String>::None),
        )
}

/// A duration as a person says it: "300 milliseconds", "90 seconds", "45 minutes", "30 hours", "5 days".
fn in_words(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0 => format!("{} milliseconds", duration.as_millis()),
        1..120 => format!("{seconds} seconds"),
        120..7200 => format!("{} minutes", seconds / 60),
        7200..172_800 => format!("{} hours", seconds / 3600),
        _ => format!("{} days", seconds / 86_400),
    }
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
