//! Admitting a cohort, for coordinators: the form, its preview (every problem against its
//! row, or what admitting would do, with nothing written) and the admission itself, checked
//! again as it is made. All three go through `admission` (`preview`, `admit`): the rules
//! are its own.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use super::admission_form::{self, AdmissionValues};
use super::see_other;
use crate::admission::{
    self, AdmissionError, CohortAdmission, FigureChange, FigureOutcome, Preview, Problem, problem,
};
use crate::cohort_file::CohortFile;
use crate::console::form::Fields;
use crate::console::layout::{self, csrf_field, page};
use crate::console::session::Session;
use crate::console::{Console, ConsoleError};

const TITLE: &str = "Admit a cohort";

/// `GET /console/cohorts/admit`.
pub async fn form(
    console: web::Data<Console>,
    request: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.coordinator(&request).await?;
    Ok(layout::ok(form_page(
        &session,
        &AdmissionValues::default(),
        None,
    )))
}

/// The form, with what was typed and above it the outcome of its preview, if any.
fn form_page(session: &Session, values: &AdmissionValues, outcome: Option<Markup>) -> Markup {
    page(
        TITLE,
        Some(session),
        html! {
            h1 { (TITLE) }
            @if let Some(outcome) = outcome { (outcome) }
            @else {
                p { "Nothing is written until you admit: the preview checks the whole cohort first, as "
                    code { "admitCohort" } " and " code { "gnlc admit" } " do, and lists every problem." }
            }
            form method="post" action="/console/cohorts/preview" {
                (csrf_field(session))
                (admission_form::fields(values, false))
                p { button type="submit" { "Preview the admission" } }
            }
        },
    )
}

/// `POST /console/cohorts/preview`: checks the admission and says what admitting it would
/// do, or lists every problem; writes nothing.
pub async fn preview(
    console: web::Data<Console>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let Submitted {
        session,
        values,
        admission,
        file,
    } = match submitted(&console, &request, &body).await? {
        Ok(submitted) => submitted,
        Err(refused) => return Ok(refused),
    };
    match admission::preview(&console.db, &admission).await {
        Ok(preview) => {
            let outcome = ready(&session, &values, &admission, &preview);
            Ok(layout::ok(form_page(&session, &values, Some(outcome))))
        }
        Err(error) => refusal(&session, &values, &file, error),
    }
}

/// `POST /console/cohorts/admit`: admits the previewed cohort (checked again: the network
/// may have changed since), then shows its delivery report.
pub async fn admit(
    console: web::Data<Console>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let Submitted {
        session,
        values,
        admission,
        file,
    } = match submitted(&console, &request, &body).await? {
        Ok(submitted) => submitted,
        Err(refused) => return Ok(refused),
    };
    match admission::admit(&console.db, admission, &console.after_commit).await {
        Ok(admitted) => {
            let done = if admitted.created() {
                "admitted"
            } else {
                "admitted-before"
            };
            let year = admitted.cohort.year;
            Ok(see_other(&format!("/console/cohorts/{year}?done={done}")))
        }
        Err(error) => refusal(&session, &values, &file, error),
    }
}

/// A posted admission form: the coordinator who posted it, what they typed, and the
/// admission and file it reads as.
struct Submitted {
    session: Session,
    values: AdmissionValues,
    admission: CohortAdmission,
    file: CohortFile,
}

/// Reads a posted admission form (after its CSRF token and the coordinator's session), or
/// the form again with the problems of a file that cannot be read.
async fn submitted(
    console: &Console,
    request: &HttpRequest,
    body: &web::Bytes,
) -> Result<Result<Submitted, HttpResponse>, ConsoleError> {
    let fields = Fields::parse(body);
    let session = console.coordinator_acting(request, &fields).await?;
    let values = AdmissionValues::from_form(&fields);
    Ok(match values.admission() {
        Ok((admission, file)) => Ok(Submitted {
            session,
            values,
            admission,
            file,
        }),
        Err(problems) => Err(refused(&session, &values, &problems)),
    })
}

