//! Example events for the catalog, made by the same payload types and envelope as real
//! events (`webhooks::payload`, `outbox::body`) from a sample city: never JSON written by
//! hand, so the catalog cannot drift from what partners receive.

use chrono::NaiveDate;
use entity::{city, cohort, country, region};
use serde_json::Value;

use crate::webhooks::events::TestEventData;
use crate::webhooks::outbox::{self, EventType};
use crate::webhooks::payload::{City, CityAdmitted, CityWithdrawn, Cohort, CohortAdmitted};

/// 2026-09-01T10:00:00Z, the examples' time.
const EXAMPLE_TIME_MS: i64 = 1_788_256_800_000;

struct Sample {
    city: city::Model,
    country: country::Model,
    region: region::Model,
    cohort: cohort::Model,
}

fn sample() -> Sample {
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    Sample {
        city: city::Model {
            id: 1,
            slug: "chisinau".into(),
            name: "Chișinău".into(),
            search_name: "chisinau".into(),
            country_id: 1,
            cohort_id: 1,
            latitude: 47.00902,
            longitude: 28.85938,
            geonames_id: Some(618426),
            location_note: None,
            withdrawn_on: None,
        },
        country: country::Model {
            id: 1,
            iso2: "MD".into(),
            iso3: "MDA".into(),
            name: "Republic of Moldova".into(),
            region_id: 1,
        },
        region: region::Model {
            id: 1,
            slug: "europe-and-north-america".into(),
            name: "Europe and North America".into(),
        },
        cohort: cohort::Model {
            id: 1,
            year: 2026,
            announced_on: date(2026, 9, 1),
            new_cities: 1,
            new_countries: 1,
            network_cities_after: Some(426),
            network_countries_after: Some(92),
            admission_digest: None,
        },
    }
}

/// What an event type is, in a sentence.
pub fn description(event_type: EventType) -> &'static str {
    match event_type {
        EventType::CohortAdmitted => {
            "An intake was admitted: the cohort, its published figures and its cities. \
             An endpoint filtered by region or country gets it when one of the cities is inside \
             its filter."
        }
        EventType::CityAdmitted => {
            "One city of an admitted intake, with the intake: one event per city."
        }
        EventType::CityWithdrawn => "A city left the network, and the day it left.",
        EventType::WebhookTest => {
            "Sent to one endpoint when its owner asks (Send a test event), whatever it subscribes to."
        }
    }
}

/// The body a delivery of an event of this type carries, for the sample city.
pub fn example(event_type: EventType) -> Value {
    let s = sample();
    let city = || City::new(&s.city, &s.country, Some(&s.region));
    let cohort = Cohort::from(&s.cohort);
    let data = match event_type {
        EventType::CohortAdmitted => serde_json::to_value(CohortAdmitted {
            cohort,
            cities: vec![city()],
        }),
        EventType::CityAdmitted => serde_json::to_value(CityAdmitted {
            city: city(),
            cohort,
        }),
        EventType::CityWithdrawn => serde_json::to_value(CityWithdrawn {
            city: city(),
            withdrawn_on: s.cohort.announced_on,
        }),
        EventType::WebhookTest => {
            serde_json::to_value(TestEventData::for_endpoint("ep_AbCdEfGhIjKlMnOp"))
        }
    }
    .unwrap_or_default();
    outbox::body(event_type, EXAMPLE_TIME_MS, &data)
        .ok()
        .and_then(|body| serde_json::from_str(&body).ok())
        .unwrap_or_default()
}

/// One field of an event's body: where (`data.cohort.year`), its JSON type and an example.
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    pub path: String,
    pub kind: &'static str,
    pub example: String,
}

/// Every field of a body, depth first (a list's items as `path[]`).
pub fn fields(body: &Value) -> Vec<Field> {
    let mut out = Vec::new();
    walk("", body, &mut out);
    out
}

fn walk(path: &str, value: &Value, out: &mut Vec<Field>) {
    let (kind, example) = match value {
        Value::Null => ("null", "null".to_owned()),
        Value::Bool(b) => ("boolean", b.to_string()),
        Value::Number(n) => ("number", n.to_string()),
        Value::String(s) => ("string", format!("\"{s}\"")),
        Value::Array(_) => ("array", String::new()),
        Value::Object(_) => ("object", String::new()),
    };
    if !path.is_empty() {
        out.push(Field {
            path: path.to_owned(),
            kind,
            example,
        });
    }
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                let path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                walk(&path, field, out);
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                walk(&format!("{path}[]"), first, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_an_example_in_its_envelope() {
        for event_type in EventType::ALL {
            let body = example(event_type);
            assert_eq!(body["type"], event_type.as_str());
            assert_eq!(body["timestamp"], "2026-09-01T10:00:00.000Z");
            assert!(body["data"].is_object(), "{event_type:?}");
        }
        let fields = fields(&example(EventType::CohortAdmitted));
        assert!(fields.contains(&Field {
            path: "data.cities[].country.iso2".into(),
            kind: "string",
            example: "\"MD\"".into(),
        }));
        assert!(
            fields
                .iter()
                .any(|f| f.path == "data.cohort.networkCityCount" && f.kind == "number")
        );
    }
}
