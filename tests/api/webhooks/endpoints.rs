//! A partner's endpoints: validated, updated and deleted, each account's share, filters,
//! pausing, and deliveries sent again.

use std::time::Duration;

use gnlc::access::Role;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use super::subscribe_to_admissions;
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::notify::{
    CREATE_ENDPOINT, admin_and_partner, admit, cohort_2026, deliveries, settled, subscribe,
};
use crate::receiver::{Receiver, Reply};
use crate::{for_each_backend, on_both_backends};

/// An account has at most `--webhook-max-endpoints-per-partner` endpoints, whichever of
/// its tokens creates them; other accounts have their own share.
async fn an_account_has_at_most_its_share_of_endpoints(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.webhooks.max_endpoints_per_partner = 2).await;
    let partner = app.token(Role::Partner, "Partner").await;
    let rotated = app.token(Role::Partner, "Partner").await;
    let other = app.token(Role::Partner, "Other").await;
    let (first, _) = subscribe(&app, &partner, "http://127.0.0.1:9/1", json!({})).await;
    subscribe(&app, &rotated, "http://127.0.0.1:9/2", json!({})).await;

    let create = json!({ "input": { "url": "http://127.0.0.1:9/3" } });
    for token in [&partner, &rotated] {
        let (_, body) = app
            .graphql_as(Some(token), CREATE_ENDPOINT, create.clone())
            .await;
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert_eq!(error["extensions"]["limit"], 2, "{body}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("at most 2 webhook endpoints"), "{message}");
    }
    let mine = app
        .data(Some(&partner), "{ webhookEndpoints { id } }", json!({}))
        .await;
    assert_eq!(mine["webhookEndpoints"].as_array().unwrap().len(), 2);
    subscribe(&app, &other, "http://127.0.0.1:9/other", json!({})).await;

    let delete = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }";
    app.data(Some(&partner), delete, json!({ "id": first }))
        .await;
    subscribe(&app, &partner, "http://127.0.0.1:9/3", json!({})).await;
}

/// Creations at once cannot both pass the share: each account's are taken one at a time.
async fn creations_at_once_stay_within_the_share(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.webhooks.max_endpoints_per_partner = 2).await;
    let partner = app.token(Role::Partner, "Partner").await;
    let creations = (0..6).map(|i| {
        let create = json!({ "input": { "url": format!("http://127.0.0.1:9/{i}") } });
        app.graphql_as(Some(&partner), CREATE_ENDPOINT, create)
    });
    let answers = futures_util::future::join_all(creations).await;
    let created = answers
        .iter()
        .filter(|(_, body)| body.get("errors").is_none())
        .count();
    assert_eq!(created, 2, "{answers:?}");
    for (_, body) in answers
        .iter()
        .filter(|(_, body)| body.get("errors").is_some())
    {
        assert_eq!(body["errors"][0]["extensions"]["limit"], 2, "{body}");
    }
    let mine = app
        .data(Some(&partner), "{ webhookEndpoints { id } }", json!({}))
        .await;
    assert_eq!(mine["webhookEndpoints"].as_array().unwrap().len(), 2);
}

async fn a_paused_endpoint_gets_its_deliveries_on_resume(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let endpoint = subscribe_to_admissions(&app, &partner, &receiver.url).await;
    let pause = "mutation($id: ID!) { pauseWebhookEndpoint(id: $id) { status } }";
    assert_eq!(
        app.data(Some(&partner), pause, json!({ "id": endpoint }))
            .await["pauseWebhookEndpoint"]["status"],
        "PAUSED"
    );
    admit(&app, &admin, cohort_2026()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.received().is_empty(), "held while paused");
    assert_eq!(
        deliveries(&app, &partner, &endpoint).await[0]["status"],
        "PENDING"
    );
    let resume = "mutation($id: ID!) { resumeWebhookEndpoint(id: $id) { status } }";
    app.data(Some(&partner), resume, json!({ "id": endpoint }))
        .await;
    assert_eq!(
        receiver.wait_for(1, true).await[0].json()["type"],
        "cohort.admitted"
    );
}

