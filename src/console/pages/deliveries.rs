//! An endpoint's deliveries, newest first, each with every attempt: when, how long, the
//! status, the start of the answer, the error and the exact signed headers sent; and
//! redelivering one, or every failed one since a time.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use entity::{delivery, delivery_attempt, event, webhook_endpoint};
use maud::{Markup, html};

use super::{notice, see_other};
use crate::console::form::Fields;
use crate::console::layout::{self, action_button, csrf_field, page, time};
use crate::console::session::Session;
use crate::console::{Console, ConsoleError};
use crate::pagination::Window;
use crate::webhooks::deliveries::{self, DeliveryFilter};
use crate::webhooks::endpoints;

const PAGE_SIZE: u64 = 20;

#[derive(Debug, serde::Deserialize)]
pub struct DeliveriesQuery {
    /// Deliveries older than this one (its id).
    before: Option<i32>,
    #[serde(default)]
    failed: bool,
    done: Option<String>,
}

/// `GET /console/endpoints/{id}/deliveries`.
pub async fn show(
    console: web::Data<Console>,
    request: HttpRequest,
    id: web::Path<String>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.session(&request).await?;
    let db = &console.db;
    let endpoint = endpoints::find(db, &session.principal, &id).await?;
    let filter = DeliveryFilter {
        endpoint: Some(endpoint.public_id.clone()),
        event: None,
        failed_only: query.failed,
    };
    let window = Window {
        backward: true,
        size: PAGE_SIZE,
        after: None,
        before: query.before.map(|id| id.to_string()),
    };
    let found = deliveries::list(db, &session.principal, &filter, window).await?;
    let attempts = deliveries::attempts_of(db, &found.rows).await?;
    let events: HashMap<i32, event::Model> = deliveries::events_of(db, &found.rows)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let base = format!("/console/endpoints/{}/deliveries", endpoint.public_id);
    let older = found
        .has_previous_page
        .then(|| found.rows.first().map(|d| d.id))
        .flatten();
    let content = html! {
        h1 { "Deliveries to " code { (endpoint.url) } }
        @if let Some(notice) = notice(query.done.as_deref()) { p.notice role="status" { (notice) } }
        p {
            a href=(format!("/console/endpoints/{}", endpoint.public_id)) { "Back to the endpoint" }
            " · "
            @if query.failed { a href=(base) { "All deliveries" } }
            @else { a href=(format!("{base}?failed=true")) { "Failed and failing only" } }
        }
        (redeliver_failed_form(&session, &endpoint))
        @if found.rows.is_empty() { p { "No delivery yet." } }
        @for delivery in found.rows.iter().rev() {
            (delivery_section(&session, &endpoint, delivery, events.get(&delivery.event_id), &attempts))
        }
        @if let Some(before) = older {
            p { a href=(format!("{base}?before={before}&failed={}", query.failed)) { "Older deliveries" } }
        }
    };
    Ok(layout::ok(page("Deliveries", Some(&session), content)))
}

fn redeliver_failed_form(session: &Session, endpoint: &webhook_endpoint::Model) -> Markup {
    html! {
        form method="post" action=(format!("/console/endpoints/{}/redeliver-failed", endpoint.public_id)) {
            (csrf_field(session))
            label for="since" { "Redeliver every failed delivery created since (UTC)" }
            input id="since" name="since" type="datetime-local" required step="1";
            " " button type="submit" { "Redeliver failed" }
        }
    }
}

