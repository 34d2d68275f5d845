//! Checking an admission, before anything is written, against itself and against what the
//! network holds. Every problem is listed, always in the same order: the intake's year and
//! figures, the size of the city list, each joining country, then each city in turn (its
//! fields and country, then its slug).

mod cities;
mod countries;
mod slugs;

use std::collections::HashMap;

use entity::{country, names, region};
use sea_orm::{DatabaseTransaction, DbErr, EntityTrait};

use super::{AdmissionError, CohortAdmission, Figure, Problem, problem};
use crate::membership::normalise_country_code;

/// What validation resolved, for the admission to write.
pub(super) struct Plan {
    /// Member countries by code (alpha-2 and alpha-3).
    pub countries: HashMap<String, country::Model>,
    /// Regions by slug.
    pub regions: HashMap<String, region::Model>,
    /// Positions in `new_countries` of the countries to add (others are members already).
    pub joining: Vec<usize>,
    /// Each city's slug, in the order of the city list.
    pub slugs: Vec<String>,
}

/// Checks an admission and resolves what it needs written; or refuses it with every
/// problem found.
pub(super) async fn validate(
    txn: &DatabaseTransaction,
    admission: &CohortAdmission,
) -> Result<Plan, AdmissionError> {
    let mut problems = figure_problems(admission);
    problems.extend(cities::list_problems(admission));
    let network = Network::read(txn).await?;
    let joining = countries::check(admission, &network, &mut problems);
    let known = KnownCountries {
        members: &network.countries,
        joining: &joining.codes,
    };
    let taken = slugs::taken(txn, slugs::candidates(admission, &known)).await?;
    let slugs = cities::check(admission, &known, taken, &mut problems);
    if problems.is_empty() {
        Ok(Plan {
            countries: network.countries,
            regions: network.regions,
            joining: joining.rows,
            slugs,
        })
    } else {
        Err(AdmissionError::Invalid(problems))
    }
}

/// Refuses a year outside 1900–2200 and a negative count among the intake's figures.
fn figure_problems(admission: &CohortAdmission) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !(1900..=2200).contains(&admission.year) {
        problems.push(problem(
            None,
            "year",
            format!("{} is not a plausible year", admission.year),
        ));
    }
    for (figure, value) in [
        (Figure::NewCityCount, Some(admission.new_city_count)),
        (Figure::NewCountryCount, Some(admission.new_country_count)),
        (Figure::NetworkCityCount, admission.network_city_count),
        (Figure::NetworkCountryCount, admission.network_country_count),
    ] {
        if value.is_some_and(|v| v < 0) {
            problems.push(problem(None, figure.name(), "must not be negative"));
        }
    }
    problems
}

/// What the network holds that an admission is checked against.
struct Network {
    /// Member countries by code (alpha-2 and alpha-3).
    countries: HashMap<String, country::Model>,
    /// Regions by slug.
    regions: HashMap<String, region::Model>,
}

impl Network {
    async fn read(txn: &DatabaseTransaction) -> Result<Self, DbErr> {
        let mut countries = HashMap::new();
        for c in country::Entity::find().all(txn).await? {
            countries.insert(c.iso2.clone(), c.clone());
            countries.insert(c.iso3.clone(), c);
        }
        let regions = region::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|r| (r.slug.clone(), r))
            .collect();
        Ok(Network { countries, regions })
    }
}

/// The countries an admission's cities may be in: the member countries and those joining
/// with the cohort, by code.
struct KnownCountries<'a> {
    members: &'a HashMap<String, country::Model>,
    /// Codes of the joining countries (alpha-2 and alpha-3) to their alpha-2 code.
    joining: &'a HashMap<String, String>,
}

impl KnownCountries<'_> {
    /// The member country with this code.
    fn member(&self, code: &str) -> Option<&country::Model> {
        self.members.get(code)
    }

    /// The alpha-2 code of the member or joining country with this code.
    fn alpha2(&self, code: &str) -> Option<String> {
        match self.members.get(code) {
            Some(country) => Some(country.iso2.clone()),
            None => self.joining.get(code).cloned(),
        }
    }

    /// The alpha-2 code of the country a city names, if the code is well formed and
    /// the country known.
    fn alpha2_of_city(&self, country: &str) -> Option<String> {
        normalise_country_code(country)
            .ok()
            .and_then(|code| self.alpha2(&code))
    }
}

/// What is wrong with a city's or a country's name, if anything: it has 1 to 200
/// characters, no control character (PostgreSQL's text cannot even hold NUL), and a letter
/// or a digit (a city's slug is made of them).
fn name_problem(what: &str, name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        Some(format!("a {what} name has 1 to 200 characters"))
    } else if name.chars().any(char::is_control) {
        Some(format!("a {what} name holds no control character"))
    } else if names::slugify(name).is_empty() {
        Some(format!(
            "a {what} name has at least one letter or digit (`{name}` has none)"
        ))
    } else {
        None
    }
}
