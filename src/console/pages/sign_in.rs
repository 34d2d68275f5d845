//! Signing in with an API token (typed into a form: never in an address, never logged),
//! and signing out.

use actix_web::http::StatusCode;
use actix_web::http::header::{HOST, ORIGIN, SET_COOKIE};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use super::see_other;
use crate::console::form::Fields;
use crate::console::layout::{self, page};
use crate::console::session::{self, SignInError};
use crate::console::{Console, ConsoleError};

/// The Fetch Metadata header that says where a request comes from.
const SEC_FETCH_SITE: &str = "sec-fetch-site";

/// `GET /console`: the endpoints when signed in, else the sign-in page.
pub async fn home(
    console: web::Data<Console>,
    request: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    match session::current(&console.db, &request).await? {
        Some(_) => Ok(see_other("/console/endpoints")),
        None => Ok(see_other("/console/sign-in")),
    }
}

/// `GET /console/sign-in`.
pub async fn form(
    console: web::Data<Console>,
    request: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    if session::current(&console.db, &request).await?.is_some() {
        return Ok(see_other("/console/endpoints"));
    }
    Ok(layout::ok(sign_in_page(None)))
}

fn sign_in_page(problem: Option<&str>) -> Markup {
    page(
        "Sign in",
        None,
        html! {
            h1 { "Sign in" }
            p { "Sign in with your gnlc API token (" code { "gnlc_…" } "), as given by the network's coordinators." }
            @if let Some(problem) = problem {
                p.problem role="alert" id="token-problem" { (problem) }
            }
            form method="post" action="/console/sign-in" {
                label for="token" { "API token" }
                input id="token" name="token" type="password" autocomplete="off" required
                    aria-describedby=[problem.map(|_| "token-problem")];
                p { button type="submit" { "Sign in" } }
            }
        },
    )
}

/// `POST /console/sign-in`: a valid token opens a session (a cookie, then the endpoints);
/// a bad one gets the form again with a 401 and writes nothing.
pub async fn sign_in(
    console: web::Data<Console>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    // No session yet, so no CSRF token: a form posted from another site is refused by its
    // `Origin` (browsers send it with every cross-site POST).
    if !same_origin(&request) {
        return Err(ConsoleError::Csrf);
    }
    let fields = Fields::parse(&body);
    let token = fields.get("token").unwrap_or_default();
    let ttl = console.settings.session_ttl;
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
    match session::sign_in(&console.db, token, ttl_ms).await {
        Ok((id, _)) => Ok(HttpResponse::SeeOther()
            .insert_header((
                SET_COOKIE,
                session::set_cookie(&id, ttl.as_secs(), console.secure_cookie(&request)),
            ))
            .insert_header((actix_web::http::header::LOCATION, "/console/endpoints"))
            .finish()),
        Err(SignInError::InvalidToken) => Ok(layout::respond(
            StatusCode::UNAUTHORIZED,
            sign_in_page(Some(&SignInError::InvalidToken.to_string())),
        )),
        Err(SignInError::Database(error)) => Err(error.into()),
    }
}

/// Whether a sign-in was posted from gnlc's own page. Browsers say where a request comes
/// from by `Sec-Fetch-Site`, which must then be `same-origin`; and by `Origin`, which must
/// then name this server (as the `Host` it was sent to names it). Under the pages'
/// `Referrer-Policy: no-referrer` a browser's form `POST` carries `Origin: null`: that
/// passes only with `Sec-Fetch-Site: same-origin`. A request with neither header is no
/// browser's cross-site form, and passes.
fn same_origin(request: &HttpRequest) -> bool {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap_or_default())
    };
    let fetched_from_here = match header(SEC_FETCH_SITE) {
        Some(site) if !site.eq_ignore_ascii_case("same-origin") => return false,
        Some(_) => true,
        None => false,
    };
    let Some(origin) = header(ORIGIN.as_str()) else {
        return true;
    };
    if origin == "null" {
        return fetched_from_here;
    }
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((origin_host, header(HOST.as_str())), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
}

/// `POST /console/sign-out`: ends the session and forgets its cookie.
pub async fn sign_out(
    console: web::Data<Console>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let session = console.acting(&request, &Fields::parse(&body)).await?;
    session::sign_out(&console.db, &session).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            SET_COOKIE,
            session::clear_cookie(console.secure_cookie(&request)),
        ))
        .insert_header((actix_web::http::header::LOCATION, "/console/sign-in"))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_sign_in_from_another_site_is_told_by_its_origin_or_its_fetch_site() {
        let request = |origin: Option<&str>, site: Option<&str>| {
            let mut request = TestRequest::default().insert_header((HOST, "gnlc.example:8000"));
            if let Some(origin) = origin {
                request = request.insert_header((ORIGIN, origin));
            }
            if let Some(site) = site {
                request = request.insert_header((SEC_FETCH_SITE, site));
            }
            request.to_http_request()
        };
        assert!(same_origin(&request(None, None)));
        assert!(same_origin(&request(
            Some("http://gnlc.example:8000"),
            None
        )));
        assert!(same_origin(&request(
            Some("https://gnlc.example:8000"),
            None
        )));
        assert!(!same_origin(&request(Some("https://evil.example"), None)));
        assert!(!same_origin(&request(Some("null"), None)));
        // A browser's form under `Referrer-Policy: no-referrer`.
        assert!(same_origin(&request(Some("null"), Some("same-origin"))));
        for site in ["cross-site", "same-site", "none"] {
            assert!(!same_origin(&request(Some("null"), Some(site))), "{site}");
            assert!(!same_origin(&request(None, Some(site))), "{site}");
        }
        assert!(!same_origin(&request(
            Some("https://evil.example"),
            Some("same-origin")
        )));
    }
}