fn delivery_section(
    session: &Session,
    endpoint: &webhook_endpoint::Model,
    delivery: &delivery::Model,
    event: Option<&event::Model>,
    attempts: &[delivery_attempt::Model],
) -> Markup {
    let status = match delivery.status {
        delivery::DeliveryStatus::Pending => "pending",
        delivery::DeliveryStatus::Succeeded => "succeeded",
        delivery::DeliveryStatus::Failed => "failed",
    };
    let event_id = event.map(|e| e.public_id.as_str()).unwrap_or("");
    html! {
        section.delivery aria-labelledby=(format!("delivery-{}", delivery.id)) {
            h2 id=(format!("delivery-{}", delivery.id)) {
                (event.map(|e| e.event_type.as_str()).unwrap_or("event")) " "
                code { (event_id) }
            }
            p {
                strong class=(format!("status-{status}")) { (status) }
                " · created " (time(delivery.created_at))
                " · " (delivery.attempt_count) " attempt(s)"
                @if delivery.status == delivery::DeliveryStatus::Pending {
                    " · next attempt at " (time(delivery.next_attempt_at))
                }
            }
            (action_button(
                session,
                &format!("/console/endpoints/{}/deliveries/{}/redeliver", endpoint.public_id, delivery.id),
                "Redeliver now",
            ))
            @for (n, attempt) in attempts.iter().filter(|a| a.delivery_id == delivery.id).enumerate() {
                (attempt_details(n + 1, event_id, attempt))
            }
        }
    }
}

fn attempt_details(n: usize, event_id: &str, attempt: &delivery_attempt::Model) -> Markup {
    html! {
        h3 { "Attempt " (n) }
        dl {
            dt { "Time" } dd { (time(attempt.attempted_at)) }
            dt { "Duration" } dd { (attempt.duration_ms) " ms" }
            dt { "HTTP status" } dd { (attempt.status_code.map(|s| s.to_string()).unwrap_or_else(|| "no answer".into())) }
            @if let Some(error) = &attempt.error { dt { "Error" } dd { (error) } }
        }
        @if let Some(excerpt) = attempt.response_excerpt.as_deref().filter(|e| !e.is_empty()) {
            p { "The answer's first kilobyte:" }
            pre { code { (excerpt) } }
        }
        @if let (Some(timestamp), Some(signature)) = (attempt.webhook_timestamp, &attempt.webhook_signature) {
            p { "Signed headers sent:" }
            pre { code {
                "webhook-id: " (event_id) "\n"
                "webhook-timestamp: " (timestamp) "\n"
                "webhook-signature: " (signature)
            } }
        }
    }
}

/// `POST /console/endpoints/{id}/deliveries/{delivery}/redeliver`.
pub async fn redeliver(
    console: web::Data<Console>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.acting(&request, &Fields::parse(&body)).await?;
    let (id, delivery_id) = path.into_inner();
    let endpoint = endpoints::find(&console.db, &session.principal, &id).await?;
    let delivery_id: i32 = delivery_id.parse().map_err(|_| ConsoleError::NotFound)?;
    let db = &console.db;
    deliveries::redeliver(db, &session.principal, delivery_id, &console.after_commit).await?;
    Ok(see_other(&format!(
        "/console/endpoints/{}/deliveries?done=redelivered",
        endpoint.public_id
    )))
}

/// `POST /console/endpoints/{id}/redeliver-failed`, `since` a time in UTC.
pub async fn redeliver_failed(
    console: &Console,
    session: &Session,
    id: &str,
    fields: &Fields,
) -> Result<HttpResponse, ConsoleError> {
    let since = fields.get("since").unwrap_or_default();
    let since_ms = parse_since(since).ok_or_else(|| {
        ConsoleError::Invalid(format!(
            "`{since}` is not a date and time such as 2026-09-01T10:00"
        ))
    })?;
    let endpoint = endpoints::find(&console.db, &session.principal, id).await?;
    deliveries::redeliver_failed(
        &console.db,
        &session.principal,
        id,
        since_ms,
        &console.after_commit,
    )
    .await?;
    Ok(see_other(&format!(
        "/console/endpoints/{}/deliveries?done=redelivered-failed",
        endpoint.public_id
    )))
}

/// A `datetime-local` value (with or without seconds), as UTC, in Unix ms.
fn parse_since(text: &str) -> Option<i64> {
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text.trim(), format).ok())
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_read_as_utc_with_or_without_seconds() {
        assert_eq!(parse_since("1970-01-01T00:01"), Some(60_000));
        assert_eq!(parse_since("1970-01-01T00:01:02"), Some(62_000));
        assert_eq!(parse_since("yesterday"), None);
    }
}
