//! GraphQL over HTTP as the spec (graphql.github.io/graphql-over-http) lays it out: methods,
//! media types, status codes, batches, UTF-8. Pure protocol: SQLite only.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};

pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
pub const JSON: &str = "application/json; charset=utf-8";

/// What came back: status, headers and the body (`Value::Null` when it is not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("<no code>")
    }
}

pub async fn post(app: &TestApp, body: &Value, accept: Option<&str>) -> Answer {
    let mut request = app.client.post(app.url("/graphql")).json(body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    Answer::from(request.send().await.expect("request sent")).await
}

/// GETs `/graphql` with these query-string parameters (encoded here).
pub async fn get(app: &TestApp, parameters: &[(&str, &str)], accept: Option<&str>) -> Answer {
    let mut request = app.client.get(app.url("/graphql")).query(parameters);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    Answer::from(request.send().await.expect("request sent")).await
}

async fn raw_post(app: &TestApp, content_type: Option<&str>, body: Vec<u8>) -> Answer {
    let mut request = app.client.post(app.url("/graphql")).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    Answer::from(request.send().await.expect("request sent")).await
}

const CITY: &str = r#"{ city(slug: "chisinau") { name } }"#;

#[tokio::test]
async fn the_media_type_follows_accept_and_406_when_neither_is_acceptable() {
    let app = spawn_app(Backend::Sqlite).await;
    let body = json!({ "query": CITY });
    for (accept, expected) in [
        (None, GRAPHQL_RESPONSE),
        (Some("*/*"), GRAPHQL_RESPONSE),
        (Some("application/graphql-response+json"), GRAPHQL_RESPONSE),
        (Some("application/json"), JSON),
        (Some("application/json, multipart/mixed"), JSON),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
    ] {
        let answer = post(&app, &body, accept).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept:?}");
        assert_eq!(answer.header("content-type"), expected, "{accept:?}");
        assert_eq!(answer.body["data"]["city"]["name"], "Chișinău");
    }
    let answer = post(&app, &body, Some("text/html")).await;
    assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(answer.code(), "NOT_ACCEPTABLE");
    let answer = get(&app, &[("query", CITY)], Some("application/xml")).await;
    assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn parse_and_validation_failures_are_400_without_data_only_under_the_new_media_type() {
    let app = spawn_app(Backend::Sqlite).await;
    for (query, code) in [
        ("{ regions { name ", "GRAPHQL_PARSE_FAILED"),
        ("{ regions { population } }", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let body = json!({ "query": query });
        let answer = post(&app, &body, Some("application/graphql-response+json")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer.code(), code);
        assert!(
            answer.body.get("data").is_none(),
            "no data key: {}",
            answer.text
        );

        let answer = post(&app, &body, Some("application/json")).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}");
        assert_eq!(answer.header("content-type"), JSON);
        assert_eq!(answer.code(), code);

        let answer = get(&app, &[("query", query)], None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query} over GET");
        assert!(answer.body.get("data").is_none());
    }
    // An error while executing is not a request error: 200, with `data`.
    let answer = post(
        &app,
        &json!({ "query": r#"{ cities(region: "atlantis") { totalCount } }"# }),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert!(answer.body.get("data").is_some());
}

#[tokio::test]
async fn get_runs_queries_with_variables_and_operation_name_in_utf8() {
    let app = spawn_app(Backend::Sqlite).await;
    let document = "query Search($s: String) { cities(search: $s) { nodes { name } } } \
                    query Other { cohorts { year } }";
    let variables = json!({ "s": "CHIȘINĂU" }).to_string();
    let answer = get(
        &app,
        &[
            ("query", document),
            ("variables", &variables),
            ("operationName", "Search"),
        ],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.body["data"],
        json!({ "cities": { "nodes": [{ "name": "Chișinău" }] } })
    );
    // The same over POST.
    let answer = post(
        &app,
        &json!({ "query": document, "variables": { "s": "chișinău" }, "operationName": "Search", "extensions": {} }),
        None,
    )
    .await;
    assert_eq!(
        answer.body["data"]["cities"]["nodes"][0]["name"],
        "Chișinău"
    );

    for (name, expected) in [(Some("Nowhere"), "Nowhere"), (None, "operationName")] {
        let mut body = json!({ "query": document });
        if let Some(name) = name {
            body["operationName"] = json!(name);
        }
        let answer = post(&app, &body, None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.code(), "OPERATION_RESOLUTION_FAILURE");
        let message = answer.body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains(expected), "{message}");
    }
    // Percent-encoded bytes that are not UTF-8 are refused.
    let answer = Answer::from(
        app.client
            .get(format!(
                "{}?query=%7B%20city(slug%3A%20%22%FF%22)%20%7B%20name%20%7D%20%7D",
                app.url("/graphql")
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "BAD_REQUEST");
}

#[tokio::test]
async fn a_mutation_over_get_is_405_before_validation_and_other_methods_too() {
    let app = spawn_app(Backend::Sqlite).await;
    // There are no mutations (yet): over POST this document fails validation, over GET it
    // is refused first, for being a mutation.
    let mutation = r#"mutation Admit { admitCohort(year: 2026) { year } }"#;
    let answer = get(&app, &[("query", mutation)], None).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.header("allow"), "POST");
    assert_eq!(answer.code(), "METHOD_NOT_ALLOWED");
    let answer = post(&app, &json!({ "query": mutation }), None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "GRAPHQL_VALIDATION_FAILED");
    // The selected operation decides: the query of a document that also holds a mutation
    // may be run over GET.
    let document = format!("{mutation} query City {CITY}");
    let answer = get(
        &app,
        &[("query", &document), ("operationName", "Admit")],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    let answer = get(
        &app,
        &[("query", &document), ("operationName", "City")],
        None,
    )
    .await;
    assert_ne!(answer.status, StatusCode::METHOD_NOT_ALLOWED);

    let answer = Answer::from(app.client.put(app.url("/graphql")).send().await.unwrap()).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.header("allow"), "GET, POST");
}

#[tokio::test]
async fn bodies_that_are_not_a_json_object_are_400_and_other_media_types_415() {
    let app = spawn_app_with(Backend::Sqlite, |settings| settings.http.max_batch_size = 0).await;
    for (body, what) in [
        (
            b"{ city(slug: \"chisinau\") { name } }".to_vec(),
            "GraphQL, not JSON",
        ),
        (b"{\"query\": ".to_vec(), "truncated JSON"),
        (b"\"{ regions { name } }\"".to_vec(), "a JSON string"),
        (
            b"{\"query\": \"{ city(slug: \\\"\xff\\\") { name } }\"}".to_vec(),
            "not UTF-8",
        ),
        (b"{\"query\": 42}".to_vec(), "a query that is not a string"),
        (
            b"{\"query\": \"{ regions { name } }\", \"variables\": \"{}\"}".to_vec(),
            "variables as a string",
        ),
        (b"{}".to_vec(), "no query"),
        (
            b"[{\"query\": \"{ regions { name } }\"}]".to_vec(),
            "a batch, refused by the setting",
        ),
    ] {
        let answer = raw_post(&app, Some("application/json"), body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            answer.text
        );
        assert_eq!(answer.code(), "BAD_REQUEST", "{what}");
        assert!(answer.body.get("data").is_none());
    }
    let answer = raw_post(&app, Some("application/json"), b"[{}]".to_vec()).await;
    let message = answer.body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("batch"), "{message}");

    let query = json!({ "query": CITY }).to_string().into_bytes();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/graphql"),
        Some("application/json; charset=iso-8859-1"),
    ] {
        let answer = raw_post(&app, content_type, query.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(answer.code(), "UNSUPPORTED_MEDIA_TYPE");
    }
    let answer = raw_post(&app, Some("application/json; charset=UTF-8"), query).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["data"]["city"]["name"], "Chișinău");
}

#[tokio::test]
async fn batches_run_each_request_up_to_the_limit() {
    let app = spawn_app_with(Backend::Sqlite, |settings| settings.http.max_batch_size = 2).await;
    let batch = json!([
        { "query": CITY },
        { "query": "query($y: Int!) { cohort(year: $y) { newCityCount } }", "variables": { "y": 2020 } },
    ]);
    let answer = post(&app, &batch, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.body,
        json!([
            { "data": { "city": { "name": "Chișinău" } } },
            { "data": { "cohort": { "newCityCount": 55 } } },
        ])
    );
    let answer = post(
        &app,
        &json!([{ "query": CITY }, { "query": "{ nope }" }]),
        None,
    )
    .await;
    assert_eq!(answer.body[0]["data"]["city"]["name"], "Chișinău");
    assert_eq!(
        answer.body[1]["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    let answer = post(
        &app,
        &json!([{ "query": CITY }, { "query": CITY }, { "query": CITY }]),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.text.contains("over the limit of 2"),
        "{}",
        answer.text
    );
}
