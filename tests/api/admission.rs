//! Admitting cohorts and withdrawing cities, end to end to a partner's receiver.

use gnlc::access::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::notify::{
    ADMIT, admin_and_partner, admit, cohort_2026, deliveries, settled, subscribe, verify,
};
use crate::on_both_backends;
use crate::receiver::{Receiver, Reply};

async fn an_admission_reaches_the_partners_signed(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let partner = app
        .token(Role::Partner, "Ministry of Education, Iceland")
        .await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let (endpoint, secret) = subscribe(&app, &partner, &receiver.url, json!({})).await;

    let admitted = admit(&app, &admin, cohort_2026()).await;
    assert_eq!(
        admitted,
        json!({ "created": true, "cityCount": 2, "deliveryCount": 3, "cohort": { "year": 2026, "cityCount": 2 } })
    );

    let requests = receiver.wait_for(3, true).await;
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert!(
            verify(request, &secret),
            "signature does not verify: {request:?}"
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert!(request.header("webhook-id").unwrap().starts_with("msg_"));
    }
    let mut types: Vec<String> = requests
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(types, ["city.admitted", "city.admitted", "cohort.admitted"]);
    let cohort = requests
        .iter()
        .map(|r| r.json())
        .find(|b| b["type"] == "cohort.admitted")
        .unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(cohort["timestamp"].as_str().unwrap()).is_ok());
    assert_eq!(cohort["data"]["cohort"]["year"], 2026);
    assert_eq!(cohort["data"]["cohort"]["networkCityCount"], 427);
    let cities = cohort["data"]["cities"].as_array().unwrap();
    assert_eq!(cities[0]["name"], "Reykjavík");
    assert_eq!(cities[0]["country"]["name"], "Iceland");
    assert_eq!(
        cities[0]["country"]["region"]["slug"],
        "europe-and-north-america"
    );
    assert_eq!(cities[1]["slug"], "balti");

    let deliveries = settled(&app, &partner, &endpoint, 3).await;
    assert!(
        deliveries
            .iter()
            .all(|d| d["status"] == "SUCCEEDED" && d["attemptCount"] == 1)
    );
    assert_eq!(deliveries[0]["attempts"][0]["statusCode"], 200);
    assert_eq!(deliveries[0]["attempts"][0]["responseExcerpt"], "thanks");

    // The public data has the new cohort, and the coordinators see who received it.
    let data = app
        .data(
            None,
            r#"{ cohort(year: 2026) { cities { name country { name region { slug } } } }
                 country(code: "ISL") { name cityCount } network { cityCount countryCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["cohort"]["cities"][1]["name"], "Reykjavík");
    assert_eq!(
        data["country"],
        json!({ "name": "Iceland", "cityCount": 1 })
    );
    assert_eq!(
        data["network"],
        json!({ "cityCount": 57, "countryCount": 28 })
    );
    let report = app
        .data(Some(&admin), "{ cohort(year: 2026) { deliveryReport { partners partnersReached deliveries succeeded } } }", json!({}))
        .await;
    assert_eq!(
        report["cohort"]["deliveryReport"],
        json!({ "partners": 1, "partnersReached": 1, "deliveries": 1, "succeeded": 1 })
    );

    // A partner that was down catches up by pulling the same payloads.
    let events = app
        .data(
            Some(&partner),
            "{ events(first: 10) { edges { cursor node { id type payload } } } }",
            json!({}),
        )
        .await;
    let edges = events["events"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 3);
    let delivered: Value = requests
        .iter()
        .map(|r| r.json())
        .find(|b| b["type"] == "cohort.admitted")
        .unwrap();
    assert_eq!(edges[0]["node"]["payload"], delivered);
    let after = app
        .data(
            Some(&partner),
            "query($c: String) { events(after: $c) { edges { node { type } } } }",
            json!({ "c": edges[0]["cursor"] }),
        )
        .await;
    assert_eq!(after["events"]["edges"].as_array().unwrap().len(), 2);
}

/// How many events there are (at most 100).
async fn events(app: &TestApp, admin: &str) -> usize {
    let events = app
        .data(
            Some(admin),
            "{ events(first: 100) { edges { node { type } } } }",
            json!({}),
        )
        .await;
    events["events"]["edges"].as_array().unwrap().len()
}

