//! Tokens: admitting needs an admin's, a bad one is refused whole and changes nothing,
//! the scheme is matched in any case, and what one sees is never cached for others.

use gnlc::access::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::notify::{ADMIT, cohort_2026, subscribe};
use crate::on_both_backends;

async fn admitting_needs_an_admin_token(app: TestApp) {
    let partner = app.token(Role::Partner, "Partner").await;
    let input = json!({ "input": cohort_2026() });
    let (code, _) = app.error(None, ADMIT, input.clone()).await;
    assert_eq!(code, "UNAUTHENTICATED");
    let (code, message) = app.error(Some(&partner), ADMIT, input.clone()).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("FORBIDDEN", "this needs an admin token")
    );
    let withdraw =
        r#"mutation { withdrawCity(slug: "cahul", withdrawnOn: "2026-01-01") { name } }"#;
    assert_eq!(
        app.error(Some(&partner), withdraw, json!({})).await.0,
        "FORBIDDEN"
    );
    let data = app
        .data(
            None,
            "{ cohort(year: 2026) { year } city(slug: \"cahul\") { isMember } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({ "cohort": null, "city": { "isMember": true } }),
        "nothing changed"
    );
}

async fn a_bad_token_is_refused_whole(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    for header in [
        "Bearer gnlc_not-a-real-token",
        "Bearer something-else",
        "Basic dXNlcjpwdw==",
        "Bearer",
    ] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("authorization", header)
            .json(&json!({ "query": "{ regions { name } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{header}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{header}"
        );
        assert!(body.get("data").is_none());
    }
    // A revoked token stops working at once.
    let listed = gnlc::access::list_tokens(&app.db).await.unwrap();
    gnlc::access::revoke_token(&app.db, &listed[0].prefix)
        .await
        .unwrap();
    let (status, body) = app
        .graphql_as(Some(&admin), ADMIT, json!({ "input": cohort_2026() }))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(
        app.data(None, "{ cohort(year: 2026) { year } }", json!({}))
            .await["cohort"],
        Value::Null
    );
}

async fn what_a_token_sees_is_never_cached_for_others(app: TestApp) {
    let partner = app.token(Role::Partner, "Partner").await;
    subscribe(&app, &partner, "http://127.0.0.1:9/hooks", json!({})).await;
    let url = app.url("/graphql?query=%7BwebhookEndpoints%7Bid%7D%7D");
    let response = app
        .client
        .get(&url)
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-cache");
    assert!(
        response.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("Authorization")
    );
    let public = app
        .client
        .get(app.url("/graphql?query=%7Bregions%7Bslug%7D%7D"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.headers()["cache-control"], "public, max-age=60");
    // A change is never made over GET, token or not.
    let admit = app
        .client
        .get(app.url("/graphql?query=mutation%7BwithdrawCity(slug:%22cahul%22,withdrawnOn:%222026-01-01%22)%7Bname%7D%7D"))
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(admit.status(), 405);
}

/// Authentication schemes are case-insensitive (RFC 9110): `BEARER` is `Bearer`.
async fn the_bearer_scheme_is_matched_in_any_case(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", format!("{scheme} {admin}"))
            .json(&json!({ "query": "{ webhookEndpoints { id } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{scheme}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["data"]["webhookEndpoints"],
            json!([]),
            "{scheme}: {body}"
        );
    }
}

on_both_backends!(
    admitting_needs_an_admin_token,
    a_bad_token_is_refused_whole,
    what_a_token_sees_is_never_cached_for_others,
    the_bearer_scheme_is_matched_in_any_case,
);
