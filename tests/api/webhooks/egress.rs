//! Where deliveries may go: the address guard, and proxies (the environment's ignored,
//! `--webhook-proxy`'s used).

use gnlc::access::Role;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{ADMISSIONS_ONLY, attempted_once, send_test_event};
use crate::for_each_backend;
use crate::helpers::{Backend, ChildProcess, spawn_app_with};
use crate::notify::{CREATE_ENDPOINT, admin_and_partner, admit, cohort_2026, settled, subscribe};
use crate::receiver::{Receiver, Reply};

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
    let attempted = attempted_once(&app, &partner, "ep_rebound").await;
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
    send_test_event(&app, &partner, &id).await;

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
    send_test_event(&app, &partner, &id).await;
    let requests = proxy.wait_for(1, true).await;
    assert_eq!(requests[0].header("host"), Some("partner.example"));
    assert_eq!(requests[0].json()["type"], "webhook.test");
    assert_eq!(
        settled(&app, &partner, &id, 1).await[0]["status"],
        "SUCCEEDED"
    );
}

for_each_backend!(
    proxy_variables_do_not_carry_deliveries,
    the_webhook_proxy_carries_deliveries,
    the_address_guard_refuses_non_public_targets,
);
