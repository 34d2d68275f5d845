//! Operating gnlc: `/metrics`, `/healthz`, `/readyz`, and `x-request-id` on every response.

use migration::{Migrator, MigratorTrait};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_backends;
use crate::over_http::{Answer, post};

async fn fetch(app: &TestApp, path: &str) -> Answer {
    Answer::from(app.client.get(app.url(path)).send().await.unwrap()).await
}

async fn healthz_with_id(app: &TestApp, id: &str) -> Answer {
    let request = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", id);
    Answer::from(request.send().await.unwrap()).await
}

async fn metrics_count_requests_by_operation_and_status_and_show_the_pool(app: TestApp) {
    let named = json!({ "query": r#"query CityByName { city(slug: "chisinau") { name } }"# });
    post(&app, &named, None).await;
    post(&app, &named, None).await;
    post(&app, &json!({ "query": "{ nope }" }), None).await;
    post(&app, &named, Some("text/html")).await;
    post(&app, &json!([named, named]), None).await;
    let answer = fetch(&app, "/metrics").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .header("content-type")
            .starts_with("text/plain; version=0.0.4")
    );
    let text = &answer.text;
    for expected in [
        r#"gnlc_graphql_requests_total{operation="CityByName",status="200"} 2"#,
        r#"gnlc_graphql_requests_total{operation="anonymous",status="400"} 1"#,
        r#"gnlc_graphql_requests_total{operation="anonymous",status="406"} 1"#,
        r#"gnlc_graphql_requests_total{operation="batch",status="200"} 1"#,
        "# TYPE gnlc_graphql_request_duration_seconds histogram",
        r#"gnlc_graphql_request_duration_seconds_count{operation="CityByName"} 2"#,
        r#"gnlc_graphql_request_duration_seconds_bucket{le="+Inf",operation="CityByName"} 2"#,
        r#"gnlc_database_pool_connections{state="max"} 5"#,
        r#"gnlc_database_pool_connections{state="in_use"}"#,
        r#"gnlc_database_pool_connections{state="idle"}"#,
        "gnlc_database_statements_total ",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
}

async fn readyz_wants_the_database_and_every_migration(app: TestApp) {
    let answer = fetch(&app, "/healthz").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({ "status": "ok" }));
    let answer = fetch(&app, "/readyz").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["status"], "ready");

    Migrator::down(&app.db, Some(1))
        .await
        .expect("roll back the last migration");
    let answer = fetch(&app, "/readyz").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.body["status"], "migrations pending");
    assert_eq!(answer.body["pending"].as_array().map(Vec::len), Some(1));
    // Liveness does not depend on migrations.
    assert_eq!(fetch(&app, "/healthz").await.status, StatusCode::OK);
}

on_both_backends!(
    metrics_count_requests_by_operation_and_status_and_show_the_pool,
    readyz_wants_the_database_and_every_migration,
);

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app(Backend::Sqlite).await;
    let answer = healthz_with_id(&app, "partner-42.a:b").await;
    assert_eq!(answer.header("x-request-id"), "partner-42.a:b");

    let mut seen = std::collections::HashSet::new();
    for path in [
        "/graphql?query=%7B%20cohorts%20%7B%20year%20%7D%20%7D",
        "/no-such-page",
        "/metrics",
        "/graphql",
    ] {
        let answer = fetch(&app, path).await;
        let id = answer.header("x-request-id").to_owned();
        assert_eq!(id.len(), 36, "{path}: a generated UUID, got `{id}`");
        assert!(seen.insert(id), "ids are unique");
    }
    let answer = healthz_with_id(&app, "no spaces \"or quotes\"").await;
    assert_eq!(
        answer.header("x-request-id").len(),
        36,
        "an insane id is replaced"
    );
}
