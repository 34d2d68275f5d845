//! A coordinator's console: admit a cohort from its CSV after a preview that writes
//! nothing and shows every problem against its row and line, watch its delivery report
//! count every delivery the admission caused, and withdraw a city after a confirmation,
//! bad input refused with nothing changed.

use std::time::{Duration, Instant};

use entity::{city, cohort, country, delivery, event};
use gnlc::access::Role;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::{Browser, Page};
use crate::helpers::TestApp;
use crate::notify::subscribe;
use crate::on_both_backends;
use crate::receiver::{Receiver, Reply};

/// How many rows the tables an admission or a withdrawal writes hold: cohorts, countries,
/// cities, cities withdrawn, events, deliveries.
pub async fn written(app: &TestApp) -> [u64; 6] {
    let db = &app.db;
    let withdrawn = city::Entity::find().filter(city::Column::WithdrawnOn.is_not_null());
    [
        cohort::Entity::find().count(db).await.unwrap(),
        country::Entity::find().count(db).await.unwrap(),
        city::Entity::find().count(db).await.unwrap(),
        withdrawn.count(db).await.unwrap(),
        event::Entity::find().count(db).await.unwrap(),
        delivery::Entity::find().count(db).await.unwrap(),
    ]
}

const HEADER: &str = "name,country,latitude,longitude,geonames_id,country_name,iso3,region\n";
const REYKJAVIK: &str =
    "Reykjavík,IS,64.1355,-21.8954,3413829,Iceland,ISL,europe-and-north-america\n";

/// The admission form's fields with this CSV.
fn admission<'a>(year: &'a str, csv: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("year", year),
        ("announced_on", "2026-09-01"),
        ("new_cities", ""),
        ("new_countries", ""),
        ("network_cities", "427"),
        ("network_countries", "92"),
        ("csv", csv),
    ]
}

/// Whether a page lists a problem with `field` against this row and line.
fn problem_at(page: &Page, row: usize, line: usize, field: &str) -> bool {
    page.body.contains(&format!(
        "<tr><td>{row}</td><td>{line}</td><td><code>{field}</code></td>"
    ))
}

