//! The checks a parsed document passes before async-graphql validates it: its shape (depth,
//! fields, fragment cycles), no NUL in its strings, and its operation's cost.

use super::GraphQLService;
use crate::graphql::cost::{self, Refusal};
use crate::graphql::error::{code, coded};
use crate::graphql::{self, nul};

impl GraphQLService {
    /// Checks a parsed document's shape and its operation's cost before async-graphql
    /// validates it: the cost, or the answer refusing it. A document that does not parse,
    /// or names no operation, is left to the schema, which reports it.
    pub(crate) async fn check(
        &self,
        request: &mut async_graphql::Request,
    ) -> Result<Option<u64>, async_graphql::Response> {
        let sizes = self.list_sizes.current().await;
        let operation_name = request.operation_name.clone();
        let variables = request.variables.clone();
        let Ok(document) = request.parsed_query() else {
            return Ok(None);
        };
        let refuse = |refusal: Refusal| {
            let code = match refusal {
                Refusal::FragmentCycle(_) => code::GRAPHQL_VALIDATION_FAILED,
                Refusal::TooDeep => code::QUERY_TOO_DEEP,
                Refusal::TooManyFields { .. }
                | Refusal::DocumentTooLarge { .. }
                | Refusal::TooCostly { .. } => code::QUERY_TOO_COMPLEX,
            };
            let mut error = coded(refusal.to_string(), code);
            if let Refusal::TooCostly { cost, limit } = refusal {
                let extensions = error.extensions.get_or_insert_with(Default::default);
                extensions.set("cost", cost);
                extensions.set("limit", limit);
            }
            async_graphql::Response::from_errors(vec![error])
        };
        cost::check_shape(document, self.limits.complexity as u64).map_err(refuse)?;
        if let Some(nul) = nul::find(document, &variables) {
            let mut error = coded(nul.to_string(), code::BAD_USER_INPUT);
            error.locations.extend(nul.pos);
            return Err(async_graphql::Response::from_errors(vec![error]));
        }
        let Ok((_, operation)) = graphql::operation(document, operation_name.as_deref()) else {
            return Ok(None);
        };
        let cost = self.cost_model.cost(
            document,
            &operation.node.selection_set.node,
            operation.node.ty,
            &variables,
            &sizes,
        );
        if cost > self.limits.cost {
            return Err(refuse(Refusal::TooCostly {
                cost,
                limit: self.limits.cost,
            }));
        }
        Ok(Some(cost))
    }
}
