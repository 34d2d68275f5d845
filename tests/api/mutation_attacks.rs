//! The admission's new surface (`replacePublishedFigures`, `publishedFigures`) as an
//! anonymous attacker sends it: many aliases of the mutation, each selecting every list it
//! can reach, with a large input in the variables. Refused before anything runs; a few
//! aliases are each refused for want of a token, and nothing is written.

use serde_json::{Value, json};

use crate::for_each_backend;
use crate::helpers::{Backend, spawn_app};
use crate::notify::cohort_2026;

/// `n` aliases of `admitCohort`, each selecting the published figures and the cohort's
/// cities (few fields each, so that it is the cost, not the number of fields, that refuses).
fn aliased_admissions(n: usize) -> String {
    let fields: String = (0..n)
        .map(|i| {
            format!(
                " a{i}: admitCohort(input: $input) {{ publishedFigures {{ admitted }} \
                 cohort {{ cities {{ name }} }} }}"
            )
        })
        .collect();
    format!("mutation($input: CohortAdmissionInput!) {{{fields} }}")
}

/// The 2026 cohort with `cities` cities (all in one member country) and figures that differ
/// from none published: the largest input a body of the default size holds is of this kind.
fn large_admission(cities: usize) -> Value {
    let mut input = cohort_2026();
    input["replacePublishedFigures"] = json!(true);
    input["cities"] = (0..cities)
        .map(|i| json!({ "name": format!("Attack {i}"), "country": "MDA", "latitude": 47.0, "longitude": 28.0 }))
        .collect();
    input
}

async fn aliased_anonymous_admissions_are_refused_before_they_run(backend: Backend) {
    let app = spawn_app(backend).await;
    let input = json!({ "input": large_admission(2_000) });
    let before = app.statements.get();
    let (status, body) = app
        .graphql_as(None, &aliased_admissions(60), input.clone())
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );
    let error = &body["errors"][0]["extensions"];
    assert!(error["cost"].as_u64() > error["limit"].as_u64(), "{body}");
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(
        app.statements.get() - before,
        0,
        "refused before any statement"
    );

    // Within the cost limit, each alias needs a token: refused one by one, nothing written.
    let (_, body) = app.graphql_as(None, &aliased_admissions(3), input).await;
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(codes, ["UNAUTHENTICATED"; 3], "{body}");
    let data = app
        .data(None, r#"{ cohort(year: 2026) { year } }"#, json!({}))
        .await;
    assert_eq!(data["cohort"], Value::Null, "nothing was admitted");
}

for_each_backend!(aliased_anonymous_admissions_are_refused_before_they_run);
