//! GET answers carry an `ETag` and the configured `Cache-Control`; `If-None-Match` with the
//! current tag is a 304 with no body.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, spawn_app_with};
use crate::over_http::{Answer, get, post};

const QUERY: &str = r#"{ city(slug: "chisinau") { name } }"#;

#[tokio::test]
async fn get_answers_revalidate_with_their_etag() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.http.cache_control = "public, max-age=300".into()
    })
    .await;
    let first = get(&app, &[("query", QUERY)], None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("cache-control"), "public, max-age=300");
    assert!(
        first.header("vary").starts_with("Accept"),
        "{}",
        first.header("vary")
    );
    let tag = first.header("etag").to_owned();
    assert!(tag.starts_with('"') && tag.len() > 10, "{tag}");

    let again = get(&app, &[("query", QUERY)], None).await;
    assert_eq!(
        again.header("etag"),
        tag,
        "the same answer has the same tag"
    );

    let revalidated = Answer::from(
        app.client
            .get(app.url("/graphql"))
            .query(&[("query", QUERY)])
            .header("if-none-match", &tag)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    assert_eq!(revalidated.text, "");
    assert_eq!(revalidated.header("etag"), tag);
    assert_eq!(revalidated.header("cache-control"), "public, max-age=300");

    let stale = Answer::from(
        app.client
            .get(app.url("/graphql"))
            .query(&[("query", QUERY)])
            .header("if-none-match", "\"not-the-tag\"")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body["data"]["city"]["name"], "Chișinău");

    let other = get(
        &app,
        &[("query", r#"{ city(slug: "l-alcora") { name } }"#)],
        None,
    )
    .await;
    assert_ne!(other.header("etag"), tag, "another answer, another tag");
    let as_json = get(&app, &[("query", QUERY)], Some("application/json")).await;
    assert_ne!(
        as_json.header("etag"),
        tag,
        "another media type, another tag"
    );

    // Errors are not cached, and POST answers carry no tag.
    let error = get(
        &app,
        &[("query", r#"{ cities(region: "atlantis") { totalCount } }"#)],
        None,
    )
    .await;
    assert_eq!(error.header("etag"), "");
    assert_eq!(error.header("cache-control"), "no-store");
    let posted = post(&app, &json!({ "query": QUERY }), None).await;
    assert_eq!(posted.header("etag"), "");
}
