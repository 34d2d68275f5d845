//! Signing in and out: the session cookie's attributes, what is stored, bad and revoked
//! tokens, expiry, and the security headers of every page.

use gnlc::access::Role;
use gnlc::http::security_headers::PAGE_POLICY;
use sea_orm::{EntityTrait, PaginatorTrait};

use super::Browser;
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::{for_each_backend, on_both_backends};

async fn sessions(app: &TestApp) -> u64 {
    entity::console_session::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

async fn signing_in_opens_a_session_named_by_a_strict_cookie(app: TestApp) {
    let token = app.token(Role::Partner, "Ministry of Education").await;
    let mut browser = Browser::new(&app);
    let home = browser.get("/console").await;
    assert_eq!(
        (home.status.as_u16(), home.location()),
        (303, "/console/sign-in")
    );
    let form = browser.get("/console/sign-in").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains(r#"<form method="post" action="/console/sign-in">"#)
    );
    assert!(
        form.body.contains(r#"type="password""#),
        "the token is typed, not shown"
    );

    let signed_in = browser.post("/console/sign-in", &[("token", &token)]).await;
    assert_eq!(signed_in.status, 303);
    assert_eq!(signed_in.location(), "/console/endpoints");
    let cookie = signed_in.headers["set-cookie"].to_str().unwrap();
    let id = browser.session.clone().unwrap();
    assert_eq!(
        cookie,
        format!("gnlc_console={id}; Path=/console; Max-Age=43200; HttpOnly; SameSite=Strict"),
        "HttpOnly, SameSite=Strict, limited to the console, not Secure over plain HTTP"
    );
    assert!(id.len() >= 40, "a long random id: {id}");
    assert!(!signed_in.location().contains(&token) && !cookie.contains(&token));

    let stored = entity::console_session::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let hash = gnlc::digest::sha256_hex(id.as_bytes());
    assert_eq!(
        stored[0].session_hash, hash,
        "only a hash of the id is stored"
    );
    assert_eq!(
        stored[0].expires_at - stored[0].created_at,
        12 * 3600 * 1000
    );

    let endpoints = browser.get("/console/endpoints").await;
    assert_eq!(endpoints.status, 200);
    assert!(endpoints.body.contains("Ministry of Education"));
    assert_eq!(
        browser.get("/console").await.location(),
        "/console/endpoints"
    );
}

async fn a_bad_or_revoked_token_cannot_sign_in(app: TestApp) {
    let token = app.token(Role::Partner, "Partner").await;
    let mut browser = Browser::new(&app);
    for bad in [
        "gnlc_not-a-real-token",
        "",
        "something",
        &token[..token.len() - 1],
    ] {
        let page = browser.post("/console/sign-in", &[("token", bad)]).await;
        assert_eq!(page.status, 401, "{bad}");
        assert!(
            page.body.contains("this token is not valid"),
            "{}",
            page.body
        );
        assert!(page.headers.get("set-cookie").is_none());
    }
    assert_eq!(sessions(&app).await, 0, "nothing written");

    let mut signed_in = Browser::signed_in(&app, &token).await;
    gnlc::access::revoke_token(&app.db, &token[..12])
        .await
        .unwrap();
    let page = browser.post("/console/sign-in", &[("token", &token)]).await;
    assert_eq!(page.status, 401, "a revoked token cannot sign in");
    let page = signed_in.get("/console/endpoints").await;
    assert_eq!(
        (page.status.as_u16(), page.location()),
        (303, "/console/sign-in"),
        "a revoked token's sessions stop working"
    );
}

async fn signing_out_ends_the_session(app: TestApp) {
    let token = app.token(Role::Partner, "Partner").await;
    let mut browser = Browser::signed_in(&app, &token).await;
    let id = browser.session.clone().unwrap();
    let page = browser
        .submit("/console/endpoints", "/console/sign-out", &[])
        .await;
    assert_eq!(
        (page.status.as_u16(), page.location()),
        (303, "/console/sign-in")
    );
    assert!(
        page.headers["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("gnlc_console=; Path=/console; Max-Age=0;")
    );
    assert_eq!(sessions(&app).await, 0, "the session is deleted");
    browser.session = Some(id);
    let page = browser.get("/console/endpoints").await;
    assert_eq!(
        page.location(),
        "/console/sign-in",
        "the old cookie opens nothing"
    );
}

async fn every_page_carries_the_security_headers(app: TestApp) {
    let token = app.token(Role::Partner, "Partner").await;
    let mut browser = Browser::signed_in(&app, &token).await;
    let (id, created) = browser
        .create_endpoint("http://127.0.0.1:9/hooks", "x")
        .await;
    let css = created
        .body
        .split('"')
        .find(|s| s.starts_with("/console/assets/") && s.ends_with("console.css"))
        .expect("the stylesheet's path")
        .to_owned();
    let pages = [
        "/console/sign-in".to_owned(),
        "/console/endpoints".to_owned(),
        "/console/endpoints/new".to_owned(),
        format!("/console/endpoints/{id}"),
        format!("/console/endpoints/{id}/deliveries"),
        format!("/console/endpoints/{id}/delete"),
        "/console/endpoints/ep_nobody".to_owned(),
        "/console/events".to_owned(),
        css,
    ];
    for path in pages {
        let page = browser.get(&path).await;
        assert!(
            page.status == 200 || page.status == 303 || page.status == 404,
            "{path}"
        );
        assert_eq!(
            page.headers["content-security-policy"], PAGE_POLICY,
            "{path}"
        );
        assert_eq!(page.headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(page.headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(page.headers["x-content-type-options"], "nosniff", "{path}");
        if page.status == 200 && !path.contains("/assets/") {
            assert_eq!(page.headers["cache-control"], "no-store", "{path}");
            assert!(!page.body.contains("<script>"), "no inline script: {path}");
        }
    }
}

async fn a_session_expires(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.console.session_ttl = std::time::Duration::from_secs(1);
    })
    .await;
    let token = app.token(Role::Partner, "Partner").await;
    let mut browser = Browser::signed_in(&app, &token).await;
    assert_eq!(browser.get("/console/endpoints").await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        browser.get("/console/endpoints").await.location(),
        "/console/sign-in"
    );
}

async fn the_cookie_is_secure_when_told_so(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.console.secure_cookie = true).await;
    let token = app.token(Role::Partner, "Partner").await;
    let mut browser = Browser::new(&app);
    let page = browser.post("/console/sign-in", &[("token", &token)]).await;
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.ends_with("; HttpOnly; SameSite=Strict; Secure"),
        "{cookie}"
    );
}

on_both_backends!(
    signing_in_opens_a_session_named_by_a_strict_cookie,
    a_bad_or_revoked_token_cannot_sign_in,
    signing_out_ends_the_session,
    every_page_carries_the_security_headers,
);
for_each_backend!(a_session_expires, the_cookie_is_secure_when_told_so);
