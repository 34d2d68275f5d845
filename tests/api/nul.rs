//! U+0000 (NUL), which PostgreSQL's text cannot hold: a request carrying it in any string
//! argument or variable is refused before it runs, with `BAD_USER_INPUT` naming where, on
//! both databases alike.

use gnlc::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::notify::{ADMIT, CREATE_ENDPOINT, cohort_2026, subscribe};
use crate::on_both_backends;

/// Sends a request that must be refused for its NUL: 400, no `data`, `BAD_USER_INPUT`.
/// Returns the error's message.
async fn refused(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> String {
    let (status, body) = app.graphql_as(token, query, variables).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body:#}");
    assert!(body.get("data").is_none(), "it never ran: {body:#}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body:#}");
    assert_eq!(
        errors[0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body:#}"
    );
    let message = errors[0]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("U+0000"), "{message}");
    message
}

async fn a_nul_in_any_string_is_refused_before_the_request_runs(app: TestApp) {
    let message = refused(
        &app,
        None,
        r#"{ city(slug: "a\u0000") { name } }"#,
        json!({}),
    )
    .await;
    assert!(
        message.starts_with("the argument `slug` of `city` holds"),
        "{message}"
    );
    let (_, body) = app
        .graphql_as(None, r#"{ city(slug: "a\u0000") { name } }"#, json!({}))
        .await;
    assert_eq!(
        body["errors"][0]["locations"],
        json!([{ "line": 1, "column": 14 }])
    );

    for (query, variables, place) in [
        (
            "query($s: String!) { city(slug: $s) { name } }",
            json!({ "s": "\u{0}" }),
            "the variable `$s`",
        ),
        (
            "query($q: String) { cities(search: $q) { totalCount } }",
            json!({ "q": "chi\u{0}" }),
            "the variable `$q`",
        ),
        (
            r#"{ cities(country: "M\u0000D") { totalCount } }"#,
            json!({}),
            "the argument `country` of `cities`",
        ),
        (
            r#"{ countries(region: "africa\u0000") { totalCount } }"#,
            json!({}),
            "the argument `region` of `countries`",
        ),
        (
            r#"{ country(code: "\u0000") { name } }"#,
            json!({}),
            "the argument `code` of `country`",
        ),
        (
            r#"{ region(slug: "\u0000") { name } }"#,
            json!({}),
            "the argument `slug` of `region`",
        ),
        (
            r#"query($s: String = "\u0000") { city(slug: $s) { name } }"#,
            json!({}),
            "the default value of `$s`",
        ),
        (
            r#"{ ...F } fragment F on Query { city(slug: "\u0000") { name } }"#,
            json!({}),
            "the argument `slug` of `city`",
        ),
    ] {
        let message = refused(&app, None, query, variables).await;
        assert!(message.starts_with(place), "{query}: {message}");
    }

    // Under `application/json`: 200, still no `data`.
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/json")
        .json(&json!({ "query": r#"{ city(slug: "\u0000") { name } }"# }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(body.get("data").is_none(), "{body:#}");
}

async fn a_nul_in_a_change_writes_nothing(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let partner = app.token(Role::Partner, "Partner").await;

    let mut input = cohort_2026();
    input["cities"][1]["name"] = json!("Băl\u{0}ți");
    let message = refused(&app, Some(&admin), ADMIT, json!({ "input": input })).await;
    assert!(
        message.starts_with("the variable `$input.cities[1].name`"),
        "{message}"
    );
    assert_eq!(
        app.data(None, "{ cohort(year: 2026) { year } }", json!({}))
            .await["cohort"],
        Value::Null
    );

    let input = json!({ "url": "http://127.0.0.1:9/hooks", "description": "admissions\u{0}" });
    let message = refused(
        &app,
        Some(&partner),
        CREATE_ENDPOINT,
        json!({ "input": input }),
    )
    .await;
    assert!(
        message.starts_with("the variable `$input.description`"),
        "{message}"
    );
    let endpoints = app
        .data(Some(&partner), "{ webhookEndpoints { id } }", json!({}))
        .await;
    assert_eq!(endpoints["webhookEndpoints"], json!([]), "nothing created");

    let (endpoint, _) = subscribe(&app, &partner, "http://127.0.0.1:9/hooks", json!({})).await;
    let message = refused(
        &app,
        Some(&partner),
        "query($id: ID!) { webhookEndpoint(id: $id) { id } }",
        json!({ "id": format!("{endpoint}\u{0}") }),
    )
    .await;
    assert!(message.starts_with("the variable `$id`"), "{message}");
    refused(
        &app,
        Some(&partner),
        r#"mutation($id: ID!) { updateWebhookEndpoint(id: $id, changes: { description: "x\u0000" }) { id } }"#,
        json!({ "id": endpoint }),
    )
    .await;
}

on_both_backends!(
    a_nul_in_any_string_is_refused_before_the_request_runs,
    a_nul_in_a_change_writes_nothing,
);
