//! A GraphQL request's work, on the executor within the request's deadline: its document's
//! size, preparation and checks, room among the requests running, execution (a read that
//! lost its database connection once more), and its encoded answer.

use async_graphql::parser::types::OperationType;
use tokio::time::Instant;

use super::encode::{Encoded, answer, encode, encode_refusal};
use super::prepare::{Prepared, prepare};
use super::{Call, GraphQLService, label};
use crate::access::Principal;
use crate::database;
use crate::graphql::access::{Caller, Personal};
use crate::graphql::budget::ResponseBudget;
use crate::graphql::error::{self, code};
use crate::graphql::{self, tokens};
use crate::http::error::HttpError;
use crate::http::negotiation::MediaType;
use crate::http::wire::WireRequest;

impl Call<'_> {
    /// Runs a request's GraphQL work on the executor (parsing, checking its shape and
    /// cost, validating, executing, encoding), unless the deadline passes first: then the
    /// work is stopped and the answer is `TIMEOUT`. With `read_version`, a query reads the
    /// data version before it runs (see [`Ran::version`]).
    pub(super) async fn run(
        &self,
        wire: WireRequest,
        remember_as: Option<String>,
        read_version: bool,
    ) -> Ran {
        let (http, media, deadline) = (self.http, self.media, self.deadline);
        let (service, principal, is_get) =
            (self.service.clone(), self.principal.clone(), self.is_get);
        let running = self.service.executor.spawn(async move {
            service
                .work(wire, remember_as, principal, media, is_get, read_version)
                .await
        });
        // A batch's later requests may find the time already spent.
        let ran = if Instant::now() < deadline {
            tokio::time::timeout_at(deadline, running.finish())
                .await
                .ok()
        } else {
            None
        };
        let ran = match ran {
            Some(Ok(ran)) => Some(ran),
            Some(Err(error)) => {
                tracing::error!(%error, path = http.path(), "GraphQL work failed");
                let internal = answer("internal server error", code::INTERNAL);
                Some(Ran {
                    operation: None,
                    outcome: Ok(encode(&internal, media, None)),
                    version: None,
                })
            }
            None => None,
        };
        let ran = ran.unwrap_or_else(|| {
            tracing::warn!(
                path = http.path(),
                limit_ms = self.service.time_limit.as_millis(),
                "request timed out"
            );
            let timeout = answer(
                &format!(
                    "the request took longer than the limit of {} ms",
                    self.service.time_limit.as_millis()
                ),
                code::TIMEOUT,
            );
            Ran {
                operation: None,
                outcome: Ok(encode(&timeout, media, None)),
                version: None,
            }
        });
        if let Some(operation) = &ran.operation {
            label(http, operation);
        }
        ran
    }
}

impl GraphQLService {
    /// A request's GraphQL work, on the executor.
    async fn work(
        &self,
        wire: WireRequest,
        remember_as: Option<String>,
        principal: Principal,
        media: MediaType,
        is_get: bool,
        read_version: bool,
    ) -> Ran {
        let tokens = tokens::count(
            wire.query.as_deref().unwrap_or_default(),
            self.limits.tokens,
        );
        if tokens.is_err() {
            let refusal = answer(
                &format!(
                    "the document holds more than {} tokens, the most one may hold",
                    self.limits.tokens
                ),
                code::QUERY_TOO_COMPLEX,
            );
            return Ran {
                operation: None,
                outcome: Ok(encode(&refusal, media, None)),
                version: None,
            };
        }
        let query = remember_as.as_ref().and(wire.query.clone());
        let (prepared, operation) = match prepare(wire, is_get) {
            Ok(prepared) => prepared,
            Err(error) => {
                return Ran {
                    operation: None,
                    outcome: Err(error),
                    version: None,
                };
            }
        };
        let (mut request, kind) = match prepared {
            Prepared::Run(request, kind) => (request, kind),
            Prepared::Answer(response) => {
                return Ran {
                    operation,
                    outcome: Ok(encode(&response, media, None)),
                    version: None,
                };
            }
        };
        let cost = match self.check(&mut request).await {
            Ok(cost) => cost,
            Err(refusal) => {
                return Ran {
                    operation,
                    outcome: Ok(encode_refusal(&refusal, media)),
                    version: None,
                };
            }
        };
        // Read before the query runs, so that its answer is never newer than the version it
        // is kept at; only a query's answer may be kept.
        let version = if read_version && kind == Some(OperationType::Query) {
            self.versions.current().await
        } else {
            None
        };
        // Waits for room among the requests running; the deadline still holds meanwhile.
        let _room = self.executor.admit(cost.unwrap_or(1)).await;
        // A read that lost its database connection (one PostgreSQL dropped) runs once more,
        // on a fresh one: it wrote nothing. (SQLite's connections are files: never dropped.)
        let retried = kind == Some(OperationType::Query)
            && self.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        let again = retried.then(|| copy(&request));
        let (mut response, mut personal) = self.execute(request, principal.clone()).await;
        if let Some(again) = again
            && error::lost_its_connection(&response)
        {
            tracing::warn!("a read lost its database connection: running it again");
            database::renew_connections();
            (response, personal) = self.execute(again, principal).await;
        }
        if let (Some(hash), Some(query)) = (remember_as, query)
            && validated(&response)
        {
            self.persisted.remember(hash, &query);
        }
        let mut encoded = encode(&response, media, cost);
        // A mutation is never cached, nor an answer that depended on who asked.
        encoded.cacheable = kind == Some(OperationType::Query) && !personal.is_set();
        Ran {
            operation,
            outcome: Ok(encoded),
            version,
        }
    }

    /// Executes a request with its per-request data and a budget of its own: the answer,
    /// and whether it depended on who asked.
    async fn execute(
        &self,
        request: async_graphql::Request,
        principal: Principal,
    ) -> (async_graphql::Response, Personal) {
        let budget = ResponseBudget::new(self.limits.response_values);
        let caller = Caller::new(principal);
        let personal = caller.personal();
        let request = graphql::request_data(request, &self.db, caller, budget.clone());
        (
            graphql::execute(&self.schema, request, &budget).await,
            personal,
        )
    }
}

/// One request's GraphQL work, done on the executor: what the HTTP layer needs of it.
pub(super) struct Ran {
    /// The operation's name (for the log line and the metrics), once known.
    pub(super) operation: Option<String>,
    pub(super) outcome: Result<Encoded, HttpError>,
    /// The data version read before the query ran, when asked for and it is a query.
    pub(super) version: Option<i64>,
}

/// A request as it came, to run again (its document is parsed again then: that is rare).
fn copy(request: &async_graphql::Request) -> async_graphql::Request {
    let mut copy = async_graphql::Request::new(request.query.clone());
    copy.operation_name = request.operation_name.clone();
    copy.variables = request.variables.clone();
    copy.extensions = request.extensions.clone();
    copy.introspection_mode = request.introspection_mode;
    copy
}

/// Whether a response's document parsed and passed validation and the limits (what an
/// automatic persisted query must do before it is remembered).
fn validated(response: &async_graphql::Response) -> bool {
    !response.errors.iter().any(|error| {
        error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(|code| match code {
                async_graphql::Value::String(code) => code::REQUEST_ERRORS.contains(&code.as_str()),
                _ => false,
            })
    })
}
