//! Withdrawing a city, for coordinators: a form (the city's slug and the date it left),
//! a confirmation step showing the city, then the withdrawal, by the operation
//! `withdrawCity` uses (`admission::withdraw`). Bad input (an unknown city, one withdrawn
//! already, a date that is not one) gets the form back saying why, and changes nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use entity::{city, country};
use maud::{Markup, html};
use sea_orm::EntityTrait;

use super::{notice, see_other};
use crate::admission::{self, AdmissionError};
use crate::console::form::Fields;
use crate::console::layout::{self, csrf_field, page};
use crate::console::session::Session;
use crate::console::{Console, ConsoleError};
use crate::membership;

const TITLE: &str = "Withdraw a city";
const ADDRESS: &str = "/console/cities/withdraw";

/// The form's fields, as typed (the query of its `GET`, the fields of its `POST`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Withdrawing {
    #[serde(default)]
    city: Option<String>,
    #[serde(default)]
    on: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

impl Withdrawing {
    fn slug(&self) -> &str {
        self.city.as_deref().unwrap_or_default().trim()
    }

    fn on(&self) -> &str {
        self.on.as_deref().unwrap_or_default().trim()
    }

    /// The date typed, as the API's `Date` reads it.
    fn date(&self) -> Result<NaiveDate, ConsoleError> {
        NaiveDate::parse_from_str(self.on(), "%Y-%m-%d").map_err(|_| {
            ConsoleError::Invalid(format!(
                "`{}` is not a date as YYYY-MM-DD (e.g. 2026-01-31)",
                self.on()
            ))
        })
    }
}

/// `GET /console/cities/withdraw`: the form; with a city and a date, the confirmation.
pub async fn form(
    console: web::Data<Console>,
    request: HttpRequest,
    query: web::Query<Withdrawing>,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.coordinator(&request).await?;
    if query.city.is_none() && query.on.is_none() {
        let notice = notice(query.done.as_deref());
        return Ok(layout::ok(form_page(&session, &query, notice, None)));
    }
    match confirmation(&console, &session, &query).await {
        Ok(page) => Ok(layout::ok(page)),
        Err(error) => again(&session, &query, error),
    }
}

/// `POST /console/cities/withdraw`: withdraws the city.
pub async fn withdraw(
    console: web::Data<Console>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let fields = Fields::parse(&body);
    let session = console.coordinator_acting(&request, &fields).await?;
    let typed = Withdrawing {
        city: fields.get("city").map(str::to_owned),
        on: fields.get("on").map(str::to_owned),
        done: None,
    };
    let withdrawn = match typed.date() {
        Ok(on) => admission::withdraw(&console.db, typed.slug(), on, &console.after_commit)
            .await
            .map_err(ConsoleError::from),
        Err(error) => Err(error),
    };
    match withdrawn {
        Ok(withdrawal) if withdrawal.changed => Ok(see_other(&format!("{ADDRESS}?done=withdrawn"))),
        Ok(withdrawal) => {
            let problem = unchanged(&withdrawal.city);
            again(&session, &typed, ConsoleError::Invalid(problem))
        }
        Err(error) => again(&session, &typed, error),
    }
}

/// What a city withdrawn on the date given already says.
fn unchanged(city: &city::Model) -> String {
    let on = city.withdrawn_on.map(|d| d.to_string()).unwrap_or_default();
    format!(
        "{} already left the network on {on}: nothing changed",
        city.name
    )
}

/// The form again with what was typed, saying why not, when the input was at fault.
fn again(
    session: &Session,
    typed: &Withdrawing,
    error: ConsoleError,
) -> Result<HttpResponse, ConsoleError> {
    match error.input_problem() {
        Some(problem) => Ok(layout::respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(session, typed, None, Some(&problem)),
        )),
        None => Err(error),
    }
}

fn form_page(
    session: &Session,
    typed: &Withdrawing,
    notice: Option<&str>,
    problem: Option<&str>,
) -> Markup {
    page(
        TITLE,
        Some(session),
        html! {
            h1 { (TITLE) }
            @if let Some(notice) = notice { p.notice role="status" { (notice) } }
            @if let Some(problem) = problem {
                p.problem role="alert" id="withdraw-problem" { (problem) }
            }
            p { "A city that leaves the network stays in the data as a former member; partners subscribed to "
                code { "city.withdrawn" } " are notified. You confirm on the next page." }
            form method="get" action=(ADDRESS) {
                label for="city" { "City slug" }
                input id="city" name="city" type="text" required value=(typed.slug())
                    autocapitalize="none" spellcheck="false"
                    aria-describedby=(describedby("city-hint", problem));
                p.hint id="city-hint" { "As in the API, e.g. " code { "cahul" } "." }
                label for="on" { "Left the network on" }
                input id="on" name="on" type="date" required value=(typed.on())
                    aria-describedby=(describedby("on-hint", problem));
                p.hint id="on-hint" { "YYYY-MM-DD." }
                p { button type="submit" { "Continue" } }
            }
        },
    )
}

fn describedby(hint: &str, problem: Option<&str>) -> String {
    match problem {
        Some(_) => format!("{hint} withdraw-problem"),
        None => hint.to_owned(),
    }
}

/// The confirmation step: the city found and still a member, the date read.
async fn confirmation(
    console: &Console,
    session: &Session,
    typed: &Withdrawing,
) -> Result<Markup, ConsoleError> {
    let slug = typed.slug();
    let city = membership::city_by_slug(&console.db, slug)
        .await?
        .ok_or_else(|| AdmissionError::UnknownCity(slug.to_owned()))?;
    let on = typed.date()?;
    match city.withdrawn_on {
        Some(date) if date == on => return Err(ConsoleError::Invalid(unchanged(&city))),
        Some(date) => return Err(AdmissionError::AlreadyWithdrawn(city.name, date).into()),
        None => {}
    }
    let country = country::Entity::find_by_id(city.country_id)
        .one(&console.db)
        .await?;
    let title = format!("Withdraw {}?", city.name);
    Ok(page(
        &title,
        Some(session),
        html! {
            h1 { (title) }
            p {
                strong { (city.name) }
                @if let Some(country) = &country { " (" (country.name) ")" }
                ", " code { (city.slug) } ", leaves the network on " strong { (on) }
                ". Partners subscribed to " code { "city.withdrawn" } " are sent the event; "
                "the date cannot be changed afterwards."
            }
            form.inline method="post" action=(ADDRESS) {
                (csrf_field(session))
                input type="hidden" name="city" value=(city.slug);
                input type="hidden" name="on" value=(on);
                button type="submit" { "Withdraw " (city.name) }
            }
            p { a href=(ADDRESS) { "No, go back" } }
        },
    ))
}
