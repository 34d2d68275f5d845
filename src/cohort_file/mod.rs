//! Reading an admission's cities from a CSV file, for `gnlc admit --file` and the console.
//!
//! The first line names the columns (in any order and case): `name,country,latitude,longitude`,
//! optionally `geonames_id`, and for a country joining with the cohort
//! `country_name,iso3,region` (region slug). A file without that header row, or naming a
//! column gnlc does not know, is refused whole: no row is ever taken for a header, nor a
//! column dropped. Problems are reported per row (the first city is row 1), like the API's.

use std::collections::HashSet;
use std::io::Read;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::admission::{AdmittedCity, CohortAdmission, NewCountry, Problem, problem};

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

/// A file's cities and the countries joining with them.
#[derive(Debug, Clone, Default)]
pub struct CohortFile {
    pub cities: Vec<AdmittedCity>,
    pub new_countries: Vec<NewCountry>,
    /// The row describing each joining country (its first), in the order of `new_countries`.
    pub country_rows: Vec<usize>,
}

impl CohortFile {
    /// Puts the admission's problems with a joining country (`newCountries[n]`, the n-th)
    /// against the row that describes it: a file's problems are all by row.
    pub fn locate(&self, problems: &mut [Problem]) {
        for problem in problems.iter_mut().filter(|p| p.city.is_none()) {
            let n = problem
                .field
                .strip_prefix("newCountries[")
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|n| n.parse::<usize>().ok());
            problem.city = n.and_then(|n| self.country_rows.get(n.checked_sub(1)?).copied());
        }
    }
}

/// The cities and the joining countries a file lists. `on_row` is called after each row
/// (for a progress bar).
pub fn read(input: impl Read, mut on_row: impl FnMut()) -> Result<CohortFile, Vec<Problem>> {
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
    let mut file = CohortFile::default();
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
            file.new_countries.push(country);
            file.country_rows.push(i + 1);
        }
        file.cities.extend(city);
    }
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(problems)
    }
}

/// The line of the file each row starts on (row 1, the first city, is usually line 2), as
/// far as the file can be read: for showing a row's problems against its line. Counted here
/// from each row's first byte: the csv reader's own count falls one short for every row
/// after the first in a file whose lines end with CRLF, as Windows files' do and as
/// browsers send a text area's.
pub fn row_lines(mut input: impl Read) -> Vec<u64> {
    let mut bytes = Vec::new();
    if input.read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut record = csv::StringRecord::new();
    let mut lines = Vec::new();
    let (mut counted, mut line) = (0, 1);
    while let Ok(true) = reader.read_record(&mut record) {
        let Some(start) = record.position().map(|p| p.byte() as usize) else {
            continue;
        };
        // After a CRLF the reader says a row starts at its `\n`.
        let start = start
            + bytes
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        let before = bytes.get(counted..start).unwrap_or_default();
        line += before.iter().filter(|b| **b == b'\n').count() as u64;
        counted = start.max(counted);
        lines.push(line);
    }
    // The first record is the header row.
    lines.into_iter().skip(1).collect()
}

/// What a coordinator says of the intake beside its file: `gnlc admit`'s flags, the
/// console's fields.
#[derive(Debug, Clone)]
pub struct Intake {
    pub year: i32,
    pub announced_on: NaiveDate,
    /// Published number of new cities (default: the rows in the file).
    pub new_cities: Option<i32>,
    /// Published number of new countries (default: the distinct countries in the file).
    pub new_countries: Option<i32>,
    pub network_cities: Option<i32>,
    pub network_countries: Option<i32>,
    pub replace_published_figures: bool,
}

impl Intake {
    /// The admission of a file's cities and joining countries.
    pub fn admission(self, file: &CohortFile) -> CohortAdmission {
        let CohortFile {
            cities,
            new_countries,
            ..
        } = file.clone();
        let distinct: HashSet<_> = cities
            .iter()
            .map(|c| c.country.to_ascii_uppercase())
            .collect();
        CohortAdmission {
            year: self.year,
            announced_on: self.announced_on,
            new_city_count: self.new_cities.unwrap_or(cities.len() as i32),
            new_country_count: self.new_countries.unwrap_or(distinct.len() as i32),
            network_city_count: self.network_cities,
            network_country_count: self.network_countries,
            new_countries,
            cities,
            replace_published_figures: self.replace_published_figures,
        }
    }
}

#[cfg(test)]
mod tests;
