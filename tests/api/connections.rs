//! PostgreSQL dropping the server's connections (a restart, a failover, an administrator
//! terminating backends): reads run again on fresh connections instead of failing.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DatabaseTransaction, TransactionTrait};
use serde_json::json;

use crate::helpers::{Backend, spawn_app_with};

/// What the backends of the current database are doing: how many wait for a lock, and
/// each one's state, wait and statement.
async fn activity(admin: &DatabaseTransaction) -> (usize, Vec<String>) {
    // A transaction sees the statistics as they were when it first read them, unless told.
    admin
        .execute_unprepared("SELECT pg_stat_clear_snapshot()")
        .await
        .unwrap();
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT concat_ws(' | ', state, wait_event_type, query) AS backend \
             FROM pg_stat_activity WHERE datname = current_database()",
        ))
        .await
        .unwrap();
    let backends: Vec<String> = rows
        .iter()
        .map(|row| row.try_get("", "backend").unwrap())
        .collect();
    let waiting = backends.iter().filter(|b| b.contains("| Lock |")).count();
    (waiting, backends)
}

#[tokio::test]
async fn reads_whose_connections_postgresql_terminates_run_again() {
    // The data version read by each request (not listened for): no other read than the
    // requests' own meets the lock below, once the first request has read the list sizes.
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.http.data_version_notifications = false;
    })
    .await;
    app.data(None, "{ regions { name } }", json!({})).await;

    // The regions locked: reads of them wait, each on a connection of the server's.
    let admin = Database::connect(&app.database_url).await.unwrap();
    let lock = admin.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE region IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let queries = [
        "{ regions { slug } }",
        "{ regions { name cityCount } }",
        "{ regions { slug countryCount } }",
    ];
    let waiting: Vec<_> = queries
        .iter()
        .map(|query| {
            let (client, url) = (app.client.clone(), app.url("/graphql"));
            let query = query.to_string();
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .json(&json!({ "query": query }))
                    .send()
                    .await
                    .expect("an answer");
                response.json::<serde_json::Value>().await.unwrap()
            })
        })
        .collect();
    let started = Instant::now();
    loop {
        let (waiting, backends) = activity(&lock).await;
        if waiting == queries.len() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the reads did not reach the lock: {backends:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Every other connection to the database dropped, those reading included.
    lock.execute_unprepared(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .await
    .unwrap();
    lock.rollback().await.unwrap();
    drop(admin);

    for (query, answer) in queries.iter().zip(waiting) {
        let answer = answer.await.unwrap();
        assert!(
            answer.get("errors").is_none() && answer["data"].is_object(),
            "{query}: {answer:#}"
        );
    }
    // And the reads after it, on every pool (search has its own).
    for query in [
        "{ regions { name countries { name cities { name } } } }",
        r#"{ cities(search: "chisinau") { totalCount nodes { name } } }"#,
        "{ cohorts { year } }",
        r#"{ city(slug: "chisinau") { name country { name } } }"#,
    ] {
        app.data(None, query, json!({})).await;
    }
}
