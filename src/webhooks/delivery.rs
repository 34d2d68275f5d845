//! The lifecycle of a delivery and of its endpoint's status, and every change of them: a
//! delivery is queued (pending), claimed by a worker (leased), attempted, and then
//! succeeds, waits for its next attempt or fails; it may be redelivered. An endpoint is
//! active, paused by its owner, or disabled by gnlc for failing, and is resumed by its
//! owner. Nothing else writes a delivery's status or lease, or an endpoint's status.

use std::time::Duration;

use entity::delivery::{self, DeliveryStatus};
use entity::delivery_attempt;
use entity::webhook_endpoint::{self, EndpointStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, Statement, UpdateMany,
};

use crate::clock::now_ms;
use crate::ids::random_bytes;
use crate::webhooks::settings::WebhookSettings;

/// A new delivery of an event to an endpoint, due now: the outbox writes it with the
/// event, in the caller's transaction.
pub fn queued(event_id: i32, endpoint_id: i32, now: i64) -> delivery::ActiveModel {
    delivery::ActiveModel {
        event_id: Set(event_id),
        endpoint_id: Set(endpoint_id),
        status: Set(DeliveryStatus::Pending),
        attempt_count: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        leased_by: Set(None),
        last_status_code: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// A worker's claim on due deliveries.
pub struct Claim<'a> {
    /// The worker's name, kept with the lease.
    pub worker: &'a str,
    pub now: i64,
    /// When the lease runs out and another worker may take the delivery (Unix ms).
    pub lease_until: i64,
    /// Endpoints the worker has no room for now: their deliveries are left alone.
    pub skip_endpoints: Vec<i32>,
    /// Most deliveries to take.
    pub limit: u64,
}

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

/// Takes a lease on due pending deliveries whose endpoint is active and whose lease (if
/// any) has run out, the longest due first: returns them as (delivery, endpoint) ids, in
/// id order. On PostgreSQL rows another worker is claiming are skipped, not waited for;
/// SQLite runs one writer at a time, so the UPDATE is atomic on its own. Either way two
/// workers never hold the same delivery.
pub async fn claim(db: &DatabaseConnection, claim: Claim<'_>) -> Result<Vec<(i32, i32)>, DbErr> {
    let backend = db.get_database_backend();
    let mut params = Params::new(backend);
    let (lease, me, pending, due, expired, active) = (
        params.push(claim.lease_until),
        params.push(claim.worker),
        params.push(DeliveryStatus::Pending),
        params.push(claim.now),
        params.push(claim.now),
        params.push(EndpointStatus::Active),
    );
    let skipped: Vec<String> = claim
        .skip_endpoints
        .into_iter()
        .map(|id| params.push(id))
        .collect();
    let not_skipped = if skipped.is_empty() {
        String::new()
    } else {
        format!(" AND d.endpoint_id NOT IN ({})", skipped.join(", "))
    };
    let limit = params.push(claim.limit as i64);
    let lock = if backend == DatabaseBackend::Postgres {
        " FOR UPDATE OF d SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE delivery SET lease_until = {lease}, leased_by = {me} WHERE id IN (\
           SELECT d.id FROM delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id \
           WHERE d.status = {pending} AND d.next_attempt_at <= {due} \
             AND (d.lease_until IS NULL OR d.lease_until < {expired}) AND e.status = {active}{not_skipped} \
           ORDER BY d.next_attempt_at, d.id LIMIT {limit}{lock}) \
         RETURNING id, endpoint_id"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, params.values))
        .await?;
    let mut claimed = rows
        .iter()
        .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "endpoint_id")?)))
        .collect::<Result<Vec<(i32, i32)>, DbErr>>()?;
    claimed.sort_unstable();
    Ok(claimed)
}

/// Hands deliveries a worker claimed back at once, for any worker to take.
pub async fn release(db: &DatabaseConnection, ids: Vec<i32>, worker: &str) -> Result<(), DbErr> {
    without_lease(delivery::Entity::update_many())
        .filter(delivery::Column::Id.is_in(ids))
        .filter(delivery::Column::LeasedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether `worker` still holds a pending delivery: its lease did not run out and pass to
/// another worker meanwhile.
pub fn held_by(delivery: &delivery::Model, worker: &str) -> bool {
    delivery.leased_by.as_deref() == Some(worker) && delivery.status == DeliveryStatus::Pending
}

/// How an attempt went.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<u16>,
    /// The start of the response body.
    pub excerpt: Option<String>,
    pub error: Option<String>,
    /// The endpoint's `Retry-After`.
    pub retry_after: Option<Duration>,
    pub duration: Duration,
    /// The signed headers sent, when the request was made.
    pub signed: Option<SignedHeaders>,
}

/// The `webhook-timestamp` and `webhook-signature` an attempt was sent with, kept so that
/// a partner sees exactly what it was sent (the `webhook-id` is the event's id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub timestamp: i64,
    pub signature: String,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }

    /// The endpoint answered 410 Gone: it wants no more deliveries.
    pub fn gone(&self) -> bool {
        self.status_code == Some(410)
    }
}

