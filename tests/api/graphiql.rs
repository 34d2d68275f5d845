//! GraphiQL at `/graphiql`: served with its files by gnlc itself from the binary, each file
//! under a path naming its content, with the security headers of a page; the README's
//! examples a click away; and a real browser (Debian's chromium, every other host blocked,
//! every policy violation reported) running a query and a subscription on it.

use std::path::Path;

use gnlc::access::Role;
use gnlc::http::security_headers::PAGE_POLICY;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};
use crate::node::NodeScript;
use crate::notify::{admit, cohort_2026};
use crate::on_both_backends;
use crate::over_http::Answer;
use crate::subscriptions::{Socket, until_subscribed};

async fn fetch(app: &TestApp, path: &str) -> Answer {
    Answer::from(app.client.get(app.url(path)).send().await.unwrap()).await
}

/// The paths of the files a page loads (`src` and `href` attributes).
fn loaded_files(page: &str) -> Vec<String> {
    page.split(['"', '\''])
        .filter(|value| value.starts_with("/graphiql/assets/"))
        .map(str::to_owned)
        .collect()
}

fn assert_page_headers(answer: &Answer, what: &str) {
    assert_eq!(
        answer.header("content-security-policy"),
        PAGE_POLICY,
        "{what}"
    );
    assert_eq!(answer.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(answer.header("x-frame-options"), "DENY", "{what}");
    assert_eq!(answer.header("referrer-policy"), "no-referrer", "{what}");
}

#[test]
fn the_page_policy_allows_no_inline_script_nor_eval_nor_other_host() {
    let script_src = PAGE_POLICY
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("script-src"))
        .expect("a script-src directive");
    assert_eq!(script_src, "script-src 'self'");
    assert!(PAGE_POLICY.starts_with("default-src 'none';"));
    for directive in [
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "connect-src 'self'",
    ] {
        assert!(PAGE_POLICY.contains(directive), "{directive}");
    }
    assert!(!PAGE_POLICY.contains("unsafe-eval") && !PAGE_POLICY.contains("://"));
}

