//! One endpoint: its state and health, the form that changes it, and its actions (send a
//! test event, pause or resume, rotate the secret, delete after a confirmation).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::webhook_endpoint::{self, EndpointStatus};
use maud::{Markup, html};

use super::endpoint_form::{self, EndpointValues};
use super::endpoints::status;
use super::secret::{Shown, secret_page};
use super::{Done, notice, see_other};
use crate::console::form::Fields;
use crate::console::layout::{self, action_button, csrf_field, page, time};
use crate::console::session::Session;
use crate::console::{Console, ConsoleError};
use crate::webhooks::{endpoints, events};

fn address(endpoint: &webhook_endpoint::Model, rest: &str) -> String {
    format!("/console/endpoints/{}{rest}", endpoint.public_id)
}

/// The endpoint's page, its form showing `values` (an endpoint's, or what was just typed),
/// with a notice or a problem.
pub async fn view(
    console: &Console,
    session: &Session,
    endpoint: &webhook_endpoint::Model,
    values: &EndpointValues,
    message: (Option<&str>, Option<&str>),
) -> Result<Markup, ConsoleError> {
    let regions = endpoint_form::regions(&console.db).await?;
    let (notice, problem) = message;
    let paused = endpoint.status != EndpointStatus::Active;
    Ok(page(
        "Endpoint",
        Some(session),
        html! {
            h1 { "Endpoint " code { (endpoint.public_id) } }
            @if let Some(notice) = notice { p.notice role="status" { (notice) } }
            dl {
                dt { "URL" } dd { code { (endpoint.url) } }
                dt { "Status" } dd { (status(endpoint)) }
                dt { "Created" } dd { (time(endpoint.created_at)) }
                @if let Some(until) = endpoint.previous_secret_expires_at.filter(|u| *u > crate::clock::now_ms()) {
                    dt { "Secret rotation" }
                    dd { "The previous secret signs beside the current one until " (time(until)) "." }
                }
            }
            p { a href=(address(endpoint, "/deliveries")) { "Deliveries and their attempts" } }
            h2 { "Actions" }
            (action_button(session, &address(endpoint, "/test"), "Send a test event"))
            @if paused {
                (action_button(session, &address(endpoint, "/resume"), "Resume deliveries"))
            } @else {
                (action_button(session, &address(endpoint, "/pause"), "Pause deliveries"))
            }
            (action_button(session, &address(endpoint, "/rotate"), "Rotate the signing secret"))
            p { a href=(address(endpoint, "/delete")) { "Delete this endpoint…" } }
            h2 { "Settings" }
            form method="post" action=(address(endpoint, "")) {
                (csrf_field(session))
                (endpoint_form::fields(values, &regions, problem))
                p { button type="submit" { "Save" } }
            }
        },
    ))
}

/// `GET /console/endpoints/{id}`.
pub async fn show(
    console: web::Data<Console>,
    request: HttpRequest,
    id: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.session(&request).await?;
    let endpoint = endpoints::find(&console.db, &session.principal, &id).await?;
    let values = EndpointValues::from(&endpoint);
    let notice = notice(done.done.as_deref());
    let page = view(&console, &session, &endpoint, &values, (notice, None)).await?;
    Ok(layout::ok(page))
}

/// `POST /console/endpoints/{id}`: saves the form; bad input gets it back with why.
pub async fn update(
    console: web::Data<Console>,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let fields = Fields::parse(&body);
    let session = console.acting(&request, &fields).await?;
    let values = EndpointValues::from_form(&fields);
    let allow_private = console.webhooks.allow_private_targets;
    let updated = endpoints::update(
        &console.db,
        &session.principal,
        &id,
        values.spec(),
        allow_private,
    )
    .await;
    match updated.map_err(ConsoleError::from) {
        Ok(endpoint) => Ok(see_other(&address(&endpoint, "?done=updated"))),
        Err(error) => match error.input_problem() {
            Some(problem) => {
                let endpoint = endpoints::find(&console.db, &session.principal, &id).await?;
                let page = view(
                    &console,
                    &session,
                    &endpoint,
                    &values,
                    (None, Some(&problem)),
                )
                .await?;
                Ok(layout::respond(StatusCode::UNPROCESSABLE_ENTITY, page))
            }
            None => Err(error),
        },
    }
}

/// `GET /console/endpoints/{id}/delete`: the confirmation step.
pub async fn confirm_delete(
    console: web::Data<Console>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.session(&request).await?;
    let endpoint = endpoints::find(&console.db, &session.principal, &id).await?;
    Ok(layout::ok(page(
        "Delete the endpoint",
        Some(&session),
        html! {
            h1 { "Delete the endpoint?" }
            p { code { (endpoint.url) } " will receive no more events, and its deliveries and their attempts are deleted with it. This cannot be undone." }
            (action_button(&session, &address(&endpoint, "/delete"), "Delete it"))
            p { a href=(address(&endpoint, "")) { "No, keep it" } }
        },
    )))
}

/// `POST /console/endpoints/{id}/{action}`: `test`, `pause`, `resume`, `rotate`,
/// `delete` or `redeliver-failed`.
pub async fn act(
    console: web::Data<Console>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let fields = Fields::parse(&body);
    let session = console.acting(&request, &fields).await?;
    let (id, action) = path.into_inner();
    let (db, principal, after) = (&console.db, &session.principal, &console.after_commit);
    let endpoint = match action.as_str() {
        "test" => {
            events::send_test(db, principal, &id, after).await?;
            return Ok(see_other(&format!(
                "/console/endpoints/{id}/deliveries?done=test-sent"
            )));
        }
        "pause" => endpoints::set_paused(db, principal, &id, true, after).await?,
        "resume" => endpoints::set_paused(db, principal, &id, false, after).await?,
        "rotate" => {
            let (endpoint, secret) = endpoints::rotate_secret(db, principal, &id).await?;
            return Ok(layout::ok(secret_page(
                &session,
                &endpoint,
                &secret,
                Shown::Rotated,
            )));
        }
        "delete" => {
            endpoints::delete(db, principal, &id).await?;
            return Ok(see_other("/console/endpoints?done=deleted"));
        }
        "redeliver-failed" => {
            return super::deliveries::redeliver_failed(&console, &session, &id, &fields).await;
        }
        _ => return Err(ConsoleError::NotFound),
    };
    let done = if action == "pause" {
        "paused"
    } else {
        "resumed"
    };
    Ok(see_other(&address(&endpoint, &format!("?done={done}"))))
}
