//! The real client libraries under Node (`tests/browser/subscriptions.mjs`): `graphql-ws`
//! (graphql-transport-ws) and `graphql-sse` (GraphQL over SSE, distinct connections) each
//! subscribe as a partner, receive an admission, lose their connection, resume from their
//! cursors and get every event once; `graphql-ws` is refused a wrong token with 4403.

use gnlc::access::Role;
use serde_json::{Value, json};

use super::withdraw;
use crate::helpers::TestApp;
use crate::node::NodeScript;
use crate::notify::{admit, cohort_2026};
use crate::on_both_backends;

on_both_backends!(graphql_ws_receives_resumes_and_is_refused_a_wrong_token);

async fn graphql_ws_receives_resumes_and_is_refused_a_wrong_token(app: TestApp) {
    let summary = run_the_scenario(&app, "ws").await;
    assert_eq!(
        summary["wrongToken"]["code"], 4403,
        "a wrong token, through graphql-ws's error path: {summary}"
    );
}

on_both_backends!(graphql_sse_receives_resumes_and_is_refused_a_wrong_token);

async fn graphql_sse_receives_resumes_and_is_refused_a_wrong_token(app: TestApp) {
    let summary = run_the_scenario(&app, "sse").await;
    assert_eq!(
        summary["wrongToken"]["codes"],
        json!(["UNAUTHENTICATED"]),
        "a wrong token, through graphql-sse's results: {summary}"
    );
}

/// A cohort of one city, admitted while the clients are away.
fn cohort_2027() -> Value {
    json!({
        "year": 2027, "announcedOn": "2027-09-01", "newCityCount": 1, "newCountryCount": 1,
        "cities": [{ "name": "Soroca", "country": "MD", "latitude": 48.15659, "longitude": 28.28489 }]
    })
}

/// Takes the script through its steps (see its header) with a partner's token, and checks
/// its summary against the feed: every event since the first, each once, in order. Returns
/// the summary.
async fn run_the_scenario(app: &TestApp, transport: &str) -> Value {
    let admin = app.token(Role::Admin, "UIL").await;
    let partner = app.token(Role::Partner, "Partner").await;
    // The script subscribes from this event's cursor: whether the server listens by the time
    // the admission commits or not, it gets the admission once.
    withdraw(app, &admin, "chisinau").await;
    let first = app
        .data(
            Some(&admin),
            "{ events(first: 1) { edges { cursor } } }",
            json!({}),
        )
        .await;
    let after = first["events"]["edges"][0]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = app.url("/graphql");
    let mut script = NodeScript::start(
        "subscriptions.mjs",
        "graphql-ws",
        &[transport, &url, &partner, &after],
        &[],
    );

    script.expect("ready live").await;
    admit(app, &admin, cohort_2026()).await;
    script.tell(json!({
        "events": ["cohort.admitted", "city.admitted", "city.admitted"],
        "cohorts": [{"year": 2026, "cities": [{"name": "Bălți"}, {"name": "Reykjavík"}]}],
    }));
    script.expect("ready offline").await;
    admit(app, &admin, cohort_2027()).await;
    script.tell(json!({
        "events": ["cohort.admitted", "city.admitted"],
        "cohorts": [{"year": 2027, "cities": [{"name": "Soroca"}]}],
    }));
    script.expect("ready resumed").await;
    withdraw(app, &admin, "cahul").await;
    script.tell(json!({"events": ["city.withdrawn"], "cohorts": []}));

    let summary = script.report().await;
    assert_eq!(summary["ok"], true, "{summary}");
    let received: Vec<&Value> = ["live", "offline", "resumed"]
        .iter()
        .flat_map(|step| summary["steps"][step]["events"].as_array().unwrap())
        .map(|event| &event["id"])
        .collect();
    let feed = app
        .data(
            Some(&admin),
            "{ events(first: 100) { nodes { id } } }",
            json!({}),
        )
        .await;
    let feed: Vec<&Value> = feed["events"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["id"])
        .collect();
    assert_eq!(
        received,
        feed[1..],
        "the feed's events after the first, each once, in order"
    );
    summary
}
