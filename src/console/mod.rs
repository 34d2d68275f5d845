//! The console: pages for people at `/console`, rendered on the server (maud templates,
//! escaped by default) and working without JavaScript: plain forms, each `POST` answered
//! with a redirect to a page (or the page of a secret shown once). Partners sign in with an
//! API token and manage their webhook endpoints, their deliveries, and read the event
//! catalog. Coordinators (admin tokens) also admit cohorts from a CSV file after a preview,
//! watch a cohort's delivery report, withdraw cities and see every partner endpoint's
//! health; partners are refused those pages (403). Every action goes through the same
//! operations as GraphQL and the CLI (`webhooks::endpoints`, `deliveries`, `events`,
//! `admission`, `cohort_file`): the console adds no rule of its own.

mod csrf;
mod error;
mod examples;
mod form;
mod layout;
mod pages;
mod session;
mod settings;

use actix_web::{HttpRequest, guard, web};
use sea_orm::DatabaseConnection;

pub use error::ConsoleError;
pub use session::COOKIE_NAME;
pub use settings::ConsoleSettings;

use crate::after_commit::AfterCommit;
use crate::webhooks::settings::WebhookSettings;
use form::Fields;
use session::Session;

/// What the console's pages work with.
pub struct Console {
    pub db: DatabaseConnection,
    pub settings: ConsoleSettings,
    pub webhooks: WebhookSettings,
    pub after_commit: AfterCommit,
}

impl Console {
    /// The session of the request; signed out (back to the sign-in page) without one.
    async fn session(&self, request: &HttpRequest) -> Result<Session, ConsoleError> {
        session::current(&self.db, request)
            .await?
            .ok_or(ConsoleError::SignedOut)
    }

    /// The session of a form's `POST`, which must carry the session's CSRF token: checked
    /// before anything else is read or done.
    async fn acting(
        &self,
        request: &HttpRequest,
        fields: &Fields,
    ) -> Result<Session, ConsoleError> {
        let session = self.session(request).await?;
        match fields.get("csrf") {
            Some(token) if session.accepts_csrf(token) => Ok(session),
            _ => Err(ConsoleError::Csrf),
        }
    }

    /// The session of a coordinator; a partner's is refused (403).
    async fn coordinator(&self, request: &HttpRequest) -> Result<Session, ConsoleError> {
        coordinating(self.session(request).await?)
    }

    /// The session of a coordinator's form `POST`: its CSRF token checked first, then that
    /// it is a coordinator's.
    async fn coordinator_acting(
        &self,
        request: &HttpRequest,
        fields: &Fields,
    ) -> Result<Session, ConsoleError> {
        coordinating(self.acting(request, fields).await?)
    }

    /// Whether the session cookie is to be marked `Secure`: over TLS, or when told so.
    fn secure_cookie(&self, request: &HttpRequest) -> bool {
        self.settings.secure_cookie || request.app_config().secure()
    }
}

fn coordinating(session: Session) -> Result<Session, ConsoleError> {
    if session.principal.is_admin() {
        Ok(session)
    } else {
        Err(ConsoleError::Forbidden)
    }
}

/// The most a form admitting a cohort may send (its CSV included).
const ADMISSION_FORM_BYTES: usize = 4 * 1024 * 1024;

/// The console's routes, below `/console` (where `startup` mounts them with the security
/// headers of a page).
pub fn routes(config: &mut web::ServiceConfig) {
    use pages::withdraw;
    use pages::{admit, catalog, cohorts, deliveries, endpoint, endpoints, partners, sign_in};
    let admission_form = || web::PayloadConfig::new(ADMISSION_FORM_BYTES);
    let read = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    config
        .route("", read().to(sign_in::home))
        .route("/sign-in", read().to(sign_in::form))
        .route("/sign-in", web::post().to(sign_in::sign_in))
        .route("/sign-out", web::post().to(sign_in::sign_out))
        .route("/assets/{digest}/{name}", read().to(layout::asset))
        .route("/events", read().to(catalog::show))
        .route("/endpoints", read().to(endpoints::list))
        .route("/endpoints", web::post().to(endpoints::create))
        .route("/endpoints/new", read().to(endpoints::new))
        .route("/endpoints/{id}", read().to(endpoint::show))
        .route("/endpoints/{id}", web::post().to(endpoint::update))
        .route(
            "/endpoints/{id}/delete",
            read().to(endpoint::confirm_delete),
        )
        .route("/endpoints/{id}/deliveries", read().to(deliveries::show))
        .route(
            "/endpoints/{id}/deliveries/{delivery}/redeliver",
            web::post().to(deliveries::redeliver),
        )
        .route("/endpoints/{id}/{action}", web::post().to(endpoint::act))
        .route("/partners", read().to(partners::list))
        .route("/cohorts", read().to(cohorts::list))
        .service(
            web::resource("/cohorts/admit")
                .app_data(admission_form())
                .route(read().to(admit::form))
                .route(web::post().to(admit::admit)),
        )
        .service(
            web::resource("/cohorts/preview")
                .app_data(admission_form())
                .route(web::post().to(admit::preview)),
        )
        .route("/cohorts/{year}", read().to(cohorts::report))
        .route("/cities/withdraw", read().to(withdraw::form))
        .route("/cities/withdraw", web::post().to(withdraw::withdraw));
}
