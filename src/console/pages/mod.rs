//! The console's pages, one module per subject.

pub mod admission_form;
pub mod admit;
pub mod catalog;
pub mod cohorts;
pub mod deliveries;
pub mod endpoint;
pub mod endpoint_form;
pub mod endpoints;
pub mod partners;
pub mod secret;
pub mod sign_in;
pub mod withdraw;

use actix_web::HttpResponse;
use actix_web::http::header::LOCATION;

/// The answer to a form that did what it asked: the page to show next (POST-redirect-GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// What a page says once an action it redirected from is done, by the `done` word of its
/// address (a fixed word, never text from the request).
pub fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => "The endpoint was created.",
        "updated" => "The endpoint was saved.",
        "paused" => "The endpoint is paused: its deliveries are held until it resumes.",
        "resumed" => "The endpoint is active again: held deliveries go out now.",
        "test-sent" => "A webhook.test event is on its way: see its delivery below.",
        "deleted" => "The endpoint was deleted, with its deliveries.",
        "redelivered" => "The delivery will be attempted again now.",
        "redelivered-failed" => "The failed deliveries will be attempted again now.",
        "admitted" => "The cohort was admitted: its events are on their way to the partners.",
        "admitted-before" => {
            "This cohort was already admitted with this content: nothing was written again."
        }
        "withdrawn" => "The city was withdrawn: partners are sent a city.withdrawn event.",
        _ => return None,
    })
}

/// The `done` word of a page's address.
#[derive(Debug, serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}
