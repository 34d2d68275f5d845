//! The response cache: a repeated anonymous query answers the same bytes for no statement
//! (following the data version: PostgreSQL's notifications, or the SQLite file watched) or
//! one (the data-version read: notifications turned off); an admission or a withdrawal is
//! seen by the very next query, through this process or another on the same database, either
//! way; tokens, token-only fields and mutations are never served from it; and it can be
//! turned off.

use gnlc::access::Role;
use serde_json::json;

use crate::for_each_backend;
use crate::helpers::{Backend, TestApp, spawn_app_sharing, spawn_app_with};
use crate::notify::{admit, cohort_2026};

const NETWORK: &str = "{ network { cityCount countryCount } regions { name cityCount countries { iso2 cities { name } } } }";
pub const ICELAND: &str = r#"{ country(code: "IS") { name cities { name } } }"#;
pub const CAHUL: &str = r#"{ city(slug: "cahul") { isMember withdrawnOn } }"#;

/// The statements a cached answer costs: none where the process follows the data version
/// (PostgreSQL's notifications, or the SQLite file watched: the default), else the read of
/// the data version.
fn cached_cost(notifications: bool) -> u64 {
    if notifications { 0 } else { 1 }
}

async fn statements_and_data(app: &TestApp, query: &str) -> (u64, serde_json::Value) {
    let before = app.statements.get();
    let data = app.data(None, query, json!({})).await;
    (app.statements.get() - before, data)
}

async fn a_repeated_query_is_answered_from_memory(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let cached = cached_cost(true);
    let (cold, first) = statements_and_data(&app, NETWORK).await;
    // The query's own statements (and the data version, where it is read).
    assert!(cold > 2, "{cold}");
    let (warm, again) = statements_and_data(&app, NETWORK).await;
    assert_eq!(warm, cached, "at most the data version is read");
    assert_eq!(first, again);
    // Layout, comments and commas do not make another entry.
    let relaid = format!("# the same\n{}", NETWORK.replace(' ', "\n ,"));
    assert_eq!(statements_and_data(&app, &relaid).await.0, cached);
    // Other variables are another answer.
    let query = "query($slug: String!) { city(slug: $slug) { name } }";
    for (slug, name) in [
        ("cahul", "Cahul"),
        ("chisinau", "Chișinău"),
        ("cahul", "Cahul"),
    ] {
        let data = app.data(None, query, json!({ "slug": slug })).await;
        assert_eq!(data["city"]["name"], name);
    }
}

async fn an_admission_is_seen_by_the_next_query(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.token(Role::Admin, "coordinators").await;
    let before = app.data(None, NETWORK, json!({})).await;
    assert_eq!(
        app.data(None, ICELAND, json!({})).await["country"],
        json!(null)
    );
    admit(&app, &admin, cohort_2026()).await;
    let after = app.data(None, NETWORK, json!({})).await;
    assert_eq!(
        after["network"]["cityCount"].as_i64(),
        before["network"]["cityCount"].as_i64().map(|n| n + 2)
    );
    assert_eq!(
        app.data(None, ICELAND, json!({})).await["country"]["cities"],
        json!([{ "name": "Reykjavík" }])
    );

    assert_eq!(
        app.data(None, CAHUL, json!({})).await["city"],
        json!({ "isMember": true, "withdrawnOn": null })
    );
    app.data(
        Some(&admin),
        r#"mutation { withdrawCity(slug: "cahul", withdrawnOn: "2026-01-01") { name } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        app.data(None, CAHUL, json!({})).await["city"],
        json!({ "isMember": false, "withdrawnOn": "2026-01-01" })
    );
}

async fn an_admission_through_one_process_is_seen_at_once_through_another(backend: Backend) {
    seen_at_once_through_another_process(backend, true).await
}

async fn without_notifications_too(backend: Backend) {
    seen_at_once_through_another_process(backend, false).await
}

async fn seen_at_once_through_another_process(backend: Backend, notifications: bool) {
    let first = spawn_app_with(backend, |s| {
        s.http.data_version_notifications = notifications
    })
    .await;
    let second = spawn_app_sharing(&first, |s| {
        s.http.data_version_notifications = notifications
    })
    .await;
    let admin = first.token(Role::Admin, "coordinators").await;
    for app in [&first, &second] {
        // Cached in both.
        app.data(None, ICELAND, json!({})).await;
        assert_eq!(
            statements_and_data(app, ICELAND).await.0,
            cached_cost(notifications)
        );
    }
    admit(&first, &admin, cohort_2026()).await;
    for app in [&second, &first] {
        assert_eq!(
            app.data(None, ICELAND, json!({})).await["country"]["cities"],
            json!([{ "name": "Reykjavík" }])
        );
    }
    second
        .data(
            Some(&admin),
            r#"mutation { withdrawCity(slug: "reykjavik", withdrawnOn: "2026-12-01") { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        first
            .data(
                None,
                r#"{ city(slug: "reykjavik") { isMember } }"#,
                json!({})
            )
            .await["city"],
        json!({ "isMember": false })
    );
}

