//! Webhook endpoints, events, deliveries and attempts, as partners see them.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, Json, Object, Result, SimpleObject};
use entity::{delivery, delivery_attempt, event, webhook_endpoint};

use super::access::require_token;
use super::connection::connection;
use super::loaders::{AccountId, AttemptsOfDelivery, EndpointId, EventId};
use super::scalars::DateTime;
use super::{ResultExt, cursors, db, expect_row, loader, window};
use crate::pagination::{List, PageRequest};
use crate::webhooks::deliveries::{self, DeliveryFilter};
use crate::webhooks::word_list::WordList;

fn words(list: &str) -> Vec<String> {
    WordList::parse(list).into_vec()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum EndpointStatus {
    /// Receives its deliveries.
    Active,
    /// Paused by its owner: deliveries are kept and sent when it resumes.
    Paused,
    /// Disabled by gnlc (410 Gone, or failing for too long): see `disabledReason`.
    /// Resuming it enables it again.
    Disabled,
}

impl From<webhook_endpoint::EndpointStatus> for EndpointStatus {
    fn from(status: webhook_endpoint::EndpointStatus) -> Self {
        match status {
            webhook_endpoint::EndpointStatus::Active => EndpointStatus::Active,
            webhook_endpoint::EndpointStatus::Paused => EndpointStatus::Paused,
            webhook_endpoint::EndpointStatus::Disabled => EndpointStatus::Disabled,
        }
    }
}

/// Where a partner receives events.
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    /// Stable identifier, `ep_…`.
    async fn id(&self) -> ID {
        ID(self.0.public_id.clone())
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The account (the name of its tokens) that owns it.
    async fn owner(&self, ctx: &Context<'_>) -> Result<String> {
        let account = loader(ctx)?
            .load_one(AccountId(self.0.account_id))
            .await
            .gql()?;
        expect_row(account, "account").map(|account| account.name)
    }

    /// Event types it receives; empty: all of them.
    async fn event_types(&self) -> Vec<String> {
        words(&self.0.event_types)
    }

    /// Region slugs it is limited to; empty: no limit.
    async fn regions(&self) -> Vec<String> {
        words(&self.0.regions)
    }

    /// Country ISO alpha-2 codes it is limited to; empty: no limit.
    async fn countries(&self) -> Vec<String> {
        words(&self.0.countries)
    }

    async fn status(&self) -> EndpointStatus {
        self.0.status.into()
    }

    /// Why gnlc disabled it.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    /// Since when its deliveries have been failing without a success.
    async fn failing_since(&self) -> Option<DateTime> {
        self.0.failing_since.map(DateTime)
    }

    /// Until when the secret before the last rotation still signs beside the new one.
    async fn previous_secret_expires_at(&self) -> Option<DateTime> {
        self.0.previous_secret_expires_at.map(DateTime)
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }

    /// Its deliveries, oldest first.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        failed_only: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Delivery, EmptyFields>> {
        let failed_only = failed_only.unwrap_or_default();
        let filter = DeliveryFilter {
            endpoint: Some(self.0.public_id.clone()),
            event: None,
            failed_only,
        };
        deliveries(ctx, filter, PageRequest::new(first, after, last, before)).await
    }
}

/// Lists deliveries a principal may see, as a connection.
pub async fn deliveries(
    ctx: &Context<'_>,
    filter: DeliveryFilter,
    page: PageRequest,
) -> Result<Connection<String, Delivery, EmptyFields>> {
    let principal = require_token(ctx)?;
    let window = window(ctx, List::Deliveries, page)?;
    let page = deliveries::list(db(ctx)?, principal, &filter, window)
        .await
        .gql()?;
    super::budget::charge(ctx, page.rows.len())?;
    Ok(connection(
        cursors(ctx)?,
        List::Deliveries,
        page,
        |d| d.id.to_string(),
        Delivery,
        EmptyFields,
    ))
}

/// An endpoint just created or given a new secret, with the secret: shown this once.
#[derive(SimpleObject)]
pub struct WebhookEndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: verify deliveries with it (Standard Webhooks). Store it now.
    pub secret: String,
}

/// Something that happened, as delivered to endpoints.
pub struct Event(pub event::Model);

