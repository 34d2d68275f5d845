//! A GraphQL request made ready to run: its automatic persisted query resolved, its
//! variables and extensions read, and its document parsed to name the operation and to
//! refuse a mutation over GET.

use actix_web::HttpRequest;
use async_graphql::parser::types::{ExecutableDocument, OperationType};

use super::encode::answer;
use super::{GraphQLService, label};
use crate::graphql;
use crate::graphql::error::code;
use crate::http::error::HttpError;
use crate::http::persisted::{PersistedQueryError, Resolved};
use crate::http::wire::WireRequest;

/// A request ready to run, or already answered (an unknown persisted query, an operation
/// name that names nothing).
pub(crate) enum Prepared {
    /// The request, and its operation's kind once the document parsed.
    Run(async_graphql::Request, Option<OperationType>),
    Answer(async_graphql::Response),
}

/// A request whose automatic persisted query is resolved: the request with its query, and
/// the hash to remember the query under once it validates; or the answer, when the hash is
/// unknown.
pub(super) type Resolution = Result<(WireRequest, Option<String>), async_graphql::Response>;

impl GraphQLService {
    /// Names the operation, and resolves an automatic persisted query: the request with
    /// its query (and the hash to remember it under once it validates), or the answer when
    /// the hash is unknown.
    pub(super) fn resolve_persisted(
        &self,
        http: &HttpRequest,
        mut wire: WireRequest,
    ) -> Result<Resolution, HttpError> {
        if let Some(name) = &wire.operation_name {
            label(http, name);
        }
        match self
            .persisted
            .resolve(wire.query.take(), wire.extensions.as_ref())
        {
            Ok(Resolved {
                query: Some(query),
                remember_as,
            }) => {
                wire.query = Some(query);
                Ok(Ok((wire, remember_as)))
            }
            Ok(Resolved { query: None, .. }) => Err(HttpError::MissingQuery),
            Err(PersistedQueryError::NotFound) => Ok(Err(answer(
                &PersistedQueryError::NotFound.to_string(),
                code::PERSISTED_QUERY_NOT_FOUND,
            ))),
            Err(error) => Err(HttpError::PersistedQuery(error)),
        }
    }
}

/// Reads variables and extensions of a request whose query is resolved, and parses the
/// document to name the operation and to refuse a mutation over GET before validation:
/// the request (or its answer) and the operation's name, once known.
pub(crate) fn prepare(
    wire: WireRequest,
    is_get: bool,
) -> Result<(Prepared, Option<String>), HttpError> {
    let Some(query) = wire.query else {
        return Err(HttpError::MissingQuery);
    };
    let mut request = async_graphql::Request::new(query);
    if let Some(name) = wire.operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = wire.variables {
        request.variables =
            async_graphql::Variables::from_json(serde_json::Value::Object(variables));
    }
    if let Some(extensions) = wire.extensions {
        request.extensions = async_graphql::Extensions(
            extensions
                .into_iter()
                .filter_map(|(name, value)| {
                    async_graphql::Value::from_json(value)
                        .ok()
                        .map(|value| (name, value))
                })
                .collect(),
        );
    }
    let operation_name = request.operation_name.clone();
    let mut operation = operation_name.clone();
    let mut kind = None;
    // A document that does not parse is left to the schema, which reports it with its code.
    if let Ok(document) = request.parsed_query() {
        match select_operation(document, operation_name.as_deref()) {
            Ok((name, operation_kind)) => {
                if operation_name.is_none() {
                    operation = Some(name.unwrap_or("anonymous").to_owned());
                }
                if is_get && operation_kind != OperationType::Query {
                    return Err(HttpError::MutationOverGet);
                }
                kind = Some(operation_kind);
            }
            Err(message) => {
                let answer = answer(&message, code::OPERATION_RESOLUTION_FAILURE);
                return Ok((Prepared::Answer(answer), operation));
            }
        }
    }
    Ok((Prepared::Run(request, kind), operation))
}

/// The operation a request runs (see [`graphql::operation`]) and its kind.
fn select_operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Result<(Option<&'a str>, OperationType), String> {
    graphql::operation(document, name).map(|(name, operation)| (name, operation.node.ty))
}
