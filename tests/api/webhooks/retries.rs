//! What becomes of a delivery: retries and their record, 410, Retry-After, time-outs,
//! redirects, and an endpoint disabled after failing too long (but never one paused).

use std::time::Duration;

use serde_json::{Value, json};

use super::{attempted_once, subscribe_to_admissions};
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::notify::{admin_and_partner, admit, cohort_2026, deliveries, settled, subscribe};
use crate::receiver::{Receiver, Reply};
use crate::{for_each_backend, on_both_backends};

async fn failures_then_success_are_all_recorded(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![
        Reply::status(500).body("oops"),
        Reply::status(502),
        Reply::ok(),
    ]);
    let endpoint = subscribe_to_admissions(&app, &partner, &receiver.url).await;
    admit(&app, &admin, cohort_2026()).await;

    let settled = settled(&app, &partner, &endpoint, 1).await;
    let delivery = &settled[0];
    assert_eq!(delivery["status"], "SUCCEEDED");
    assert_eq!(delivery["attemptCount"], 3);
    assert_eq!(delivery["lastStatusCode"], 200);
    assert_eq!(delivery["event"]["type"], "cohort.admitted");
    let attempts = delivery["attempts"].as_array().unwrap();
    let summary: Vec<(Value, Value, Value)> = attempts
        .iter()
        .map(|a| {
            (
                a["statusCode"].clone(),
                a["responseExcerpt"].clone(),
                a["error"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                json!(500),
                json!("oops"),
                json!("the endpoint answered 500")
            ),
            (json!(502), json!(""), json!("the endpoint answered 502")),
            (json!(200), json!("thanks"), Value::Null),
        ]
    );
    let requests = receiver.received();
    assert_eq!(requests.len(), 3);
    let ids: Vec<_> = requests
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every retry carries the event's id"
    );
    assert_eq!(delivery["event"]["id"], ids[0].as_str());
    let failed = app
        .data(Some(&partner), "query($e: ID) { deliveries(endpointId: $e, failedOnly: true) { edges { node { id } } } }", json!({ "e": endpoint }))
        .await;
    assert_eq!(
        failed["deliveries"]["edges"],
        json!([]),
        "it succeeded in the end"
    );
    let get = "query($id: ID!) { webhookEndpoint(id: $id) { status failingSince } }";
    assert_eq!(
        app.data(Some(&partner), get, json!({ "id": endpoint }))
            .await["webhookEndpoint"],
        json!({ "status": "ACTIVE", "failingSince": null }),
        "the success ended the endpoint's failing streak"
    );
}

async fn gone_disables_the_endpoint(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::status(410)]);
    let (endpoint, _) = subscribe(&app, &partner, &receiver.url, json!({})).await;
    let withdraw =
        r#"mutation { withdrawCity(slug: "cahul", withdrawnOn: "2026-01-31") { name } }"#;
    app.data(Some(&admin), withdraw, json!({})).await;

    let settled = settled(&app, &partner, &endpoint, 1).await;
    assert_eq!(settled[0]["status"], "FAILED");
    assert_eq!(settled[0]["attemptCount"], 1);
    let get = "query($id: ID!) { webhookEndpoint(id: $id) { status disabledReason } }";
    let data = app
        .data(Some(&partner), get, json!({ "id": endpoint }))
        .await;
    assert_eq!(
        data["webhookEndpoint"],
        json!({ "status": "DISABLED", "disabledReason": "the endpoint answered 410 Gone" })
    );

    admit(&app, &admin, cohort_2026()).await;
    assert_eq!(
        deliveries(&app, &partner, &endpoint).await.len(),
        1,
        "a disabled endpoint gets nothing new"
    );
    let resume = "mutation($id: ID!) { resumeWebhookEndpoint(id: $id) { status disabledReason } }";
    let data = app
        .data(Some(&partner), resume, json!({ "id": endpoint }))
        .await;
    assert_eq!(
        data["resumeWebhookEndpoint"],
        json!({ "status": "ACTIVE", "disabledReason": null })
    );
}

/// An endpoint its owner paused while an attempt was in flight stays paused when that
/// attempt fails, even with 410 Gone: gnlc disables only an active endpoint.
async fn an_endpoint_paused_during_a_failing_attempt_stays_paused(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::status(410).after(Duration::from_millis(1500))]);
    let endpoint = subscribe_to_admissions(&app, &partner, &receiver.url).await;
    admit(&app, &admin, cohort_2026()).await;
    receiver.wait_for(1, false).await;
    let pause = "mutation($id: ID!) { pauseWebhookEndpoint(id: $id) { status } }";
    app.data(Some(&partner), pause, json!({ "id": endpoint }))
        .await;
    let settled = settled(&app, &partner, &endpoint, 1).await;
    assert_eq!(settled[0]["status"], "FAILED");
    assert_eq!(settled[0]["attempts"][0]["statusCode"], 410);
    let get = "query($id: ID!) { webhookEndpoint(id: $id) { status disabledReason failingSince } }";
    let data = app
        .data(Some(&partner), get, json!({ "id": endpoint }))
        .await;
    let endpoint = &data["webhookEndpoint"];
    assert_eq!(
        (&endpoint["status"], &endpoint["disabledReason"]),
        (&json!("PAUSED"), &Value::Null),
        "{endpoint}"
    );
    assert!(
        endpoint["failingSince"].is_string(),
        "the streak is kept: {endpoint}"
    );
}

