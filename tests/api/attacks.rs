//! Hostile anonymous queries: each class is refused before it runs, or stopped while it
//! runs, and the server goes on answering.

use std::time::Duration;

use gnlc::access::Role;
use gnlc::graphql::cost::ROOT_FIELD_COST;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};
use crate::over_http::{Answer, post};

/// Past this, a request that should be refused at once has hung: a failure, not a wait.
const HUNG: Duration = Duration::from_secs(60);

async fn query(app: &TestApp, query: &str) -> Answer {
    tokio::time::timeout(HUNG, post(app, &json!({ "query": query }), None))
        .await
        .expect("answered instead of hanging")
}

/// The cohort ↔ city cycle, `levels` lists deep.
fn cohort_cycle(levels: usize) -> String {
    let mut query = "{ cohort(year: 2020) { ".to_owned();
    for level in 0..levels {
        query.push_str(if level == 0 {
            "cities { "
        } else {
            "cohort { cities { "
        });
    }
    query.push_str("name");
    for level in 0..levels {
        query.push_str(if level == 0 { " }" } else { " } }" });
    }
    query.push_str(" } }");
    query
}

fn exponential_fragments(levels: usize) -> String {
    let mut document = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
    for k in 1..=levels {
        document.push_str(&format!(
            "fragment F{k} on Query {{ ...F{} ...F{} }}\n",
            k - 1,
            k - 1
        ));
    }
    document
}

/// The start of a body, for a failure's message.
fn short(text: &str) -> &str {
    let end = text.char_indices().nth(400).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// Refused before it ran: `400`, its code, no `data`.
fn assert_refused(answer: &Answer, code: &str) {
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, code),
        "{}",
        short(&answer.text)
    );
    assert!(answer.body.get("data").is_none(), "{}", short(&answer.text));
}

fn assert_refused_as_too_costly(answer: &Answer) {
    assert_refused(answer, "QUERY_TOO_COMPLEX");
    let error = &answer.body["errors"][0];
    let cost = error["extensions"]["cost"].as_u64().expect("the cost");
    let limit = error["extensions"]["limit"].as_u64().expect("the limit");
    assert!(cost > limit, "{}", short(&answer.text));
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&cost.to_string()) && message.contains(&limit.to_string()),
        "the message names the cost and the limit: {message}"
    );
}

