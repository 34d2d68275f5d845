//! Limits: body size, depth, complexity and time, each a setting answered with a clear
//! error; GraphiQL's own introspection query passes the defaults.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, spawn_app, spawn_app_with};
use crate::over_http::post;

/// The introspection query GraphiQL 3 sends when it opens (recorded from the browser).
const GRAPHIQL_INTROSPECTION: &str = include_str!("data/graphiql-introspection.graphql");

#[tokio::test]
async fn graphiql_introspection_passes_the_default_limits() {
    let app = spawn_app(Backend::Sqlite).await;
    let body = json!({ "query": GRAPHIQL_INTROSPECTION, "operationName": "IntrospectionQuery" });
    let answer = post(&app, &body, Some("application/json, multipart/mixed")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.get("errors").is_none(), "{}", answer.text);
    let types = answer.body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "City"));
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.http.max_body_bytes = 1024).await;
    let padding = " ".repeat(1100);
    let body = json!({ "query": format!("{{ regions {{ name }} }}{padding}") });
    let answer = post(&app, &body, None).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.code(), "PAYLOAD_TOO_LARGE");
    assert!(answer.text.contains("1024 bytes"), "{}", answer.text);
    let answer = post(&app, &json!({ "query": "{ regions { name } }" }), None).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn queries_too_deep_or_too_complex_are_refused_with_their_code() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.http.max_query_depth = 3;
        s.http.max_query_complexity = 6;
    })
    .await;
    let deep = "{ regions { countries { cities { country { name } } } } }";
    let answer = post(&app, &json!({ "query": deep }), None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "QUERY_TOO_DEEP");
    assert!(answer.body.get("data").is_none());

    let complex = "{ regions { slug name cityCount countryCount } cohorts { year announcedOn } }";
    let answer = post(&app, &json!({ "query": complex }), None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "QUERY_TOO_COMPLEX");

    let answer = post(&app, &json!({ "query": complex }), Some("application/json")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.code(), "QUERY_TOO_COMPLEX");

    let fits = "{ regions { countries { name } } }";
    let answer = post(&app, &json!({ "query": fits }), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_cut_short_with_timeout() {
    // A limit of zero: the time is spent before the request runs.
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.http.request_time_limit = Duration::ZERO
    })
    .await;
    let answer = post(&app, &json!({ "query": "{ regions { name } }" }), None).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.text
    );
    assert_eq!(answer.code(), "TIMEOUT");
    assert!(answer.body.get("data").is_none());
    let answer = post(
        &app,
        &json!({ "query": "{ regions { name } }" }),
        Some("application/json"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.code(), "TIMEOUT");
}
