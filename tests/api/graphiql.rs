//! GraphiQL at `/graphiql`: served with its assets by gnlc itself, the README's examples
//! a click away, a page saying how to fetch the assets when they are missing, and a real
//! browser (Debian's chromium, every other host blocked) running a query on it.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};
use crate::on_both_backends;
use crate::over_http::Answer;

async fn fetch(app: &TestApp, path: &str) -> Answer {
    Answer::from(app.client.get(app.url(path)).send().await.unwrap()).await
}

#[tokio::test]
async fn graphiql_and_its_assets_are_served_by_gnlc() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = fetch(&app, "/graphiql").await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "GraphiQL's assets are missing: run `npm ci --prefix web`\n{}",
        page.text
    );
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert!(!page.text.contains("://"), "nothing from another host");
    for (asset, content_type) in [
        (
            "/graphiql/assets/react.production.min.js",
            "text/javascript",
        ),
        (
            "/graphiql/assets/react-dom.production.min.js",
            "text/javascript",
        ),
        ("/graphiql/assets/graphiql.min.js", "text/javascript"),
        ("/graphiql/assets/graphiql.min.css", "text/css"),
    ] {
        assert!(page.text.contains(asset), "the page loads {asset}");
        let response = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        let served = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(served.starts_with(content_type), "{asset}: {served}");
        assert!(response.bytes().await.unwrap().len() > 1000);
    }
    assert_eq!(
        fetch(&app, "/graphiql/assets/..%2F..%2FCargo.toml")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn without_its_assets_graphiql_says_how_to_fetch_them() {
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().to_owned();
    let app = spawn_app_with(Backend::Sqlite, move |s| s.http.web_assets_dir = dir).await;
    let page = fetch(&app, "/graphiql").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.text.contains("npm ci --prefix web"), "{}", page.text);
    assert!(page.text.contains("GNLC_WEB_ASSETS_DIR"));
    assert!(page.text.contains("graphiql.min.js"));
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn the_graphiql_examples_are_the_readmes_and_run(app: TestApp) {
    let readme = squeeze(include_str!("../../README.md"));
    for example in gnlc::http::graphiql::EXAMPLES {
        assert!(
            readme.contains(&squeeze(example.query)),
            "the README shows `{}`",
            example.title
        );
        let query = format!("query {} {}", example.name, example.query);
        let data = app.data(None, &query, json!({})).await;
        assert!(data.is_object(), "{}", example.title);
    }
}

on_both_backends!(the_graphiql_examples_are_the_readmes_and_run);

/// The end-to-end test: `tests/browser/graphiql.mjs` drives chromium through GraphiQL.
#[tokio::test]
async fn graphiql_runs_a_query_in_a_real_browser_with_no_other_host() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("GNLC_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "the browser test needs Debian's chromium at {chromium}: `apt-get install -y chromium` (or set GNLC_CHROMIUM)"
    );
    assert!(
        root.join("tests/browser/node_modules/playwright-core")
            .is_dir(),
        "the browser test needs its npm packages: `npm ci --prefix tests/browser`"
    );
    assert!(
        root.join("web/node_modules/graphiql/graphiql.min.js")
            .is_file(),
        "GraphiQL's assets are missing: `npm ci --prefix web`"
    );
    let app = spawn_app(Backend::Sqlite).await;
    let address = app.address.clone();
    let script = root.join("tests/browser/graphiql.mjs");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(address)
            .env("GNLC_CHROMIUM", chromium)
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
    let report: serde_json::Value =
        serde_json::from_str(&stdout).expect("the script's JSON report");
    assert_eq!(report["ok"], true);
    assert_eq!(report["found"], "Chișinău");
    assert_eq!(
        report["blocked"],
        json!([]),
        "no request left for another host"
    );
}
