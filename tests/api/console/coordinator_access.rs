//! The coordinators' pages and forms are theirs: a partner reaches none of them (403, tried
//! by address, with a valid CSRF token of its own), a signed-out browser is sent to sign
//! in, and a coordinator's form without its session's CSRF token is refused; nothing is
//! written in any of these cases.

use gnlc::access::Role;

use super::Browser;
use super::coordinators::written;
use crate::helpers::TestApp;
use crate::on_both_backends;

const PAGES: [&str; 7] = [
    "/console/partners",
    "/console/cohorts",
    "/console/cohorts/admit",
    "/console/cohorts/2026",
    "/console/cohorts/not-a-year",
    "/console/cities/withdraw",
    "/console/cities/withdraw?city=cahul&on=2026-01-31",
];

const FORMS: [&str; 3] = [
    "/console/cohorts/preview",
    "/console/cohorts/admit",
    "/console/cities/withdraw",
];

/// Fields each coordinator form would act on.
const FIELDS: [(&str, &str); 5] = [
    ("year", "2026"),
    ("announced_on", "2026-09-01"),
    (
        "csv",
        "name,country,latitude,longitude\nBălți,MDA,47.76171,27.92902\n",
    ),
    ("city", "cahul"),
    ("on", "2026-01-31"),
];

async fn a_partner_reaches_no_coordinator_page_or_form(app: TestApp) {
    let partner = app.token(Role::Partner, "Partner").await;
    let mut browser = Browser::signed_in(&app, &partner).await;
    let own = browser.get("/console/endpoints").await;
    assert!(
        !own.body.contains("/console/cohorts") && !own.body.contains("/console/partners"),
        "no coordinator link in a partner's navigation"
    );
    let csrf = own.csrf();
    let before = written(&app).await;
    for path in PAGES {
        let page = browser.get(path).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
        assert!(
            page.body.contains("this page is for coordinators"),
            "{path}"
        );
    }
    for path in FORMS {
        let mut fields = FIELDS.to_vec();
        fields.push(("csrf", &csrf));
        let page = browser.post(path, &fields).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
        assert!(
            page.body.contains("this page is for coordinators"),
            "{path}"
        );
    }
    assert_eq!(written(&app).await, before, "nothing written");

    let mut signed_out = Browser::new(&app);
    for path in PAGES {
        let page = signed_out.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(page.location(), "/console/sign-in", "{path}");
    }
    for path in FORMS {
        let page = signed_out.post(path, &FIELDS).await;
        assert_eq!(page.location(), "/console/sign-in", "{path}");
    }
    assert_eq!(written(&app).await, before, "nothing written");

    let admin = app.token(Role::Admin, "UIL").await;
    let mut coordinator = Browser::signed_in(&app, &admin).await;
    let nav = coordinator.get("/console/endpoints").await;
    for link in [
        "/console/partners",
        "/console/cohorts/admit",
        "/console/cities/withdraw",
    ] {
        assert!(nav.body.contains(&format!(r#"href="{link}""#)), "{link}");
    }
}

async fn coordinator_forms_without_the_sessions_csrf_token_are_refused(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let mut browser = Browser::signed_in(&app, &admin).await;
    let other = Browser::signed_in(&app, &app.token(Role::Admin, "Other").await)
        .await
        .get("/console/cohorts/admit")
        .await
        .csrf();
    let before = written(&app).await;
    for path in FORMS {
        for csrf in [None, Some(""), Some("forged"), Some(other.as_str())] {
            let mut fields = FIELDS.to_vec();
            if let Some(csrf) = csrf {
                fields.push(("csrf", csrf));
            }
            let page = browser.post(path, &fields).await;
            assert_eq!(page.status, 403, "{path} with {csrf:?}: {}", page.body);
            assert!(page.body.contains("did not come from this console"));
        }
    }
    assert_eq!(written(&app).await, before, "nothing written");
}

/// A coordinator sees every partner's endpoints with their health; a partner sees its own.
async fn a_coordinator_sees_every_partner_endpoint(app: TestApp) {
    let mut first = Browser::signed_in(&app, &app.token(Role::Partner, "Iceland").await).await;
    let (one, _) = first
        .create_endpoint("http://127.0.0.1:9/one", "first")
        .await;
    let mut second = Browser::signed_in(&app, &app.token(Role::Partner, "Moldova").await).await;
    let (two, _) = second
        .create_endpoint("http://127.0.0.1:9/two", "second")
        .await;
    assert!(!first.get("/console/endpoints").await.body.contains(&two));

    let admin = app.token(Role::Admin, "UIL").await;
    let mut coordinator = Browser::signed_in(&app, &admin).await;
    let page = coordinator.get("/console/partners").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("2 endpoint(s) of 2 account(s)"),
        "{}",
        page.body
    );
    for (partner, id) in [("Iceland", &one), ("Moldova", &two)] {
        let row =
            format!(r#"<tr><th scope="row">{partner}</th><td><a href="/console/endpoints/{id}">"#);
        assert!(page.body.contains(&row), "{row}: {}", page.body);
    }
    assert!(page.body.contains("Active") && page.body.contains("never"));
}

on_both_backends!(
    a_partner_reaches_no_coordinator_page_or_form,
    coordinator_forms_without_the_sessions_csrf_token_are_refused,
    a_coordinator_sees_every_partner_endpoint,
);
