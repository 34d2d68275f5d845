//! Delivery: retries and their record, 410, Retry-After, time-outs, the address guard,
//! pausing, secret rotation, test events and redelivery.

use std::time::Duration;

use gnlc::access::Role;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Backend, ChildProcess, TestApp, spawn_app_with};
use crate::notify::{
    CREATE_ENDPOINT, admin_and_partner, admit, cohort_2026, deliveries, settled, subscribe, verify,
};
use crate::receiver::{Receiver, Reply};
use crate::{for_each_backend, on_both_backends};

const ADMISSIONS_ONLY: &str = "cohort.admitted";

async fn failures_then_success_are_all_recorded(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![
        Reply::status(500).body("oops"),
        Reply::status(502),
        Reply::ok(),
    ]);
    let (endpoint, _) = subscribe(
        &app,
        &partner,
        &receiver.url,
        json!({ "eventTypes": [ADMISSIONS_ONLY] }),
    )
    .await;
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

async fn retry_after_is_honoured(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![
        Reply::status(503).header("retry-after", "3"),
        Reply::ok(),
    ]);
    let (endpoint, _) = subscribe(
        &app,
        &partner,
        &receiver.url,
        json!({ "eventTypes": [ADMISSIONS_ONLY] }),
    )
    .await;
    admit(&app, &admin, cohort_2026()).await;
    receiver.wait_for(1, true).await;
    let waiting = loop {
        let all = deliveries(&app, &partner, &endpoint).await;
        if all[0]["attemptCount"] == 1 {
            break all[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
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

    let timed_out = loop {
        let all = deliveries(&app, &partner, &slow).await;
        if let Some(attempted) = all.iter().find(|d| d["attemptCount"] == 1) {
            break attempted.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = timed_out["attempts"][0]["error"].as_str().unwrap();
    assert!(error.starts_with("timed out"), "{error}");
    assert_eq!(timed_out["attempts"][0]["statusCode"], Value::Null);
}

async fn the_address_guard_refuses_non_public_targets(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.webhooks.allow_private_targets = false).await;
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    for url in [
        format!("http://127.0.0.1:{port}/hooks"),
        "http://10.1.2.3/hooks".into(),
        "http://192.168.0.10/hooks".into(),
        "http://169.254.169.254/latest/meta-data".into(),
        "http://100.64.0.1/".into(),
        "http://[::1]/hooks".into(),
        "http://[::ffff:127.0.0.1]/hooks".into(),
        "http://[::ffff:10.0.0.1]/hooks".into(),
        "http://[fd00::1]/hooks".into(),
        "http://[64:ff9b::7f00:1]/hooks".into(),
        "http://[2002:a00:1::1]/hooks".into(),
        "http://[::ffff:0:127.0.0.1]/hooks".into(),
        "http://[2001:0:808:808::80ff:fffe]/hooks".into(),
        format!("http://localhost:{port}/hooks"),
        "ftp://partner.example/hooks".into(),
        "not a url".into(),
    ] {
        let (code, message) = app
            .error(
                Some(&partner),
                CREATE_ENDPOINT,
                json!({ "input": { "url": url } }),
            )
            .await;
        assert_eq!(code, "BAD_USER_INPUT", "{url}: {message}");
        if message.contains("non-public address") {
            assert!(
                message.contains("--webhook-allow-private-targets"),
                "{url}: the refusal names the flag that allows it: {message}"
            );
        }
    }
    let none = app
        .data(Some(&partner), "{ webhookEndpoints { id } }", json!({}))
        .await;
    assert_eq!(none["webhookEndpoints"], json!([]), "nothing was saved");

    // A name that resolved to a public address when saved and to loopback now (DNS
    // changed) is refused again when the worker connects.
    let now = gnlc::clock::now_ms();
    let account = entity::account::Entity::find()
        .filter(entity::account::Column::Name.eq("Partner"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the partner's account");
    entity::webhook_endpoint::ActiveModel {
        public_id: Set("ep_rebound".into()),
        account_id: Set(account.id),
        url: Set(format!("http://localhost:{port}/hooks")),
        description: Set(String::new()),
        event_types: Set(ADMISSIONS_ONLY.into()),
        regions: Set(String::new()),
        countries: Set(String::new()),
        secret: Set(gnlc::webhooks::signing::new_secret()),
        status: Set(entity::webhook_endpoint::EndpointStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    admit(&app, &admin, cohort_2026()).await;
    let attempted = loop {
        let all = deliveries(&app, &partner, "ep_rebound").await;
        if all[0]["attemptCount"] == 1 {
            break all[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = attempted["attempts"][0]["error"].as_str().unwrap();
    assert!(error.contains("non-public address"), "{error}");
    assert!(error.contains("--webhook-allow-private-targets"), "{error}");
    assert!(
        receiver.received().is_empty(),
        "nothing reached the loopback receiver"
    );
}

/// The port of a receiver's URL.
fn port_of(url: &str) -> u16 {
    url::Url::parse(url).unwrap().port().unwrap()
}

/// A proxy named by `HTTP_PROXY` (or its kin) in gnlc's environment would resolve an
/// endpoint's name itself, past the address guard: deliveries ignore it and connect
/// directly. `gnlc worker` runs as a child process, so that only it sees the variables.
async fn proxy_variables_do_not_carry_deliveries(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.webhooks.run_worker = false).await;
    let partner = app.token(Role::Partner, "Partner").await;
    let proxy = Receiver::start(vec![Reply::ok()]);
    let endpoint = Receiver::start(vec![Reply::ok()]);
    let (id, _) = subscribe(&app, &partner, &endpoint.url, json!({})).await;
    app.data(
        Some(&partner),
        "mutation($id: ID!) { sendTestEvent(endpointId: $id) { id } }",
        json!({ "id": id }),
    )
    .await;

    let proxy_url = format!("http://127.0.0.1:{}", port_of(&proxy.url));
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gnlc"));
    command
        .arg("worker")
        .env("GNLC_DATABASE_URL", &app.database_url)
        .env("GNLC_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
        .env("GNLC_WEBHOOK_POLL_INTERVAL", "100ms")
        .env_remove("GNLC_WEBHOOK_PROXY")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdout(std::process::Stdio::null())
        .stderr(crate::helpers::server_log());
    for variable in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env(variable, &proxy_url);
    }
    let mut worker = ChildProcess(command.spawn().expect("gnlc worker starts"));
    let delivered = settled(&app, &partner, &id, 1).await;
    worker.kill();
    assert_eq!(delivered[0]["status"], "SUCCEEDED");
    assert_eq!(endpoint.received().len(), 1, "delivered directly");
    assert!(
        proxy.received().is_empty(),
        "nothing went through the proxy of the environment"
    );
}

/// A proxy named by `--webhook-proxy` carries every delivery, and is reached whatever its
/// address (it enforces the address policy itself).
async fn the_webhook_proxy_carries_deliveries(backend: Backend) {
    let proxy = Receiver::start(vec![Reply::ok()]);
    let proxy_url = format!("http://localhost:{}", port_of(&proxy.url));
    let app = spawn_app_with(backend, |s| {
        s.webhooks.allow_private_targets = false;
        s.webhooks.proxy = Some(proxy_url.parse().unwrap());
    })
    .await;
    let partner = app.token(Role::Partner, "Partner").await;
    let (id, _) = subscribe(&app, &partner, "http://partner.example/hooks", json!({})).await;
    app.data(
        Some(&partner),
        "mutation($id: ID!) { sendTestEvent(endpointId: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let requests = proxy.wait_for(1, true).await;
    assert_eq!(requests[0].header("host"), Some("partner.example"));
    assert_eq!(requests[0].json()["type"], "webhook.test");
    assert_eq!(
        settled(&app, &partner, &id, 1).await[0]["status"],
        "SUCCEEDED"
    );
}

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

async fn a_paused_endpoint_gets_its_deliveries_on_resume(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let (endpoint, _) = subscribe(
        &app,
        &partner,
        &receiver.url,
        json!({ "eventTypes": [ADMISSIONS_ONLY] }),
    )
    .await;
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

async fn a_rotated_secret_signs_beside_the_new_one(app: TestApp) {
    let partner = app.token(Role::Partner, "Partner").await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let (endpoint, old) = subscribe(&app, &partner, &receiver.url, json!({})).await;
    let rotate = "mutation($id: ID!) { rotateWebhookEndpointSecret(id: $id) { secret endpoint { previousSecretExpiresAt } } }";
    let rotated = app
        .data(Some(&partner), rotate, json!({ "id": endpoint }))
        .await;
    let new = rotated["rotateWebhookEndpointSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    assert!(
        rotated["rotateWebhookEndpointSecret"]["endpoint"]["previousSecretExpiresAt"].is_string()
    );

    let test = "mutation($id: ID!) { sendTestEvent(endpointId: $id) { id type payload } }";
    let event = app
        .data(Some(&partner), test, json!({ "id": endpoint }))
        .await["sendTestEvent"]
        .clone();
    assert_eq!(event["type"], "webhook.test");
    let request = &receiver.wait_for(1, true).await[0];
    assert_eq!(
        request
            .header("webhook-signature")
            .unwrap()
            .split(' ')
            .count(),
        2
    );
    assert!(verify(request, &new) && verify(request, &old));
    assert!(!verify(request, &gnlc::webhooks::signing::new_secret()));
    assert_eq!(request.json(), event["payload"]);
}

async fn deliveries_can_be_sent_again(backend: Backend) {
    // No retries: a failure is final at once.
    let app = spawn_app_with(backend, |s| s.webhooks.retry_schedule = "".parse().unwrap()).await;
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::status(500), Reply::ok()]);
    let (endpoint, _) = subscribe(
        &app,
        &partner,
        &receiver.url,
        json!({ "eventTypes": [ADMISSIONS_ONLY] }),
    )
    .await;
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
}

async fn an_endpoint_failing_too_long_is_disabled(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.webhooks.retry_schedule = "300ms,300ms,300ms".parse().unwrap();
        s.webhooks.disable_after = Duration::from_millis(200);
    })
    .await;
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::status(500)]);
    let (endpoint, _) = subscribe(
        &app,
        &partner,
        &receiver.url,
        json!({ "eventTypes": [ADMISSIONS_ONLY] }),
    )
    .await;
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

async fn redirects_are_not_followed(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let elsewhere = Receiver::start(vec![Reply::ok()]);
    let redirecting = Receiver::start(vec![Reply::status(307).header("location", &elsewhere.url)]);
    let (endpoint, _) = subscribe(
        &app,
        &partner,
        &redirecting.url,
        json!({ "eventTypes": [ADMISSIONS_ONLY] }),
    )
    .await;
    admit(&app, &admin, cohort_2026()).await;
    let attempted = loop {
        let all = deliveries(&app, &partner, &endpoint).await;
        if all[0]["attemptCount"] == 1 {
            break all[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
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

/// Runs `tests/browser/verify-webhook.mjs`: the `standardwebhooks` npm package, as a
/// partner's Node receiver uses it. Returns whether it verified, and what it printed.
fn verify_with_standard_webhooks(
    secret: &str,
    requests: &[crate::receiver::Received],
) -> (bool, String) {
    use std::io::Write;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/browser/node_modules/standardwebhooks")
            .exists(),
        "this test needs the npm packages of tests/browser: npm ci --prefix tests/browser"
    );
    let input = json!({
        "secret": secret,
        "requests": requests.iter().map(|r| json!({
            "headers": r.headers.iter().cloned().collect::<std::collections::HashMap<_, _>>(),
            "body": String::from_utf8_lossy(&r.body),
        })).collect::<Vec<_>>(),
    });
    let mut child = std::process::Command::new("node")
        .arg(root.join("tests/browser/verify-webhook.mjs"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("this test needs `node` on PATH");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), said)
}

async fn the_standard_webhooks_library_verifies_deliveries(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let (endpoint, secret) = subscribe(&app, &partner, &receiver.url, json!({})).await;
    admit(&app, &admin, cohort_2026()).await;
    let requests = receiver.wait_for(3, true).await;
    let (verified, said) = verify_with_standard_webhooks(&secret, &requests);
    assert!(verified, "{said}");
    let mut types: Vec<&str> = said.lines().collect();
    types.sort();
    assert_eq!(types, ["city.admitted", "city.admitted", "cohort.admitted"]);

    // After a rotation, the old secret and the new one both verify.
    let rotate = "mutation($id: ID!) { rotateWebhookEndpointSecret(id: $id) { secret } }";
    let new = app
        .data(Some(&partner), rotate, json!({ "id": endpoint }))
        .await["rotateWebhookEndpointSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    app.data(
        Some(&partner),
        "mutation($id: ID!) { sendTestEvent(endpointId: $id) { id } }",
        json!({ "id": endpoint }),
    )
    .await;
    let test = receiver.wait_for(4, true).await.pop().unwrap();
    for key in [&secret, &new] {
        let (verified, said) = verify_with_standard_webhooks(key, std::slice::from_ref(&test));
        assert!(verified && said.trim() == "webhook.test", "{said}");
    }
    // A tampered body does not verify.
    let mut tampered = test.clone();
    tampered.body = tampered
        .body
        .iter()
        .map(|b| if *b == b'a' { b'b' } else { *b })
        .collect();
    let (verified, _) = verify_with_standard_webhooks(&new, &[tampered]);
    assert!(!verified);
}

on_both_backends!(
    the_standard_webhooks_library_verifies_deliveries,
    redirects_are_not_followed,
    failures_then_success_are_all_recorded,
    gone_disables_the_endpoint,
    retry_after_is_honoured,
    a_paused_endpoint_gets_its_deliveries_on_resume,
    a_rotated_secret_signs_beside_the_new_one,
    endpoints_are_validated_updated_and_deleted,
    filters_choose_what_an_endpoint_hears,
);

for_each_backend!(
    an_account_has_at_most_its_share_of_endpoints,
    proxy_variables_do_not_carry_deliveries,
    the_webhook_proxy_carries_deliveries,
    a_hanging_endpoint_delays_no_other,
    the_address_guard_refuses_non_public_targets,
    deliveries_can_be_sent_again,
    an_endpoint_failing_too_long_is_disabled,
);
