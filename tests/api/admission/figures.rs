//! An intake's published figures: an intake known by them gets its member list, one
//! published without its members keeps them, and they are replaced only when asked.

use gnlc::access::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::notify::{ADMIT, admit};
use crate::on_both_backends;

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

on_both_backends!(
    an_intake_published_without_its_members_keeps_its_figures,
    published_figures_are_replaced_only_when_asked,
    an_intake_known_by_its_figures_gets_its_member_list,
);