async fn the_same_admission_twice_admits_once(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let first = admit(&app, &admin, cohort_2026()).await;
    assert_eq!(first["created"], true);
    let again = admit(&app, &admin, cohort_2026()).await;
    assert_eq!(
        again,
        json!({ "created": false, "cityCount": 2, "deliveryCount": 0, "cohort": { "year": 2026, "cityCount": 2 } })
    );
    assert_eq!(events(&app, &admin).await, 3, "no second set of events");

    let mut changed = cohort_2026();
    changed["networkCityCount"] = json!(500);
    let (code, message) = app
        .error(Some(&admin), ADMIT, json!({ "input": changed }))
        .await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(
        message,
        "the cohort of 2026 was already admitted with a different content"
    );
}

async fn an_invalid_admission_lists_every_problem_and_writes_nothing(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    subscribe(&app, &partner, &receiver.url, json!({})).await;
    let before = app
        .data(
            None,
            "{ network { cityCount countryCount } countries(first: 100) { totalCount } }",
            json!({}),
        )
        .await;

    let mut input = cohort_2026();
    input["cities"] = json!([
        { "name": "Reykjavík", "country": "IS", "latitude": 64.1, "longitude": -21.9 },
        { "name": "Atlantis", "country": "XA", "latitude": 0, "longitude": 0 },
        { "name": "Chișinău", "country": "MD", "latitude": 47.0, "longitude": 28.8 },
        { "name": "Reykjavik", "country": "ISL", "latitude": 64.1, "longitude": -21.9 },
        { "name": "Nowhere", "country": "MD", "latitude": 91, "longitude": 0 },
        { "name": " ", "country": "MD", "latitude": 1, "longitude": 1 }
    ]);
    let (_, body) = app
        .graphql_as(Some(&admin), ADMIT, json!({ "input": input }))
        .await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
    let problems: Vec<(Value, String)> = error["extensions"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["city"].clone(), p["field"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        problems,
        [
            (json!(2), "country".to_owned()),
            (json!(3), "name".to_owned()),
            (json!(4), "name".to_owned()),
            (json!(5), "latitude".to_owned()),
            (json!(6), "name".to_owned()),
        ]
    );
    let messages = error["extensions"]["problems"].to_string();
    assert!(
        messages.contains("there is no country with code `XA`"),
        "{messages}"
    );
    assert!(
        messages.contains("Chișinău (MD) is already a member city"),
        "{messages}"
    );
    assert!(
        messages.contains("Reykjavik (IS) is listed twice"),
        "{messages}"
    );

    let after = app
        .data(
            None,
            "{ network { cityCount countryCount } countries(first: 100) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(before, after, "nothing was written");
    assert_eq!(
        app.data(None, "{ cohort(year: 2026) { year } }", json!({}))
            .await["cohort"],
        Value::Null
    );
    let events = app
        .data(
            Some(&admin),
            "{ events { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(events["events"]["edges"], json!([]));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty());
}

async fn an_intake_known_by_its_figures_gets_its_member_list(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let input = json!({
        "year": 2022, "announcedOn": "2022-09-02", "newCityCount": 77, "newCountryCount": 44,
        "networkCityCount": 294, "networkCountryCount": 76,
        "cities": [{ "name": "San Justo", "country": "PH", "latitude": 14.7, "longitude": 121.0 }],
        "newCountries": [{ "iso2": "PH", "iso3": "PHL", "name": "Philippines", "region": "asia-and-the-pacific" }]
    });
    let admitted = admit(&app, &admin, input).await;
    assert_eq!(admitted["created"], true);
    // Another San Justo is a member already (Argentina): the new one's slug says where it is.
    let data = app
        .data(
            None,
            "{ cohort(year: 2022) { cities { slug name country { iso2 } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["cohort"]["cities"],
        json!([{ "slug": "san-justo-ph", "name": "San Justo", "country": { "iso2": "PH" } }])
    );
}

async fn a_withdrawn_city_is_a_former_member(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    subscribe(
        &app,
        &partner,
        &receiver.url,
        json!({ "eventTypes": ["city.withdrawn"] }),
    )
    .await;
    let withdraw = r#"mutation($on: Date!) { withdrawCity(slug: "cahul", withdrawnOn: $on) { name isMember withdrawnOn } }"#;

    let data = app
        .data(Some(&admin), withdraw, json!({ "on": "2026-01-31" }))
        .await;
    assert_eq!(
        data["withdrawCity"],
        json!({ "name": "Cahul", "isMember": false, "withdrawnOn": "2026-01-31" })
    );
    let again = app
        .data(Some(&admin), withdraw, json!({ "on": "2026-01-31" }))
        .await;
    assert_eq!(again, data);
    let (code, _) = app
        .error(Some(&admin), withdraw, json!({ "on": "2026-02-01" }))
        .await;
    assert_eq!(code, "CONFLICT");
    let (code, _) = app
        .error(
            Some(&admin),
            r#"mutation { withdrawCity(slug: "gotham", withdrawnOn: "2026-01-01") { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");

    let requests = receiver.wait_for(1, true).await;
    assert_eq!(requests[0].json()["data"]["city"]["name"], "Cahul");
    assert_eq!(requests[0].json()["data"]["withdrawnOn"], "2026-01-31");

    let lists = app
        .data(
            None,
            r#"{ current: cities(country: "MD") { totalCount }
                 former: cities(membership: FORMER) { edges { node { name } } }
                 all: cities(country: "MD", membership: ALL) { totalCount }
                 country(code: "MD") { cityCount cities { name } formerCities: cities(membership: FORMER) { name } }
                 network { cityCount }
                 citiesNear(latitude: 45.9, longitude: 28.2, radiusKm: 5) { city { name } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(lists["current"]["totalCount"], 1);
    assert_eq!(
        lists["former"]["edges"],
        json!([{ "node": { "name": "Cahul" } }])
    );
    assert_eq!(lists["all"]["totalCount"], 2);
    assert_eq!(
        lists["country"],
        json!({ "cityCount": 1, "cities": [{ "name": "Chișinău" }], "formerCities": [{ "name": "Cahul" }] })
    );
    assert_eq!(lists["network"]["cityCount"], 54);
    assert_eq!(lists["citiesNear"], json!([]));
    // A region's count leaves the former member out, whether it is counted from the
    // cities loaded below it or by a statement of its own.
    let europe = r#"{ region(slug: "europe-and-north-america") { cityCount COUNTRIES } }"#;
    for countries in ["", "countries { name }", "countries { cities { name } }"] {
        let data = app
            .data(None, &europe.replace("COUNTRIES", countries), json!({}))
            .await;
        assert_eq!(data["region"]["cityCount"], 21, "{countries}");
    }
    assert_eq!(
        receiver.received().len(),
        1,
        "the repeated withdrawal sent nothing"
    );
}

/// An admission asking what became of the intake's published figures.
const ADMIT_WITH_FIGURES: &str = r#"mutation($input: CohortAdmissionInput!) {
    admitCohort(input: $input) {
        created cityCount
        publishedFigures { figure outcome published admitted }
        cohort { announcedOn newCityCount newCountryCount networkCityCount networkCountryCount cityCount }
    }
}"#;

async fn admit_with_figures(app: &TestApp, admin: &str, input: Value) -> Value {
    app.data(Some(admin), ADMIT_WITH_FIGURES, json!({ "input": input }))
        .await["admitCohort"]
        .clone()
}

/// One city of the 2019 intake, published as 38 new cities in 23 countries.
fn part_of_2019() -> Value {
    json!({
        "year": 2019, "announcedOn": "2019-07-17", "newCityCount": 1, "newCountryCount": 1,
        "networkCityCount": 229,
        "cities": [{ "name": "Bălți", "country": "MD", "latitude": 47.76171, "longitude": 27.92902 }]
    })
}

async fn an_intake_published_without_its_members_keeps_its_figures(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let admitted = admit_with_figures(&app, &admin, part_of_2019()).await;
    assert_eq!(
        admitted,
        json!({
            "created": true, "cityCount": 1,
            "publishedFigures": [
                { "figure": "newCityCount", "outcome": "KEPT", "published": "38", "admitted": "1" },
                { "figure": "newCountryCount", "outcome": "KEPT", "published": "23", "admitted": "1" },
                { "figure": "networkCityCount", "outcome": "ADDED", "published": null, "admitted": "229" }
            ],
            "cohort": { "announcedOn": "2019-07-17", "newCityCount": 38, "newCountryCount": 23,
                        "networkCityCount": 229, "networkCountryCount": null, "cityCount": 1 }
        })
    );
    let data = app
        .data(
            None,
            "{ cohort(year: 2019) { newCityCount newCountryCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["cohort"],
        json!({ "newCityCount": 38, "newCountryCount": 23 })
    );

    // Sent again, it changes nothing and says the same of the figures it gives differently.
    let again = admit_with_figures(&app, &admin, part_of_2019()).await;
    assert_eq!(again["created"], false);
    assert_eq!(
        again["publishedFigures"],
        json!([
            { "figure": "newCityCount", "outcome": "KEPT", "published": "38", "admitted": "1" },
            { "figure": "newCountryCount", "outcome": "KEPT", "published": "23", "admitted": "1" }
        ])
    );
    assert_eq!(again["cohort"], admitted["cohort"]);
    // Asking now for the figures to be replaced is another admission of an admitted intake.
    let mut replacing = part_of_2019();
    replacing["replacePublishedFigures"] = json!(true);
    let (code, _) = app
        .error(Some(&admin), ADMIT, json!({ "input": replacing }))
        .await;
    assert_eq!(code, "CONFLICT");
}

async fn published_figures_are_replaced_only_when_asked(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let input = json!({
        "year": 2022, "announcedOn": "2022-09-01", "newCityCount": 1, "newCountryCount": 1,
        "replacePublishedFigures": true,
        "cities": [{ "name": "Bălți", "country": "MD", "latitude": 47.76171, "longitude": 27.92902 }]
    });
    let admitted = admit_with_figures(&app, &admin, input.clone()).await;
    assert_eq!(
        admitted["publishedFigures"],
        json!([
            { "figure": "announcedOn", "outcome": "REPLACED", "published": "2022-09-02", "admitted": "2022-09-01" },
            { "figure": "newCityCount", "outcome": "REPLACED", "published": "77", "admitted": "1" },
            { "figure": "newCountryCount", "outcome": "REPLACED", "published": "44", "admitted": "1" }
        ])
    );
    // A figure the admission leaves out is never erased.
    assert_eq!(
        admitted["cohort"],
        json!({ "announcedOn": "2022-09-01", "newCityCount": 1, "newCountryCount": 1,
                "networkCityCount": 294, "networkCountryCount": 76, "cityCount": 1 })
    );
    let again = admit_with_figures(&app, &admin, input).await;
    assert_eq!(
        (&again["created"], &again["publishedFigures"]),
        (&json!(false), &json!([]))
    );
}

async fn identical_admissions_sent_at_once_admit_once(app: TestApp) {
    let (admin, partner) = admin_and_partner(&app).await;
    let receiver = Receiver::start(vec![Reply::ok()]);
    let (endpoint, _) = subscribe(&app, &partner, &receiver.url, json!({})).await;

    let sent =
        (0..8).map(|_| app.graphql_as(Some(&admin), ADMIT, json!({ "input": cohort_2026() })));
    let answers = futures_util::future::join_all(sent).await;
    let mut created = 0;
    for (status, body) in &answers {
        assert!(
            status.is_success() && body.get("errors").is_none(),
            "status {status}: {body:#}"
        );
        let admitted = &body["data"]["admitCohort"];
        assert_eq!(admitted["cityCount"], 2, "{admitted}");
        if admitted["created"] == true {
            created += 1;
            assert_eq!(admitted["deliveryCount"], 3);
        } else {
            assert_eq!(admitted["deliveryCount"], 0);
        }
    }
    assert_eq!(created, 1, "exactly one admission wrote: {answers:#?}");

    assert_eq!(events(&app, &admin).await, 3, "a single set of events");
    assert_eq!(deliveries(&app, &partner, &endpoint).await.len(), 3);
    let data = app
        .data(
            None,
            "{ cohort(year: 2026) { cityCount } network { cityCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({ "cohort": { "cityCount": 2 }, "network": { "cityCount": 57 } })
    );
}

/// The problems of a refused admission, as `(city, field, message)`; nothing was written.
async fn refused(app: &TestApp, admin: &str, input: Value) -> Vec<(Value, String, String)> {
    let year = input["year"].clone();
    let (_, body) = app
        .graphql_as(Some(admin), ADMIT, json!({ "input": input }))
        .await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body:#}");
    let data = app
        .data(
            None,
            "query($y: Int!) { cohort(year: $y) { cityCount } }",
            json!({ "y": year }),
        )
        .await;
    assert!(
        matches!(data["cohort"]["cityCount"].as_i64(), None | Some(0)),
        "nothing was written: {data}"
    );
    error["extensions"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["city"].clone(),
                p["field"].as_str().unwrap().to_owned(),
                p["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn clashing_slugs_and_country_names_are_refused_up_front(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    // `Foo` in MD comes after another `Foo`, so takes `foo-md`: the slug of `Foo MD`.
    let mut input = cohort_2026();
    input["newCountries"] = json!([]);
    input["cities"] = json!([
        { "name": "Foo MD", "country": "PT", "latitude": 40, "longitude": -8 },
        { "name": "Foo", "country": "PT", "latitude": 40, "longitude": -8 },
        { "name": "Foo", "country": "MD", "latitude": 47, "longitude": 28 }
    ]);
    assert_eq!(
        refused(&app, &admin, input).await,
        [(
            json!(3),
            "name".to_owned(),
            "Foo (MD) would have the slug `foo-md`, as city 1 (Foo MD) has".to_owned()
        )]
    );

    // A joining country named as a member country, and two joining ones named alike.
    let mut input = cohort_2026();
    input["newCountries"] = json!([
        { "iso2": "IS", "iso3": "ISL", "name": "Iceland", "region": "europe-and-north-america" },
        { "iso2": "XK", "iso3": "XKX", "name": "Republic of Moldova", "region": "europe-and-north-america" },
        { "iso2": "GL", "iso3": "GRL", "name": "ICELAND", "region": "europe-and-north-america" }
    ]);
    let moldova = app
        .data(None, r#"{ country(code: "MD") { name } }"#, json!({}))
        .await;
    let moldova = moldova["country"]["name"].as_str().unwrap().to_owned();
    input["newCountries"][1]["name"] = json!(moldova);
    assert_eq!(
        refused(&app, &admin, input).await,
        [
            (
                Value::Null,
                "newCountries[2]".to_owned(),
                format!("{moldova} is already the name of the member country {moldova} (MD)")
            ),
            (
                Value::Null,
                "newCountries[3]".to_owned(),
                "ICELAND is already the name of newCountries[1]".to_owned()
            ),
        ]
    );
}

async fn a_name_without_letters_or_digits_is_refused(app: TestApp) {
    let admin = app.token(Role::Admin, "UIL").await;
    let mut input = cohort_2026();
    input["cities"][1]["name"] = json!("!!!");
    input["newCountries"][0]["name"] = json!("—");
    assert_eq!(
        refused(&app, &admin, input).await,
        [
            (
                Value::Null,
                "newCountries[1]".to_owned(),
                "a country name has at least one letter or digit (`—` has none)".to_owned()
            ),
            (
                json!(2),
                "name".to_owned(),
                "a city name has at least one letter or digit (`!!!` has none)".to_owned()
            ),
        ]
    );

    // A city admitted with an empty slug before this was refused is found by no slug.
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    entity::city::ActiveModel {
        slug: Set(String::new()),
        name: Set("!!!".into()),
        search_name: Set(String::new()),
        country_id: Set(1),
        cohort_id: Set(1),
        latitude: Set(0.0),
        longitude: Set(0.0),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let data = app
        .data(None, r#"{ city(slug: "") { name } }"#, json!({}))
        .await;
    assert_eq!(data["city"], Value::Null);
    let (code, _) = app
        .error(
            Some(&admin),
            r#"mutation { withdrawCity(slug: "", withdrawnOn: "2026-01-01") { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
}

on_both_backends!(
    an_intake_published_without_its_members_keeps_its_figures,
    published_figures_are_replaced_only_when_asked,
    identical_admissions_sent_at_once_admit_once,
    clashing_slugs_and_country_names_are_refused_up_front,
    a_name_without_letters_or_digits_is_refused,
    an_admission_reaches_the_partners_signed,
    the_same_admission_twice_admits_once,
    an_invalid_admission_lists_every_problem_and_writes_nothing,
    an_intake_known_by_its_figures_gets_its_member_list,
    a_withdrawn_city_is_a_former_member,
);
