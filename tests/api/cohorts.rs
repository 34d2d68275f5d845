//! Intakes and their published figures.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn cohorts_carry_their_published_figures(app: TestApp) {
    let data = app
        .data(
            None,
            "{ cohorts { year announcedOn newCityCount newCountryCount networkCityCount networkCountryCount cityCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["cohorts"],
        json!([
            { "year": 2019, "announcedOn": "2019-07-17", "newCityCount": 38, "newCountryCount": 23,
              "networkCityCount": null, "networkCountryCount": null, "cityCount": 0 },
            { "year": 2020, "announcedOn": "2020-09-23", "newCityCount": 55, "newCountryCount": 27,
              "networkCityCount": 230, "networkCountryCount": 64, "cityCount": 55 },
            { "year": 2022, "announcedOn": "2022-09-02", "newCityCount": 77, "newCountryCount": 44,
              "networkCityCount": 294, "networkCountryCount": 76, "cityCount": 0 },
            { "year": 2024, "announcedOn": "2024-02-14", "newCityCount": 64, "newCountryCount": 35,
              "networkCityCount": 356, "networkCountryCount": 79, "cityCount": 0 },
            { "year": 2025, "announcedOn": "2025-12-04", "newCityCount": 72, "newCountryCount": 46,
              "networkCityCount": 425, "networkCountryCount": 91, "cityCount": 0 }
        ])
    );
}

async fn a_cohort_lists_its_cities(app: TestApp) {
    let data = app
        .data(
            None,
            r#"{ cohort(year: 2020) { id cities { name country { iso2 } } } none: cohort(year: 1999) { year } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["none"], Value::Null);
    assert_eq!(data["cohort"]["id"], "2020");
    let cities = data["cohort"]["cities"].as_array().unwrap();
    assert_eq!(cities.len(), 55);
    assert_eq!(
        cities[0],
        json!({ "name": "Adrar", "country": { "iso2": "DZ" } })
    );
}

on_both_backends!(
    cohorts_carry_their_published_figures,
    a_cohort_lists_its_cities
);
