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
    if let Ok((_, operation)) = super::operation(document, operation_name) {
        reorder_value(
            data,
            &collect(&[&operation.node.selection_set.node], &document.fragments),
            &document.fragments,
        );
    }
}

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// The response keys of some selection sets, in query order, each with the selection sets
/// of the fields behind it (a key can be selected more than once).
type Order<'a> = IndexMap<&'a str, Vec<&'a SelectionSet>>;

fn collect<'a>(sets: &[&'a SelectionSet], fragments: &'a Fragments) -> Order<'a> {
    fn walk<'a>(set: &'a SelectionSet, fragments: &'a Fragments, out: &mut Order<'a>) {
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

/// Orders one value: an object by `order`, each item of a list by the same `order`
/// (computed once for the whole list).
fn reorder_value(value: &mut Value, order: &Order<'_>, fragments: &Fragments) {
    match value {
        Value::Object(fields) => {
            let in_order = fields.keys().map(Name::as_str).eq(order
                .keys()
                .copied()
                .filter(|key| fields.contains_key(*key)));
            if !in_order {
                fields.sort_by_cached_key(|key, _| {
                    order.get_index_of(key.as_str()).unwrap_or(usize::MAX)
                });
            }
            for (key, subsets) in order {
                if let Some(value) = fields.get_mut(*key)
                    && !subsets.iter().all(|set| set.items.is_empty())
                {
                    reorder_value(value, &collect(subsets, fragments), fragments);
                }
            }
        }
        Value::List(items) => {
            for item in items {
                reorder_value(item, order, fragments);
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
