//! Admissions refused: every problem listed and nothing written; clashing slugs and
//! country names, and names without letters or digits, refused up front.

use gnlc::access::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::notify::{ADMIT, admin_and_partner, cohort_2026, subscribe};
use crate::on_both_backends;
use crate::receiver::{Receiver, Reply};

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
    clashing_slugs_and_country_names_are_refused_up_front,
    a_name_without_letters_or_digits_is_refused,
    an_invalid_admission_lists_every_problem_and_writes_nothing,
);