async fn lists_are_costed_by_their_real_length(backend: Backend) {
    let app = spawn_app(backend).await;
    // The 2020 intake holds 55 cities: cohort (a root field, which runs statements of its
    // own), cities, 55 names.
    let answer = query(&app, "{ cohort(year: 2020) { cities { name } } }").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", short(&answer.text));
    assert_eq!(
        answer.header("gnlc-query-cost"),
        (ROOT_FIELD_COST + 57).to_string()
    );
    // One cycle more: 55 × 55 names still fits the default limit and is answered.
    let answer = query(&app, &cohort_cycle(2)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", short(&answer.text));
    assert_eq!(
        answer.header("gnlc-query-cost"),
        (ROOT_FIELD_COST + 2 + 55 * (2 + 55)).to_string()
    );
    assert_eq!(
        answer.body["data"]["cohort"]["cities"][0]["cohort"]["cities"]
            .as_array()
            .map(Vec::len),
        Some(55)
    );
    // Every cycle of the schema, deeper, is refused before it runs, with its cost.
    for attack in [
        cohort_cycle(4),
        cohort_cycle(8),
        // Aliases of a list field multiply as much as nesting does.
        "{ cohort(year: 2020) { a: cities { cohort { a: cities { cohort { a: cities { name } b: cities { name } } } b: cities { cohort { cities { slug } } } } } } }".into(),
        "{ regions { countries { region { countries { region { countries { region { countries { cities { name } } } } } } } } } }".into(),
        "{ countries(first: 100) { nodes { cities { country { cities { country { cities { cohort { cities { name } } } } } } } } } }".into(),
        // Fragments over lists.
        "{ cohort(year: 2020) { cities { ...C cohort { cities { ...C } } } } } fragment C on City { cohort { cities { cohort { cities { name } } } } }".into(),
        // Connections count their page, from a variable too.
        "{ cities(first: 100) { edges { node { cohort { cities { cohort { cities { name } } } } } } } }".into(),
    ] {
        let answer = query(&app, &attack).await;
        assert_refused_as_too_costly(&answer);
    }
    let answer = tokio::time::timeout(
        HUNG,
        post(
            &app,
            &json!({
                "query": "query($n: Int) { cities(first: $n) { nodes { cohort { cities { cohort { cities { name } } } } } } }",
                "variables": { "n": 100 },
            }),
            None,
        ),
    )
    .await
    .unwrap();
    assert_refused_as_too_costly(&answer);
}

#[tokio::test]
async fn lists_are_costed_by_their_real_length_on_sqlite() {
    lists_are_costed_by_their_real_length(Backend::Sqlite).await;
}

#[tokio::test]
async fn lists_are_costed_by_their_real_length_on_postgres() {
    lists_are_costed_by_their_real_length(Backend::Postgres).await;
}

async fn costs_follow_an_admission(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = query(&app, "{ regions { countries { cities { name } } } }").await;
    let before: u64 = before.header("gnlc-query-cost").parse().unwrap();
    // Twelve new cities in one new country: the longest country list grows to 12.
    let cities: Vec<Value> = (0..12)
        .map(|i| json!({ "name": format!("Town {i}"), "country": "IS", "latitude": 64.0, "longitude": -21.0 + f64::from(i) / 10.0 }))
        .collect();
    let token = app.token(Role::Admin, "coordinators").await;
    let (status, body) = app
        .graphql_as(
            Some(&token),
            "mutation($input: CohortAdmissionInput!) { admitCohort(input: $input) { created } }",
            json!({ "input": {
                "year": 2026, "announcedOn": "2026-09-01", "newCityCount": 12, "newCountryCount": 1,
                "newCountries": [{ "iso2": "IS", "iso3": "ISL", "name": "Iceland", "region": "europe-and-north-america" }],
                "cities": cities,
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["admitCohort"]["created"], true, "{body}");
    let after = query(&app, "{ regions { countries { cities { name } } } }").await;
    let after: u64 = after.header("gnlc-query-cost").parse().unwrap();
    assert!(after > before, "{before} → {after}");
}

#[tokio::test]
async fn costs_follow_an_admission_on_sqlite() {
    costs_follow_an_admission(Backend::Sqlite).await;
}

#[tokio::test]
async fn costs_follow_an_admission_on_postgres() {
    costs_follow_an_admission(Backend::Postgres).await;
}

#[tokio::test]
async fn introspection_is_costed_over_the_schema() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.http.max_query_cost = 500).await;
    let answer = query(&app, "{ __schema { types { name } } }").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", short(&answer.text));
    let answer = query(
        &app,
        "{ __schema { types { fields { args { type { name ofType { name ofType { name } } } } type { name ofType { name } } } } } }",
    )
    .await;
    assert_refused_as_too_costly(&answer);
}

#[tokio::test]
async fn an_answer_past_the_response_budget_is_stopped_while_it_is_built() {
    // The cost model switched off in effect: only the budget stands.
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.http.max_query_cost = u64::MAX;
        s.http.max_response_values = 2_000;
    })
    .await;
    let answer = query(&app, "{ cohort(year: 2020) { cities { name } } }").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", short(&answer.text));
    // 55 × 55 names: past 2,000 values.
    let answer = query(&app, &cohort_cycle(2)).await;
    assert_refused(&answer, "RESPONSE_TOO_LARGE");
    assert_eq!(answer.body["errors"].as_array().map(Vec::len), Some(1));
    assert!(
        answer.text.contains("2000 values"),
        "{}",
        short(&answer.text)
    );
    // Deeper: stopped the same way, long before 55⁴ values.
    let answer = query(&app, &cohort_cycle(4)).await;
    assert_eq!(
        answer.code(),
        "RESPONSE_TOO_LARGE",
        "{}",
        short(&answer.text)
    );
    let answer = post(
        &app,
        &json!({ "query": cohort_cycle(4) }),
        Some("application/json"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.code(), "RESPONSE_TOO_LARGE");
}

#[tokio::test]
async fn exponential_fragments_are_refused_in_linear_time() {
    let app = spawn_app(Backend::Sqlite).await;
    // Two at once, as froze the server when each took minutes of validation.
    let (thirty, sixty) = (exponential_fragments(30), exponential_fragments(60));
    let (a, b) = tokio::join!(query(&app, &thirty), query(&app, &sixty));
    for answer in [a, b] {
        assert_refused(&answer, "QUERY_TOO_COMPLEX");
    }
    // A few levels are a fine query.
    let answer = query(&app, &exponential_fragments(4)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", short(&answer.text));
    assert_eq!(answer.body["data"]["__typename"], "Query");
}

#[tokio::test]
async fn fragment_cycles_and_deep_chains_are_refused_and_the_server_goes_on() {
    let app = spawn_app(Backend::Sqlite).await;
    let answer = query(
        &app,
        "query { ...A } fragment A on Query { regions { name } ...B } fragment B on Query { ...A }",
    )
    .await;
    assert_refused(&answer, "GRAPHQL_VALIDATION_FAILED");
    // 200 fragments, each spreading the next: past the nesting limit, a clear refusal.
    let mut chain = "query { ...F200 }\nfragment F0 on Query { __typename }\n".to_owned();
    for k in 1..=200 {
        chain.push_str(&format!("fragment F{k} on Query {{ ...F{} }}\n", k - 1));
    }
    let answer = query(&app, &chain).await;
    assert_refused(&answer, "QUERY_TOO_DEEP");
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_document_too_large_as_a_whole_is_refused() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.http.max_query_complexity = 100).await;
    let fields: String = (0..90).map(|i| format!(" a{i}: __typename")).collect();
    // Five operations of 90 fields: each fits, the document does not.
    let document: String = (0..5)
        .map(|i| format!("query Q{i} {{{fields} }}\n"))
        .collect();
    let answer = tokio::time::timeout(
        HUNG,
        post(
            &app,
            &json!({ "query": document, "operationName": "Q0" }),
            None,
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        answer.code(),
        "QUERY_TOO_COMPLEX",
        "{}",
        short(&answer.text)
    );
    assert!(
        answer.text.contains("the document selects"),
        "{}",
        short(&answer.text)
    );
}

#[tokio::test]
async fn health_answers_while_attacks_run() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.http.max_query_cost = u64::MAX;
        s.http.max_response_values = 200_000;
    })
    .await;
    // Heavy but allowed work on the executor, several at once.
    let attacks: Vec<_> = (0..4)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url("/graphql");
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({ "query": cohort_cycle(3) }))
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    for _ in 0..20 {
        let health = tokio::time::timeout(HUNG, app.client.get(app.url("/healthz")).send())
            .await
            .expect("health answered")
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Health answered all along, not once the work was done.
    assert!(
        attacks.iter().any(|attack| !attack.is_finished()),
        "the attacks were over before health had answered 20 times"
    );
    for attack in attacks {
        let status = tokio::time::timeout(HUNG, attack)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        // Answered, or cut short by the time limit while the others held the executor's
        // room for values in flight: never a failure of the server.
        assert!(
            [StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE].contains(&status),
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_document_of_too_many_tokens_is_refused_before_it_is_parsed() {
    let app = spawn_app(Backend::Sqlite).await;
    // 250 KB of fields, never closed: about a second of the parser's time, refused at once.
    let document = format!("{{ {}", "x ".repeat(120_000));
    let answer = query(&app, &document).await;
    assert_refused(&answer, "QUERY_TOO_COMPLEX");
    assert!(
        answer.text.contains("5000 tokens"),
        "{}",
        short(&answer.text)
    );
    // Within the limit, a document that does not parse says why, briefly: the parser's
    // message quotes the line it stopped on, which may be the whole document.
    let document = format!("{{ regions {{ name }} }} {}", "x".repeat(100_000));
    let answer = query(&app, &document).await;
    assert_refused(&answer, "GRAPHQL_PARSE_FAILED");
    assert!(answer.text.len() < 2_000, "{} bytes", answer.text.len());
}

/// Aliases of a root field: each runs statements of its own (`network` six, a search one
/// more), however few values it asks for.
#[tokio::test]
async fn aliases_of_root_fields_cost_their_statements() {
    let app = spawn_app(Backend::Sqlite).await;
    let aliases = |n: usize| -> String {
        let fields: String = (0..n)
            .map(|i| {
                format!(
                    " a{i}: network {{ cityCount }} s{i}: cities(search: \"a{i}\") {{ totalCount }}"
                )
            })
            .collect();
        format!("{{{fields} }}")
    };
    let before = app.statements.get();
    let answer = query(&app, &aliases(100)).await;
    assert_refused_as_too_costly(&answer);
    assert!(
        app.statements.get() - before <= 1,
        "refused before the aliases ran (the response cache's data-version read aside)"
    );
    // A few are a fine query.
    let answer = query(&app, &aliases(3)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", short(&answer.text));
    assert_eq!(answer.body["data"]["a2"]["cityCount"], 55);
}
