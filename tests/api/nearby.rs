//! `citiesNear`: great-circle distance, nearest first.

use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

const NEAR: &str = r#"query($lat: Float!, $lon: Float!, $km: Float!, $first: Int) {
    citiesNear(latitude: $lat, longitude: $lon, radiusKm: $km, first: $first) { distanceKm city { name } }
}"#;

async fn cities_near_a_point_come_nearest_first(app: TestApp) {
    let data = app
        .data(
            None,
            NEAR,
            json!({ "lat": 47.00902, "lon": 28.85938, "km": 200.0 }),
        )
        .await;
    let near = data["citiesNear"].as_array().unwrap();
    let names: Vec<&str> = near
        .iter()
        .map(|n| n["city"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Chișinău", "Cahul"]);
    assert_eq!(near[0]["distanceKm"], 0.0);
    let cahul = near[1]["distanceKm"].as_f64().unwrap();
    assert!((cahul - 132.932).abs() < 0.01, "{cahul}");

    // Lisbon: Loures (~12 km), then Batalha (~105 km) and Ourém (~113 km).
    let data = app
        .data(
            None,
            NEAR,
            json!({ "lat": 38.7223, "lon": -9.1393, "km": 150.0 }),
        )
        .await;
    let names: Vec<&str> = data["citiesNear"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["city"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Loures", "Batalha", "Ourém"]);
    let distances: Vec<f64> = data["citiesNear"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["distanceKm"].as_f64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]));

    let limited = app
        .data(
            None,
            NEAR,
            json!({ "lat": 38.7223, "lon": -9.1393, "km": 150.0, "first": 1 }),
        )
        .await;
    assert_eq!(limited["citiesNear"].as_array().unwrap().len(), 1);

    // The middle of the Pacific, across the antimeridian: nothing within 1000 km.
    let empty = app
        .data(
            None,
            NEAR,
            json!({ "lat": 0.0, "lon": 179.9, "km": 1000.0 }),
        )
        .await;
    assert_eq!(empty["citiesNear"], json!([]));

    // Half the globe away from the North Pole reaches every city.
    let all = app
        .data(
            None,
            NEAR,
            json!({ "lat": 90.0, "lon": 0.0, "km": 20015.0, "first": 100 }),
        )
        .await;
    assert_eq!(all["citiesNear"].as_array().unwrap().len(), 55);
}

async fn impossible_points_and_radii_are_refused(app: TestApp) {
    for (variables, fragment) in [
        (
            json!({ "lat": 91.0, "lon": 0.0, "km": 10.0 }),
            "`latitude` must be between -90 and 90",
        ),
        (
            json!({ "lat": 0.0, "lon": -180.5, "km": 10.0 }),
            "`longitude` must be between -180 and 180",
        ),
        (
            json!({ "lat": 0.0, "lon": 0.0, "km": 0.0 }),
            "`radiusKm` must be above 0",
        ),
        (
            json!({ "lat": 0.0, "lon": 0.0, "km": 30000.0 }),
            "`radiusKm` must be above 0",
        ),
        (
            json!({ "lat": 0.0, "lon": 0.0, "km": 10.0, "first": 101 }),
            "`first` must be between 0 and 100",
        ),
        (
            json!({ "lat": 0.0, "lon": 0.0, "km": 10.0, "first": -1 }),
            "`first` must be between 0 and 100",
        ),
    ] {
        let (code, message) = app.error(None, NEAR, variables.clone()).await;
        assert_eq!(code, "BAD_USER_INPUT", "{variables}");
        assert!(message.starts_with(fragment), "{variables}: {message}");
    }
}

on_both_backends!(
    cities_near_a_point_come_nearest_first,
    impossible_points_and_radii_are_refused
);
