//! The GraphQL schema: one module per type, DataLoaders against N+1, and error codes.

pub mod access;
pub mod budget;
mod city;
mod cohort;
mod connection;
pub mod cost;
mod country;
mod direct;
pub mod error;
mod field_order;
pub mod list_sizes;
pub mod loaders;
mod mutation;
mod network;
pub mod nul;
mod prefetch;
mod query;
mod region;
mod scalars;
mod subscription;
pub mod tokens;
mod webhook;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};
use async_graphql::{Context, ErrorExtensions, Positioned, Response, Schema};
use sea_orm::DatabaseConnection;

use std::sync::Arc;

use crate::after_commit::AfterCommit;
use crate::data_version::DataVersions;
use crate::pagination::{Cursors, List, PageRequest, Window};
use crate::webhooks::settings::WebhookSettings;
use crate::webhooks::worker::Wakeup;

pub use mutation::Mutation;
pub use query::Query;
pub use subscription::{EventIds, Subscription, TOO_SLOW, execute_stream};

pub type GnlcSchema = Schema<Query, Mutation, Subscription>;

/// The most a query may ask for: past the depth, the complexity or the cost, it is refused
/// before it runs (`QUERY_TOO_DEEP`, `QUERY_TOO_COMPLEX`); past the response values, it
/// is stopped while it runs (`RESPONSE_TOO_LARGE`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
    /// The most tokens a document may hold (checked before it is parsed).
    pub tokens: usize,
    /// The most values a query's answer could hold, by the cost model.
    pub cost: u64,
    /// The most values one answer may hold, counted while it is built.
    pub response_values: u64,
}

/// Builds the schema. The database, the data version the response cache knows, the
/// cursors' key, the notifier's settings and its wake-up call are shared; the principal
/// and the loaders are added per request (see [`request_data`]).
pub fn build_schema(
    db: DatabaseConnection,
    search_db: SearchDatabase,
    versions: Arc<DataVersions>,
    cursors: Cursors,
    limits: Limits,
    webhooks: WebhookSettings,
    wakeup: Wakeup,
) -> GnlcSchema {
    Schema::build(Query, Mutation, Subscription)
        .data(db)
        .data(search_db)
        .data(AfterCommit::new(wakeup, versions.clone()))
        .data(versions)
        .data(cursors)
        .data(webhooks)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .finish()
}

/// Executes a request (with its per-request data, see [`request_data`]): gives
/// async-graphql's own errors their codes and puts the fields in query order. Once the
/// answer exceeds its budget, execution stops and the answer is `RESPONSE_TOO_LARGE`
/// alone.
pub async fn execute(
    schema: &GnlcSchema,
    mut request: async_graphql::Request,
    budget: &budget::ResponseBudget,
) -> Response {
    let operation_name = request.operation_name.clone();
    // Kept for the ordering; the schema takes the parsed document from the request.
    let document = request.parsed_query().ok().cloned();
    let mut response = tokio::select! {
        biased;
        () = budget.exceeded() => None,
        response = schema.execute(request) => Some(response),
    };
    // Exceeded on the way to an answer that then completed: what it holds is partial.
    if budget.is_exceeded() {
        response = None;
    }
    let Some(mut response) = response else {
        return Response::from_errors(vec![error::coded(
            budget.message(),
            error::code::RESPONSE_TOO_LARGE,
        )]);
    };
    error::assign_codes(&mut response, document.is_some());
    if let Some(document) = &document {
        field_order::reorder(&mut response.data, document, operation_name.as_deref());
    }
    response
}

/// The operation a request runs: the one `name` names, or the document's only one (with its
/// name, if it has one); or why there is none.
pub fn operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Result<(Option<&'a str>, &'a Positioned<OperationDefinition>), String> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Ok((None, operation)),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(candidate, _)| candidate.as_str() == name)
            .map(|(name, operation)| (Some(name.as_str()), operation))
            .ok_or_else(|| format!("the document has no operation named `{name}`")),
        (DocumentOperations::Multiple(operations), None) => match operations.iter().next() {
            Some((name, operation)) if operations.len() == 1 => {
                Ok((Some(name.as_str()), operation))
            }
            _ => Err("the document holds several operations: name one in `operationName`".into()),
        },
    }
}

/// The schema's SDL, as `gnlc schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(Query, Mutation, Subscription).finish().sdl()
}

/// Adds what each request needs of its own to a request: who it acts for, and its
/// DataLoaders.
pub fn request_data(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    caller: access::Caller,
    budget: Arc<budget::ResponseBudget>,
) -> async_graphql::Request {
    request
        .data(caller)
        .data(Arc::new(loaders::per_request(db.clone())))
        .data(budget)
}

fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    context_data(ctx)
}

/// The pool city search runs on: its statements are planned for their values (see
/// [`crate::database::connect_custom_plans`]).
pub struct SearchDatabase(pub DatabaseConnection);

/// The pool the statements of a city list run on (its page and its count): city search's
/// when the list is searched.
fn city_db<'a>(
    ctx: &Context<'a>,
    searching: bool,
) -> async_graphql::Result<&'a DatabaseConnection> {
    if searching {
        context_data::<SearchDatabase>(ctx).map(|search| &search.0)
    } else {
        db(ctx)
    }
}

/// Signs and checks the cursors of the request's connections.
fn cursors<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Cursors> {
    context_data(ctx)
}

/// The page a connection field asks for, its cursors checked against `list`.
fn window(ctx: &Context<'_>, list: List, page: PageRequest) -> async_graphql::Result<Window> {
    page.window(cursors(ctx)?, list).gql()
}

fn loader<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a loaders::Loaders> {
    context_data::<Arc<loaders::Loaders>>(ctx).map(|loaders| &**loaders)
}

/// Data the schema or the request must carry; missing, it is a bug on our side.
fn context_data<'a, T: std::any::Any + Send + Sync>(
    ctx: &Context<'a>,
) -> async_graphql::Result<&'a T> {
    ctx.data_opt::<T>().ok_or_else(|| {
        let error = std::io::Error::other(format!(
            "{} missing from the context",
            std::any::type_name::<T>()
        ));
        error::internal(&error)
    })
}

/// A row the database must hold (a foreign key points at it); its absence is a bug.
fn expect_row<T>(row: Option<T>, what: &str) -> async_graphql::Result<T> {
    row.ok_or_else(|| {
        let error = std::io::Error::other(format!("dangling reference to a {what}"));
        error::internal(&error)
    })
}

/// A count as GraphQL's `Int`, which is 32-bit: counts beyond it saturate.
fn int(count: impl TryInto<i32>) -> i32 {
    count.try_into().unwrap_or(i32::MAX)
}

trait ResultExt<T> {
    /// Turns a domain or loader error into a GraphQL error with its code.
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: ErrorExtensions> ResultExt<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.extend())
    }
}

#[cfg(test)]
mod tests {
    use super::int;

    #[test]
    fn counts_become_ints_saturating_at_the_largest() {
        assert_eq!(int(7usize), 7);
        assert_eq!(int(i32::MAX as u64), i32::MAX);
        assert_eq!(int(i32::MAX as u64 + 1), i32::MAX);
        assert_eq!(int(u64::MAX), i32::MAX);
    }
}
