//! The checks a parsed document passes before async-graphql validates it: its shape (depth,
//! fields, fragment cycles), no NUL in its strings, and its operation's cost.

use async_graphql::parser::types::{OperationDefinition, OperationType, Selection};

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
        if let Err(message) = one_root_field(&operation.node) {
            let error = coded(message, code::GRAPHQL_VALIDATION_FAILED);
            return Err(async_graphql::Response::from_errors(vec![error]));
        }
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

/// A subscription selects exactly one field at its root (the spec's "single root field"),
/// written there directly: each more would be a feed of its own under one cost, and
/// async-graphql runs none given in a fragment (it would end at once, silently).
fn one_root_field(operation: &OperationDefinition) -> Result<(), String> {
    if operation.ty != OperationType::Subscription {
        return Ok(());
    }
    match operation.selection_set.node.items.as_slice() {
        [selection] if matches!(selection.node, Selection::Field(_)) => Ok(()),
        [_] => Err(
            "a subscription's one root field is written directly, not in a fragment: \
                    `subscription { events { … } }`"
                .to_owned(),
        ),
        _ => Err(
            "a subscription selects exactly one root field; open one subscription per \
                  field (a socket runs several side by side)"
                .to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(query: &str) -> Result<(), String> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let (_, operation) = graphql::operation(&document, None).unwrap();
        one_root_field(&operation.node)
    }

    #[test]
    fn a_subscription_selects_one_root_field_directly() {
        assert_eq!(checked("subscription { events { cursor } }"), Ok(()));
        assert_eq!(
            checked("{ a: network { cityCount } b: network { cityCount } }"),
            Ok(())
        );
        for refused in [
            "subscription { a: events { cursor } b: events { cursor } }",
            "subscription { events { cursor } cohortAdmitted { cursor } }",
            "subscription { ...F } fragment F on Subscription { events { cursor } }",
            "subscription { ... on Subscription { events { cursor } } }",
        ] {
            assert!(checked(refused).is_err(), "{refused}");
        }
    }
}
