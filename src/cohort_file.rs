//! Reading an admission's cities from a CSV file, for `gnlc admit --file`.
//!
//! The first line names the columns (in any order and case): `name,country,latitude,longitude`,
//! optionally `geonames_id`, and for a country joining with the cohort
//! `country_name,iso3,region` (region slug). A file without that header row, or naming a
//! column gnlc does not know, is refused whole: no row is ever taken for a header, nor a
//! column dropped. Problems are reported per row (the first city is row 1), like the API's.

use std::collections::HashSet;
use std::io::Read;

use serde::Deserialize;

use crate::admission::{AdmittedCity, NewCountry, Problem, problem};

/// The columns a file may have, the required ones first.
const COLUMNS: [&str; 8] = [
    "name",
    "country",
    "latitude",
    "longitude",
    "geonames_id",
    "country_name",
    "iso3",
    "region",
];
const REQUIRED: usize = 4;

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

impl Row {
    /// The row's city, unless a coordinate is not a number; and the country joining with
    /// it, when the row describes one (its name, alpha-3 code and region). Refuses a
    /// coordinate that is not a number and a GeoNames id that is not one.
    fn read(
        self,
        n: Option<usize>,
        problems: &mut Vec<Problem>,
    ) -> (Option<AdmittedCity>, Option<NewCountry>) {
        let number = |text: &str| text.parse::<f64>().ok().filter(|v| v.is_finite());
        let latitude = number(&self.latitude);
        let longitude = number(&self.longitude);
        for (field, value, parsed) in [
            ("latitude", &self.latitude, latitude),
            ("longitude", &self.longitude, longitude),
        ] {
            if parsed.is_none() {
                problems.push(problem(n, field, format!("`{value}` is not a number")));
            }
        }
        let geonames_id = match self.geonames_id.as_deref().filter(|g| !g.is_empty()) {
            None => None,
            Some(text) => match text.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    problems.push(problem(
                        n,
                        "geonames_id",
                        format!("`{text}` is not a GeoNames id"),
                    ));
                    None
                }
            },
        };
        let country = match (
            self.country_name.filter(|v| !v.is_empty()),
            self.iso3.filter(|v| !v.is_empty()),
            self.region.filter(|v| !v.is_empty()),
        ) {
            (Some(name), Some(iso3), Some(region)) => Some(NewCountry {
                iso2: self.country.clone(),
                iso3,
                name,
                region,
            }),
            _ => None,
        };
        let city = latitude
            .zip(longitude)
            .map(|(latitude, longitude)| AdmittedCity {
                name: self.name,
                country: self.country,
                latitude,
                longitude,
                geonames_id,
            });
        (city, country)
    }
}

