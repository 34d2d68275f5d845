//! The list of a partner's endpoints with their health at a glance, and creating one.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::webhook_endpoint::{self, EndpointStatus};
use maud::{Markup, html};

use super::endpoint_form::{self, EndpointValues};
use super::secret::{Shown, secret_page};
use super::{Done, notice};
use crate::console::form::Fields;
use crate::console::layout::{self, csrf_field, page, time};
use crate::console::session::Session;
use crate::console::{Console, ConsoleError};
use crate::webhooks::endpoints;
use crate::webhooks::health::{self, EndpointHealth};

/// `GET /console/endpoints`.
pub async fn list(
    console: web::Data<Console>,
    request: HttpRequest,
    done: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.session(&request).await?;
    let endpoints = endpoints::list(&console.db, &session.principal).await?;
    let ids: Vec<i32> = endpoints.iter().map(|e| e.id).collect();
    let health = health::of_endpoints(&console.db, &ids).await?;
    let content = html! {
        h1 { "Endpoints" }
        @if let Some(notice) = notice(done.done.as_deref()) {
            p.notice role="status" { (notice) }
        }
        p { a href="/console/endpoints/new" { "Add an endpoint" } }
        @if endpoints.is_empty() {
            p { "No endpoint yet: add one to receive admissions as they happen." }
        } @else {
            div.table-scroll {
                table {
                    caption { "Your webhook endpoints and how their deliveries go" }
                    thead { tr {
                        th scope="col" { "Endpoint" }
                        th scope="col" { "Status" }
                        th scope="col" { "Last delivery" }
                        th scope="col" { "Success rate" }
                        th scope="col" { "Pending" }
                    } }
                    tbody {
                        @for endpoint in &endpoints {
                            (row(endpoint, &health.get(&endpoint.id).copied().unwrap_or_default()))
                        }
                    }
                }
            }
        }
    };
    Ok(layout::ok(page("Endpoints", Some(&session), content)))
}

fn row(endpoint: &webhook_endpoint::Model, health: &EndpointHealth) -> Markup {
    html! { tr { (cells(endpoint, health)) } }
}

/// An endpoint's cells in a table of endpoints: its address and description, status, last
/// delivery, success rate and pending deliveries.
pub fn cells(endpoint: &webhook_endpoint::Model, health: &EndpointHealth) -> Markup {
    html! {
        td {
            a href=(format!("/console/endpoints/{}", endpoint.public_id)) { (endpoint.url) }
            @if !endpoint.description.is_empty() { br; span.hint { (endpoint.description) } }
        }
        td { (status(endpoint)) }
        td { (health.last_delivery_at.map(time).unwrap_or_else(|| "never".into())) }
        td {
            @match health.success_rate() {
                Some(rate) => { (rate) " % (" (health.succeeded) " of " (health.succeeded + health.failed) ")" }
                None => { "—" }
            }
        }
        td { (health.pending) }
    }
}

/// An endpoint's status in words, with why gnlc disabled it and since when it fails.
pub fn status(endpoint: &webhook_endpoint::Model) -> Markup {
    let (word, class) = match endpoint.status {
        EndpointStatus::Active => ("Active", "status-active"),
        EndpointStatus::Paused => ("Paused", "status-paused"),
        EndpointStatus::Disabled => ("Disabled", "status-disabled"),
    };
    html! {
        strong class=(class) { (word) }
        @if let Some(reason) = &endpoint.disabled_reason {
            @if endpoint.status == EndpointStatus::Disabled { br; span { (reason) } }
        }
        @if let Some(since) = endpoint.failing_since {
            br; span.problem { "failing since " (time(since)) }
        }
    }
}

/// `GET /console/endpoints/new`.
pub async fn new(
    console: web::Data<Console>,
    request: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.session(&request).await?;
    let regions = endpoint_form::regions(&console.db).await?;
    Ok(layout::ok(new_page(
        &session,
        &EndpointValues::default(),
        &regions,
        None,
    )))
}

fn new_page(
    session: &Session,
    values: &EndpointValues,
    regions: &[entity::region::Model],
    problem: Option<&str>,
) -> Markup {
    page(
        "Add an endpoint",
        Some(session),
        html! {
            h1 { "Add an endpoint" }
            form method="post" action="/console/endpoints" {
                (csrf_field(session))
                (endpoint_form::fields(values, regions, problem))
                p { button type="submit" { "Add the endpoint" } }
            }
        },
    )
}

/// `POST /console/endpoints`: creates it and shows its secret, once (this page is not a
/// redirect: the secret is never kept to show again). Bad input gets the form back with
/// what was typed and why, and nothing is written.
pub async fn create(
    console: web::Data<Console>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let fields = Fields::parse(&body);
    let session = console.acting(&request, &fields).await?;
    let values = EndpointValues::from_form(&fields);
    let created = endpoints::create(
        &console.db,
        &session.principal,
        values.spec(),
        &console.webhooks,
    )
    .await;
    match created.map_err(ConsoleError::from) {
        Ok((endpoint, secret)) => Ok(layout::ok(secret_page(
            &session,
            &endpoint,
            &secret,
            Shown::Created,
        ))),
        Err(error) => match error.input_problem() {
            Some(problem) => {
                let regions = endpoint_form::regions(&console.db).await?;
                Ok(layout::respond(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    new_page(&session, &values, &regions, Some(&problem)),
                ))
            }
            None => Err(error),
        },
    }
}
