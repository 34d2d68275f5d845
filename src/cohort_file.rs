//! Reading an admission's cities from a CSV file, for `gnlc admit --file`.
//!
//! Columns (header row required): `name,country,latitude,longitude`, optionally
//! `geonames_id`, and for a country joining with the cohort `country_name,iso3,region`
//! (region slug). Problems are reported per row, like the API's.

use std::collections::HashSet;
use std::io::Read;

use serde::Deserialize;

use crate::admission::{AdmittedCity, NewCountry, Problem};

#[derive(Debug, Deserialize)]
struct Row {
    name: String,
    country: String,
    latitude: String,
    longitude: String,
    #[serde(default)]
    geonames_id: Option<String>,
    #[serde(default)]
    country_name: Option<String>,
    #[serde(default)]
    iso3: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

/// The cities and the joining countries a file lists. `on_row` is called after each row
/// (for a progress bar).
pub fn read(
    input: impl Read,
    mut on_row: impl FnMut(),
) -> Result<(Vec<AdmittedCity>, Vec<NewCountry>), Vec<Problem>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut cities = Vec::new();
    let mut countries = Vec::new();
    let mut joining = HashSet::new();
    let mut problems = Vec::new();
    for (i, row) in reader.deserialize::<Row>().enumerate() {
        let n = i + 1;
        on_row();
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                problems.push(Problem {
                    city: Some(n),
                    field: "row".into(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let number = |text: &str| text.parse::<f64>().ok().filter(|v| v.is_finite());
        let latitude = number(&row.latitude);
        let longitude = number(&row.longitude);
        for (field, value, parsed) in [
            ("latitude", &row.latitude, latitude),
            ("longitude", &row.longitude, longitude),
        ] {
            if parsed.is_none() {
                problems.push(Problem {
                    city: Some(n),
                    field: field.into(),
                    message: format!("`{value}` is not a number"),
                });
            }
        }
        let geonames_id = match row.geonames_id.as_deref().filter(|g| !g.is_empty()) {
            None => None,
            Some(text) => match text.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    problems.push(Problem {
                        city: Some(n),
                        field: "geonames_id".into(),
                        message: format!("`{text}` is not a GeoNames id"),
                    });
                    None
                }
            },
        };
        if let (Some(name), Some(iso3), Some(region)) = (
            row.country_name.filter(|v| !v.is_empty()),
            row.iso3.filter(|v| !v.is_empty()),
            row.region.filter(|v| !v.is_empty()),
        ) && joining.insert(row.country.to_ascii_uppercase())
        {
            countries.push(NewCountry {
                iso2: row.country.clone(),
                iso3,
                name,
                region,
            });
        }
        if let (Some(latitude), Some(longitude)) = (latitude, longitude) {
            cities.push(AdmittedCity {
                name: row.name,
                country: row.country,
                latitude,
                longitude,
                geonames_id,
            });
        }
    }
    if problems.is_empty() {
        Ok((cities, countries))
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cities_and_joining_countries() {
        let file = "name,country,latitude,longitude,geonames_id,country_name,iso3,region\n\
                    Chișinău,MD,47.00902,28.85938,618426,,,\n\
                    Reykjavík,IS,64.1355,-21.8954,,Iceland,ISL,europe-and-north-america\n\
                    Akureyri,IS,65.6835,-18.0878,,Iceland,ISL,europe-and-north-america\n";
        let mut rows = 0;
        let (cities, countries) = read(file.as_bytes(), || rows += 1).unwrap();
        assert_eq!(rows, 3);
        assert_eq!(cities.len(), 3);
        assert_eq!(cities[0].name, "Chișinău");
        assert_eq!(cities[0].geonames_id, Some(618426));
        assert_eq!(countries.len(), 1);
        assert_eq!(countries[0].iso3, "ISL");
    }

    #[test]
    fn reports_every_bad_row() {
        let file = "name,country,latitude,longitude\nA,MD,north,28\nB,MD,47,28\nC,MD,47,east\n";
        let problems = read(file.as_bytes(), || {}).unwrap_err();
        let rows: Vec<_> = problems
            .iter()
            .map(|p| (p.city, p.field.as_str()))
            .collect();
        assert_eq!(rows, [(Some(1), "latitude"), (Some(3), "longitude")]);
    }
}
