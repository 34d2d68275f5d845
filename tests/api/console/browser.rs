//! The console in a real browser: `tests/browser/console.mjs` drives Debian's chromium
//! through a partner's and a coordinator's work against a server and webhook receivers this
//! test starts (every host but gnlc's blocked), with axe-core's checks, Tab and focus checks
//! and policy checks on every page; this test checks its report against what the receivers
//! and the database saw. `GNLC_SCREENSHOTS=docs/screenshots` makes it save the README's
//! screenshots too.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use gnlc::access::Role;
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app_with};
use crate::notify::{subscribe, verify};
use crate::receiver::{Receiver, Reply};

/// How many times the failing receiver answers 500 before it answers 200: the tests' retry
/// schedule's four attempts, so the delivery fails for good before its redelivery.
const FAILURES: usize = 4;

/// The text of a field of the report.
fn text<'a>(value: &'a Value, what: &str) -> &'a str {
    value.as_str().unwrap_or_else(|| panic!("{what}: {value}"))
}

#[tokio::test]
async fn partners_and_a_coordinator_use_the_console_in_a_real_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("GNLC_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "the browser test needs Debian's chromium at {chromium}: `apt-get install -y chromium` (or set GNLC_CHROMIUM)"
    );
    for package in ["playwright-core", "axe-core"] {
        assert!(
            root.join("tests/browser/node_modules")
                .join(package)
                .is_dir(),
            "the browser test needs its npm packages: `npm ci --prefix tests/browser`"
        );
    }
    // A slow partner (4 s an answer, under an 8 s timeout, the lease being 10 s) keeps the report pending long
    // enough for the page to show it moving.
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.webhooks.timeout = Duration::from_secs(8);
    })
    .await;
    let partner = app.token(Role::Partner, "Ministry, Iceland").await;
    let coordinator = app.token(Role::Admin, "UIL").await;
    let slow_partner = app.token(Role::Partner, "Ministry, Moldova").await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let mut script = vec![Reply::status(500).body("down for maintenance"); FAILURES];
    script.push(Reply::ok());
    let failing = Receiver::start(script);
    let slow = Receiver::start(vec![Reply::ok().after(Duration::from_secs(4))]);
    subscribe(&app, &slow_partner, &slow.url, json!({})).await;

    let address = app.address.clone();
    let page_script = root.join("tests/browser/console.mjs");
    let (receiver_url, failing_url) = (receiver.url.clone(), failing.url.clone());
    let (partner_token, coordinator_token) = (partner.clone(), coordinator.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(page_script)
            .arg(address)
            .env("GNLC_CHROMIUM", chromium)
            .env("GNLC_PARTNER_TOKEN", partner_token)
            .env("GNLC_COORDINATOR_TOKEN", coordinator_token)
            .env("GNLC_RECEIVER_URL", receiver_url)
            .env("GNLC_FAILING_RECEIVER_URL", failing_url)
            .output()
    })
    .await
    .expect("the browser test's thread")
    .unwrap_or_else(|e| panic!("the browser test needs `node` (Node.js 18 or later) on PATH: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let report: Value = serde_json::from_str(&stdout).expect("the script's JSON report");
    assert_eq!(report["ok"], true);
    for check in report["checks"].as_array().expect("checks") {
        assert_eq!(check["ok"], true, "{check}");
    }
    assert_eq!(
        report["axe"],
        json!([]),
        "no serious or critical axe finding"
    );
    for page in report["focus"].as_array().expect("focus checks") {
        assert_eq!(page["unreachable"], json!([]), "reached by Tab: {page}");
        assert_eq!(page["noIndicator"], json!([]), "a focus indicator: {page}");
    }
    let visited: Vec<&str> = report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| text(&p["page"], "a page"))
        .collect();
    for page in [
        "sign-in",
        "endpoints",
        "new endpoint",
        "endpoint created (its secret)",
        "endpoint",
        "deliveries",
        "event catalog",
        "cohorts",
        "admit a cohort",
        "preview with problems",
        "delivery report",
        "partner endpoints",
        "withdraw a city",
    ] {
        assert!(visited.contains(&page), "{page} checked: {visited:?}");
    }
    assert_eq!(
        report["phoneOverflow"],
        json!([]),
        "every page fits a phone"
    );
    assert_eq!(report["keyboard"]["pointerEvents"], 0, "keyboard alone");
    assert_eq!(report["blocked"], json!([]), "no request for another host");
    assert_eq!(
        report["elsewhere"],
        json!([]),
        "no request for another host"
    );
    assert_eq!(report["violations"], json!([]), "no policy violation");
    assert_eq!(report["console"], json!([]), "no console error");

    // The test event's delivery, as the receiver got it and as the page showed it.
    let received = receiver.wait_for(1, true).await;
    let delivered = &report["delivered"];
    assert!(
        verify(&received[0], text(&delivered["secret"], "the secret")),
        "signed with the secret the page showed"
    );
    assert_eq!(delivered["status"], "succeeded");
    let attempt = &delivered["attempts"][0];
    assert_eq!(attempt["httpStatus"], "200");
    assert_eq!(attempt["excerpt"], "thanks");
    for header in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        assert_eq!(
            text(&attempt["headers"][header], header),
            received[0].header(header).unwrap(),
            "the page shows the {header} sent"
        );
    }

    // The failing endpoint: four attempts answered 500, then a redelivery answered 200.
    let redelivered = &report["redelivered"];
    assert_eq!(redelivered["failed"]["status"], "failed");
    let failed_statuses: Vec<&str> = redelivered["failed"]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| text(&a["httpStatus"], "an HTTP status"))
        .collect();
    assert_eq!(failed_statuses, vec!["500"; FAILURES]);
    assert_eq!(
        redelivered["failed"]["attempts"][0]["excerpt"],
        "down for maintenance"
    );
    assert_eq!(redelivered["after"]["status"], "succeeded");
    let last = redelivered["after"]["attempts"].as_array().unwrap().last();
    assert_eq!(last.unwrap()["httpStatus"], "200");
    let to_failing = failing.received();
    assert!(to_failing.len() > FAILURES, "{} requests", to_failing.len());
    let event_id = to_failing[0].header("webhook-id");
    assert!(
        to_failing[..=FAILURES]
            .iter()
            .all(|r| r.header("webhook-id") == event_id),
        "the same event, redelivered"
    );

    // The coordinator: each problem against its row, nothing admitted until fixed.
    let problems = &report["preview"]["problems"];
    assert_eq!(
        problems,
        &json!([
            { "row": "2", "line": "3", "field": "latitude", "message": "147.76171 is not between -90 and 90" },
            { "row": "3", "line": "4", "field": "country", "message": "there is no country with code `ZZ` (list it in newCountries to admit it)" },
        ]),
        "{problems:#}"
    );
    let cohorts = &report["cohortsBefore"];
    assert_eq!(
        cohorts["before"], cohorts["afterPreview"],
        "a preview admits nothing"
    );
    assert!(
        !cohorts["before"]
            .as_array()
            .unwrap()
            .contains(&json!("2026"))
    );
    assert!(
        cohorts["afterAdmission"]
            .as_array()
            .unwrap()
            .contains(&json!("2026"))
    );
    // The report page moved by itself, from pending to every partner reached.
    let live = &report["liveReport"];
    assert!(live["first"]["pending"].as_u64().unwrap() > 0, "{live}");
    assert_eq!(live["samePage"], true, "not reloaded: {live}");
    assert!(live["fetches"].as_u64().unwrap() >= 1, "{live}");
    // Both partners: the keyboard's endpoint (cohort and city events), the one that failed
    // (all events) and the slow partner's, each sent the cohort and its two cities.
    assert_eq!(
        live["last"],
        json!({
            "Partners reached": "2 of 2", "Deliveries": "9", "Succeeded": "9",
            "Pending": "0", "Failed": "0",
        }),
        "{live}"
    );
    assert_eq!(slow.wait_for(3, true).await.len(), 3);
}
