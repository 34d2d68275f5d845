//! Console sessions: signing in with an API token opens one, kept server-side (only a
//! SHA-256 of its id is stored) and named by a random id in an `HttpOnly`, `SameSite=Strict`
//! cookie limited to `/console`. A session acts for its token while the token is not
//! revoked and the session has not expired; signing out deletes it.

use actix_web::HttpRequest;
use actix_web::http::header::COOKIE;
use entity::console_session;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::csrf;
use crate::access::{self, AccessError, Principal};
use crate::clock::now_ms;
use crate::digest::sha256_hex;
use crate::ids::random_id;

pub const COOKIE_NAME: &str = "gnlc_console";
const COOKIE_PATH: &str = "/console";

/// A signed-in browser: who it acts for, and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    id: String,
}

impl Session {
    pub fn csrf_token(&self) -> String {
        csrf::token(&self.id)
    }

    pub fn accepts_csrf(&self, given: &str) -> bool {
        csrf::is_valid(&self.id, given)
    }

    /// The account's name, as the page header shows it.
    pub fn name(&self) -> &str {
        match &self.principal {
            Principal::Token { name, .. } => name,
            Principal::Anonymous => "",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("this token is not valid: it is unknown, revoked or mistyped")]
    InvalidToken,
    #[error("database error")]
    Database(#[from] DbErr),
}

/// Opens a session for a valid, unrevoked token; returns its id (for the cookie, never
/// stored) and who it acts for. A bad token writes nothing.
pub async fn sign_in(
    db: &DatabaseConnection,
    token: &str,
    ttl_ms: i64,
) -> Result<(String, Principal), SignInError> {
    let principal = match access::authenticate_token(db, token.trim()).await {
        Ok(principal) => principal,
        Err(AccessError::Database(error)) => return Err(error.into()),
        Err(_) => return Err(SignInError::InvalidToken),
    };
    let Principal::Token { id: token_id, .. } = principal else {
        return Err(SignInError::InvalidToken);
    };
    let now = now_ms();
    // Expired sessions go as new ones come: the table holds live ones only, near enough.
    console_session::Entity::delete_many()
        .filter(console_session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let id = random_id("", 32);
    console_session::Entity::insert(console_session::ActiveModel {
        session_hash: Set(sha256_hex(id.as_bytes())),
        token_id: Set(token_id),
        created_at: Set(now),
        expires_at: Set(now + ttl_ms),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok((id, principal))
}

/// The live session the request's cookie names, if any.
pub async fn current(
    db: &DatabaseConnection,
    request: &HttpRequest,
) -> Result<Option<Session>, DbErr> {
    let Some(id) = cookie(request) else {
        return Ok(None);
    };
    let found = console_session::Entity::find()
        .filter(console_session::Column::SessionHash.eq(sha256_hex(id.as_bytes())))
        .filter(console_session::Column::ExpiresAt.gt(now_ms()))
        .one(db)
        .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    match access::authenticate_token_id(db, found.token_id).await {
        Ok(principal) => Ok(Some(Session { principal, id })),
        Err(AccessError::Database(error)) => Err(error),
        // Revoked since: the session is over.
        Err(_) => Ok(None),
    }
}

/// Ends the session (deletes it); the same call again changes nothing.
pub async fn sign_out(db: &DatabaseConnection, session: &Session) -> Result<(), DbErr> {
    console_session::Entity::delete_many()
        .filter(console_session::Column::SessionHash.eq(sha256_hex(session.id.as_bytes())))
        .exec(db)
        .await?;
    Ok(())
}

/// The session id the request's `Cookie` headers carry.
fn cookie(request: &HttpRequest) -> Option<String> {
    request
        .headers()
        .get_all(COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE_NAME && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value that hands a browser its session id for `ttl_secs`.
pub fn set_cookie(id: &str, ttl_secs: u64, secure: bool) -> String {
    cookie_value(id, ttl_secs, secure)
}

/// The `Set-Cookie` value that makes a browser forget its session.
pub fn clear_cookie(secure: bool) -> String {
    cookie_value("", 0, secure)
}

fn cookie_value(id: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE_NAME}={id}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_strict_and_limited_to_the_console() {
        assert_eq!(
            set_cookie("abc", 60, false),
            "gnlc_console=abc; Path=/console; Max-Age=60; HttpOnly; SameSite=Strict"
        );
        assert!(set_cookie("abc", 60, true).ends_with("; Secure"));
        assert!(clear_cookie(false).starts_with("gnlc_console=; Path=/console; Max-Age=0;"));
    }

    #[test]
    fn the_session_id_is_read_among_other_cookies() {
        let request = actix_web::test::TestRequest::default()
            .insert_header((COOKIE, "a=1; gnlc_console=xyz; b=2"))
            .to_http_request();
        assert_eq!(cookie(&request).as_deref(), Some("xyz"));
        let request = actix_web::test::TestRequest::default()
            .insert_header((COOKIE, "gnlc_console="))
            .to_http_request();
        assert_eq!(cookie(&request), None);
    }
}
