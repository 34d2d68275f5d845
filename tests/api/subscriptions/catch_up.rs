//! Live events, and catching up from a cursor: every event once, in order, even while
//! events are committed during the catch-up; a subscriber too slow is closed to resume.

use gnlc::access::Role;
use serde_json::{Value, json};

use super::{EVENTS, Socket, types, withdraw};
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::notify::{admit, cohort_2026};

crate::for_each_backend!(live_events_then_a_catch_up_from_a_cursor);
crate::for_each_backend!(events_committed_during_the_catch_up_come_once_in_order);
crate::for_each_backend!(a_subscriber_too_slow_is_closed_to_resume);

async fn live_events_then_a_catch_up_from_a_cursor(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.token(Role::Admin, "UIL").await;
    let mut live = Socket::ready(&app, None).await;
    live.subscribed("all", EVENTS, json!({})).await;
    let mut admissions = Socket::ready(&app, None).await;
    admissions
        .subscribed(
            "cohorts",
            "subscription { cohortAdmitted { cursor cohort { year cities { name } } } }",
            json!({}),
        )
        .await;
    admit(&app, &admin, cohort_2026()).await;
    let events = live.events("all", 3).await;
    assert_eq!(
        types(&events),
        ["cohort.admitted", "city.admitted", "city.admitted"]
    );
    let admitted = admissions.next("cohorts").await;
    assert_eq!(
        admitted["data"]["cohortAdmitted"]["cohort"],
        json!({"year": 2026, "cities": [{"name": "Bălți"}, {"name": "Reykjavík"}]})
    );
    assert_eq!(
        admitted["data"]["cohortAdmitted"]["cursor"],
        events[0]["cursor"]
    );

    // From the first event's cursor: the two after it, then live ones.
    let mut resumed = Socket::ready(&app, None).await;
    resumed
        .subscribe("all", EVENTS, json!({"after": events[0]["cursor"]}))
        .await;
    assert_eq!(resumed.events("all", 2).await, events[1..]);
    withdraw(&app, &admin, "cahul").await;
    let withdrawn = resumed.events("all", 1).await;
    assert_eq!(types(&withdrawn), ["city.withdrawn"]);
    assert_eq!(live.events("all", 1).await, withdrawn);
    // The cursor works in the `events` query too.
    let page = app
        .data(
            Some(&admin),
            "query($after: String) { events(after: $after) { nodes { id } } }",
            json!({"after": events[2]["cursor"]}),
        )
        .await;
    assert_eq!(
        page["events"]["nodes"][0]["id"],
        withdrawn[0]["event"]["id"]
    );
}

/// A cohort of `cities` cities in Moldova, each its own `city.admitted` event.
pub(super) fn big_cohort(cities: usize) -> Value {
    let cities: Vec<Value> = (1..=cities)
        .map(|i| json!({"name": format!("Testville {i}"), "country": "MD", "latitude": 47.0, "longitude": 28.0}))
        .collect();
    json!({
        "year": 2027, "announcedOn": "2027-09-01", "newCityCount": cities.len(), "newCountryCount": 1,
        "cities": cities
    })
}

async fn events_committed_during_the_catch_up_come_once_in_order(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.token(Role::Admin, "UIL").await;
    let mut first = Socket::ready(&app, None).await;
    first.subscribed("all", EVENTS, json!({})).await;
    // 251 events: a catch-up of three pages.
    admit(&app, &admin, big_cohort(250)).await;
    let start = first.events("all", 1).await.remove(0);
    let withdrawals = 20;
    // Withdrawals commit while the catch-up is read.
    let committing = {
        let (address, admin) = (app.address.clone(), admin.clone());
        tokio::spawn(async move { withdraw_all(&address, &admin, withdrawals).await })
    };
    let mut resumed = Socket::ready(&app, None).await;
    resumed
        .subscribe("all", EVENTS, json!({"after": start["cursor"]}))
        .await;
    let received = resumed.events("all", 250 + withdrawals).await;
    committing.await.unwrap();
    let ids: Vec<&Value> = received.iter().map(|e| &e["event"]["id"]).collect();
    let expected = every_event_id(&app, &admin).await;
    assert_eq!(
        ids,
        expected.iter().skip(1).collect::<Vec<_>>(),
        "each event once, in order"
    );
    // And nothing more.
    resumed.send(json!({"type": "ping"})).await;
    assert_eq!(resumed.message().await["type"], "pong");
}

