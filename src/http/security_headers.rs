//! Security headers. Every answer says its media type is to be believed (`nosniff`: a JSON
//! answer is never run as a script nor shown as HTML). Pages for people and the files they load
//! (GraphiQL, the console) also get a strict `Content-Security-Policy`, and refuse to be framed
//! or to leak their address to another site.

use actix_web::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::middleware::DefaultHeaders;

/// What a page may load and do: only gnlc's own files, and no inline script nor `eval`.
pub const PAGE_POLICY: &str = concat!(
    "default-src 'none'; ",
    "script-src 'self'; ",
    // Inline styles are needed: GraphiQL's dialogs (Radix's scroll lock) add <style> elements
    // of their own, and CodeMirror's set `style` attributes in markup. Styles cannot run code.
    "style-src 'self' 'unsafe-inline'; ",
    // GraphiQL's stylesheet holds its fonts and a few images as `data:` URLs.
    "img-src 'self' data:; ",
    "font-src 'self' data:; ",
    "connect-src 'self'; ",
    "frame-ancestors 'none'; ",
    "base-uri 'none'; ",
    "form-action 'self'",
);

/// Middleware for every answer: `X-Content-Type-Options: nosniff`.
pub fn everywhere() -> DefaultHeaders {
    DefaultHeaders::new().add((X_CONTENT_TYPE_OPTIONS, "nosniff"))
}

/// Middleware for pages and their files, inside [`everywhere`]: [`PAGE_POLICY`], no framing,
/// no referrer.
pub fn pages() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((CONTENT_SECURITY_POLICY, PAGE_POLICY))
        // For browsers older than `frame-ancestors`.
        .add((X_FRAME_OPTIONS, "DENY"))
        .add((REFERRER_POLICY, "no-referrer"))
}
