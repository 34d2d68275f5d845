//! The nested region → country → city data of the 2020 intake, and its cost in SQL.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::{for_each_backend, on_both_backends};

const FULL_NESTED_QUERY: &str = r#"{
  regions {
    slug name countryCount cityCount
    countries {
      iso2 iso3 name cityCount
      cities { slug name cohort { year announcedOn } location { latitude longitude } }
    }
  }
}"#;

/// The 2020 member list as the project's seed file holds it (name, ISO alpha-2).
fn published_members() -> BTreeSet<(String, String)> {
    let data = include_str!("../../migration/data/cohort-2020-cities.csv");
    data.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[4].to_owned(), fields[2].to_owned())
        })
        .collect()
}

fn cities_of(data: &Value) -> Vec<(String, String)> {
    let mut cities = Vec::new();
    for region in data["regions"].as_array().unwrap() {
        for country in region["countries"].as_array().unwrap() {
            for city in country["cities"].as_array().unwrap() {
                cities.push((
                    city["name"].as_str().unwrap().to_owned(),
                    country["iso2"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    cities
}

async fn the_full_nested_query_returns_the_2020_intake(app: TestApp) {
    let data = app.data(None, FULL_NESTED_QUERY, json!({})).await;
    let regions = data["regions"].as_array().unwrap();
    let names: Vec<&str> = regions
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Africa",
            "Arab States",
            "Asia and the Pacific",
            "Europe and North America",
            "Latin America and the Caribbean"
        ]
    );
    let countries: usize = regions
        .iter()
        .map(|r| r["countries"].as_array().unwrap().len())
        .sum();
    assert_eq!(countries, 27);
    let cities = cities_of(&data);
    assert_eq!(cities.len(), 55);
    assert_eq!(
        cities.iter().cloned().collect::<BTreeSet<_>>(),
        published_members()
    );
    for exact in [
        "Guédiawaye",
        "Chișinău",
        "L’Alcora",
        "Quibdó",
        "Santiago de los Caballeros de León",
        "Ourém",
    ] {
        assert!(
            cities.iter().any(|(name, _)| name == exact),
            "{exact} is missing"
        );
    }
    // Counts agree with the lists they summarise.
    for region in regions {
        let listed = region["countries"].as_array().unwrap();
        assert_eq!(region["countryCount"], json!(listed.len()));
        let in_region: usize = listed
            .iter()
            .map(|c| c["cities"].as_array().unwrap().len())
            .sum();
        assert_eq!(region["cityCount"], json!(in_region));
    }
    let europe = &regions[3];
    assert_eq!(europe["cityCount"], json!(22));
    let moldova = europe["countries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["iso2"] == "MD")
        .unwrap();
    assert_eq!(moldova["name"], "Republic of Moldova");
    assert_eq!(moldova["iso3"], "MDA");
    assert_eq!(moldova["cityCount"], 2);
    assert_eq!(moldova["cities"][1]["name"], "Chișinău");
    assert_eq!(
        moldova["cities"][1]["cohort"],
        json!({ "year": 2020, "announcedOn": "2020-09-23" })
    );
    assert_eq!(
        moldova["cities"][1]["location"],
        json!({ "latitude": 47.00902, "longitude": 28.85938 })
    );
}

async fn nested_queries_cost_one_statement_per_level(backend: Backend) {
    // Without the response cache, which would add its data-version read (and answer a
    // repeated query with that one statement alone).
    let app = spawn_app_with(backend, |s| s.http.response_cache_bytes = 0).await;
    // Four levels (regions, countries, cities, cohorts): four statements for 55 cities.
    // Each city's `country` is one of the countries loaded above it, and each region's
    // `cityCount` is counted from its countries' loaded cities.
    assert_eq!(app.statements_for(FULL_NESTED_QUERY).await, 4);
    // Without the cities below, the counts are one grouped statement.
    assert_eq!(
        app.statements_for("{ regions { cityCount countries { name } } }")
            .await,
        3
    );
    let without_counts = "{ regions { countries { cities { cohort { year } } } } }";
    assert_eq!(app.statements_for(without_counts).await, 4);
    // Walking back up from every city: cities, countries, regions.
    let upwards =
        "{ cities(first: 100) { edges { node { name country { name region { name } } } } } }";
    assert_eq!(app.statements_for(upwards).await, 3);
    // cohort → cities → country → region, and counts that reuse loaded lists.
    let cohort =
        "{ cohorts { year cityCount cities { name country { name cityCount region { slug } } } } }";
    assert_eq!(app.statements_for(cohort).await, 5);
    // The summary's fields share their queries: four counts and the two latest intakes.
    let network = "{ network { regionCount countryCount cityCount cohortCount latestCohort { year } \
                   publishedCityCount publishedCountryCount publishedTotalsCohort { year } } }";
    assert_eq!(app.statements_for(network).await, 6);
}

async fn single_objects_are_found_by_their_ids_or_null(app: TestApp) {
    let data = app
        .data(
            None,
            r#"{
              europe: region(slug: "europe-and-north-america") { name countryCount }
              nowhere: region(slug: "atlantis") { name }
              md: country(code: "md") { name }
              mda: country(code: "MDA") { iso2 region { slug } }
              zz: country(code: "ZZ") { name }
              city(slug: "l-alcora") { name country { name } }
              missing: city(slug: "gotham") { name }
            }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["europe"],
        json!({ "name": "Europe and North America", "countryCount": 11 })
    );
    assert_eq!(data["nowhere"], Value::Null);
    assert_eq!(data["md"]["name"], "Republic of Moldova");
    assert_eq!(
        data["mda"],
        json!({ "iso2": "MD", "region": { "slug": "europe-and-north-america" } })
    );
    assert_eq!(data["zz"], Value::Null);
    assert_eq!(
        data["city"],
        json!({ "name": "L’Alcora", "country": { "name": "Spain" } })
    );
    assert_eq!(data["missing"], Value::Null);
}

async fn cities_filter_by_region_country_cohort_and_search(app: TestApp) {
    let query = r#"query($region: String, $country: String, $year: Int, $search: String) {
        cities(region: $region, country: $country, cohortYear: $year, search: $search, first: 100) {
            totalCount edges { node { name } }
        }
    }"#;
    let names = |data: &Value| -> Vec<String> {
        data["cities"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().into())
            .collect()
    };
    let africa = app.data(None, query, json!({ "region": "africa" })).await;
    assert_eq!(names(&africa), ["Fatick", "Guédiawaye"]);
    assert_eq!(africa["cities"]["totalCount"], 2);

    let korea = app.data(None, query, json!({ "country": "KOR" })).await;
    assert_eq!(
        names(&korea),
        ["Busan Metropolitan City", "Gongju", "Songpa-Gu"]
    );

    let cohort = app.data(None, query, json!({ "year": 2020 })).await;
    assert_eq!(cohort["cities"]["totalCount"], 55);
    let before_lists = app.data(None, query, json!({ "year": 2019 })).await;
    assert_eq!(before_lists["cities"]["totalCount"], 0);

    for (search, expected) in [
        ("chisinau", vec!["Chișinău"]),
        ("CHIȘINĂU", vec!["Chișinău"]),
        ("guediawaye", vec!["Guédiawaye"]),
        ("l'alcora", vec!["L’Alcora"]),
        (
            "san",
            vec![
                "Busan Metropolitan City",
                "San Justo",
                "Santiago de los Caballeros de León",
            ],
        ),
        (
            "caballeros de leon",
            vec!["Santiago de los Caballeros de León"],
        ),
        ("zzz", vec![]),
    ] {
        let found = app.data(None, query, json!({ "search": search })).await;
        assert_eq!(names(&found), expected, "search {search:?}");
    }

    let combined = app
        .data(
            None,
            query,
            json!({ "region": "latin-america-and-the-caribbean", "search": "a", "country": "AR" }),
        )
        .await;
    assert_eq!(names(&combined), ["José C. Paz", "La Matanza", "San Justo"]);
}

async fn countries_are_a_connection_filtered_by_region(app: TestApp) {
    let data = app
        .data(
            None,
            r#"{ countries(region: "arab-states") { totalCount edges { node { name } } pageInfo { hasNextPage } } }"#,
            json!({}),
        )
        .await;
    let names: Vec<&str> = data["countries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Algeria", "Morocco", "Palestine", "Qatar", "Saudi Arabia"]
    );
    assert_eq!(data["countries"]["totalCount"], 5);
    let all = app
        .data(
            None,
            "{ countries(first: 100) { totalCount edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(all["countries"]["totalCount"], 27);
    assert_eq!(all["countries"]["edges"].as_array().unwrap().len(), 27);
}

async fn the_network_summary_sets_data_beside_published_totals(app: TestApp) {
    let data = app
        .data(
            None,
            "{ network { regionCount countryCount cityCount cohortCount latestCohort { year } \
               publishedCityCount publishedCountryCount publishedTotalsCohort { year } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["network"],
        json!({
            "regionCount": 5, "countryCount": 27, "cityCount": 55, "cohortCount": 5,
            "latestCohort": { "year": 2025 },
            "publishedCityCount": 425, "publishedCountryCount": 91,
            "publishedTotalsCohort": { "year": 2025 }
        })
    );
}

async fn migrating_again_changes_nothing(app: TestApp) {
    let before = app.data(None, FULL_NESTED_QUERY, json!({})).await;
    gnlc::database::migrate(&app.db)
        .await
        .expect("migrations re-run");
    let after = app.data(None, FULL_NESTED_QUERY, json!({})).await;
    assert_eq!(before, after);
    let counts = app
        .data(
            None,
            "{ network { cityCount countryCount cohortCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        counts["network"],
        json!({ "cityCount": 55, "countryCount": 27, "cohortCount": 5 })
    );
}

async fn health_check_answers_when_the_database_does(app: TestApp) {
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
}

on_both_backends!(
    the_full_nested_query_returns_the_2020_intake,
    single_objects_are_found_by_their_ids_or_null,
    cities_filter_by_region_country_cohort_and_search,
    countries_are_a_connection_filtered_by_region,
    the_network_summary_sets_data_beside_published_totals,
    migrating_again_changes_nothing,
    health_check_answers_when_the_database_does,
);

for_each_backend!(nested_queries_cost_one_statement_per_level);
