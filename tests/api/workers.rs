//! Delivery workers as separate processes and side by side: a worker killed mid-delivery,
//! and two workers sharing one database's deliveries.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use gnlc::webhooks::worker::{Wakeup, Worker};
use serde_json::json;

use crate::for_each_backend;
use crate::helpers::{Backend, ChildProcess, TestApp, server_log, spawn_app_with, test_settings};
use crate::notify::{admin_and_partner, admit, cohort_2026, deliveries, settled, subscribe};
use crate::receiver::{Receiver, Reply};

/// `gnlc worker` on the app's database, with a short lease (just longer than an attempt's
/// time limit, as it must be).
fn worker_process(app: &TestApp) -> ChildProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_gnlc"))
        .arg("worker")
        .env("GNLC_DATABASE_URL", &app.database_url)
        .env("GNLC_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
        .env("GNLC_WEBHOOK_LEASE", "6s")
        .env("GNLC_WEBHOOK_TIMEOUT", "5s")
        .env("GNLC_WEBHOOK_POLL_INTERVAL", "100ms")
        .stdout(Stdio::null())
        .stderr(server_log())
        .spawn()
        .expect("gnlc worker starts");
    ChildProcess(child)
}

/// An app with no worker of its own, and one delivery due (of an admission, to a receiver
/// playing `script`) for a worker to make: the app, the partner's token, the endpoint's id
/// and the receiver.
async fn one_delivery_due(
    backend: Backend,
    script: Vec<Reply>,
) -> (TestApp, String, String, Receiver) {
    let app = spawn_app_with(backend, |s| s.webhooks.run_worker = false).await;
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(script);
    let (endpoint, _) = subscribe(
        &app,
        &partner,
        &receiver.url,
        json!({ "eventTypes": ["cohort.admitted"] }),
    )
    .await;
    admit(&app, &admin, cohort_2026()).await;
    (app, partner, endpoint, receiver)
}

async fn a_killed_workers_delivery_is_completed_after_restart(backend: Backend) {
    // The first request never gets an answer: the worker is killed while it waits.
    let (app, partner, endpoint, receiver) = one_delivery_due(
        backend,
        vec![Reply::ok().after(Duration::from_secs(120)), Reply::ok()],
    )
    .await;

    let mut first = worker_process(&app);
    receiver.wait_for(1, false).await;
    first.kill();

    let mut second = worker_process(&app);
    let delivered = settled(&app, &partner, &endpoint, 1).await;
    let requests = receiver.received();
    second.kill();

    assert_eq!(
        requests[1].header("webhook-id"),
        requests[0].header("webhook-id")
    );
    assert_eq!(delivered[0]["status"], "SUCCEEDED");
    assert_eq!(
        delivered[0]["attemptCount"], 1,
        "the killed worker recorded nothing"
    );
    assert_eq!(delivered[0]["attempts"][0]["statusCode"], 200);
}

/// 199 cities: with the cohort, 200 events for an endpoint that takes every type.
fn large_cohort() -> serde_json::Value {
    let cities: Vec<_> = (1..=199)
        .map(|i| json!({ "name": format!("Test City {i}"), "country": "MD", "latitude": 47.0, "longitude": 28.0 }))
        .collect();
    json!({ "year": 2026, "announcedOn": "2026-09-01", "newCityCount": 199, "newCountryCount": 1, "cities": cities })
}

async fn two_workers_share_200_deliveries_without_sending_one_twice(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.webhooks.run_worker = false).await;
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::ok().after(Duration::from_millis(5))]);
    let (endpoint, _) = subscribe(&app, &partner, &receiver.url, json!({})).await;
    assert_eq!(
        admit(&app, &admin, large_cohort()).await["deliveryCount"],
        200
    );

    let settings = test_settings(app.database_url.clone()).webhooks;
    let mut workers = Vec::new();
    for _ in 0..2 {
        let (db, _) = gnlc::database::connect(&app.database_url, 5).await.unwrap();
        let worker = Worker::new(db, settings.clone(), Wakeup::default()).unwrap();
        workers.push(tokio::spawn(worker.run(std::future::pending())));
    }
    receiver.wait_for(200, true).await;
    let delivered = settled(&app, &partner, &endpoint, 200).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // anything sent twice would show now
    for worker in workers {
        worker.abort();
    }

    let requests = receiver.received();
    let ids: HashSet<&str> = requests
        .iter()
        .map(|r| r.header("webhook-id").unwrap())
        .collect();
    assert_eq!(requests.len(), 200, "each delivery was sent once");
    assert_eq!(ids.len(), 200);
    assert_eq!(delivered.len(), 200);
    assert!(
        delivered
            .iter()
            .all(|d| d["status"] == "SUCCEEDED" && d["attemptCount"] == 1)
    );
}

async fn a_worker_stopped_by_ctrl_c_finishes_its_delivery_first(backend: Backend) {
    // Answered well after Ctrl-C has reached the worker.
    let (app, partner, endpoint, receiver) =
        one_delivery_due(backend, vec![Reply::ok().after(Duration::from_secs(3))]).await;

    let mut worker = worker_process(&app);
    receiver.wait_for(1, false).await;
    worker.signal("INT");
    let exit = worker.exit().await;
    assert!(
        exit.success(),
        "the worker exits cleanly on SIGINT: {exit:?}"
    );

    let delivered = deliveries(&app, &partner, &endpoint).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        delivered[0]["status"], "SUCCEEDED",
        "the attempt in flight was finished and recorded: {delivered:#?}"
    );
    assert_eq!(delivered[0]["attemptCount"], 1);
}

for_each_backend!(
    a_killed_workers_delivery_is_completed_after_restart,
    a_worker_stopped_by_ctrl_c_finishes_its_delivery_first,
    two_workers_share_200_deliveries_without_sending_one_twice,
);
