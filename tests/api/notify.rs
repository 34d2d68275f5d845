//! Shared steps of the notifier's tests: subscribing, admitting, verifying signatures.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use gnlc::access::Role;

use crate::helpers::TestApp;
use crate::receiver::Received;

pub const CREATE_ENDPOINT: &str = r#"mutation($input: WebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { secret endpoint { id url status eventTypes regions countries } }
}"#;

pub const ADMIT: &str = r#"mutation($input: CohortAdmissionInput!) {
    admitCohort(input: $input) { created cityCount deliveryCount cohort { year cityCount } }
}"#;

pub const DELIVERIES: &str = r#"query($endpoint: ID, $after: String) {
    deliveries(endpointId: $endpoint, first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { node {
            id status attemptCount lastStatusCode nextAttemptAt
            event { id type }
            endpoint { id }
            attempts { attemptedAt statusCode durationMs responseExcerpt error webhookTimestamp webhookSignature }
        } }
    }
}"#;

/// Tokens for a coordinator ("UIL", admin) and a partner ("Partner").
pub async fn admin_and_partner(app: &TestApp) -> (String, String) {
    (
        app.token(Role::Admin, "UIL").await,
        app.token(Role::Partner, "Partner").await,
    )
}

/// Creates an endpoint for `url`; returns its id and secret.
pub async fn subscribe(app: &TestApp, token: &str, url: &str, extra: Value) -> (String, String) {
    let mut input = json!({ "url": url, "description": "test receiver" });
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    let data = app
        .data(Some(token), CREATE_ENDPOINT, json!({ "input": input }))
        .await;
    let created = &data["createWebhookEndpoint"];
    (
        created["endpoint"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// A 2026 cohort: one city in a member country, one in a country joining with it.
pub fn cohort_2026() -> Value {
    json!({
        "year": 2026, "announcedOn": "2026-09-01", "newCityCount": 2, "newCountryCount": 2,
        "networkCityCount": 427, "networkCountryCount": 92,
        "newCountries": [{ "iso2": "IS", "iso3": "ISL", "name": "Iceland", "region": "europe-and-north-america" }],
        "cities": [
            { "name": "Reykjavík", "country": "IS", "latitude": 64.1355, "longitude": -21.8954, "geonamesId": 3413829 },
            { "name": "Bălți", "country": "MDA", "latitude": 47.76171, "longitude": 27.92902 }
        ]
    })
}

pub async fn admit(app: &TestApp, admin: &str, input: Value) -> Value {
    app.data(Some(admin), ADMIT, json!({ "input": input }))
        .await["admitCohort"]
        .clone()
}

/// Every delivery of an endpoint, oldest first, page after page.
pub async fn deliveries(app: &TestApp, token: &str, endpoint: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data(
                Some(token),
                DELIVERIES,
                json!({ "endpoint": endpoint, "after": after }),
            )
            .await;
        let page = &data["deliveries"];
        all.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return all;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Waits until every delivery of an endpoint is settled (succeeded or failed).
pub async fn settled(app: &TestApp, token: &str, endpoint: &str, expected: usize) -> Vec<Value> {
    let started = std::time::Instant::now();
    loop {
        let all = deliveries(app, token, endpoint).await;
        if all.len() >= expected && all.iter().all(|d| d["status"] != "PENDING") {
            return all;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "deliveries did not settle: {all:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Checks a request the way a partner's Standard Webhooks library does, from the spec:
/// the three headers, and an HMAC-SHA256 over `{id}.{timestamp}.{body}` with the
/// base64-decoded secret, matching one of the space-separated `v1,` signatures.
pub fn verify(request: &Received, secret: &str) -> bool {
    let (Some(id), Some(timestamp), Some(signatures)) = (
        request.header("webhook-id"),
        request.header("webhook-timestamp"),
        request.header("webhook-signature"),
    ) else {
        return false;
    };
    if timestamp.parse::<i64>().is_err() || id.is_empty() {
        return false;
    }
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    signatures
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}