/// The header row, its names in lower case; or why the first line is not one.
fn header(first: &csv::StringRecord) -> Result<csv::StringRecord, Vec<Problem>> {
    let names: csv::StringRecord = first.iter().map(str::to_lowercase).collect();
    let known = |name: &str| COLUMNS.contains(&name);
    if !names.iter().any(known) {
        let line = first.iter().collect::<Vec<_>>().join(",");
        let message = if line.is_empty() {
            "the file is empty: its first line names the columns, e.g. `name,country,latitude,longitude`".to_owned()
        } else {
            format!(
                "the first line is not a header row (it is `{line}`): add one naming the \
                 columns, e.g. `name,country,latitude,longitude`"
            )
        };
        return Err(vec![problem(None, "header", message)]);
    }
    let mut problems = Vec::new();
    for missing in COLUMNS[..REQUIRED]
        .iter()
        .filter(|column| !names.iter().any(|name| name == **column))
    {
        problems.push(problem(
            None,
            "header",
            format!("the column `{missing}` is missing"),
        ));
    }
    let mut seen = HashSet::new();
    for name in names.iter() {
        if !known(name) {
            problems.push(problem(
                None,
                "header",
                format!(
                    "unknown column `{name}` (the columns are {})",
                    COLUMNS.join(", ")
                ),
            ));
        } else if !seen.insert(name) {
            problems.push(problem(
                None,
                "header",
                format!("the column `{name}` is named twice"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(names)
    } else {
        Err(problems)
    }
}

/// The cities and the joining countries a file lists. `on_row` is called after each row
/// (for a progress bar).
pub fn read(
    input: impl Read,
    mut on_row: impl FnMut(),
) -> Result<(Vec<AdmittedCity>, Vec<NewCountry>), Vec<Problem>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .has_headers(false)
        .from_reader(input);
    let mut records = reader.records();
    let headers = match records.next() {
        Some(Ok(first)) => header(&first)?,
        Some(Err(e)) => return Err(vec![problem(None, "header", e.to_string())]),
        None => header(&csv::StringRecord::new())?,
    };
    let mut cities = Vec::new();
    let mut countries = Vec::new();
    let mut joining = HashSet::new();
    let mut problems = Vec::new();
    for (i, record) in records.enumerate() {
        let n = Some(i + 1);
        on_row();
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                problems.push(problem(n, "row", e.to_string()));
                continue;
            }
        };
        // PostgreSQL's text cannot hold NUL, and no name or code contains it.
        if let Some((column, _)) = headers
            .iter()
            .zip(record.iter())
            .find(|(_, cell)| cell.contains('\0'))
        {
            problems.push(problem(
                n,
                column,
                "holds the character U+0000 (NUL), which no cell may hold",
            ));
            continue;
        }
        let row: Row = match record.deserialize(Some(&headers)) {
            Ok(row) => row,
            Err(e) => {
                problems.push(problem(n, "row", e.to_string()));
                continue;
            }
        };
        let (city, country) = row.read(n, &mut problems);
        if let Some(country) = country
            && joining.insert(country.iso2.to_ascii_uppercase())
        {
            countries.push(country);
        }
        cities.extend(city);
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

    /// Each problem's row and field.
    fn rows(problems: &[Problem]) -> Vec<(Option<usize>, &str)> {
        problems
            .iter()
            .map(|p| (p.city, p.field.as_str()))
            .collect()
    }

    #[test]
    fn reports_every_bad_row() {
        let file = "name,country,latitude,longitude\nA,MD,north,28\nB,MD,47,28\nC,MD,47,east\n";
        let problems = read(file.as_bytes(), || {}).unwrap_err();
        assert_eq!(
            rows(&problems),
            [(Some(1), "latitude"), (Some(3), "longitude")]
        );
    }

    fn header_problems(file: &str) -> Vec<String> {
        read(file.as_bytes(), || {})
            .unwrap_err()
            .into_iter()
            .map(|p| {
                assert_eq!((p.city, p.field.as_str()), (None, "header"));
                p.message
            })
            .collect()
    }

    #[test]
    fn a_file_without_its_header_row_is_refused_whole() {
        // Read as a header, the first city would be lost (and with one city, all of them).
        let problems =
            header_problems("Reykjavík,IS,64.1355,-21.8954\nBălți,MD,47.76171,27.92902\n");
        assert_eq!(
            problems,
            [
                "the first line is not a header row (it is `Reykjavík,IS,64.1355,-21.8954`): \
              add one naming the columns, e.g. `name,country,latitude,longitude`"
            ]
        );
        let problems = header_problems("Reykjavík,IS,64.1355,-21.8954\n");
        assert_eq!(problems.len(), 1);
        assert!(
            header_problems("")[0].starts_with("the file is empty"),
            "an empty file"
        );
    }

    #[test]
    fn every_column_is_known_and_the_required_ones_are_there() {
        let problems = header_problems("name,country,lat,longitude,geonames\nA,MD,47,28,1\n");
        assert_eq!(
            problems,
            [
                "the column `latitude` is missing",
                "unknown column `lat` (the columns are name, country, latitude, longitude, \
                 geonames_id, country_name, iso3, region)",
                "unknown column `geonames` (the columns are name, country, latitude, longitude, \
                 geonames_id, country_name, iso3, region)",
            ]
        );
        let problems = header_problems("name,country,latitude,longitude,name\n");
        assert_eq!(problems, ["the column `name` is named twice"]);
    }

    #[test]
    fn columns_come_in_any_order_and_case() {
        let file = "Longitude,Latitude,Country,Name\n28.85938,47.00902,MD,Chișinău\n";
        let (cities, _) = read(file.as_bytes(), || {}).unwrap();
        assert_eq!(cities.len(), 1);
        assert_eq!(
            (cities[0].name.as_str(), cities[0].latitude),
            ("Chișinău", 47.00902)
        );
    }

    #[test]
    fn a_nul_in_a_cell_is_refused_with_its_row() {
        let file = "name,country,latitude,longitude\nA,MD,47,28\nB\0,MD,47,28\nC,MD\0,47,28\n";
        let problems = read(file.as_bytes(), || {}).unwrap_err();
        assert_eq!(rows(&problems), [(Some(2), "name"), (Some(3), "country")]);
        assert!(problems[0].message.contains("U+0000"), "{problems:?}");
    }
}
