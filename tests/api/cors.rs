//! CORS: no origin is allowed unless the setting names it; `*` allows any.

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};
use crate::over_http::Answer;

const PARTNER: &str = "https://partner.example";

async fn preflight(app: &TestApp, origin: &str) -> Answer {
    Answer::from(
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            // As `graphql-sse` resuming a stream sends them.
            .header(
                "access-control-request-headers",
                "content-type, authorization, last-event-id",
            )
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn cross_origin_get(app: &TestApp, origin: &str) -> Answer {
    Answer::from(
        app.client
            .get(app.url("/graphql"))
            .query(&[("query", "{ cohorts { year } }")])
            .header("origin", origin)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn no_origin_is_allowed_by_default() {
    let app = spawn_app(Backend::Sqlite).await;
    let answer = preflight(&app, PARTNER).await;
    assert_eq!(answer.header("access-control-allow-origin"), "");
    let answer = cross_origin_get(&app, PARTNER).await;
    // Served (browsers enforce CORS), but without the header that lets the page read it.
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("access-control-allow-origin"), "");
}

#[tokio::test]
async fn listed_origins_pass_the_preflight_and_others_do_not() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.http.cors_origins = vec![PARTNER.into()]
    })
    .await;
    let answer = preflight(&app, PARTNER).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("access-control-allow-origin"), PARTNER);
    let methods = answer.header("access-control-allow-methods");
    assert!(
        methods.contains("POST") && methods.contains("GET"),
        "{methods}"
    );
    let headers = answer.header("access-control-allow-headers");
    for header in ["content-type", "authorization", "last-event-id"] {
        assert!(headers.contains(header), "{headers}");
    }
    let answer = cross_origin_get(&app, PARTNER).await;
    assert_eq!(answer.header("access-control-allow-origin"), PARTNER);
    assert!(
        answer
            .header("access-control-expose-headers")
            .contains("etag")
    );

    let answer = preflight(&app, "https://elsewhere.example").await;
    assert_eq!(answer.header("access-control-allow-origin"), "");
}

#[tokio::test]
async fn a_star_allows_any_origin() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.http.cors_origins = vec![PARTNER.into(), "*".into()]
    })
    .await;
    let answer = preflight(&app, "https://anyone.example").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("access-control-allow-origin"), "*");
    let answer = cross_origin_get(&app, "https://anyone.example").await;
    assert_eq!(answer.header("access-control-allow-origin"), "*");
}
