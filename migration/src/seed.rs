//! The facts gnlc starts with, parsed from the data files under `migration/data/`
//! (compiled in: nothing is read from disk at run time).

use serde::Deserialize;

/// UNESCO's five regional groups, in UNESCO's order, as (slug, name).
pub const REGIONS: [(&str, &str); 5] = [
    ("africa", "Africa"),
    ("arab-states", "Arab States"),
    ("asia-and-the-pacific", "Asia and the Pacific"),
    ("europe-and-north-america", "Europe and North America"),
    (
        "latin-america-and-the-caribbean",
        "Latin America and the Caribbean",
    ),
];

/// One member city of the 2020 intake, with its country and region.
#[derive(Debug, Deserialize)]
pub struct MemberCity {
    pub region: String,
    pub country: String,
    pub iso2: String,
    pub iso3: String,
    pub city: String,
    pub latitude: f64,
    pub longitude: f64,
    pub geonames_id: Option<i64>,
    pub location_note: Option<String>,
}

/// The published figures of one intake.
#[derive(Debug, Deserialize)]
pub struct Intake {
    pub year: i32,
    pub announced_on: chrono::NaiveDate,
    pub new_cities: i32,
    pub new_countries: i32,
    pub network_cities_after: Option<i32>,
    pub network_countries_after: Option<i32>,
}

/// The year of the only intake whose member list is in the data.
pub const MEMBER_LIST_YEAR: i32 = 2020;

pub fn cohort_2020_cities() -> Result<Vec<MemberCity>, csv::Error> {
    parse(include_str!("../data/cohort-2020-cities.csv"))
}

pub fn intakes() -> Result<Vec<Intake>, csv::Error> {
    parse(include_str!("../data/intakes.csv"))
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<Vec<T>, csv::Error> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_2020_intake_has_55_cities_in_27_countries_and_5_regions() {
        let cities = cohort_2020_cities().unwrap();
        assert_eq!(cities.len(), 55);
        let countries: BTreeSet<_> = cities.iter().map(|c| c.iso2.as_str()).collect();
        assert_eq!(countries.len(), 27);
        let regions: BTreeSet<_> = cities.iter().map(|c| c.region.as_str()).collect();
        let known: BTreeSet<_> = REGIONS.iter().map(|(_, name)| *name).collect();
        assert_eq!(regions, known);
    }

    #[test]
    fn intakes_match_the_published_figures_of_2020() {
        let intakes = intakes().unwrap();
        let y2020 = intakes.iter().find(|i| i.year == MEMBER_LIST_YEAR).unwrap();
        assert_eq!((y2020.new_cities, y2020.new_countries), (55, 27));
        assert_eq!(
            (y2020.network_cities_after, y2020.network_countries_after),
            (Some(230), Some(64))
        );
        assert!(
            intakes
                .iter()
                .any(|i| i.year == 2019 && i.network_cities_after.is_none())
        );
    }

    #[test]
    fn coordinates_are_on_the_globe() {
        for c in cohort_2020_cities().unwrap() {
            assert!((-90.0..=90.0).contains(&c.latitude), "{}", c.city);
            assert!((-180.0..=180.0).contains(&c.longitude), "{}", c.city);
        }
    }
}
