//! CORS for partner pages in browsers: the allowed origins are a setting, none by default,
//! `*` for any.

use actix_cors::Cors;
use actix_web::http::{Method, header};

use super::request_id;

pub fn middleware(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::POST])
        .allowed_headers([
            header::ACCEPT,
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static(request_id::HEADER),
            // A GraphQL over SSE client resuming its stream.
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::HeaderName::from_static(request_id::HEADER),
        ])
        .max_age(3600)
        // Browsers enforce CORS: a request from another origin is answered without the
        // CORS headers, not refused (and same-origin requests, such as GraphiQL's, which
        // browsers also send with an `Origin`, are always served).
        .block_on_origin_mismatch(false);
    if origins.iter().any(|origin| origin == "*") {
        return cors.allow_any_origin().send_wildcard();
    }
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// An allowed origin that is not `*` nor `scheme://host[:port]`.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an origin: write `https://host[:port]` or `*`")]
pub struct InvalidOrigin(pub String);

/// Checks the setting before the server starts (the middleware would refuse it later).
pub fn check_origins(origins: &[String]) -> Result<(), InvalidOrigin> {
    for origin in origins {
        if origin == "*" {
            continue;
        }
        let uri: Option<actix_web::http::Uri> = origin.parse().ok();
        let valid = uri.is_some_and(|uri| {
            matches!(uri.scheme_str(), Some("http" | "https"))
                && uri.authority().is_some()
                && !origin.ends_with('/')
                && uri
                    .path_and_query()
                    .is_none_or(|p| p.as_str().is_empty() || p.as_str() == "/")
        });
        if !valid {
            return Err(InvalidOrigin(origin.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert!(check_origins(&["*".into(), "https://partner.example:8443".into()]).is_ok());
        assert!(check_origins(&["partner.example".into()]).is_err());
        assert!(check_origins(&["https://partner.example/page".into()]).is_err());
        assert!(check_origins(&["https://partner.example/".into()]).is_err());
    }
}
