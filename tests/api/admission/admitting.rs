//! Admitting cohorts, end to end to a partner's receiver: signed events, once however
//! often or however many at once it is sent.

use gnlc::access::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::notify::{
    ADMIT, admin_and_partner, admit, cohort_2026, deliveries, settled, subscribe, verify,
};
use crate::on_both_backends;
use crate::receiver::{Receiver, Reply};

async fn an_admission_reaches_the_partners_signed(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let partner = app
        .token(Role::Partner, "Ministry of Education, Iceland")
        .await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let (endpoint, secret) = subscribe(&app, &partner, &receiver.url, json!({})).await;

    let admitted = admit(&app, &admin, cohort_2026()).await;
    assert_eq!(
        admitted,
        json!({ "created": true, "cityCount": 2, "deliveryCount": 3, "cohort": { "year": 2026, "cityCount": 2 } })
    );

    let requests = receiver.wait_for(3, true).await;
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert!(
            verify(request, &secret),
            "signature does not verify: {request:?}"
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert!(request.header("webhook-id").unwrap().starts_with("msg_"));
    }
    let mut types: Vec<String> = requests
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(types, ["city.admitted", "city.admitted", "cohort.admitted"]);
    let cohort = requests
        .iter()
        .map(|r| r.json())
        .find(|b| b["type"] == "cohort.admitted")
        .unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(cohort["timestamp"].as_str().unwrap()).is_ok());
    assert_eq!(cohort["data"]["cohort"]["year"], 2026);
    assert_eq!(cohort["data"]["cohort"]["networkCityCount"], 427);
    let cities = cohort["data"]["cities"].as_array().unwrap();
    assert_eq!(cities[0]["name"], "Reykjavík");
    assert_eq!(cities[0]["country"]["name"], "Iceland");
    assert_eq!(
        cities[0]["country"]["region"]["slug"],
        "europe-and-north-america"
    );
    assert_eq!(cities[1]["slug"], "balti");

    let deliveries = settled(&app, &partner, &endpoint, 3).await;
    assert!(
        deliveries
            .iter()
            .all(|d| d["status"] == "SUCCEEDED" && d["attemptCount"] == 1)
    );
    assert_eq!(deliveries[0]["attempts"][0]["statusCode"], 200);
    assert_eq!(deliveries[0]["attempts"][0]["responseExcerpt"], "thanks");

    // The public data has the new cohort, and the coordinators see who received it.
    let data = app
        .data(
            None,
            r#"{ cohort(year: 2026) { cities { name country { name region { slug } } } }
                 country(code: "ISL") { name cityCount } network { cityCount countryCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["cohort"]["cities"][1]["name"], "Reykjavík");
    assert_eq!(
        data["country"],
        json!({ "name": "Iceland", "cityCount": 1 })
    );
    assert_eq!(
        data["network"],
        json!({ "cityCount": 57, "countryCount": 28 })
    );
    let report = app
        .data(Some(&admin), "{ cohort(year: 2026) { deliveryReport { partners partnersReached deliveries succeeded } } }", json!({}))
        .await;
    assert_eq!(
        report["cohort"]["deliveryReport"],
        json!({ "partners": 1, "partnersReached": 1, "deliveries": 3, "succeeded": 3 }),
        "every delivery the admission caused: its cohort.admitted and a city.admitted per city"
    );

    // A partner that was down catches up by pulling the same payloads.
    let events = app
        .data(
            Some(&partner),
            "{ events(first: 10) { edges { cursor node { id type payload } } } }",
            json!({}),
        )
        .await;
    let edges = events["events"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 3);
    let delivered: Value = requests
        .iter()
        .map(|r| r.json())
        .find(|b| b["type"] == "cohort.admitted")
        .unwrap();
    assert_eq!(edges[0]["node"]["payload"], delivered);
    let after = app
        .data(
            Some(&partner),
            "query($c: String) { events(after: $c) { edges { node { type } } } }",
            json!({ "c": edges[0]["cursor"] }),
        )
        .await;
    assert_eq!(after["events"]["edges"].as_array().unwrap().len(), 2);
}

/// How many events there are (at most 100).
async fn events(app: &TestApp, admin: &str) -> usize {
    let events = app
        .data(
            Some(admin),
            "{ events(first: 100) { edges { node { type } } } }",
            json!({}),
        )
        .await;
    events["events"]["edges"].as_array().unwrap().len()
}

async fn the_same_admission_twice_admits_once(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let first = admit(&app, &admin, cohort_2026()).await;
    assert_eq!(first["created"], true);
    let again = admit(&app, &admin, cohort_2026()).await;
    assert_eq!(
        again,
        json!({ "created": false, "cityCount": 2, "deliveryCount": 0, "cohort": { "year": 2026, "cityCount": 2 } })
    );
    assert_eq!(events(&app, &admin).await, 3, "no second set of events");

    let mut changed = cohort_2026();
    changed["networkCityCount"] = json!(500);
    let (code, message) = app
        .error(Some(&admin), ADMIT, json!({ "input": changed }))
        .await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(
        message,
        "the cohort of 2026 was already admitted with a different content"
    );
}

async fn identical_admissions_sent_at_once_admit_once(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let (endpoint, _) = subscribe(&app, &partner, &receiver.url, json!({})).await;

    let sent =
        (0..8).map(|_| app.graphql_as(Some(&admin), ADMIT, json!({ "input": cohort_2026() })));
    let answers = futures_util::future::join_all(sent).await;
    let mut created = 0;
    for (status, body) in &answers {
        assert!(
            status.is_success() && body.get("errors").is_none(),
            "status {status}: {body:#}"
        );
        let admitted = &body["data"]["admitCohort"];
        assert_eq!(admitted["cityCount"], 2, "{admitted}");
        if admitted["created"] == true {
            created += 1;
            assert_eq!(admitted["deliveryCount"], 3);
        } else {
            assert_eq!(admitted["deliveryCount"], 0);
        }
    }
    assert_eq!(created, 1, "exactly one admission wrote: {answers:#?}");

    assert_eq!(events(&app, &admin).await, 3, "a single set of events");
    assert_eq!(deliveries(&app, &partner, &endpoint).await.len(), 3);
    let data = app
        .data(
            None,
            "{ cohort(year: 2026) { cityCount } network { cityCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({ "cohort": { "cityCount": 2 }, "network": { "cityCount": 57 } })
    );
}

on_both_backends!(
    identical_admissions_sent_at_once_admit_once,
    an_admission_reaches_the_partners_signed,
    the_same_admission_twice_admits_once,
);
