//! Automatic persisted queries, the Apollo convention, over POST and GET.

use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, spawn_app};
use crate::over_http::{get, post};

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_hash_alone_works_once_the_query_was_sent_with_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let query = r#"query City($slug: String!) { city(slug: $slug) { name } }"#;
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(query) } });
    let variables = json!({ "slug": "chisinau" });

    // Unknown yet: the client is told so, with 200 (Apollo clients then send the query).
    let answer = post(
        &app,
        &json!({ "extensions": extensions, "variables": variables }),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.code(), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(
        answer.body["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
    assert!(answer.body.get("data").is_none());
    let answer = get(
        &app,
        &[
            ("extensions", &extensions.to_string()),
            ("variables", &variables.to_string()),
        ],
        None,
    )
    .await;
    assert_eq!(answer.code(), "PERSISTED_QUERY_NOT_FOUND");

    // Sent with its hash, it runs and is remembered.
    let answer = post(
        &app,
        &json!({ "query": query, "extensions": extensions, "variables": variables }),
        None,
    )
    .await;
    assert_eq!(answer.body["data"]["city"]["name"], "Chișinău");

    // Now the hash alone will do, over POST and over GET.
    let answer = post(
        &app,
        &json!({ "extensions": extensions, "variables": variables }),
        None,
    )
    .await;
    assert_eq!(
        answer.body["data"]["city"]["name"], "Chișinău",
        "{}",
        answer.text
    );
    let answer = get(
        &app,
        &[
            ("extensions", &extensions.to_string()),
            ("variables", &json!({ "slug": "l-alcora" }).to_string()),
        ],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["data"]["city"]["name"], "L’Alcora");
}

#[tokio::test]
async fn a_hash_that_does_not_match_its_query_is_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let extensions =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256("{ cohorts { year } }") } });
    let answer = post(
        &app,
        &json!({ "query": "{ regions { name } }", "extensions": extensions }),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "BAD_REQUEST");
    let malformed = json!({ "persistedQuery": { "version": 2, "sha256Hash": "abc" } });
    let answer = post(&app, &json!({ "extensions": malformed }), None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_documents_that_parse_and_validate_are_remembered() {
    let app = spawn_app(Backend::Sqlite).await;
    for (document, code) in [
        ("{ regions { name", "GRAPHQL_PARSE_FAILED"),
        ("{ regions { nope } }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "{ cohort(year: 2020) { cities { cohort { cities { cohort { cities { cohort { cities { name } } } } } } } } }",
            "QUERY_TOO_COMPLEX",
        ),
    ] {
        let extensions =
            json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(document) } });
        let answer = post(
            &app,
            &json!({ "query": document, "extensions": extensions }),
            None,
        )
        .await;
        assert_eq!(answer.code(), code, "{}", answer.text);
        // Not kept: the hash alone is still unknown.
        let answer = post(&app, &json!({ "extensions": extensions }), None).await;
        assert_eq!(
            answer.code(),
            "PERSISTED_QUERY_NOT_FOUND",
            "{document}: {}",
            answer.text
        );
    }
}