/// Waits until the report page says nothing is pending.
async fn report_settled(browser: &mut Browser<'_>, path: &str) -> Page {
    let started = Instant::now();
    loop {
        let page = browser.get(path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        if page.body.contains(r#"data-pending="0""#) {
            return page;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{}", page.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_coordinator_previews_fixes_and_admits_a_cohort_and_watches_its_report(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let partner = app.token(Role::Partner, "Ministry, Iceland").await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let types = json!({ "eventTypes": ["cohort.admitted", "city.admitted", "city.withdrawn"] });
    subscribe(&app, &partner, &receiver.url, types).await;
    let mut browser = Browser::signed_in(&app, &admin).await;
    let form = browser.get("/console/cohorts/admit").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(r#"<label for="csv">"#) && form.body.contains("Admit a cohort"));
    let before = written(&app).await;

    // A file past the 256 KiB other forms may send is read whole (a cohort may list
    // thousands of cities).
    let long = format!("{HEADER}{},IS,64.1,-21.9,,,,\n", "a".repeat(300 * 1024));
    let page = browser
        .submit(
            "/console/cohorts/admit",
            "/console/cohorts/preview",
            &admission("2026", &long),
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("a city name has 1 to 200 characters"));

    // Fields and rows that cannot be read: each problem against its row and line.
    let unreadable = format!("{HEADER}{REYKJAVIK}Bălți,MDA,north,27.92902,,,,\n");
    let mut fields = admission("20x6", &unreadable);
    let page = browser
        .submit(
            "/console/cohorts/admit",
            "/console/cohorts/preview",
            &fields,
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("Nothing was written"));
    assert!(
        page.body
            .contains("<td><code>year</code></td><td>`20x6` is not a year")
    );
    assert!(problem_at(&page, 2, 3, "latitude"), "{}", page.body);
    assert!(
        page.body.contains("20x6") && page.body.contains("Bălți,MDA,north"),
        "what was typed stays"
    );

    // Rows the admission's own checks refuse; a quoted name over two lines shifts the lines.
    let invalid = format!(
        "{HEADER}\"Reykja\nvík\",IS,64.1355,-21.8954,,Iceland,ISL,europe-and-north-america\n\
         Bălți,MDA,147.76171,27.92902,,,,\nGotham,ZZ,40.7,-74,,,,\n\
         Tórshavn,FO,62.0,-6.8,,Faroe Islands,FRO,nowhere\n"
    );
    fields = admission("2026", &invalid);
    let page = browser
        .submit(
            "/console/cohorts/admit",
            "/console/cohorts/preview",
            &fields,
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(problem_at(&page, 1, 2, "name"), "{}", page.body);
    assert!(problem_at(&page, 2, 4, "latitude"), "{}", page.body);
    assert!(page.body.contains("147.76171 is not between -90 and 90"));
    assert!(problem_at(&page, 3, 5, "country"), "{}", page.body);
    assert!(page.body.contains("there is no country with code `ZZ`"));
    // A joining country's problem, against the row describing it.
    assert!(problem_at(&page, 4, 6, "newCountries[2]"), "{}", page.body);
    assert!(page.body.contains("there is no region with slug `nowhere`"));
    assert!(
        !page.body.contains("Admit the 2026 cohort"),
        "no admit button"
    );
    assert_eq!(written(&app).await, before, "a preview writes nothing");

    // Fixed: the preview says what admitting does, still writing nothing.
    let valid = format!("{HEADER}{REYKJAVIK}Bălți,MDA,47.76171,27.92902,,,,\n");
    fields = admission("2026", &valid);
    let page = browser
        .submit(
            "/console/cohorts/admit",
            "/console/cohorts/preview",
            &fields,
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Ready to admit") && page.body.contains("Admit the 2026 cohort"));
    assert!(page.body.contains("2 new cities in 2 countries"));
    assert!(page.body.contains("Iceland (IS, europe-and-north-america)"));
    assert_eq!(written(&app).await, before, "a preview writes nothing");

    // Admitted, by the form of the preview (checked again), then the report.
    let admitted = browser
        .submit("/console/cohorts/admit", "/console/cohorts/admit", &fields)
        .await;
    assert_eq!(admitted.status, 303, "{}", admitted.body);
    assert_eq!(admitted.location(), "/console/cohorts/2026?done=admitted");
    let cities = app
        .data(None, "{ cohort(year: 2026) { cityCount } }", json!({}))
        .await;
    assert_eq!(cities["cohort"]["cityCount"], 2);
    receiver.wait_for(3, true).await;
    let report = report_settled(&mut browser, "/console/cohorts/2026").await;
    for figure in [
        "<dt>Partners reached</dt><dd>1 of 1</dd>",
        "<dt>Deliveries</dt><dd>3</dd>",
        r#"<dt>Succeeded</dt><dd class="status-succeeded">3</dd>"#,
        "<dt>Pending</dt><dd>0</dd>",
    ] {
        assert!(report.body.contains(figure), "{figure}: {}", report.body);
    }
    let list = browser.get("/console/cohorts").await;
    assert!(list.body.contains(r#"href="/console/cohorts/2026""#));

    // The same admission again changes nothing; a city's withdrawal is not the admission's.
    let again = browser
        .submit("/console/cohorts/admit", "/console/cohorts/admit", &fields)
        .await;
    assert_eq!(
        again.location(),
        "/console/cohorts/2026?done=admitted-before"
    );
    let confirm = "/console/cities/withdraw?city=balti&on=2027-01-31";
    let withdrawn = browser
        .submit(
            confirm,
            "/console/cities/withdraw",
            &[("city", "balti"), ("on", "2027-01-31")],
        )
        .await;
    assert_eq!(withdrawn.status, 303, "{}", withdrawn.body);
    receiver.wait_for(4, true).await;
    let report = report_settled(&mut browser, "/console/cohorts/2026").await;
    assert!(
        report.body.contains("<dt>Deliveries</dt><dd>3</dd>"),
        "{}",
        report.body
    );
}

/// The `withdrawnOn` of Cahul.
async fn cahul(app: &TestApp) -> serde_json::Value {
    app.data(
        None,
        r#"{ city(slug: "cahul") { withdrawnOn } }"#,
        json!({}),
    )
    .await["city"]["withdrawnOn"]
        .clone()
}

async fn withdraw(browser: &mut Browser<'_>, csrf: &str, city: &str, on: &str) -> Page {
    let fields = [("city", city), ("on", on), ("csrf", csrf)];
    browser.post("/console/cities/withdraw", &fields).await
}

async fn a_withdrawal_is_confirmed_and_bad_input_changes_nothing(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let mut browser = Browser::signed_in(&app, &admin).await;
    let form = browser.get("/console/cities/withdraw").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains(r#"<label for="city">"#) && form.body.contains(r#"<label for="on">"#)
    );
    let before = written(&app).await;
    for (query, message) in [
        (
            "city=gotham&on=2026-01-31",
            "there is no city with slug `gotham`",
        ),
        ("city=cahul&on=2026-13-45", "`2026-13-45` is not a date"),
        ("city=cahul&on=", "`` is not a date"),
    ] {
        let page = browser
            .get(&format!("/console/cities/withdraw?{query}"))
            .await;
        assert_eq!(page.status, 422, "{query}: {}", page.body);
        assert!(page.body.contains(message), "{query}: {}", page.body);
        assert!(!page.body.contains("Withdraw Cahul?"), "no confirmation");
    }

    let confirmation = browser
        .get("/console/cities/withdraw?city=cahul&on=2026-01-31")
        .await;
    assert_eq!(confirmation.status, 200);
    assert!(
        confirmation.body.contains("Withdraw Cahul?"),
        "{}",
        confirmation.body
    );
    assert_eq!(
        written(&app).await,
        before,
        "the confirmation step writes nothing"
    );
    let csrf = confirmation.csrf();
    for (city, on, message) in [
        (
            "gotham",
            "2026-01-31",
            "there is no city with slug `gotham`",
        ),
        ("cahul", "31/01/2026", "`31/01/2026` is not a date"),
    ] {
        let page = withdraw(&mut browser, &csrf, city, on).await;
        assert_eq!(page.status, 422, "{city} {on}: {}", page.body);
        assert!(page.body.contains(message), "{}", page.body);
    }
    assert_eq!(written(&app).await, before, "refused: nothing changed");

    let done = withdraw(&mut browser, &csrf, "cahul", "2026-01-31").await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/console/cities/withdraw?done=withdrawn");
    assert!(
        browser
            .get(done.location())
            .await
            .body
            .contains("The city was withdrawn")
    );
    assert_eq!(cahul(&app).await, "2026-01-31");
    let after = written(&app).await;
    assert_eq!(after[3], before[3] + 1, "one more city withdrawn");

    // Withdrawn already: on another date refused, on the same one nothing to do.
    for on in ["2026-02-01", "2026-01-31"] {
        let page = browser
            .get(&format!("/console/cities/withdraw?city=cahul&on={on}"))
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(
            page.body
                .contains("Cahul already left the network on 2026-01-31")
        );
    }
    let page = withdraw(&mut browser, &csrf, "cahul", "2026-02-01").await;
    assert_eq!(page.status, 422);
    assert!(
        page.body
            .contains("Cahul already left the network on 2026-01-31")
    );
    let page = withdraw(&mut browser, &csrf, "cahul", "2026-01-31").await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("nothing changed"), "{}", page.body);
    assert_eq!(cahul(&app).await, "2026-01-31");
    assert_eq!(written(&app).await, after, "nothing more written");
}

on_both_backends!(
    a_coordinator_previews_fixes_and_admits_a_cohort_and_watches_its_report,
    a_withdrawal_is_confirmed_and_bad_input_changes_nothing,
);