async fn endpoints_are_validated_updated_and_deleted(app: TestApp) {
    let partner = app.token(Role::Partner, "Partner").await;
    let (endpoint, _) = subscribe(
        &app,
        &partner,
        "http://127.0.0.1:9/hooks",
        json!({ "eventTypes": ["city.admitted", "cohort.admitted"], "regions": ["africa"], "countries": ["sen", "MD"] }),
    )
    .await;
    let get =
        "query($id: ID!) { webhookEndpoint(id: $id) { url eventTypes regions countries status } }";
    let data = app
        .data(Some(&partner), get, json!({ "id": endpoint }))
        .await;
    assert_eq!(
        data["webhookEndpoint"],
        json!({ "url": "http://127.0.0.1:9/hooks", "eventTypes": ["city.admitted", "cohort.admitted"],
                "regions": ["africa"], "countries": ["MD", "SN"], "status": "ACTIVE" })
    );
    for (input, fragment) in [
        (
            json!({ "url": "http://127.0.0.1:9/", "eventTypes": ["city.renamed"] }),
            "unknown event type `city.renamed`",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/", "regions": ["atlantis"] }),
            "there is no region with slug `atlantis`",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/", "countries": ["Moldova"] }),
            "is not an ISO 3166-1",
        ),
        (
            json!({ "url": "mailto:partner@example.org" }),
            "only http and https URLs are allowed",
        ),
    ] {
        let (code, message) = app
            .error(Some(&partner), CREATE_ENDPOINT, json!({ "input": input }))
            .await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert!(message.contains(fragment), "{message}");
    }
    let update = "mutation($id: ID!, $c: WebhookEndpointChanges!) { updateWebhookEndpoint(id: $id, changes: $c) { url description regions } }";
    let changes = json!({ "url": "http://127.0.0.1:9/v2", "description": "v2", "regions": [] });
    let updated = app
        .data(
            Some(&partner),
            update,
            json!({ "id": endpoint, "c": changes }),
        )
        .await;
    assert_eq!(
        updated["updateWebhookEndpoint"],
        json!({ "url": "http://127.0.0.1:9/v2", "description": "v2", "regions": [] })
    );
    let delete = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }";
    assert_eq!(
        app.data(Some(&partner), delete, json!({ "id": endpoint }))
            .await["deleteWebhookEndpoint"],
        endpoint.as_str()
    );
    assert_eq!(
        app.data(Some(&partner), get, json!({ "id": endpoint }))
            .await["webhookEndpoint"],
        Value::Null
    );
}

async fn filters_choose_what_an_endpoint_hears(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let iceland = Receiver::start(vec![Reply::ok()]);
    let africa = Receiver::start(vec![Reply::ok()]);
    subscribe(
        &app,
        &partner,
        &iceland.url,
        json!({ "eventTypes": ["city.admitted"], "countries": ["IS"] }),
    )
    .await;
    let (none, _) = subscribe(
        &app,
        &partner,
        &africa.url,
        json!({ "regions": ["africa"] }),
    )
    .await;
    admit(&app, &admin, cohort_2026()).await;
    let requests = iceland.wait_for(1, true).await;
    assert_eq!(requests[0].json()["data"]["city"]["name"], "Reykjavík");
    assert_eq!(deliveries(&app, &partner, &none).await.len(), 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(iceland.received().len(), 1);
}

async fn deliveries_can_be_sent_again(backend: Backend) {
    // No retries: a failure is final at once.
    let app = spawn_app_with(backend, |s| s.webhooks.retry_schedule = "".parse().unwrap()).await;
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::status(500), Reply::ok()]);
    let endpoint = subscribe_to_admissions(&app, &partner, &receiver.url).await;
    let started = gnlc::clock::rfc3339(gnlc::clock::now_ms() - 60_000);
    admit(&app, &admin, cohort_2026()).await;
    let failed = settled(&app, &partner, &endpoint, 1).await;
    assert_eq!(failed[0]["status"], "FAILED");

    let again =
        "mutation($id: ID!, $since: DateTime!) { redeliverFailed(endpointId: $id, since: $since) }";
    let count = app
        .data(
            Some(&partner),
            again,
            json!({ "id": endpoint, "since": started }),
        )
        .await;
    assert_eq!(count["redeliverFailed"], 1);
    let succeeded = settled(&app, &partner, &endpoint, 1).await;
    assert_eq!(succeeded[0]["status"], "SUCCEEDED");
    assert_eq!(succeeded[0]["attemptCount"], 2);

    let one = "mutation($id: ID!) { redeliver(deliveryId: $id) { status } }";
    let redelivered = app
        .data(Some(&partner), one, json!({ "id": succeeded[0]["id"] }))
        .await;
    assert_eq!(redelivered["redeliver"]["status"], "PENDING");
    let requests = receiver.wait_for(3, true).await;
    assert_eq!(
        requests[2].header("webhook-id"),
        requests[0].header("webhook-id")
    );
    let other = app.token(Role::Partner, "Other").await;
    assert_eq!(
        app.error(Some(&other), one, json!({ "id": succeeded[0]["id"] }))
            .await
            .0,
        "NOT_FOUND"
    );

    // Deleting the endpoint deletes its deliveries and their attempts.
    receiver.wait_for(3, true).await;
    settled(&app, &partner, &endpoint, 1).await;
    let delete = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }";
    app.data(Some(&partner), delete, json!({ "id": endpoint }))
        .await;
    assert_eq!(
        entity::delivery::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        entity::delivery_attempt::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

on_both_backends!(
    a_paused_endpoint_gets_its_deliveries_on_resume,
    endpoints_are_validated_updated_and_deleted,
    filters_choose_what_an_endpoint_hears,
);

for_each_backend!(
    an_account_has_at_most_its_share_of_endpoints,
    creations_at_once_stay_within_the_share,
    deliveries_can_be_sent_again,
);
