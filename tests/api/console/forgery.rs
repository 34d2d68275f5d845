//! Forms without their session's CSRF token, or with another session's, are refused with
//! 403 and change nothing; a sign-in posted from another site is refused too.

use gnlc::access::Role;
use serde_json::{Value, json};

use super::Browser;
use crate::helpers::TestApp;
use crate::on_both_backends;

const ENDPOINT: &str = r#"query($id: ID!) { webhookEndpoint(id: $id) {
    url description status eventTypes previousSecretExpiresAt
    deliveries(first: 100) { edges { node { attemptCount } } } } }"#;

async fn endpoint(app: &TestApp, token: &str, id: &str) -> Value {
    app.data(Some(token), ENDPOINT, json!({ "id": id })).await["webhookEndpoint"].clone()
}

async fn forms_without_the_sessions_csrf_token_are_refused(app: TestApp) {
    let token = app.token(Role::Partner, "Partner").await;
    let mut browser = Browser::signed_in(&app, &token).await;
    let (id, _) = browser
        .create_endpoint("http://127.0.0.1:9/hooks", "kept")
        .await;
    let other = Browser::signed_in(&app, &app.token(Role::Partner, "Other").await)
        .await
        .get("/console/endpoints")
        .await
        .csrf();
    let before = endpoint(&app, &token, &id).await;
    let form = [
        ("url", "http://127.0.0.1:10/changed"),
        ("description", "changed"),
        ("since", "2000-01-01T00:00"),
    ];
    let posts = [
        "/console/sign-out".to_owned(),
        "/console/endpoints".to_owned(),
        format!("/console/endpoints/{id}"),
        format!("/console/endpoints/{id}/test"),
        format!("/console/endpoints/{id}/pause"),
        format!("/console/endpoints/{id}/rotate"),
        format!("/console/endpoints/{id}/delete"),
        format!("/console/endpoints/{id}/redeliver-failed"),
        format!("/console/endpoints/{id}/deliveries/1/redeliver"),
    ];
    for path in &posts {
        for csrf in [None, Some(""), Some("forged"), Some(other.as_str())] {
            let mut fields = form.to_vec();
            if let Some(csrf) = csrf {
                fields.push(("csrf", csrf));
            }
            let page = browser.post(path, &fields).await;
            assert_eq!(page.status, 403, "{path} with {csrf:?}: {}", page.body);
            assert!(page.body.contains("did not come from this console"));
        }
    }
    assert_eq!(endpoint(&app, &token, &id).await, before, "nothing changed");
    let list = app
        .data(Some(&token), "{ webhookEndpoints { id } }", json!({}))
        .await;
    assert_eq!(
        list["webhookEndpoints"].as_array().unwrap().len(),
        1,
        "none created"
    );
    assert_eq!(
        browser.get("/console/endpoints").await.status,
        200,
        "still signed in"
    );
}

async fn a_sign_in_from_another_site_is_refused(app: TestApp) {
    let token = app.token(Role::Partner, "Partner").await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = |headers: &[(&'static str, &'static str)]| {
        let mut request = client.post(app.url("/console/sign-in"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.form(&[("token", token.as_str())]).send()
    };
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("origin", "null")],
        &[("origin", "null"), ("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site")],
    ] {
        let response = sign_in(headers).await.unwrap();
        assert_eq!(response.status(), 403, "{headers:?}");
        assert!(response.headers().get("set-cookie").is_none());
    }
    // A browser's own form, under the pages' `Referrer-Policy: no-referrer`.
    let from_the_page = [("origin", "null"), ("sec-fetch-site", "same-origin")];
    let response = sign_in(&from_the_page).await.unwrap();
    assert_eq!(response.status(), 303);
    assert!(response.headers().get("set-cookie").is_some());
}

on_both_backends!(
    forms_without_the_sessions_csrf_token_are_refused,
    a_sign_in_from_another_site_is_refused,
);
