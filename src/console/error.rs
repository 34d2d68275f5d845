//! What goes wrong on a console page, as the page a person sees: signed out (back to the
//! sign-in page), a form without its CSRF token (403), something not theirs or not there
//! (404, whoever owns it), bad input (400, saying why), or a failure of ours (500, the
//! cause in the log only).

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, ResponseError};
use maud::html;
use sea_orm::DbErr;

use super::layout;
use crate::admission::AdmissionError;
use crate::membership::MembershipError;
use crate::webhooks::endpoints::EndpointError;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("sign in first")]
    SignedOut,
    #[error(
        "this form has expired or did not come from this console: go back, reload and try again"
    )]
    Csrf,
    #[error("this page is for coordinators")]
    Forbidden,
    #[error("there is no such page here")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("something went wrong on our side; it has been logged")]
    Internal,
}

impl ConsoleError {
    /// For a form: the message to show beside it, when the input was at fault.
    pub fn input_problem(&self) -> Option<String> {
        matches!(self, ConsoleError::Invalid(_)).then(|| self.to_string())
    }
}

impl From<DbErr> for ConsoleError {
    fn from(error: DbErr) -> Self {
        tracing::error!(%error, "console: database error");
        ConsoleError::Internal
    }
}

impl From<EndpointError> for ConsoleError {
    fn from(error: EndpointError) -> Self {
        match error {
            EndpointError::Unauthenticated => ConsoleError::SignedOut,
            EndpointError::Forbidden => ConsoleError::Forbidden,
            EndpointError::NotFound(..) => ConsoleError::NotFound,
            EndpointError::Database(error) => error.into(),
            invalid => ConsoleError::Invalid(invalid.to_string()),
        }
    }
}

impl From<AdmissionError> for ConsoleError {
    fn from(error: AdmissionError) -> Self {
        match error {
            AdmissionError::Database(error) => error.into(),
            refused => ConsoleError::Invalid(refused.to_string()),
        }
    }
}

impl From<MembershipError> for ConsoleError {
    fn from(error: MembershipError) -> Self {
        match error {
            MembershipError::Database(error) => error.into(),
            MembershipError::UnknownCohort(_) => ConsoleError::NotFound,
            invalid => ConsoleError::Invalid(invalid.to_string()),
        }
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignedOut => StatusCode::SEE_OTHER,
            ConsoleError::Csrf | ConsoleError::Forbidden => StatusCode::FORBIDDEN,
            ConsoleError::NotFound => StatusCode::NOT_FOUND,
            ConsoleError::Invalid(_) => StatusCode::BAD_REQUEST,
            ConsoleError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ConsoleError::SignedOut = self {
            return HttpResponse::SeeOther()
                .insert_header((LOCATION, "/console/sign-in"))
                .finish();
        }
        let status = self.status_code();
        let title = status.canonical_reason().unwrap_or("Error");
        let body = html! {
            h1 { (title) }
            p role="alert" { (self.to_string()) }
            p { a href="/console/endpoints" { "Back to your endpoints" } }
        };
        layout::respond(status, layout::page(title, None, body))
    }
}
