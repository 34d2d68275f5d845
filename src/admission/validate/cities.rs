//! The admitted cities: how many, and each one's name, coordinates and country.

use std::collections::HashMap;

use super::slugs::Slugs;
use super::{KnownCountries, name_problem};
use crate::admission::{AdmittedCity, CohortAdmission, MAX_CITIES, Problem, problem};
use crate::membership::normalise_country_code;

/// Refuses an admission that lists no city, or more than [`MAX_CITIES`].
pub(super) fn list_problems(admission: &CohortAdmission) -> Vec<Problem> {
    let mut problems = Vec::new();
    if admission.cities.is_empty() {
        problems.push(problem(
            None,
            "cities",
            "an admission lists at least one city",
        ));
    }
    if admission.cities.len() > MAX_CITIES {
        problems.push(problem(
            None,
            "cities",
            format!("at most {MAX_CITIES} cities per admission"),
        ));
    }
    problems
}

/// Checks each city in turn (see [`city_problems`] and [`Slugs::give`]) and returns the
/// slugs they take, in the order of the list (empty for a city that cannot have one).
pub(super) fn check(
    admission: &CohortAdmission,
    known: &KnownCountries,
    taken: HashMap<String, i32>,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let mut slugs = Slugs::new(taken);
    let mut given = Vec::with_capacity(admission.cities.len());
    for (i, city) in admission.cities.iter().enumerate() {
        let slug = match city_problems(i + 1, city, known, problems) {
            Some(code) => {
                let iso2 = known.alpha2(&code).unwrap_or_else(|| code.clone());
                let member = known.member(&code);
                slugs.give(i + 1, city.name.trim(), &iso2, member, problems)
            }
            // No slug to give it.
            None => String::new(),
        };
        given.push(slug);
    }
    given
}

/// Checks the city at `n` (1-based): refuses a name that is not one (see
/// [`name_problem`]), a latitude or a longitude off the globe, and a country code that is
/// malformed or of no member or joining country. Returns the city's country code when the
/// city can be given a slug (its name and code are well formed).
fn city_problems(
    n: usize,
    city: &AdmittedCity,
    known: &KnownCountries,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let n = Some(n);
    let name_problem = name_problem("city", &city.name);
    if let Some(message) = &name_problem {
        problems.push(problem(n, "name", message.clone()));
    }
    if !(city.latitude.is_finite() && (-90.0..=90.0).contains(&city.latitude)) {
        let message = format!("{} is not between -90 and 90", city.latitude);
        problems.push(problem(n, "latitude", message));
    }
    if !(city.longitude.is_finite() && (-180.0..=180.0).contains(&city.longitude)) {
        let message = format!("{} is not between -180 and 180", city.longitude);
        problems.push(problem(n, "longitude", message));
    }
    let code = match normalise_country_code(&city.country) {
        Ok(code) => code,
        Err(e) => {
            problems.push(problem(n, "country", e.to_string()));
            return None;
        }
    };
    if known.alpha2(&code).is_none() {
        let message =
            format!("there is no country with code `{code}` (list it in newCountries to admit it)");
        problems.push(problem(n, "country", message));
    }
    name_problem.is_none().then_some(code)
}
