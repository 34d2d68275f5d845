//! Serialises every object's fields in the order the query asked for them, as the GraphQL
//! spec recommends (§7.1.2, "Serialized Map Ordering"). async-graphql 7 resolves sibling
//! fields concurrently and records them in completion order; this puts them back.
//!
//! It runs on the response after execution rather than as a schema extension: any
//! extension makes async-graphql send every field through the extension chain (a registry
//! lookup and boxed futures per field), which cost more than the whole reordering.

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Value};
use indexmap::IndexMap;

/// Puts the fields of `data`, the result of `document`'s operation `operation_name`, in
/// query order.
pub fn reorder(data: &mut Value, document: &ExecutableDocument, operation_name: Option<&str>) {
    // Null when the request did not execute, perhaps for a document that failed validation
    // (fragment cycles included): its selections are only walked when there is data.
    if matches!(data, Value::Null) {
        return;
    }
    if let Ok((_, operation)) = super::operation(document, operation_name) {
        let order = Order::of(&[&operation.node.selection_set.node], &document.fragments);
        reorder_value(data, &order);
    }
}

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// The response keys of a selection, in query order, each with the order of what is
/// selected below it: made once for the whole document, then applied to every object.
#[derive(Debug, Default)]
struct Order<'a> {
    keys: IndexMap<&'a str, Order<'a>>,
}

impl<'a> Order<'a> {
    /// The order of some selection sets (a key can be selected more than once: what is
    /// selected below it is merged).
    fn of(sets: &[&'a SelectionSet], fragments: &'a Fragments) -> Self {
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
        let mut below = IndexMap::new();
        for set in sets {
            walk(set, fragments, &mut below);
        }
        Order {
            keys: below
                .into_iter()
                .map(|(key, sets)| (key, Order::of(&sets, fragments)))
                .collect(),
        }
    }
}

/// Orders one value: an object by `order`, each item of a list by the same `order`.
fn reorder_value(value: &mut Value, order: &Order<'_>) {
    match value {
        Value::Object(fields) => {
            let in_order = fields.keys().map(Name::as_str).eq(order
                .keys
                .keys()
                .copied()
                .filter(|key| fields.contains_key(*key)));
            if !in_order {
                fields.sort_by_cached_key(|key, _| {
                    order.keys.get_index_of(key.as_str()).unwrap_or(usize::MAX)
                });
            }
            for (key, below) in &order.keys {
                if !below.keys.is_empty()
                    && let Some(value) = fields.get_mut(*key)
                {
                    reorder_value(value, below);
                }
            }
        }
        Value::List(items) => {
            for item in items {
                reorder_value(item, order);
            }
        }
        _ => {}
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
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription).finish();
        let query = "{ slow b: fast pairs { second ...F } ... on Query { fast } } fragment F on Pair { first }";
        let document = async_graphql::parser::parse_query(query).unwrap();
        let mut response = schema.execute(query).await;
        reorder(&mut response.data, &document, None);
        let json = serde_json::to_string(&response.data).unwrap();
        assert_eq!(
            json,
            r#"{"slow":1,"b":2,"pairs":[{"second":2,"first":1}],"fast":2}"#
        );
    }
}
