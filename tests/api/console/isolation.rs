//! A partner sees and changes nothing of another partner's, in pages or form posts, by
//! guessing ids: every such page and post is a 404, as if it did not exist.

use gnlc::access::Role;
use serde_json::{Value, json};

use super::Browser;
use crate::for_each_backend;
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::notify::{deliveries, subscribe};

async fn state(app: &TestApp, token: &str, id: &str) -> (Value, Vec<Value>) {
    let endpoint = app
        .data(
            Some(token),
            "query($id: ID!) { webhookEndpoint(id: $id) { url description status previousSecretExpiresAt } }",
            json!({ "id": id }),
        )
        .await["webhookEndpoint"]
        .clone();
    (endpoint, deliveries(app, token, id).await)
}

async fn a_partner_sees_and_changes_nothing_of_anothers(backend: Backend) {
    // No worker: the deliveries stay as they are unless a request changes them.
    let app = spawn_app_with(backend, |settings| settings.webhooks.run_worker = false).await;
    let owner = app.token(Role::Partner, "Owner").await;
    let (theirs, _) = subscribe(&app, &owner, "http://127.0.0.1:9/theirs", json!({})).await;
    app.data(
        Some(&owner),
        "mutation($id: ID!) { sendTestEvent(endpointId: $id) { id } }",
        json!({ "id": theirs }),
    )
    .await;
    let before = state(&app, &owner, &theirs).await;
    let their_delivery = before.1[0]["id"].as_str().unwrap().to_owned();

    let mut intruder = Browser::signed_in(&app, &app.token(Role::Partner, "Intruder").await).await;
    let (mine, _) = intruder
        .create_endpoint("http://127.0.0.1:9/mine", "mine")
        .await;
    let list = intruder.get("/console/endpoints").await;
    assert!(!list.body.contains("/theirs") && !list.body.contains(&theirs));

    for path in [
        format!("/console/endpoints/{theirs}"),
        format!("/console/endpoints/{theirs}/deliveries"),
        format!("/console/endpoints/{theirs}/delete"),
    ] {
        let page = intruder.get(&path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(!page.body.contains("/theirs"), "{path}");
    }
    let csrf = intruder.get("/console/endpoints").await.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("url", "http://127.0.0.1:9/stolen"),
        ("description", "stolen"),
        ("since", "2000-01-01T00:00"),
    ];
    for path in [
        format!("/console/endpoints/{theirs}"),
        format!("/console/endpoints/{theirs}/test"),
        format!("/console/endpoints/{theirs}/pause"),
        format!("/console/endpoints/{theirs}/resume"),
        format!("/console/endpoints/{theirs}/rotate"),
        format!("/console/endpoints/{theirs}/delete"),
        format!("/console/endpoints/{theirs}/redeliver-failed"),
        format!("/console/endpoints/{theirs}/deliveries/{their_delivery}/redeliver"),
        // Their delivery through my own endpoint's page.
        format!("/console/endpoints/{mine}/deliveries/{their_delivery}/redeliver"),
    ] {
        let page = intruder.post(&path, &form).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(!page.body.contains("whsec_"), "{path}");
    }
    assert_eq!(
        state(&app, &owner, &theirs).await,
        before,
        "nothing changed"
    );
}

for_each_backend!(a_partner_sees_and_changes_nothing_of_anothers);
