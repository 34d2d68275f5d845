//! The frame of every console page: the document, its landmarks (a skip link, the header
//! with the navigation and the sign-out form, the main content), its one stylesheet and
//! its one script, both files of the console's own under paths naming their content.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{DOCTYPE, Markup, html};

use super::session::Session;
use crate::http::web_assets::{WebAsset, WebAssets};

const ASSETS_PATH: &str = "/console/assets";

static ASSETS: LazyLock<WebAssets> = LazyLock::new(|| {
    WebAssets::new(vec![
        WebAsset::new("console.css", include_str!("console.css")),
        WebAsset::new("console.js", include_str!("console.js")),
    ])
});

fn asset_path(name: &str) -> String {
    ASSETS
        .get(name)
        .map(|asset| asset.path(ASSETS_PATH))
        .unwrap_or_default()
}

/// `GET /console/assets/{digest}/{name}`.
pub async fn asset(path: web::Path<(String, String)>, request: HttpRequest) -> HttpResponse {
    let (digest, name) = path.into_inner();
    match ASSETS.at(&digest, &name) {
        Some(asset) => asset.respond(&request),
        None => HttpResponse::NotFound().finish(),
    }
}

/// A whole page: `title` is its `<h1>`'s too, by convention of the pages.
pub fn page(title: &str, session: Option<&Session>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · gnlc console" }
                link rel="stylesheet" href=(asset_path("console.css"));
                script src=(asset_path("console.js")) defer {}
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header {
                    p.brand { a href="/console" { "gnlc console" } }
                    @if let Some(session) = session {
                        nav aria-label="Console" {
                            ul {
                                li { a href="/console/endpoints" { "Endpoints" } }
                                li { a href="/console/events" { "Event catalog" } }
                                @if session.principal.is_admin() {
                                    li { a href="/console/partners" { "Partner endpoints" } }
                                    li { a href="/console/cohorts" { "Cohorts" } }
                                    li { a href="/console/cohorts/admit" { "Admit a cohort" } }
                                    li { a href="/console/cities/withdraw" { "Withdraw a city" } }
                                }
                            }
                        }
                        form.sign-out method="post" action="/console/sign-out" {
                            (csrf_field(session))
                            span { "Signed in as " strong { (session.name()) } }
                            " "
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" tabindex="-1" { (content) }
            }
        }
    }
}

/// The hidden field that carries the session's CSRF token in a form.
pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf_token()); }
}

/// A `POST` form with one button, for the actions on an endpoint or a delivery.
pub fn action_button(session: &Session, action: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf_field(session))
            button type="submit" { (label) }
        }
    }
}

/// A page as the answer: never kept by a cache (pages show secrets and private data).
pub fn respond(status: StatusCode, page: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(page.into_string())
}

/// A page as a `200` answer.
pub fn ok(page: Markup) -> HttpResponse {
    respond(StatusCode::OK, page)
}

/// Unix milliseconds as people read them, in UTC.
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}
