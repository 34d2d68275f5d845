//! How errors reach clients: every error carries a stable `extensions.code`, and internal
//! details go to the log, never to the client.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    ErrorExtensions, Response, ServerError, ServerResult, ValidationResult, Variables,
};
use sea_orm::DbErr;

use crate::access::AccessError;
use crate::admission::AdmissionError;
use crate::membership::MembershipError;
use crate::webhooks::endpoints::EndpointError;

/// The stable codes clients can match on.
pub mod code {
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const CONFLICT: &str = "CONFLICT";
    pub const INTERNAL: &str = "INTERNAL";
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
}

pub fn with_code(message: impl Into<String>, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// An error whose cause must stay on the server: logged here, opaque to the client.
pub fn internal(error: &dyn std::error::Error) -> async_graphql::Error {
    tracing::error!(error = %error, debug = ?error, "internal error while resolving a request");
    with_code("internal server error", code::INTERNAL)
}

impl ErrorExtensions for MembershipError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            MembershipError::Database(e) => internal(e),
            // An unknown region, country or cohort named in an argument is bad input; an
            // unknown single object asked for by its ID is `null`, not an error.
            MembershipError::UnknownRegion(_)
            | MembershipError::UnknownCountry(_)
            | MembershipError::UnknownCohort(_)
            | MembershipError::MalformedCountryCode(_)
            | MembershipError::InvalidArgument(_)
            | MembershipError::Page(_) => with_code(self.to_string(), code::BAD_USER_INPUT),
        }
    }
}

impl ErrorExtensions for AdmissionError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            AdmissionError::Database(e) => internal(e),
            AdmissionError::Invalid(problems) => {
                let problems = async_graphql::Value::from_json(
                    serde_json::to_value(problems).unwrap_or_default(),
                )
                .unwrap_or_default();
                with_code(self.to_string(), code::BAD_USER_INPUT)
                    .extend_with(|_, e| e.set("problems", problems))
            }
            AdmissionError::Conflict(_) | AdmissionError::AlreadyWithdrawn(..) => {
                with_code(self.to_string(), code::CONFLICT)
            }
            AdmissionError::UnknownCity(_) => with_code(self.to_string(), code::NOT_FOUND),
        }
    }
}

impl ErrorExtensions for EndpointError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            EndpointError::Database(e) => internal(e),
            EndpointError::Unauthenticated => with_code(self.to_string(), code::UNAUTHENTICATED),
            EndpointError::Forbidden => with_code(self.to_string(), code::FORBIDDEN),
            EndpointError::NotFound(..) => with_code(self.to_string(), code::NOT_FOUND),
            EndpointError::Invalid(_) | EndpointError::Guard(_) | EndpointError::Page(_) => {
                with_code(self.to_string(), code::BAD_USER_INPUT)
            }
        }
    }
}

impl ErrorExtensions for AccessError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            AccessError::Database(e) => internal(e),
            AccessError::InvalidToken | AccessError::MalformedHeader => {
                with_code(self.to_string(), code::UNAUTHENTICATED)
            }
            AccessError::InvalidName | AccessError::UnknownToken(_) => {
                with_code(self.to_string(), code::BAD_USER_INPUT)
            }
        }
    }
}

/// The error type of the DataLoaders: cheap to clone, as they share it between waiters.
#[derive(Debug, Clone)]
pub struct LoadError(pub Arc<DbErr>);

impl From<DbErr> for LoadError {
    fn from(e: DbErr) -> Self {
        Self(Arc::new(e))
    }
}

impl ErrorExtensions for LoadError {
    fn extend(&self) -> async_graphql::Error {
        internal(self.0.as_ref())
    }
}

/// Gives the errors async-graphql raises itself the codes GraphQL clients know from Apollo
/// Server: syntax, validation and limits before execution; during execution, the only
/// errors without a code are argument values it could not coerce (every error of ours
/// carries its code), so those are `BAD_USER_INPUT`.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

fn tag(mut error: ServerError, code: &'static str) -> ServerError {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
    error
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|e| tag(e, code::GRAPHQL_PARSE_FAILED))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| tag(e, code::GRAPHQL_VALIDATION_FAILED))
                .collect()
        })
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|e| tag(e, code::BAD_USER_INPUT))
            .collect();
        response
    }
}
