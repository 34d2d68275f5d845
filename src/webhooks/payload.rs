//! The data of the membership events partners are notified of, as they receive it in the
//! envelope's `data`: `cohort.admitted`, `city.admitted` and `city.withdrawn`. A network
//! count not published is `null`, as is the region of a country that has none.

use chrono::NaiveDate;
use entity::{city, cohort, country, region};
use serde::Serialize;

use super::outbox::EventType;

/// The data of the events of one type.
pub trait Payload: Serialize {
    /// The type of the events that carry it.
    const EVENT_TYPE: EventType;
}

/// `cohort.admitted`: an intake and every city admitted with it.
#[derive(Debug, Clone, Serialize)]
pub struct CohortAdmitted<'a> {
    pub cohort: Cohort,
    pub cities: Vec<City<'a>>,
}

impl Payload for CohortAdmitted<'_> {
    const EVENT_TYPE: EventType = EventType::CohortAdmitted;
}

/// `city.admitted`: one city of an admitted intake, with the intake.
#[derive(Debug, Clone, Serialize)]
pub struct CityAdmitted<'a> {
    pub city: City<'a>,
    pub cohort: Cohort,
}

impl Payload for CityAdmitted<'_> {
    const EVENT_TYPE: EventType = EventType::CityAdmitted;
}

/// `city.withdrawn`: a city that left the network, and the day it left.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CityWithdrawn<'a> {
    pub city: City<'a>,
    pub withdrawn_on: NaiveDate,
}

impl Payload for CityWithdrawn<'_> {
    const EVENT_TYPE: EventType = EventType::CityWithdrawn;
}

/// An intake and its published figures.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cohort {
    pub year: i32,
    pub announced_on: NaiveDate,
    pub new_city_count: i32,
    pub new_country_count: i32,
    pub network_city_count: Option<i32>,
    pub network_country_count: Option<i32>,
}

impl From<&cohort::Model> for Cohort {
    fn from(cohort: &cohort::Model) -> Self {
        Cohort {
            year: cohort.year,
            announced_on: cohort.announced_on,
            new_city_count: cohort.new_cities,
            new_country_count: cohort.new_countries,
            network_city_count: cohort.network_cities_after,
            network_country_count: cohort.network_countries_after,
        }
    }
}

/// A member city, its country (and the country's region) and where it is.
#[derive(Debug, Clone, Serialize)]
pub struct City<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub country: Country<'a>,
    pub location: Location,
}

impl<'a> City<'a> {
    pub fn new(
        city: &'a city::Model,
        country: &'a country::Model,
        region: Option<&'a region::Model>,
    ) -> Self {
        City {
            slug: &city.slug,
            name: &city.name,
            country: Country {
                iso2: &country.iso2,
                iso3: &country.iso3,
                name: &country.name,
                region: region.map(|region| Region {
                    slug: &region.slug,
                    name: &region.name,
                }),
            },
            location: Location {
                latitude: city.latitude,
                longitude: city.longitude,
            },
        }
    }
}

/// A member country.
#[derive(Debug, Clone, Serialize)]
pub struct Country<'a> {
    pub iso2: &'a str,
    pub iso3: &'a str,
    pub name: &'a str,
    pub region: Option<Region<'a>>,
}

/// A UNESCO region.
#[derive(Debug, Clone, Serialize)]
pub struct Region<'a> {
    pub slug: &'a str,
    pub name: &'a str,
}

/// A city's coordinates, in degrees.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chisinau() -> (city::Model, country::Model, region::Model) {
        let city = city::Model {
            id: 7,
            slug: "chisinau".into(),
            name: "Chișinău".into(),
            search_name: "chisinau".into(),
            country_id: 3,
            cohort_id: 2,
            latitude: 47.00902,
            longitude: 28.85938,
            geonames_id: Some(618426),
            location_note: None,
            withdrawn_on: None,
        };
        let country = country::Model {
            id: 3,
            iso2: "MD".into(),
            iso3: "MDA".into(),
            name: "Republic of Moldova".into(),
            region_id: 1,
        };
        let region = region::Model {
            id: 1,
            slug: "europe-and-north-america".into(),
            name: "Europe and North America".into(),
        };
        (city, country, region)
    }

    fn cohort() -> cohort::Model {
        cohort::Model {
            id: 2,
            year: 2019,
            announced_on: NaiveDate::from_ymd_opt(2019, 7, 17).unwrap(),
            new_cities: 64,
            new_countries: 28,
            network_cities_after: Some(229),
            network_countries_after: None,
            admission_digest: None,
        }
    }

    #[test]
    fn a_city_admitted_is_sent_as_partners_have_always_received_it() {
        let (city, country, region) = chisinau();
        let cohort = cohort();
        let payload = CityAdmitted {
            city: City::new(&city, &country, Some(&region)),
            cohort: Cohort::from(&cohort),
        };
        let data = serde_json::to_value(&payload).unwrap();
        assert_eq!(
            data.to_string(),
            r#"{"city":{"country":{"iso2":"MD","iso3":"MDA","name":"Republic of Moldova","region":{"name":"Europe and North America","slug":"europe-and-north-america"}},"location":{"latitude":47.00902,"longitude":28.85938},"name":"Chișinău","slug":"chisinau"},"cohort":{"announcedOn":"2019-07-17","networkCityCount":229,"networkCountryCount":null,"newCityCount":64,"newCountryCount":28,"year":2019}}"#
        );
    }

    #[test]
    fn a_withdrawal_names_its_day_and_a_country_without_region_has_null() {
        let (city, country, _) = chisinau();
        let payload = CityWithdrawn {
            city: City::new(&city, &country, None),
            withdrawn_on: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
        };
        let data = serde_json::to_value(&payload).unwrap();
        assert_eq!(data["withdrawnOn"], "2024-03-01");
        assert!(data["city"]["country"]["region"].is_null());
        assert!(
            data["city"]["country"]
                .as_object()
                .unwrap()
                .contains_key("region")
        );
    }
}