/// Withdraws the first `count` test cities, one request each.
async fn withdraw_all(address: &str, admin: &str, count: usize) {
    let client = reqwest::Client::new();
    for i in 1..=count {
        let response = client
            .post(format!("{address}/graphql"))
            .bearer_auth(admin)
            .json(&json!({"query": format!(
                "mutation {{ withdrawCity(slug: \"testville-{i}\", withdrawnOn: \"2028-01-01\") {{ name }} }}"
            )}))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert!(body.get("errors").is_none(), "{body}");
    }
}

/// Every event's id, oldest first, from the `events` query.
async fn every_event_id(app: &TestApp, admin: &str) -> Vec<Value> {
    let (mut ids, mut after) = (Vec::new(), Value::Null);
    loop {
        let page = app
            .data(
                Some(admin),
                "query($after: String) { events(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } } }",
                json!({"after": after}),
            )
            .await;
        let events = &page["events"];
        ids.extend(
            events["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].clone()),
        );
        if events["pageInfo"]["hasNextPage"] != true {
            return ids;
        }
        after = events["pageInfo"]["endCursor"].clone();
    }
}

async fn a_subscriber_too_slow_is_closed_to_resume(backend: Backend) {
    // A buffer of one event: an admission's three come at once.
    let app = spawn_app_with(backend, |s| s.subscriptions.buffer = 1).await;
    let admin = app.token(Role::Admin, "UIL").await;
    let mut socket = Socket::ready(&app, None).await;
    socket.subscribed("all", EVENTS, json!({})).await;
    admit(&app, &admin, cohort_2026()).await;
    let (code, reason) = socket.closed().await;
    assert_eq!(code, 4508, "{reason}");
    assert!(reason.contains("after"), "{reason}");
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("gnlc_subscribers_dropped_total 1"),
        "{metrics}"
    );
}

crate::for_each_backend!(answers_take_their_room_among_the_values_in_flight_and_give_it_back);

/// Each answer of a subscription takes room among the values in flight while it is made,
/// as a query does, and gives it back: with room for a single value, every answer and every
/// query needs all of it, and two subscribers still get every event, the admission its
/// answer, and a query after them its own.
async fn answers_take_their_room_among_the_values_in_flight_and_give_it_back(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.http.max_values_in_flight = 1).await;
    let admin = app.token(Role::Admin, "UIL").await;
    let mut first = Socket::ready(&app, None).await;
    first.subscribed("all", EVENTS, json!({})).await;
    let mut second = Socket::ready(&app, None).await;
    second.subscribed("all", EVENTS, json!({})).await;
    admit(&app, &admin, cohort_2026()).await;
    let events = first.events("all", 3).await;
    assert_eq!(second.events("all", 3).await, events);
    withdraw(&app, &admin, "cahul").await;
    assert_eq!(types(&first.events("all", 1).await), ["city.withdrawn"]);
    assert_eq!(types(&second.events("all", 1).await), ["city.withdrawn"]);
    let network = app.data(None, "{ network { cityCount } }", json!({})).await;
    assert!(network["network"]["cityCount"].is_number());
}

crate::for_each_backend!(each_answer_reads_the_data_as_it_is_when_its_event_comes);

/// A subscription lives on, but its answers do not keep what earlier ones read: the second
/// admission's answer lists its country's cities as they are then (the city withdrawn
/// between the two gone, the city just admitted there).
async fn each_answer_reads_the_data_as_it_is_when_its_event_comes(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.token(Role::Admin, "UIL").await;
    let mut socket = Socket::ready(&app, None).await;
    let query = "subscription { cohortAdmitted { cohort { cities { name country { cities { slug } } } } } }";
    socket.subscribed("cohorts", query, json!({})).await;
    let moldova = |answer: &Value, city: usize| -> Vec<String> {
        let cities = &answer["data"]["cohortAdmitted"]["cohort"]["cities"][city];
        let nodes = cities["country"]["cities"].as_array().unwrap();
        nodes
            .iter()
            .map(|n| n["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    admit(&app, &admin, cohort_2026()).await;
    let first = socket.next("cohorts").await;
    // Bălți, in Moldova, is the cohort's first city (by slug: balti, reykjavik).
    let before = moldova(&first, 0);
    assert!(before.contains(&"cahul".to_owned()), "{first}");
    withdraw(&app, &admin, "cahul").await;
    admit(&app, &admin, big_cohort(1)).await;
    let second = socket.next("cohorts").await;
    let after = moldova(&second, 0);
    assert!(!after.contains(&"cahul".to_owned()), "{second}");
    assert!(after.contains(&"testville-1".to_owned()), "{second}");
}
