//! Withdrawing a city: it becomes a former member.

use serde_json::json;

use crate::helpers::TestApp;
use crate::notify::{admin_and_partner, subscribe};
use crate::on_both_backends;
use crate::receiver::{Receiver, Reply};

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
    // The event names the city's country and that country's region.
    let country = &requests[0].json()["data"]["city"]["country"];
    assert_eq!(country["iso2"], "MD", "{country}");
    assert_eq!(
        country["region"]["slug"], "europe-and-north-america",
        "{country}"
    );

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

on_both_backends!(a_withdrawn_city_is_a_former_member,);