#[tokio::test]
async fn graphiql_and_its_files_are_served_from_the_binary() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = fetch(&app, "/graphiql").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(page.header("cache-control"), "no-cache");
    assert_page_headers(&page, "the page");
    assert!(!page.text.contains("://"), "nothing from another host");
    // No inline script: every script is a file, or data no browser runs.
    for script in page.text.split("<script").skip(1) {
        let tag = &script[..script.find('>').unwrap()];
        assert!(
            tag.contains(" src=") || tag.contains(r#"type="application/json""#),
            "an inline script: <script{tag}>"
        );
    }
    let files = loaded_files(&page.text);
    for (name, content_type) in [
        ("react.production.min.js", "text/javascript"),
        ("react-dom.production.min.js", "text/javascript"),
        ("graphiql.min.js", "text/javascript"),
        ("graphiql.min.css", "text/css"),
        ("gnlc-graphiql.js", "text/javascript"),
        ("gnlc-graphiql.css", "text/css"),
        ("licenses.txt", "text/plain"),
    ] {
        let path = files
            .iter()
            .find(|path| path.ends_with(&format!("/{name}")))
            .unwrap_or_else(|| panic!("the page loads {name}: {files:?}"));
        let answer = fetch(&app, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert!(
            answer.header("content-type").starts_with(content_type),
            "{path}"
        );
        assert_eq!(
            answer.header("cache-control"),
            "public, max-age=31536000, immutable",
            "{path}"
        );
        assert_page_headers(&answer, path);
        assert!(answer.text.len() > 40, "{path}");
        // A browser that has it is told so, with no body.
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", answer.header("etag"))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        // Another build's path for the same name is not this file.
        let (folder, _) = path.rsplit_once('/').unwrap();
        let stale = format!(
            "{}/0000000000000000/{name}",
            folder.rsplit_once('/').unwrap().0
        );
        assert_eq!(fetch(&app, &stale).await.status, StatusCode::NOT_FOUND);
    }
    let licences = fetch(
        &app,
        files.iter().find(|p| p.ends_with("licenses.txt")).unwrap(),
    )
    .await;
    for package in ["graphiql/LICENSE", "react/LICENSE", "react-dom/LICENSE"] {
        assert!(licences.text.contains(package), "{package}");
    }
    let again = app
        .client
        .get(app.url("/graphiql"))
        .header("if-none-match", page.header("etag"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let head = app.client.head(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK, "HEAD as GET");
    let missing = fetch(&app, "/graphiql/assets/..%2F..%2FCargo.toml").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_page_headers(&missing, "a missing file");
}

#[tokio::test]
async fn graphiqls_script_is_sent_gzipped_to_browsers_that_accept_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = fetch(&app, "/graphiql").await;
    let files = loaded_files(&page.text);
    let script = files
        .iter()
        .find(|p| p.ends_with("/graphiql.min.js"))
        .unwrap();
    // Both representations say that they vary by encoding.
    let app = &app;
    let get = move |accept_encoding: &'static str| async move {
        let mut request = app.client.get(app.url(script));
        if !accept_encoding.is_empty() {
            request = request.header("accept-encoding", accept_encoding);
        }
        let answer = Answer::from(request.send().await.unwrap()).await;
        assert!(
            answer.header("vary").contains("Accept-Encoding"),
            "{accept_encoding}"
        );
        answer
    };
    let plain = get("").await;
    assert!(plain.headers.get("content-encoding").is_none());

    let gzipped = app
        .client
        .get(app.url(script))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert_ne!(
        gzipped.headers()["etag"],
        plain.header("etag"),
        "another representation, another tag"
    );
    let body = gzipped.bytes().await.unwrap();
    assert_eq!(body[..2], [0x1f, 0x8b], "gzip's magic number");
    assert!(
        body.len() * 3 < plain.text.len(),
        "{} of {}",
        body.len(),
        plain.text.len()
    );

    for refused in ["gzip;q=0", "identity", "br"] {
        let answer = get(refused).await;
        assert!(
            answer.headers.get("content-encoding").is_none(),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn api_answers_are_not_sniffed() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in [
        "/graphql?query=%7B__typename%7D",
        "/healthz",
        "/metrics",
        "/nowhere",
    ] {
        let answer = fetch(&app, path).await;
        assert_eq!(answer.header("x-content-type-options"), "nosniff", "{path}");
    }
}

/// GraphiQL's script as a server given `web_assets_dir` serves it.
async fn served_graphiql_script(web_assets_dir: &Path) -> String {
    let dir = web_assets_dir.to_owned();
    let app = spawn_app_with(Backend::Sqlite, move |s| s.http.web_assets_dir = Some(dir)).await;
    let page = fetch(&app, "/graphiql").await;
    assert_eq!(page.status, StatusCode::OK);
    let script = loaded_files(&page.text)
        .into_iter()
        .find(|path| path.ends_with("/graphiql.min.js"))
        .expect("the page loads graphiql.min.js");
    fetch(&app, &script).await.text
}

#[tokio::test]
async fn a_web_assets_dir_holding_graphiqls_files_is_served_instead() {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in gnlc::http::vendored::FILES {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let mut bytes = bytes.to_vec();
        if path.ends_with("graphiql.min.js") {
            bytes.extend_from_slice(b"\n// another GraphiQL\n");
        }
        std::fs::write(file, bytes).unwrap();
    }
    let script = served_graphiql_script(dir.path()).await;
    assert!(script.ends_with("// another GraphiQL\n"));

    // A folder lacking one of them: those built in, whole.
    std::fs::remove_file(dir.path().join("react/LICENSE")).unwrap();
    let script = served_graphiql_script(dir.path()).await;
    assert!(!script.contains("another GraphiQL"));
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
        let document = format!("{} {} {}", example.operation, example.name, example.query);
        match example.operation {
            "query" => {
                let data = app.data(None, &document, json!({})).await;
                assert!(data.is_object(), "{}", example.title);
            }
            "subscription" => {
                let mut socket = Socket::ready(&app, None).await;
                socket.subscribed("example", &document, json!({})).await;
                let admin = app.token(Role::Admin, "UIL").await;
                admit(&app, &admin, cohort_2026()).await;
                let answer = socket.next("example").await;
                assert!(
                    answer.get("errors").is_none() && answer["data"].is_object(),
                    "{}: {answer}",
                    example.title
                );
            }
            other => panic!(
                "{}: an operation GraphiQL's tab cannot name: {other}",
                example.title
            ),
        }
    }
}

on_both_backends!(the_graphiql_examples_are_the_readmes_and_run);

/// The end-to-end test: `tests/browser/graphiql.mjs` drives chromium through GraphiQL: a query,
/// then the subscription's tab, which shows the cohort the test admits.
async fn graphiql_runs_a_query_and_a_subscription_in_a_real_browser_with_no_other_host(
    app: TestApp,
) {
    let chromium = std::env::var("GNLC_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "the browser test needs Debian's chromium at {chromium}: `apt-get install -y chromium` (or set GNLC_CHROMIUM)"
    );
    let mut script = NodeScript::start(
        "graphiql.mjs",
        "playwright-core",
        &[&app.address],
        &[("GNLC_CHROMIUM", &chromium)],
    );
    script.expect("subscribed").await;
    until_subscribed(&app, 1).await;
    let admin = app.token(Role::Admin, "UIL").await;
    admit(&app, &admin, cohort_2026()).await;
    script.tell(json!({"expect": "Reykjavík"}));
    let report = script.report().await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["found"], "Chișinău");
    assert_eq!(report["live"], "Reykjavík", "the admitted cohort, live");
    let socket = format!(
        "WEBSOCKET {}",
        app.url("/graphql").replacen("http://", "ws://", 1)
    );
    assert!(
        report["requests"]
            .as_array()
            .unwrap()
            .contains(&json!(socket)),
        "GraphiQL subscribed over a WebSocket to gnlc: {report}"
    );
    assert_eq!(
        report["blocked"],
        json!([]),
        "no request left for another host"
    );
    assert_eq!(
        report["elsewhere"],
        json!([]),
        "no request for another host"
    );
    assert_eq!(report["violations"], json!([]), "no policy violation");
}

on_both_backends!(graphiql_runs_a_query_and_a_subscription_in_a_real_browser_with_no_other_host);
