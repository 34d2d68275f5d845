use async_graphql::parser::parse_query;

use async_graphql::Variables;

use super::*;
use crate::graphql::list_sizes::ListSizes;

const SIZES: ListSizes = ListSizes {
    regions: 5,
    cohorts: 5,
    countries_per_region: 10,
    cities_per_country: 7,
    cities_per_cohort: 55,
    endpoints: 3,
    attempts_per_delivery: 8,
};

fn model() -> CostModel {
    CostModel::new(&crate::graphql::sdl())
}

fn cost_of(query: &str, variables: serde_json::Value) -> u64 {
    let document = parse_query(query).unwrap();
    check_shape(&document, 500).unwrap();
    let (_, operation) = crate::graphql::operation(&document, None).unwrap();
    model().cost(
        &document,
        &operation.node.selection_set.node,
        operation.node.ty,
        &Variables::from_json(variables),
        &SIZES,
    )
}

#[test]
fn every_list_of_objects_has_a_declared_length() {
    assert_eq!(model().undeclared_lists(), Vec::<String>::new());
}

#[test]
fn lists_multiply_what_they_select_by_their_length() {
    // cohort, cities, 55 × name
    assert_eq!(
        cost_of("{ cohort(year: 2020) { cities { name } } }", json()),
        ROOT_FIELD_COST + 57
    );
    // The cycle: each level multiplies by 55.
    assert_eq!(
        cost_of(
            "{ cohort(year: 2020) { cities { cohort { cities { name } } } } }",
            json()
        ),
        ROOT_FIELD_COST + 1 + 1 + 55 * (1 + 1 + 55)
    );
    // Aliases add, fragments count as what they select.
    assert_eq!(
        cost_of(
            "{ cohort(year: 2020) { a: cities { ...N } b: cities { name } } } fragment N on City { name slug }",
            json()
        ),
        ROOT_FIELD_COST + 1 + (1 + 55 * 2) + (1 + 55)
    );
    // The whole tree: 5 regions × 10 countries × 7 cities.
    assert_eq!(
        cost_of(
            "{ regions { name countries { name cities { name } } } }",
            json()
        ),
        ROOT_FIELD_COST + 1 + 5 * (1 + 1 + 10 * (1 + 1 + 7))
    );
}

#[test]
fn a_connection_costs_its_page_from_arguments_or_variables() {
    let query = "query($n: Int) { cities(first: $n) { totalCount edges { cursor node { name } } nodes { slug } } }";
    // cities, totalCount, edges (n × (cursor, node, name)), nodes (n × slug)
    let expected = |n: u64| ROOT_FIELD_COST + 1 + 1 + (1 + n * 3) + (1 + n);
    assert_eq!(
        cost_of(query, serde_json::json!({ "n": 100 })),
        expected(100)
    );
    assert_eq!(cost_of(query, json()), expected(20), "the default page");
    assert_eq!(
        cost_of(query, serde_json::json!({ "n": 100_000 })),
        expected(100),
        "never more than the largest page"
    );
    assert_eq!(
        cost_of(
            "{ citiesNear(latitude: 0, longitude: 0, radiusKm: 1, first: 50) { city { name } } }",
            json()
        ),
        ROOT_FIELD_COST + 1 + 50 * 2
    );
}

#[test]
fn each_field_of_the_root_costs_its_statements_however_it_is_selected() {
    // Aliases, and fragments spread twice: each root field counts.
    assert_eq!(
        cost_of(
            "{ a: network { cityCount } b: network { cityCount } }",
            json()
        ),
        2 * (ROOT_FIELD_COST + 2)
    );
    assert_eq!(
        cost_of(
            "{ ...N ...N } fragment N on Query { a: network { cityCount } }",
            json()
        ),
        2 * (ROOT_FIELD_COST + 2)
    );
    // Introspection runs no statement.
    assert_eq!(
        cost_of("{ __typename __schema { description } }", json()),
        3
    );
}

