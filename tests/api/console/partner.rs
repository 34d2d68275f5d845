//! A partner's session in the console: create an endpoint pointing at a receiver, see its
//! secret once, send a test event and see the delivery with its attempt and the exact
//! signed headers; change, pause, resume, rotate, redeliver and delete; read the catalog.

use std::time::{Duration, Instant};

use gnlc::access::Role;

use super::{Browser, Page};
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::notify::verify;
use crate::receiver::{Receiver, Reply};
use crate::{for_each_backend, on_both_backends};

/// Waits until the deliveries page shows `text`.
async fn deliveries_showing(browser: &mut Browser<'_>, path: &str, text: &str) -> Page {
    let started = Instant::now();
    loop {
        let page = browser.get(path).await;
        if page.body.contains(text) {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {text}: {}",
            page.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn secret_of(page: &Page) -> String {
    let start = page.body.find("whsec_").expect("a secret");
    page.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "_+/=".contains(*c))
        .collect()
}

async fn a_partner_manages_an_endpoint_and_sees_its_deliveries(app: TestApp) {
    let receiver = Receiver::start(vec![Reply::ok()]);
    let token = app.token(Role::Partner, "Partner").await;
    let mut browser = Browser::signed_in(&app, &token).await;

    let (id, created) = browser.create_endpoint(&receiver.url, "admissions").await;
    let secret = secret_of(&created);
    assert!(created.body.contains("shown this once"));
    assert!(
        created.body.contains("standardwebhooks"),
        "the verification snippets"
    );
    assert!(
        created.body.contains(r#"data-copy="secret""#),
        "a copy button"
    );
    let endpoint = format!("/console/endpoints/{id}");
    let list = browser.get("/console/endpoints").await;
    assert!(list.body.contains(&endpoint) && list.body.contains("Active"));
    assert!(!list.body.contains(&secret) && !browser.get(&endpoint).await.body.contains(&secret));

    let sent = browser
        .submit(&endpoint, &format!("{endpoint}/test"), &[])
        .await;
    assert_eq!(sent.status, 303);
    let deliveries = format!("{endpoint}/deliveries");
    assert!(sent.location().starts_with(&deliveries));
    let received = receiver.wait_for(1, true).await;
    assert!(
        verify(&received[0], &secret),
        "signed with the secret shown"
    );
    let page = deliveries_showing(&mut browser, &deliveries, "Attempt 1").await;
    assert!(page.body.contains("webhook.test") && page.body.contains("succeeded"));
    for header in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let sent = received[0].header(header).unwrap();
        assert!(
            page.body.contains(&format!("{header}: {sent}")),
            "{header}: {}",
            page.body
        );
    }
    assert!(page.body.contains("thanks"), "the answer's excerpt");
    let list = browser.get("/console/endpoints").await;
    assert!(list.body.contains("100 % (1 of 1)"), "{}", list.body);

    let redeliver = page
        .body
        .split('"')
        .find(|s| s.ends_with("/redeliver"))
        .unwrap()
        .to_owned();
    assert_eq!(
        browser.submit(&deliveries, &redeliver, &[]).await.status,
        303
    );
    deliveries_showing(&mut browser, &deliveries, "Attempt 2").await;
    assert_eq!(receiver.wait_for(2, true).await.len(), 2);
    let all_failed = browser
        .submit(
            &deliveries,
            &format!("{endpoint}/redeliver-failed"),
            &[("since", "2000-01-01T00:00")],
        )
        .await;
    assert_eq!(all_failed.status, 303, "{}", all_failed.body);

    let refused = browser
        .submit(
            &endpoint,
            &endpoint,
            &[("url", "ftp://example.org/"), ("description", "changed")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("the URL is refused"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("ftp://example.org/"),
        "what was typed stays"
    );
    assert!(
        browser.get(&endpoint).await.body.contains("admissions"),
        "nothing changed"
    );
    let saved = browser
        .submit(
            &endpoint,
            &endpoint,
            &[
                ("url", &receiver.url),
                ("description", "Europe only"),
                ("region", "europe-and-north-america"),
                ("event_type", "cohort.admitted"),
                ("countries", "pt, ES"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = browser.get(saved.location()).await;
    assert!(page.body.contains("The endpoint was saved."));
    assert!(
        page.body.contains(r#"value="ES, PT""#),
        "normalised by the operation: {}",
        page.body
    );
    assert!(page.body.contains(r#"value="cohort.admitted" checked"#));

    browser
        .submit(&endpoint, &format!("{endpoint}/pause"), &[])
        .await;
    assert!(browser.get(&endpoint).await.body.contains("Paused"));
    browser
        .submit(&endpoint, &format!("{endpoint}/resume"), &[])
        .await;
    assert!(browser.get(&endpoint).await.body.contains("Active"));

    let rotated = browser
        .submit(&endpoint, &format!("{endpoint}/rotate"), &[])
        .await;
    assert_eq!(rotated.status, 200);
    assert_ne!(secret_of(&rotated), secret);
    assert!(rotated.body.contains("keeps signing beside this one until"));

    let confirm = browser.get(&format!("{endpoint}/delete")).await;
    assert!(confirm.body.contains("Delete the endpoint?"));
    let deleted = browser
        .submit(
            &format!("{endpoint}/delete"),
            &format!("{endpoint}/delete"),
            &[],
        )
        .await;
    assert_eq!(deleted.location(), "/console/endpoints?done=deleted");
    assert_eq!(browser.get(&endpoint).await.status, 404);
}

async fn the_catalog_shows_every_event_type(app: TestApp) {
    let token = app.token(Role::Partner, "Partner").await;
    let mut browser = Browser::signed_in(&app, &token).await;
    let page = browser.get("/console/events").await;
    assert_eq!(page.status, 200);
    for text in [
        "cohort.admitted",
        "city.admitted",
        "city.withdrawn",
        "webhook.test",
        "data.cities[].country.iso2",
        "Chișinău",
        "withdrawnOn",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
}

async fn deliveries_are_paged_newest_first(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.webhooks.run_worker = false).await;
    let token = app.token(Role::Partner, "Partner").await;
    let mut browser = Browser::signed_in(&app, &token).await;
    let (id, _) = browser
        .create_endpoint("http://127.0.0.1:9/hooks", "")
        .await;
    let endpoint = format!("/console/endpoints/{id}");
    for _ in 0..21 {
        browser
            .submit(&endpoint, &format!("{endpoint}/test"), &[])
            .await;
    }
    let deliveries = format!("{endpoint}/deliveries");
    let newest = browser.get(&deliveries).await;
    assert_eq!(newest.body.matches("<section").count(), 20);
    let (first, last) = (
        newest.body.find("delivery-21").unwrap(),
        newest.body.find("delivery-2\"").unwrap(),
    );
    assert!(first < last, "newest first");
    assert!(!newest.body.contains("delivery-1\""));
    let older = format!("{deliveries}?before=2&amp;failed=false");
    assert!(newest.body.contains(&older), "{}", newest.body);
    let page = browser.get(&older.replace("&amp;", "&")).await;
    assert_eq!(page.body.matches("<section").count(), 1);
    assert!(page.body.contains("delivery-1\"") && !page.body.contains("Older deliveries"));
}

on_both_backends!(
    a_partner_manages_an_endpoint_and_sees_its_deliveries,
    the_catalog_shows_every_event_type,
);
for_each_backend!(deliveries_are_paged_newest_first);
