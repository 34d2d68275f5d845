//! How each process follows the data version, so that a change is seen by the next query
//! of any process: the listening processes and what each has applied, and a listening
//! connection lost and found again.

use gnlc::access::Role;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::for_each_backend;
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::notify::{admit, cohort_2026};
use crate::response_cache::{CAHUL, ICELAND, until_cached_cost};

/// The backends listening for data-version notifications on the app's database.
async fn listening(app: &TestApp, terminate: bool) -> i64 {
    let select = if terminate {
        "count(pg_terminate_backend(pid))"
    } else {
        "count(*)"
    };
    app.db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!(
                "SELECT {select} AS n FROM pg_stat_activity
                 WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

/// The listening connection is killed: a change committed before the process listens
/// again is seen at once (it reads the version meanwhile), and so is every change after.
#[tokio::test]
async fn a_lost_listening_connection_loses_no_change() {
    let app = spawn_app_with(Backend::Postgres, |_| {}).await;
    let admin = app.token(Role::Admin, "coordinators").await;
    until_cached_cost(&app, CAHUL, 0).await;
    assert_eq!(listening(&app, true).await, 1, "one listening connection");
    let mut dropped = false;
    for _ in 0..100 {
        if listening(&app, false).await == 0 {
            dropped = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(dropped, "the listening connection was dropped");
    // Committed straight to the database, as `gnlc admit` or another process would: its
    // notification reaches no one.
    let withdrawn_on = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let versions = gnlc::data_version::DataVersions::new(app.db.clone());
    let alone = gnlc::after_commit::AfterCommit::without_workers(versions);
    gnlc::admission::withdraw(&app.db, "cahul", withdrawn_on, &alone)
        .await
        .unwrap();
    assert_eq!(
        app.data(None, CAHUL, json!({})).await["city"],
        json!({ "isMember": false, "withdrawnOn": "2026-01-01" })
    );
    // Listening again, and seeing the next change.
    until_cached_cost(&app, ICELAND, 0).await;
    admit(&app, &admin, cohort_2026()).await;
    assert_eq!(
        app.data(None, ICELAND, json!({})).await["country"]["cities"],
        json!([{ "name": "Reykjavík" }])
    );
}

/// Sets what the listening process `process` has applied (joining it, alive for a minute).
async fn lagging_listener(app: &TestApp, process: &str, version: i64) {
    let alive_until = chrono::Utc::now().timestamp_millis() + 60_000;
    let backend = app.db.get_database_backend();
    let values = match backend {
        sea_orm::DatabaseBackend::Postgres => "($1, $2, $3)",
        _ => "(?, ?, ?)",
    };
    app.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO data_version_listener (process, version, alive_until) VALUES {values}
                 ON CONFLICT (process) DO UPDATE
                 SET version = excluded.version, alive_until = excluded.alive_until"
            ),
            [process.into(), version.into(), alive_until.into()],
        ))
        .await
        .unwrap();
}

/// Another listening process that has not yet applied a change holds the change's answer
/// back (a bounded time) until it has: whoever reads the answer then finds the change in
/// every process. Here the other process is a row of `data_version_listener` the test
/// moves on by hand, so the order is certain, whatever the machine's load.
async fn a_change_is_answered_once_every_listening_process_has_it(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.token(Role::Admin, "coordinators").await;
    lagging_listener(&app, "another", 0).await;
    let admitting = tokio::spawn({
        let (address, client) = (app.address.clone(), app.client.clone());
        async move {
            let body =
                json!({ "query": crate::notify::ADMIT, "variables": { "input": cohort_2026() } });
            client
                .post(format!("{address}/graphql"))
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    });
    // Committed (the cohort is in the database), yet not answered.
    let committed = loop {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT d.version FROM data_version d WHERE EXISTS (SELECT 1 FROM cohort WHERE year = 2026)",
            ))
            .await
            .unwrap();
        if let Some(row) = row {
            break row.try_get::<i64>("", "version").unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !admitting.is_finished(),
        "answered before the other listening process had the change"
    );
    lagging_listener(&app, "another", committed).await;
    let answer = admitting.await.unwrap();
    assert_eq!(
        answer["data"]["admitCohort"]["created"],
        json!(true),
        "{answer}"
    );
}

for_each_backend!(a_change_is_answered_once_every_listening_process_has_it);
