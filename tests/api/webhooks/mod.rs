//! The notifier's deliveries to partners' endpoints, by topic, and the steps they share.

mod egress;
mod endpoints;
mod retries;
mod signing;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::notify::{deliveries, subscribe};

const ADMISSIONS_ONLY: &str = "cohort.admitted";

/// Subscribes `partner` at `url` to admissions only; returns the endpoint's id.
async fn subscribe_to_admissions(app: &TestApp, partner: &str, url: &str) -> String {
    subscribe(
        app,
        partner,
        url,
        json!({ "eventTypes": [ADMISSIONS_ONLY] }),
    )
    .await
    .0
}

/// Waits until a delivery of an endpoint has had its first attempt; returns it.
async fn attempted_once(app: &TestApp, partner: &str, endpoint: &str) -> Value {
    let started = Instant::now();
    loop {
        let all = deliveries(app, partner, endpoint).await;
        if let Some(attempted) = all.iter().find(|d| d["attemptCount"] == 1) {
            return attempted.clone();
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "no delivery was attempted: {all:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends a test event to an endpoint.
async fn send_test_event(app: &TestApp, partner: &str, endpoint: &str) {
    app.data(
        Some(partner),
        "mutation($id: ID!) { sendTestEvent(endpointId: $id) { id } }",
        json!({ "id": endpoint }),
    )
    .await;
}
