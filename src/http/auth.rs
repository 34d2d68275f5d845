//! Who a `/graphql` request acts for, from its `Authorization` header. A request with a bad
//! token is refused whole (401), never served as anonymous: nothing it asked for happens.

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use sea_orm::DatabaseConnection;

use super::error::HttpError;
use crate::access::{self, AccessError, Principal};

pub async fn principal(
    db: &DatabaseConnection,
    request: &HttpRequest,
) -> Result<Principal, HttpError> {
    let header = match request.headers().get(AUTHORIZATION).map(|v| v.to_str()) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => return Err(HttpError::Unauthenticated(AccessError::MalformedHeader)),
    };
    access::authenticate(db, header)
        .await
        .map_err(|error| match error {
            AccessError::Database(error) => {
                tracing::error!(%error, "cannot check a bearer token");
                HttpError::Internal
            }
            error => HttpError::Unauthenticated(error),
        })
}
