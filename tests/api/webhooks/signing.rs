//! Signatures: a rotated secret signs beside the new one, and the Standard Webhooks
//! library verifies what gnlc sends.

use gnlc::access::Role;
use serde_json::json;

use super::send_test_event;
use crate::helpers::TestApp;
use crate::notify::{admin_and_partner, admit, cohort_2026, settled, subscribe, verify};
use crate::on_both_backends;
use crate::receiver::{Receiver, Reply};

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

    // The attempt keeps the signed headers exactly as they were sent.
    let delivered = settled(&app, &partner, &endpoint, 1).await;
    let attempt = &delivered[0]["attempts"][0];
    assert_eq!(
        attempt["webhookTimestamp"].as_str(),
        request.header("webhook-timestamp")
    );
    assert_eq!(
        attempt["webhookSignature"].as_str(),
        request.header("webhook-signature")
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
    send_test_event(&app, &partner, &endpoint).await;
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
    a_rotated_secret_signs_beside_the_new_one,
);