#[test]
fn introspection_is_counted_over_the_schema_itself() {
    let kinds = cost_of("{ __schema { types { kind } } }", json());
    let types = kinds - 2;
    assert!(types > 30, "{types} types");
    let fields = cost_of("{ __schema { types { fields { name } } } }", json());
    // Each type's `fields` (null for non-objects), then one name per field of the schema.
    assert!(fields > kinds + 100, "{fields}");
    assert_eq!(
        cost_of(r#"{ __type(name: "Region") { fields { name } } }"#, json()),
        1 + 1 + 6
    );
}

fn json() -> serde_json::Value {
    serde_json::json!({})
}

/// A query spreading `F{levels}`, where each fragment `Fk` spreads `F(k-1)` `spreads`
/// times and `F0` selects `__typename`: two spreads double the selections at each level.
fn fragment_chain(levels: usize, spreads: usize) -> String {
    let mut document = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
    for k in 1..=levels {
        let spread = format!(" ...F{}", k - 1).repeat(spreads);
        document.push_str(&format!("fragment F{k} on Query {{{spread} }}\n"));
    }
    document
}

#[test]
fn exponential_fragments_are_counted_once_each_and_refused() {
    // 2^60 selections if expanded: counted in one pass over 61 fragments.
    let document = parse_query(fragment_chain(60, 2)).unwrap();
    assert!(matches!(
        check_shape(&document, 500),
        Err(Refusal::TooManyFields { .. })
    ));
    let document = parse_query(fragment_chain(3, 2)).unwrap();
    assert_eq!(check_shape(&document, 500), Ok(()));
}

#[test]
fn cycles_and_deep_chains_are_refused_without_recursing_through_them() {
    let cycle =
        parse_query("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
            .unwrap();
    assert!(matches!(
        check_shape(&cycle, 500),
        Err(Refusal::FragmentCycle(_))
    ));
    let chain = parse_query(fragment_chain(5000, 1)).unwrap();
    assert_eq!(check_shape(&chain, 500), Err(Refusal::TooDeep));
}

#[test]
fn a_document_is_bounded_as_a_whole() {
    // Five fragments of 120 fields each: each fits 500, together they do not fit 4 × 100.
    let mut document = "query { __typename }\n".to_owned();
    for f in 0..5 {
        let fields: String = (0..120).map(|i| format!(" a{i}: __typename")).collect();
        document.push_str(&format!("fragment F{f} on Query {{{fields} }}\n"));
    }
    let document = parse_query(document).unwrap();
    assert!(matches!(
        check_shape(&document, 100),
        Err(Refusal::TooManyFields { .. })
    ));
    assert!(matches!(
        check_shape(&document, 150),
        Err(Refusal::DocumentTooLarge { .. })
    ));
    assert_eq!(check_shape(&document, 200), Ok(()));
}

/// The values of an answer: one for each field it holds, at any depth.
fn values_in(answer: &serde_json::Value) -> u64 {
    match answer {
        serde_json::Value::Object(fields) => fields.values().map(|v| 1 + values_in(v)).sum(),
        serde_json::Value::Array(items) => items.iter().map(values_in).sum(),
        _ => 0,
    }
}

#[tokio::test]
async fn introspection_costs_exactly_what_the_schema_answers() {
    use async_graphql::Schema;

    use crate::graphql::{Subscription, mutation::Mutation, query::Query};

    let schema = Schema::build(Query, Mutation, Subscription).finish();
    for query in [
        "{ __schema { types { kind name fields { name args { name } } inputFields { name } enumValues { name } } } }",
        "{ __schema { queryType { name } mutationType { name } } }",
        "{ __schema { directives { name locations args { name type { name } } } } }",
        r#"{ __type(name: "Query") { fields { name type { kind ofType { kind ofType { name } } } } } }"#,
    ] {
        let answer = schema.execute(query).await;
        assert!(answer.errors.is_empty(), "{:?}", answer.errors);
        let answer = answer.data.into_json().unwrap();
        assert_eq!(cost_of(query, json()), values_in(&answer), "{query}");
    }
}
