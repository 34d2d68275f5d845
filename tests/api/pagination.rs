//! Relay cursor pagination of `cities`: forwards, backwards, and the limits.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gnlc::access::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_sharing};
use crate::on_both_backends;

const PAGE: &str = r#"query($first: Int, $after: String, $last: Int, $before: String) {
    cities(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        edges { cursor node { slug } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}"#;

fn slugs(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn pages_walk_forwards_and_backwards_over_the_same_order(app: TestApp) {
    let mut forwards = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let data = app
            .data(None, PAGE, json!({ "first": 20, "after": after }))
            .await;
        let page = &data["cities"];
        assert_eq!(page["totalCount"], 55);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], json!(pages > 0));
        forwards.extend(slugs(page));
        pages += 1;
        if page["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(forwards.len(), 55);
    let mut sorted = forwards.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        forwards, sorted,
        "pages are ordered by slug, with no repeats"
    );

    let mut backwards = Vec::new();
    let mut before = Value::Null;
    loop {
        let data = app
            .data(None, PAGE, json!({ "last": 25, "before": before }))
            .await;
        let page = &data["cities"];
        let mut chunk = slugs(page);
        chunk.extend(backwards);
        backwards = chunk;
        if page["pageInfo"]["hasPreviousPage"] == json!(false) {
            break;
        }
        before = page["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(backwards, forwards);
}

async fn a_cursor_resumes_right_after_its_edge(app: TestApp) {
    let first = app.data(None, PAGE, json!({ "first": 3 })).await;
    let edges = first["cities"]["edges"].as_array().unwrap();
    assert_eq!(
        slugs(&first["cities"]),
        ["adrar", "afyonkarahisar", "al-shahaniya"]
    );
    assert_eq!(
        first["cities"]["pageInfo"]["startCursor"],
        edges[0]["cursor"]
    );
    let next = app
        .data(
            None,
            PAGE,
            json!({ "first": 2, "after": edges[1]["cursor"] }),
        )
        .await;
    assert_eq!(slugs(&next["cities"]), ["al-shahaniya", "algiers"]);
    let previous = app
        .data(
            None,
            PAGE,
            json!({ "last": 5, "before": edges[2]["cursor"] }),
        )
        .await;
    assert_eq!(slugs(&previous["cities"]), ["adrar", "afyonkarahisar"]);
    assert_eq!(previous["cities"]["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(previous["cities"]["pageInfo"]["hasNextPage"], true);
    let empty = app.data(None, PAGE, json!({ "first": 0 })).await;
    assert_eq!(empty["cities"]["edges"], json!([]));
    assert_eq!(empty["cities"]["pageInfo"]["hasNextPage"], true);
    let default = app.data(None, PAGE, json!({})).await;
    assert_eq!(slugs(&default["cities"]).len(), 20);
}

async fn bad_page_arguments_are_refused_with_a_code(app: TestApp) {
    for (variables, message) in [
        (
            json!({ "first": -1 }),
            "`first` must be between 0 and 100, got -1",
        ),
        (
            json!({ "first": 101 }),
            "`first` must be between 0 and 100, got 101",
        ),
        (
            json!({ "last": -5 }),
            "`last` must be between 0 and 100, got -5",
        ),
        (
            json!({ "first": 1, "last": 1 }),
            "pass either `first` or `last`, not both",
        ),
        (
            json!({ "first": 1, "after": "bm90LWEtY3Vyc29y" }),
            "`after` is not a cursor this API gave out",
        ),
        (
            json!({ "last": 1, "before": "%%%" }),
            "`before` is not a cursor this API gave out",
        ),
    ] {
        let (code, got) = app.error(None, PAGE, variables.clone()).await;
        assert_eq!(code, "BAD_USER_INPUT", "{variables}");
        assert_eq!(got, message, "{variables}");
    }
}

/// Cursors gnlc did not give out are refused on every connection, before and after:
/// the unsigned form cursors once had, with a key of our choosing, and a cursor of another
/// list.
async fn forged_cursors_are_refused_on_every_connection(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let city_cursor = app
        .data(None, "{ cities(first: 1) { edges { cursor } } }", json!({}))
        .await["cities"]["edges"][0]["cursor"]
        .clone();
    let forged = [
        json!(URL_SAFE_NO_PAD.encode("v1:zzzz-forged")),
        json!(URL_SAFE_NO_PAD.encode("v1:chisinau")),
        json!(URL_SAFE_NO_PAD.encode("v1:1")),
        json!(URL_SAFE_NO_PAD.encode("1")),
    ];
    for list in ["cities", "countries", "events", "deliveries"] {
        let mut cursors = forged.to_vec();
        if list != "cities" {
            cursors.push(city_cursor.clone());
        }
        for cursor in cursors {
            for (size, bound) in [("first", "after"), ("last", "before")] {
                let query = format!(
                    "query($c: String) {{ {list}({size}: 1, {bound}: $c) {{ edges {{ cursor }} }} }}"
                );
                let (code, message) = app
                    .error(Some(&admin), &query, json!({ "c": cursor }))
                    .await;
                assert_eq!(code, "BAD_USER_INPUT", "{list} {bound} {cursor}: {message}");
                assert_eq!(
                    message,
                    format!("`{bound}` is not a cursor this API gave out"),
                    "{list} {bound} {cursor}"
                );
            }
        }
    }
}

/// A cursor keeps working in another gnlc process on the same database (and so after a
/// restart): the key it is signed with is the database's.
async fn cursors_work_in_every_process_on_the_database(app: TestApp) {
    let first = app.data(None, PAGE, json!({ "first": 2 })).await;
    let cursor = first["cities"]["pageInfo"]["endCursor"].clone();
    let other = spawn_app_sharing(&app, |_| {}).await;
    let here = app
        .data(None, PAGE, json!({ "first": 2, "after": cursor }))
        .await;
    let there = other
        .data(None, PAGE, json!({ "first": 2, "after": cursor }))
        .await;
    assert_eq!(slugs(&here["cities"]), ["al-shahaniya", "algiers"]);
    assert_eq!(here, there);
}

on_both_backends!(
    forged_cursors_are_refused_on_every_connection,
    cursors_work_in_every_process_on_the_database,
    pages_walk_forwards_and_backwards_over_the_same_order,
    a_cursor_resumes_right_after_its_edge,
    bad_page_arguments_are_refused_with_a_code,
);
