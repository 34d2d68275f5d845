//! Who may do what: anonymous readers, partners, admins; bad tokens change nothing.

use gnlc::access::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::notify::{ADMIT, CREATE_ENDPOINT, cohort_2026, subscribe};
use crate::on_both_backends;

async fn admitting_needs_an_admin_token(app: TestApp) {
    let partner = app.token(Role::Partner, "Partner").await;
    let input = json!({ "input": cohort_2026() });
    let (code, _) = app.error_as(None, ADMIT, input.clone()).await;
    assert_eq!(code, "UNAUTHENTICATED");
    let (code, message) = app.error_as(Some(&partner), ADMIT, input.clone()).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("FORBIDDEN", "this needs an admin token")
    );
    let withdraw =
        r#"mutation { withdrawCity(slug: "cahul", withdrawnOn: "2026-01-01") { name } }"#;
    assert_eq!(
        app.error_as(Some(&partner), withdraw, json!({})).await.0,
        "FORBIDDEN"
    );
    let data = app
        .data(
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
        app.data("{ cohort(year: 2026) { year } }", json!({})).await["cohort"],
        Value::Null
    );
}

async fn partners_see_and_manage_only_their_own_endpoints(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let alice = app.token(Role::Partner, "Alice").await;
    let alice_again = app.token(Role::Partner, "Alice").await;
    let bob = app.token(Role::Partner, "Bob").await;
    let (alices, _) = subscribe(&app, &alice, "http://127.0.0.1:9/alice", json!({})).await;
    let (bobs, _) = subscribe(&app, &bob, "http://127.0.0.1:9/bob", json!({})).await;

    let list = "{ webhookEndpoints { id owner } }";
    let ids = |data: Value| -> Vec<String> {
        data["webhookEndpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(app.data_as(&alice, list, json!({})).await),
        vec![alices.clone()]
    );
    assert_eq!(
        ids(app.data_as(&alice_again, list, json!({})).await),
        vec![alices.clone()],
        "same partner, new token"
    );
    assert_eq!(
        ids(app.data_as(&bob, list, json!({})).await),
        vec![bobs.clone()]
    );
    assert_eq!(
        ids(app.data_as(&admin, list, json!({})).await),
        [alices.clone(), bobs.clone()]
    );

    let get = "query($id: ID!) { webhookEndpoint(id: $id) { url } }";
    assert_eq!(
        app.data_as(&alice, get, json!({ "id": bobs })).await["webhookEndpoint"],
        Value::Null
    );
    let pause = "mutation($id: ID!) { pauseWebhookEndpoint(id: $id) { status } }";
    assert_eq!(
        app.error_as(Some(&alice), pause, json!({ "id": bobs }))
            .await
            .0,
        "NOT_FOUND"
    );
    let delete = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }";
    assert_eq!(
        app.error_as(Some(&alice), delete, json!({ "id": bobs }))
            .await
            .0,
        "NOT_FOUND"
    );
    let test = "mutation($id: ID!) { sendTestEvent(endpointId: $id) { id } }";
    assert_eq!(
        app.error_as(Some(&alice), test, json!({ "id": bobs }))
            .await
            .0,
        "NOT_FOUND"
    );
    let deliveries = "query($id: ID) { deliveries(endpointId: $id) { edges { node { id } } } }";
    assert_eq!(
        app.error_as(Some(&alice), deliveries, json!({ "id": bobs }))
            .await
            .0,
        "NOT_FOUND"
    );
    assert_eq!(
        app.data_as(&bob, get, json!({ "id": bobs })).await["webhookEndpoint"]["url"],
        "http://127.0.0.1:9/bob"
    );
    assert_eq!(
        app.data_as(&admin, pause, json!({ "id": bobs })).await["pauseWebhookEndpoint"]["status"],
        "PAUSED"
    );

    for query in [
        list,
        "{ events { edges { node { id } } } }",
        "{ deliveries { edges { node { id } } } }",
    ] {
        assert_eq!(
            app.error_as(None, query, json!({})).await.0,
            "UNAUTHENTICATED",
            "{query}"
        );
    }
    let create = json!({ "input": { "url": "http://127.0.0.1:9/x" } });
    assert_eq!(
        app.error_as(None, CREATE_ENDPOINT, create).await.0,
        "UNAUTHENTICATED"
    );
    let report = "{ cohort(year: 2020) { deliveryReport { partners } } }";
    assert_eq!(
        app.error_as(Some(&alice), report, json!({})).await.0,
        "FORBIDDEN"
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

on_both_backends!(
    what_a_token_sees_is_never_cached_for_others,
    admitting_needs_an_admin_token,
    a_bad_token_is_refused_whole,
    partners_see_and_manage_only_their_own_endpoints,
);