/// The form again when the admission is refused: every problem, each against the row of
/// the file it is about, or why not (a conflict).
fn refusal(
    session: &Session,
    values: &AdmissionValues,
    file: &CohortFile,
    error: AdmissionError,
) -> Result<HttpResponse, ConsoleError> {
    match error {
        AdmissionError::Invalid(mut problems) => {
            file.locate(&mut problems);
            Ok(refused(session, values, &problems))
        }
        AdmissionError::Database(error) => Err(error.into()),
        other => Ok(refused(
            session,
            values,
            &[problem(None, "year", other.to_string())],
        )),
    }
}

fn refused(session: &Session, values: &AdmissionValues, problems: &[Problem]) -> HttpResponse {
    let outcome = admission_form::problems(problems, &values.row_lines());
    layout::respond(
        StatusCode::UNPROCESSABLE_ENTITY,
        form_page(session, values, Some(outcome)),
    )
}

/// What admitting would do, and the button that does it.
fn ready(
    session: &Session,
    values: &AdmissionValues,
    admission: &CohortAdmission,
    preview: &Preview,
) -> Markup {
    let year = admission.year;
    let (joining, figures) = match preview {
        Preview::AdmittedBefore => {
            return html! {
                p.notice role="status" {
                    "The " (year) " cohort was already admitted with exactly this content: "
                    "admitting it again changes nothing. "
                    a href=(format!("/console/cohorts/{year}")) { "See its delivery report" }
                }
            };
        }
        Preview::Admits { joining, figures } => (joining, figures),
    };
    let lines = values.row_lines();
    html! {
        section aria-labelledby="preview-heading" {
            h2 id="preview-heading" { "Ready to admit" }
            p.notice role="status" {
                "No problem found: admitting writes the " (year) " cohort with its "
                (admission.cities.len()) " cities, announced on " (admission.announced_on)
                ", and notifies the partners. Nothing is written yet."
            }
            dl {
                dt { "The admission's figures" }
                dd {
                    (admission.new_city_count) " new cities in " (admission.new_country_count) " countries"
                    @if let (Some(cities), Some(countries)) = (admission.network_city_count, admission.network_country_count) {
                        "; the network then has " (cities) " cities in " (countries) " countries"
                    }
                }
                @if !joining.is_empty() {
                    dt { "Countries joining the network" }
                    dd { @for (i, country) in joining.iter().enumerate() {
                        @if i > 0 { ", " }
                        (country.name) " (" (country.iso2) ", " (country.region) ")"
                    } }
                }
            }
            @if !figures.is_empty() {
                h3 { "Figures published before" }
                ul { @for change in figures { li { (figure_change(change)) } } }
            }
            form method="post" action="/console/cohorts/admit" {
                (csrf_field(session))
                (admission_form::fields(values, true))
                p { button type="submit" { "Admit the " (year) " cohort" } }
            }
            div.table-scroll {
                table {
                    caption { "The cities to admit" }
                    thead { tr {
                        th scope="col" { "Row" }
                        th scope="col" { "Line" }
                        th scope="col" { "City" }
                        th scope="col" { "Country" }
                        th scope="col" { "Latitude" }
                        th scope="col" { "Longitude" }
                    } }
                    tbody { @for (i, city) in admission.cities.iter().enumerate() {
                        tr {
                            td { (i + 1) }
                            td { @if let Some(line) = lines.get(i) { (line) } }
                            td { (city.name) }
                            td { (city.country) }
                            td { (city.latitude) }
                            td { (city.longitude) }
                        }
                    } }
                }
            }
            h2 { "Or change the admission" }
        }
    }
}

/// A published figure the admission gives differently, and what admitting does with it.
fn figure_change(change: &FigureChange) -> Markup {
    let (figure, given) = (change.figure.name(), &change.admitted);
    let published = change.published.as_deref().unwrap_or("none");
    html! {
        code { (figure) } ": "
        @match change.outcome {
            FigureOutcome::Kept => {
                "the published " (published) " is kept (this admission says " (given)
                "; tick “Replace the intake's published figures” to replace it)"
            }
            FigureOutcome::Replaced => { "the published " (published) " is replaced with " (given) }
            FigureOutcome::Added => { (given) " is added (none was published)" }
        }
    }
}