/// Records an attempt of a delivery `worker` holds, in one transaction: the attempt, the
/// delivery moved on (succeeded, pending until its next attempt by the retry schedule, or
/// failed), its lease given up, and the endpoint's failing streak (see [`super::failing`]).
/// Only the lease holder moves the delivery on.
pub async fn record(
    db: &DatabaseConnection,
    settings: &WebhookSettings,
    worker: &str,
    delivery: &delivery::Model,
    endpoint: &webhook_endpoint::Model,
    attempt_number: i32,
    outcome: &Outcome,
) -> Result<(), DbErr> {
    let now = now_ms();
    let txn = crate::database::begin_write(db).await?;
    delivery_attempt::Entity::insert(delivery_attempt::ActiveModel {
        delivery_id: Set(delivery.id),
        attempted_at: Set(now - outcome.duration.as_millis() as i64),
        status_code: Set(outcome.status_code.map(i32::from)),
        duration_ms: Set(outcome.duration.as_millis().min(i32::MAX as u128) as i32),
        response_excerpt: Set(outcome.excerpt.clone()),
        error: Set(outcome.error.clone()),
        webhook_timestamp: Set(outcome.signed.as_ref().map(|s| s.timestamp)),
        webhook_signature: Set(outcome.signed.as_ref().map(|s| s.signature.clone())),
        ..Default::default()
    })
    .exec(&txn)
    .await?;

    let jitter = f64::from(random_bytes(1)[0]) / 256.0;
    let (status, next_attempt_at) =
        after_attempt(settings, delivery, attempt_number, outcome, now, jitter);
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
        .filter(delivery::Column::LeasedBy.eq(worker))
        .exec(&txn)
        .await?;

    super::failing::after_attempt(&txn, endpoint.id, outcome, now, settings.disable_after).await?;
    txn.commit().await
}

/// Where an attempt leaves its delivery: succeeded; pending until the retry schedule's
/// next attempt (or the endpoint's `Retry-After`); or failed, when the schedule is
/// exhausted or the endpoint is gone. The due time is kept unless an attempt follows.
fn after_attempt(
    settings: &WebhookSettings,
    delivery: &delivery::Model,
    attempt_number: i32,
    outcome: &Outcome,
    now: i64,
    jitter: f64,
) -> (DeliveryStatus, i64) {
    if outcome.succeeded() {
        return (DeliveryStatus::Succeeded, delivery.next_attempt_at);
    }
    let delay = if outcome.gone() {
        None
    } else {
        settings.retry_schedule.next_delay(
            attempt_number as usize,
            outcome.retry_after,
            settings.max_retry_after,
            jitter,
        )
    };
    match delay {
        Some(delay) => (DeliveryStatus::Pending, now + delay.as_millis() as i64),
        None => (DeliveryStatus::Failed, delivery.next_attempt_at),
    }
}

/// Makes a delivery due again now, as pending and free of any lease: a new attempt of the
/// same event, with the same id.
pub async fn redeliver(
    db: &DatabaseConnection,
    delivery: delivery::Model,
) -> Result<delivery::Model, DbErr> {
    let now = now_ms();
    let mut active: delivery::ActiveModel = delivery.into();
    active.status = Set(DeliveryStatus::Pending);
    active.next_attempt_at = Set(now);
    active.lease_until = Set(None);
    active.leased_by = Set(None);
    active.updated_at = Set(now);
    active.update(db).await
}

/// Makes every failed delivery of an endpoint created since `since_ms` due again now.
/// Returns how many.
pub async fn redeliver_failed(
    db: &DatabaseConnection,
    endpoint_id: i32,
    since_ms: i64,
) -> Result<u64, DbErr> {
    let now = now_ms();
    let result = without_lease(delivery::Entity::update_many())
        .col_expr(
            delivery::Column::Status,
            Expr::value(DeliveryStatus::Pending),
        )
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::EndpointId.eq(endpoint_id))
        .filter(delivery::Column::Status.eq(DeliveryStatus::Failed))
        .filter(delivery::Column::CreatedAt.gte(since_ms))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The deliveries that have failed for good, or are failing and wait for their next
/// attempt.
pub fn failed_or_failing() -> Condition {
    Condition::any()
        .add(delivery::Column::Status.eq(DeliveryStatus::Failed))
        .add(
            Condition::all()
                .add(delivery::Column::Status.eq(DeliveryStatus::Pending))
                .add(delivery::Column::AttemptCount.gt(0)),
        )
}

/// The state a new endpoint starts in and a resumed one returns to: active, with no
/// failure on record.
pub fn enabled(endpoint: &mut webhook_endpoint::ActiveModel) {
    endpoint.status = Set(EndpointStatus::Active);
    endpoint.disabled_reason = Set(None);
    endpoint.failing_since = Set(None);
}

/// Pauses an endpoint (its deliveries are held) or resumes it: active again, also when
/// gnlc had disabled it, and its held deliveries go out again.
pub async fn set_paused(
    db: &DatabaseConnection,
    endpoint: webhook_endpoint::Model,
    paused: bool,
) -> Result<webhook_endpoint::Model, DbErr> {
    let mut active: webhook_endpoint::ActiveModel = endpoint.into();
    if paused {
        active.status = Set(EndpointStatus::Paused);
    } else {
        enabled(&mut active);
    }
    active.updated_at = Set(now_ms());
    active.update(db).await
}

/// An update that also gives up a delivery's lease.
fn without_lease(update: UpdateMany<delivery::Entity>) -> UpdateMany<delivery::Entity> {
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

#[cfg(test)]
#[path = "delivery_tests.rs"]
mod tests;
