//! Bad input gets a clear error with a stable `extensions.code`.

use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn every_error_carries_a_code(app: TestApp) {
    let cases = [
        ("{ regions { name ", "GRAPHQL_PARSE_FAILED"),
        ("{ regions { population } }", "GRAPHQL_VALIDATION_FAILED"),
        (
            r#"{ cities(first: "ten") { totalCount } }"#,
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            r#"query($n: Int) { citiesNear(latitude: 0, longitude: 0, radiusKm: $n) { distanceKm } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ cities(region: "atlantis") { totalCount } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ cities(country: "ZZ") { totalCount } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ cities(country: "Moldova") { totalCount } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ cities(cohortYear: 1999) { totalCount } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ cities(search: "’ !") { totalCount } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ countries(region: "atlantis") { totalCount } }"#,
            "BAD_USER_INPUT",
        ),
        (r#"{ country(code: "M0") { name } }"#, "BAD_USER_INPUT"),
    ];
    for (query, expected) in cases {
        let (code, message) = app.error(None, query, json!({})).await;
        assert_eq!(code, expected, "{query}: {message}");
        assert!(!message.is_empty());
    }
    let (_, message) = app
        .error(
            None,
            r#"{ cities(region: "atlantis") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(message, "there is no region with slug `atlantis`");
    let (_, message) = app
        .error(
            None,
            r#"{ cities(country: "Moldova") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        message,
        "`Moldova` is not an ISO 3166-1 alpha-2 or alpha-3 country code"
    );
}

on_both_backends!(every_error_carries_a_code);
