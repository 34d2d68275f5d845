//! The countries joining with a cohort (`newCountries`).

use std::collections::HashMap;

use entity::{country, names};

use super::{Network, name_problem};
use crate::admission::{CohortAdmission, NewCountry, Problem, problem};
use crate::membership::normalise_country_code;

/// The joining countries, as validation resolved them.
pub(super) struct Joining {
    /// Codes of the joining countries (alpha-2 and alpha-3) to their alpha-2 code.
    pub codes: HashMap<String, String>,
    /// Positions in `new_countries` of the countries to add (others are members already).
    pub rows: Vec<usize>,
}

/// Checks each joining country. Refuses a code that is not an ISO 3166-1 alpha-2 or
/// alpha-3 code, a member country described otherwise than it is, a country listed twice,
/// a name that is not one (see [`name_problem`]) or that another country has (up to case,
/// accents and punctuation), and a region that does not exist. A member country described
/// as it is, is harmless and not added.
pub(super) fn check(
    admission: &CohortAdmission,
    network: &Network,
    problems: &mut Vec<Problem>,
) -> Joining {
    let mut joining = Joining {
        codes: HashMap::new(),
        rows: Vec::new(),
    };
    let mut names = CountryNames::of_members(&network.countries);
    for (i, new) in admission.new_countries.iter().enumerate() {
        let label = format!("newCountries[{}]", i + 1);
        let (iso2, iso3) = (
            new.iso2.trim().to_ascii_uppercase(),
            new.iso3.trim().to_ascii_uppercase(),
        );
        if !is_code(&new.iso2, 2) {
            let message = format!("`{}` is not an ISO 3166-1 alpha-2 code", new.iso2);
            problems.push(problem(None, &label, message));
        }
        if !is_code(&new.iso3, 3) {
            let message = format!("`{}` is not an ISO 3166-1 alpha-3 code", new.iso3);
            problems.push(problem(None, &label, message));
        }
        let member = network.countries.get(&iso2);
        if let Some(member) = member.or_else(|| network.countries.get(&iso3)) {
            let region_id = network.regions.get(&new.region).map(|r| r.id);
            let same = member.iso2 == iso2
                && member.iso3 == iso3
                && member.name == new.name.trim()
                && region_id == Some(member.region_id);
            if !same {
                let message = format!(
                    "{iso2} is already a member country, as {} ({}, {})",
                    member.name, member.iso2, member.iso3
                );
                problems.push(problem(None, &label, message));
            }
            continue;
        }
        let twice = joining.codes.insert(iso2.clone(), iso2.clone()).is_some()
            || joining.codes.insert(iso3, iso2.clone()).is_some();
        if twice {
            problems.push(problem(None, &label, format!("{iso2} is listed twice")));
        } else if let Some(message) = name_problem("country", &new.name) {
            problems.push(problem(None, &label, message));
        } else if let Some(message) = names.claim(new, &label) {
            problems.push(problem(None, &label, message));
        }
        joining.rows.push(i);
        if !network.regions.contains_key(&new.region) {
            let message = format!("there is no region with slug `{}`", new.region);
            problems.push(problem(None, &label, message));
        }
    }
    joining
}

/// Whether `code` (trimmed, in any case) is an ISO 3166-1 code of `len` letters.
fn is_code(code: &str, len: usize) -> bool {
    normalise_country_code(code).is_ok_and(|code| code.len() == len)
}

/// The countries' names, folded, to the member country or the joining one (its label)
/// that has it: two countries may not share a name, nor names that differ only in case,
/// accents or punctuation.
struct CountryNames(HashMap<String, String>);

impl CountryNames {
    fn of_members(members: &HashMap<String, country::Model>) -> Self {
        let names = members.values().map(|c| {
            let owner = format!("the member country {} ({})", c.name, c.iso2);
            (names::fold(&c.name), owner)
        });
        CountryNames(names.collect())
    }

    /// Gives a joining country's name to it (`label`); or why it cannot have it.
    fn claim(&mut self, new: &NewCountry, label: &str) -> Option<String> {
        let name = new.name.trim();
        match self.0.get(&names::fold(name)) {
            Some(owner) => Some(format!("{name} is already the name of {owner}")),
            None => {
                self.0.insert(names::fold(name), label.to_owned());
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use entity::region;

    use super::*;

    fn network() -> Network {
        let moldova = country::Model {
            id: 3,
            iso2: "MD".into(),
            iso3: "MDA".into(),
            name: "Republic of Moldova".into(),
            region_id: 1,
        };
        let europe = region::Model {
            id: 1,
            slug: "europe".into(),
            name: "Europe and North America".into(),
        };
        Network {
            countries: [("MD".into(), moldova.clone()), ("MDA".into(), moldova)].into(),
            regions: [(europe.slug.clone(), europe)].into(),
        }
    }

    /// The rows to add and the problems (`field: message`) of these joining countries.
    fn check_all(new_countries: &[(&str, &str, &str, &str)]) -> (Vec<usize>, Vec<String>) {
        let admission = CohortAdmission {
            year: 2026,
            announced_on: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            new_city_count: 1,
            new_country_count: 1,
            network_city_count: None,
            network_country_count: None,
            new_countries: new_countries
                .iter()
                .map(|(iso2, iso3, name, region)| NewCountry {
                    iso2: iso2.to_string(),
                    iso3: iso3.to_string(),
                    name: name.to_string(),
                    region: region.to_string(),
                })
                .collect(),
            cities: Vec::new(),
            replace_published_figures: false,
        };
        let mut problems = Vec::new();
        let joining = check(&admission, &network(), &mut problems);
        let problems = problems
            .into_iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect();
        (joining.rows, problems)
    }

    #[test]
    fn a_member_country_described_as_it_is_is_not_added() {
        let (rows, problems) = check_all(&[("md", "MDA", " Republic of Moldova", "europe")]);
        assert!(rows.is_empty() && problems.is_empty(), "{problems:?}");
        let (rows, problems) = check_all(&[("MD", "MDA", "Moldova", "europe")]);
        assert!(rows.is_empty());
        assert_eq!(
            problems,
            ["newCountries[1]: MD is already a member country, as Republic of Moldova (MD, MDA)"]
        );
    }

    #[test]
    fn each_joining_country_is_checked() {
        let (rows, problems) = check_all(&[
            ("IS", "ISL", "Iceland", "europe"),
            ("IS", "ISX", "Iceland again", "europe"),
            ("I5", "ISLA", "REPUBLIC OF MOLDOVA", "nowhere"),
            ("NO", "NOR", "iceland", "europe"),
        ]);
        assert_eq!(rows, [0, 1, 2, 3]);
        assert_eq!(
            problems,
            [
                "newCountries[2]: IS is listed twice",
                "newCountries[3]: `I5` is not an ISO 3166-1 alpha-2 code",
                "newCountries[3]: `ISLA` is not an ISO 3166-1 alpha-3 code",
                "newCountries[3]: REPUBLIC OF MOLDOVA is already the name of the member country \
                 Republic of Moldova (MD)",
                "newCountries[3]: there is no region with slug `nowhere`",
                "newCountries[4]: iceland is already the name of newCountries[1]",
            ]
        );
    }
}
