//! Serialises every object's fields in the order the query asked for them, as the GraphQL
//! spec recommends (§7.1.2, "Serialized Map Ordering"). async-graphql 7 resolves sibling
//! fields concurrently and records them in completion order; this puts them back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Response, ServerResult, Value, Variables};
use indexmap::IndexMap;

pub struct FieldOrder;

impl ExtensionFactory for FieldOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FieldOrderExtension::default())
    }
}

/// One per request: remembers the parsed document until the response is ready.
#[derive(Default)]
struct FieldOrderExtension {
    document: Mutex<Option<ExecutableDocument>>,
}

#[async_trait::async_trait]
impl Extension for FieldOrderExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut slot) = self.document.lock() {
            *slot = Some(document.clone());
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let document = self.document.lock().ok().and_then(|mut slot| slot.take());
        if let Some(document) = document {
            let operation = match &document.operations {
                DocumentOperations::Single(operation) => Some(operation),
                DocumentOperations::Multiple(operations) => {
                    operation_name.and_then(|name| operations.get(name))
                }
            };
            if let Some(operation) = operation {
                let data = std::mem::take(&mut response.data);
                response.data = reorder(
                    data,
                    &[&operation.node.selection_set.node],
                    &document.fragments,
                );
            }
        }
        response
    }
}

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// The response keys of some selection sets, in query order, each with the selection sets
/// of the fields behind it (a key can be selected more than once).
fn collect<'a>(
    sets: &[&'a SelectionSet],
    fragments: &'a Fragments,
) -> IndexMap<&'a str, Vec<&'a SelectionSet>> {
    fn walk<'a>(
        set: &'a SelectionSet,
        fragments: &'a Fragments,
        out: &mut IndexMap<&'a str, Vec<&'a SelectionSet>>,
    ) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => out
                    .entry(field.node.response_key().node.as_str())
                    .or_default()
                    .push(&field.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = fragments.get(&spread.node.fragment_name.node) {
                        walk(&fragment.node.selection_set.node, fragments, out);
                    }
                }
                Selection::InlineFragment(inline) => {
                    walk(&inline.node.selection_set.node, fragments, out)
                }
            }
        }
    }
    let mut out = IndexMap::new();
    for set in sets {
        walk(set, fragments, &mut out);
    }
    out
}

fn reorder(value: Value, sets: &[&SelectionSet], fragments: &Fragments) -> Value {
    match value {
        Value::Object(mut fields) => {
            let mut ordered = IndexMap::with_capacity(fields.len());
            for (key, subsets) in collect(sets, fragments) {
                if let Some((name, value)) = fields.shift_remove_entry(key) {
                    ordered.insert(name, reorder(value, &subsets, fragments));
                }
            }
            ordered.extend(fields); // nothing should be left; keep it if it is
            Value::Object(ordered)
        }
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|item| reorder(item, sets, fragments))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject};

    #[derive(SimpleObject)]
    struct Pair {
        first: i32,
        second: i32,
    }

    struct Query;

    #[Object]
    impl Query {
        async fn slow(&self) -> i32 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            1
        }
        async fn fast(&self) -> i32 {
            2
        }
        async fn pairs(&self) -> Vec<Pair> {
            vec![Pair {
                first: 1,
                second: 2,
            }]
        }
    }

    #[tokio::test]
    async fn fields_come_back_in_query_order() {
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(FieldOrder)
            .finish();
        let query = "{ slow b: fast pairs { second ...F } ... on Query { fast } } fragment F on Pair { first }";
        let response = schema.execute(query).await;
        let json = serde_json::to_string(&response.data).unwrap();
        assert_eq!(
            json,
            r#"{"slow":1,"b":2,"pairs":[{"second":2,"first":1}],"fast":2}"#
        );
    }
}