/// A change committed by another process, straight to the database as `gnlc admit` does (its
/// own pool, no server): the next query sees it, though cached answers cost no statement
/// before it and after it.
async fn a_change_committed_beside_the_server_is_seen_by_the_next_query(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.data(None, CAHUL, json!({})).await;
    assert_eq!(
        statements_and_data(&app, CAHUL).await.0,
        0,
        "following the version"
    );
    let (db, _) = gnlc::database::connect(&app.database_url, 2).await.unwrap();
    let versions = gnlc::data_version::DataVersions::new(db.clone());
    let alone = gnlc::after_commit::AfterCommit::without_workers(versions);
    let withdrawn_on = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    gnlc::admission::withdraw(&db, "cahul", withdrawn_on, &alone)
        .await
        .unwrap();
    assert_eq!(
        app.data(None, CAHUL, json!({})).await["city"],
        json!({ "isMember": false, "withdrawnOn": "2026-01-01" })
    );
    assert_eq!(
        statements_and_data(&app, CAHUL).await.0,
        0,
        "still following"
    );
}

async fn concurrent_requests_never_see_a_version_older_than_their_arrival(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.token(Role::Admin, "coordinators").await;
    let iceland = || async { app.data(None, ICELAND, json!({})).await["country"].clone() };
    // Many at once, sharing data-version reads.
    let before = futures_util::future::join_all((0..16).map(|_| iceland())).await;
    assert!(before.iter().all(|country| country.is_null()));
    admit(&app, &admin, cohort_2026()).await;
    let after = futures_util::future::join_all((0..16).map(|_| iceland())).await;
    for country in after {
        assert_eq!(country["cities"], json!([{ "name": "Reykjavík" }]));
    }
}

async fn tokens_token_only_fields_and_mutations_bypass_it(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let cached = cached_cost(true);
    let partner = app.token(Role::Partner, "partner").await;
    app.data(None, NETWORK, json!({})).await;
    // With a token: the token check and the query run, never the cache.
    for _ in 0..2 {
        let before = app.statements.get();
        app.data(Some(&partner), NETWORK, json!({})).await;
        assert!(app.statements.get() - before > 2);
    }
    // A token-only field is never cached, even where it is refused.
    let events = "{ regions { name } events(first: 1) { edges { cursor } } }";
    for _ in 0..2 {
        let (code, _) = app.error(None, events, json!({})).await;
        assert_eq!(code, "UNAUTHENTICATED");
    }
    let before = app.statements.get();
    app.data(
        Some(&partner),
        "{ events(first: 1) { edges { cursor } } }",
        json!({}),
    )
    .await;
    app.data(
        Some(&partner),
        "{ events(first: 1) { edges { cursor } } }",
        json!({}),
    )
    .await;
    assert!(app.statements.get() - before >= 4);
    // A token holder's answer to a public query is kept for everyone; one that read who
    // asked (a token-only field, with no list naming it) is never served to anyone else.
    let endpoints = "{ regions { name } webhookEndpoints { id } }";
    app.data(Some(&partner), endpoints, json!({})).await;
    let (code, _) = app.error(None, endpoints, json!({})).await;
    assert_eq!(code, "UNAUTHENTICATED", "not the partner's answer");
    let regions = "{ regions { slug } }";
    app.data(Some(&partner), regions, json!({})).await;
    assert_eq!(statements_and_data(&app, regions).await.0, cached);
    // An answer with errors is not kept either.
    for _ in 0..2 {
        let before = app.statements.get();
        let (code, _) = app
            .error(
                None,
                r#"{ cities(country: "ZZ") { totalCount } }"#,
                json!({}),
            )
            .await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert!(app.statements.get() - before > cached, "not from the cache");
    }
}

async fn it_can_be_turned_off(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.http.response_cache_bytes = 0).await;
    let (first, _) = statements_and_data(&app, NETWORK).await;
    let (second, _) = statements_and_data(&app, NETWORK).await;
    assert_eq!(first, second, "no data-version read, no cache");
    assert!(second > 2);
}

/// Waits (boundedly) until a cached answer to `query` costs `statements`: 0 once the
/// process follows notifications.
pub async fn until_cached_cost(app: &TestApp, query: &str, statements: u64) {
    for _ in 0..100 {
        if statements_and_data(app, query).await.0 == statements {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("a cached answer never cost {statements} statements");
}

/// Reading the data version per request (notifications off): a request that is no query,
/// never answered from the cache nor kept in it, reads no version; a query does.
async fn only_a_query_reads_the_data_version(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.http.data_version_notifications = false).await;
    for (document, expected) in [
        ("{ regions { name ", "GRAPHQL_PARSE_FAILED"),
        (
            r#"mutation { withdrawCity(slug: "cahul", withdrawnOn: "2026-01-01") { name } }"#,
            "UNAUTHENTICATED",
        ),
    ] {
        let before = app.statements.get();
        let (code, _) = app.error(None, document, json!({})).await;
        assert_eq!(code, expected);
        assert_eq!(app.statements.get() - before, 0, "{document}");
    }
    let regions = "{ regions { slug } }";
    app.data(None, regions, json!({})).await;
    assert_eq!(
        statements_and_data(&app, regions).await.0,
        cached_cost(false)
    );
}

for_each_backend!(
    only_a_query_reads_the_data_version,
    a_repeated_query_is_answered_from_memory,
    an_admission_is_seen_by_the_next_query,
    an_admission_through_one_process_is_seen_at_once_through_another,
    without_notifications_too,
    concurrent_requests_never_see_a_version_older_than_their_arrival,
    tokens_token_only_fields_and_mutations_bypass_it,
    it_can_be_turned_off,
    a_change_committed_beside_the_server_is_seen_by_the_next_query,
);