async fn retry_after_is_honoured(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![
        Reply::status(503).header("retry-after", "3"),
        Reply::ok(),
    ]);
    let endpoint = subscribe_to_admissions(&app, &partner, &receiver.url).await;
    admit(&app, &admin, cohort_2026()).await;
    receiver.wait_for(1, true).await;
    let waiting = attempted_once(&app, &partner, &endpoint).await;
    assert_eq!(waiting["status"], "PENDING");
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let gap = at(&waiting["nextAttemptAt"]) - at(&waiting["attempts"][0]["attemptedAt"]);
    // The schedule says 200 ms; the endpoint asked for 3 s.
    assert!(
        gap.num_milliseconds() >= 3000,
        "next attempt {gap} after the first"
    );
    assert!(
        gap.num_milliseconds() < 4000,
        "next attempt {gap} after the first"
    );
    let settled = settled(&app, &partner, &endpoint, 1).await;
    assert_eq!(settled[0]["status"], "SUCCEEDED");
}

async fn a_hanging_endpoint_delays_no_other(backend: Backend) {
    // Two attempt slots, at most one per endpoint: the dead endpoint's three deliveries
    // could otherwise hold both slots until they time out.
    let app = spawn_app_with(backend, |s| {
        s.webhooks.timeout = Duration::from_secs(3);
        s.webhooks.concurrency = 2;
        s.webhooks.endpoint_concurrency = 1;
    })
    .await;
    let (admin, partner) = admin_and_partner(&app).await;
    let hanging = Receiver::start(vec![Reply::ok().after(Duration::from_secs(60))]);
    let healthy = Receiver::start(vec![Reply::ok()]);
    let (slow, _) = subscribe(&app, &partner, &hanging.url, json!({})).await;
    subscribe(&app, &partner, &healthy.url, json!({})).await;
    admit(&app, &admin, cohort_2026()).await;

    healthy.wait_for(3, true).await;
    assert_eq!(
        hanging.received().len(),
        1,
        "one attempt at a time to the hanging endpoint"
    );
    let stuck = deliveries(&app, &partner, &slow).await;
    assert!(
        stuck.iter().all(|d| d["attemptCount"] == 0),
        "the other endpoint was served while this one hung"
    );

    let timed_out = attempted_once(&app, &partner, &slow).await;
    let error = timed_out["attempts"][0]["error"].as_str().unwrap();
    assert!(error.starts_with("timed out"), "{error}");
    assert_eq!(timed_out["attempts"][0]["statusCode"], Value::Null);
}

async fn an_endpoint_failing_too_long_is_disabled(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.webhooks.retry_schedule = "300ms,300ms,300ms".parse().unwrap();
        s.webhooks.disable_after = Duration::from_millis(200);
    })
    .await;
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::status(500)]);
    let endpoint = subscribe_to_admissions(&app, &partner, &receiver.url).await;
    admit(&app, &admin, cohort_2026()).await;
    let get = "query($id: ID!) { webhookEndpoint(id: $id) { status disabledReason failingSince } }";
    let disabled = loop {
        let data = app
            .data(Some(&partner), get, json!({ "id": endpoint }))
            .await["webhookEndpoint"]
            .clone();
        if data["status"] == "DISABLED" {
            break data;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let reason = disabled["disabledReason"].as_str().unwrap();
    assert!(
        reason.starts_with("deliveries have failed for ") && reason.ends_with(" without a success"),
        "{reason}"
    );
    assert_eq!(
        receiver.received().len(),
        2,
        "disabled at the second failure, past the limit"
    );
}

async fn redirects_are_not_followed(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let elsewhere = Receiver::start(vec![Reply::ok()]);
    let redirecting = Receiver::start(vec![Reply::status(307).header("location", &elsewhere.url)]);
    let endpoint = subscribe_to_admissions(&app, &partner, &redirecting.url).await;
    admit(&app, &admin, cohort_2026()).await;
    let attempted = attempted_once(&app, &partner, &endpoint).await;
    assert_eq!(attempted["attempts"][0]["statusCode"], 307);
    assert_eq!(
        attempted["attempts"][0]["error"],
        "the endpoint answered 307"
    );
    assert!(
        elsewhere.received().is_empty(),
        "the redirect was not followed"
    );
}

on_both_backends!(
    redirects_are_not_followed,
    failures_then_success_are_all_recorded,
    gone_disables_the_endpoint,
    an_endpoint_paused_during_a_failing_attempt_stays_paused,
    retry_after_is_honoured,
);

for_each_backend!(
    a_hanging_endpoint_delays_no_other,
    an_endpoint_failing_too_long_is_disabled,
);
