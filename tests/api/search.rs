//! City search on PostgreSQL is served by the trigram index, however often it runs: its
//! statements run on a pool whose plans are made for each pattern. A prepared statement's
//! generic plan, which PostgreSQL may switch to after five executions (it does at 100,000
//! cities), cannot know the pattern and walks the slug index instead, reading every city.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app_sharing, spawn_app_with};

const SEARCHES: i64 = 12;

/// Index scans of the trigram index so far, as PostgreSQL's statistics report them.
async fn trigram_scans(app: &TestApp) -> i64 {
    app.db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT idx_scan FROM pg_stat_user_indexes
             WHERE indexrelname = 'idx_city_search_name_trigram'",
        ))
        .await
        .unwrap()
        .expect("the trigram index exists")
        .try_get::<i64>("", "idx_scan")
        .unwrap()
}

#[tokio::test]
async fn search_uses_the_trigram_index_every_time() {
    let first = spawn_app_with(Backend::Postgres, |_| {}).await;
    // Enough cities for the trigram index to be the best plan for a pattern.
    first
        .db
        .execute_unprepared(
            "INSERT INTO city (slug, name, search_name, country_id, cohort_id, latitude, longitude)
             SELECT 'test-city-' || n, 'Test city ' || n, 'test city ' || n,
                    (SELECT min(id) FROM country), (SELECT min(id) FROM cohort), 0, 0
             FROM generate_series(1, 20000) n",
        )
        .await
        .unwrap();
    first
        .db
        .execute_unprepared("VACUUM ANALYZE city")
        .await
        .unwrap();
    // From here on, every new session on this database uses generic plans unless it asks
    // otherwise: what PostgreSQL chooses by itself for a big enough table.
    first
        .db
        .execute_unprepared(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_generic_plan', current_database()); END $$",
        )
        .await
        .unwrap();
    // A server whose connections all start after that; answers from the response cache
    // would not reach the database.
    let app = spawn_app_sharing(&first, |s| s.http.response_cache_bytes = 0).await;
    let before = trigram_scans(&app).await;
    let query = r#"{ cities(search: "chisinau", first: 20) { nodes { name } } }"#;
    for _ in 0..SEARCHES {
        let data = app.data(None, query, json!({})).await;
        assert_eq!(data["cities"]["nodes"], json!([{ "name": "Chișinău" }]));
    }
    // Backends report their statistics once idle, at most about once a second.
    let mut scans = 0;
    for _ in 0..150 {
        scans = trigram_scans(&app).await - before;
        if scans >= SEARCHES {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(scans, SEARCHES, "one trigram index scan per search");
}
