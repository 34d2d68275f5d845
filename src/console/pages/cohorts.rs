//! The cohorts, for coordinators, and each one's delivery report: how far its admission
//! has gone to the partners (`webhooks::report`, as `Cohort.deliveryReport` reads it). The
//! report is a page that works without JavaScript; the console's script fetches it again
//! every few seconds while deliveries are pending, and puts the new figures in place.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use super::{Done, notice};
use crate::console::layout::{self, page};
use crate::console::{Console, ConsoleError};
use crate::membership;
use crate::webhooks::report::{self, CohortDeliveryReport};

/// `GET /console/cohorts`.
pub async fn list(
    console: web::Data<Console>,
    request: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.coordinator(&request).await?;
    let cohorts = membership::cohorts(&console.db).await?;
    let content = html! {
        h1 { "Cohorts" }
        p { a href="/console/cohorts/admit" { "Admit a cohort" } }
        @if cohorts.is_empty() {
            p { "No cohort yet." }
        } @else {
            div.table-scroll {
                table {
                    caption { "The network's intakes, newest first, with their delivery reports" }
                    thead { tr {
                        th scope="col" { "Cohort" }
                        th scope="col" { "Announced on" }
                        th scope="col" { "New cities" }
                        th scope="col" { "New countries" }
                    } }
                    tbody { @for cohort in cohorts.iter().rev() {
                        tr {
                            td { a href=(format!("/console/cohorts/{}", cohort.year)) { (cohort.year) } }
                            td { (cohort.announced_on) }
                            td { (cohort.new_cities) }
                            td { (cohort.new_countries) }
                        }
                    } }
                }
            }
        }
    };
    Ok(layout::ok(page("Cohorts", Some(&session), content)))
}

/// `GET /console/cohorts/{year}`: the delivery report of the cohort of that year.
pub async fn report(
    console: web::Data<Console>,
    request: HttpRequest,
    year: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.coordinator(&request).await?;
    let year: i32 = year.parse().map_err(|_| ConsoleError::NotFound)?;
    let report = report::cohort_report(&console.db, &session.principal, year).await?;
    let title = format!("The {year} cohort");
    let content = html! {
        h1 { (title) }
        @if let Some(notice) = notice(done.done.as_deref()) {
            p.notice role="status" { (notice) }
        }
        h2 { "Delivery report" }
        p.hint {
            "Every delivery the admission caused: its " code { "cohort.admitted" }
            " event and the " code { "city.admitted" } " event of each of its cities, to each endpoint subscribed to them."
        }
        (figures(&report))
        p { a href="/console/partners" { "Every partner endpoint's health" } }
    };
    Ok(layout::ok(page(&title, Some(&session), content)))
}

/// The report's figures: the part of the page the script refreshes while `data-pending` is
/// not `0` (a polite live region: screen readers say the figures when they change).
fn figures(report: &CohortDeliveryReport) -> maud::Markup {
    html! {
        div id="report" data-refresh="report" data-pending=(report.pending) aria-live="polite" {
            dl.figures {
                div { dt { "Partners reached" } dd { (report.partners_reached) " of " (report.partners) } }
                div { dt { "Deliveries" } dd { (report.deliveries) } }
                // Coloured only when there is something to see.
                div { dt { "Succeeded" } dd.status-succeeded[report.succeeded > 0] { (report.succeeded) } }
                div { dt { "Pending" } dd { (report.pending) } }
                div { dt { "Failed" } dd.status-failed[report.failed > 0] { (report.failed) } }
            }
            p.hint {
                @if report.pending > 0 {
                    "Deliveries are on their way: this page follows them (reload it if your browser runs no script)."
                } @else if report.deliveries == 0 {
                    "No partner endpoint was sent this admission."
                } @else {
                    "Nothing is pending: every delivery has succeeded or failed for good."
                }
            }
        }
    }
}