#[Object]
impl Event {
    /// Stable identifier, `msg_…`; the `webhook-id` header of its deliveries.
    async fn id(&self) -> ID {
        ID(self.0.public_id.clone())
    }

    /// Dot-separated type: `cohort.admitted`, `city.admitted`, `city.withdrawn`, `webhook.test`.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// The body its deliveries carry: `{"type", "timestamp", "data"}`.
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.payload).unwrap_or_default())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Retries exhausted, or the endpoint answered 410 Gone.
    Failed,
}

impl From<delivery::DeliveryStatus> for DeliveryStatus {
    fn from(status: delivery::DeliveryStatus) -> Self {
        match status {
            delivery::DeliveryStatus::Pending => DeliveryStatus::Pending,
            delivery::DeliveryStatus::Succeeded => DeliveryStatus::Succeeded,
            delivery::DeliveryStatus::Failed => DeliveryStatus::Failed,
        }
    }
}

/// One event to one endpoint.
pub struct Delivery(pub delivery::Model);

#[Object]
impl Delivery {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn status(&self) -> DeliveryStatus {
        self.0.status.into()
    }

    async fn attempt_count(&self) -> i32 {
        self.0.attempt_count
    }

    /// When the next attempt is due, while pending.
    async fn next_attempt_at(&self) -> Option<DateTime> {
        (self.0.status == delivery::DeliveryStatus::Pending)
            .then_some(DateTime(self.0.next_attempt_at))
    }

    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    async fn event(&self, ctx: &Context<'_>) -> Result<Event> {
        let event = loader(ctx)?
            .load_one(EventId(self.0.event_id))
            .await
            .gql()?;
        expect_row(event, "event").map(Event)
    }

    async fn endpoint(&self, ctx: &Context<'_>) -> Result<WebhookEndpoint> {
        let endpoint = loader(ctx)?
            .load_one(EndpointId(self.0.endpoint_id))
            .await
            .gql()?;
        expect_row(endpoint, "webhook endpoint").map(WebhookEndpoint)
    }

    /// Every attempt, oldest first.
    async fn attempts(&self, ctx: &Context<'_>) -> Result<Vec<DeliveryAttempt>> {
        let attempts = loader(ctx)?
            .load_one(AttemptsOfDelivery(self.0.id))
            .await
            .gql()?
            .unwrap_or_default();
        super::budget::charge(ctx, attempts.len())?;
        Ok(attempts.into_iter().map(DeliveryAttempt).collect())
    }
}

/// One HTTP attempt of a delivery.
pub struct DeliveryAttempt(pub delivery_attempt::Model);

#[Object]
impl DeliveryAttempt {
    async fn attempted_at(&self) -> DateTime {
        DateTime(self.0.attempted_at)
    }

    /// The HTTP status the endpoint answered, if it answered.
    async fn status_code(&self) -> Option<i32> {
        self.0.status_code
    }

    async fn duration_ms(&self) -> i32 {
        self.0.duration_ms
    }

    /// The first kilobyte of the response body.
    async fn response_excerpt(&self) -> Option<&str> {
        self.0.response_excerpt.as_deref()
    }

    /// What went wrong: time-out, refused address, connection error, or the status.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// The `webhook-timestamp` header the attempt was sent with, as sent (Unix seconds);
    /// null when no request was made, or for attempts made before gnlc kept it.
    async fn webhook_timestamp(&self) -> Option<String> {
        self.0.webhook_timestamp.map(|seconds| seconds.to_string())
    }

    /// The `webhook-signature` header the attempt was sent with, as sent (`v1,…`, one per
    /// secret that signed it): with the event's id and the timestamp, what a receiver checks.
    async fn webhook_signature(&self) -> Option<&str> {
        self.0.webhook_signature.as_deref()
    }
}

/// How far a cohort's `cohort.admitted` notifications have gone.
#[derive(SimpleObject)]
pub struct DeliveryReport {
    /// Partner accounts with an endpoint that was sent the admission.
    pub partners: i32,
    /// Partner accounts that have received it (a 2xx on at least one endpoint).
    pub partners_reached: i32,
    pub deliveries: i32,
    pub succeeded: i32,
    pub pending: i32,
    pub failed: i32,
}
