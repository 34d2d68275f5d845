//! What partners and their receivers write is shown as text: HTML in an endpoint's
//! description and in a receiver's answer is escaped, never markup.

use gnlc::access::Role;

use super::Browser;
use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::receiver::{Receiver, Reply};

const DESCRIPTION: &str = r#"<script>alert("description")</script>"#;
const ANSWER: &str = r#"<script>alert("answer")</script><img src=x onerror=alert(1)>"#;

async fn html_from_partners_and_receivers_is_shown_as_text(app: TestApp) {
    let receiver = Receiver::start(vec![Reply::ok().body(ANSWER)]);
    let token = app.token(Role::Partner, "Partner <b>Bold</b>").await;
    let mut browser = Browser::signed_in(&app, &token).await;
    let (id, created) = browser.create_endpoint(&receiver.url, DESCRIPTION).await;
    assert!(
        !created.body.contains("<b>Bold</b>"),
        "the account's name too"
    );
    assert!(created.body.contains("Partner &lt;b&gt;Bold&lt;/b&gt;"));

    for path in [
        "/console/endpoints".to_owned(),
        format!("/console/endpoints/{id}"),
    ] {
        let page = browser.get(&path).await;
        assert!(!page.body.contains("<script>"), "{path}: {}", page.body);
        assert!(
            page.body
                .contains("&lt;script&gt;alert(&quot;description&quot;)&lt;/script&gt;")
                || page
                    .body
                    .contains("&lt;script&gt;alert(\"description\")&lt;/script&gt;"),
            "{path}: {}",
            page.body
        );
    }

    let from = format!("/console/endpoints/{id}");
    browser.submit(&from, &format!("{from}/test"), &[]).await;
    receiver.wait_for(1, true).await;
    let deliveries = format!("{from}/deliveries");
    let started = std::time::Instant::now();
    let page = loop {
        let page = browser.get(&deliveries).await;
        if page.body.contains("Attempt 1") {
            break page;
        }
        assert!(started.elapsed().as_secs() < 30, "no attempt shown");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        !page.body.contains("<script>") && !page.body.contains("<img"),
        "{}",
        page.body
    );
    assert!(page.body.contains("&lt;script&gt;alert("), "{}", page.body);
    assert!(page.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

on_both_backends!(html_from_partners_and_receivers_is_shown_as_text);
