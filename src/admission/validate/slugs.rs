//! The slug each admitted city takes: its name's slug, or that slug with its country's
//! alpha-2 code when a member city, or a city listed before, has the plain one.

use std::collections::{HashMap, HashSet};

use entity::{city, country, names};
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::KnownCountries;
use crate::admission::{CohortAdmission, Problem, problem};

/// The slugs the admission's cities could take, for [`taken`] to look up.
pub(super) fn candidates(admission: &CohortAdmission, known: &KnownCountries) -> Vec<String> {
    let mut candidates = Vec::with_capacity(2 * admission.cities.len());
    for city in &admission.cities {
        let base = names::slugify(&city.name);
        if let Some(iso2) = known.alpha2_of_city(&city.country) {
            candidates.push(format!("{base}-{}", iso2.to_ascii_lowercase()));
        }
        candidates.push(base);
    }
    candidates
}

/// Which of these slugs member cities have, with their country: only those rows are read.
pub(super) async fn taken(
    txn: &DatabaseTransaction,
    mut candidates: Vec<String>,
) -> Result<HashMap<String, i32>, DbErr> {
    candidates.sort();
    candidates.dedup();
    let mut taken = HashMap::new();
    for chunk in candidates.chunks(500) {
        let rows: Vec<(String, i32)> = city::Entity::find()
            .select_only()
            .columns([city::Column::Slug, city::Column::CountryId])
            .filter(city::Column::Slug.is_in(chunk.to_vec()))
            .into_tuple()
            .all(txn)
            .await?;
        taken.extend(rows);
    }
    Ok(taken)
}

/// The slugs member cities have and those given so far to the admission's cities.
pub(super) struct Slugs<'a> {
    /// Slugs of member cities (among the candidates), to their country's id.
    taken: HashMap<String, i32>,
    /// The name's slug and the country's code of each city so far.
    seen: HashSet<(String, String)>,
    /// The slugs of the cities so far, to their position and name.
    used: HashMap<String, (usize, &'a str)>,
}

impl<'a> Slugs<'a> {
    pub fn new(taken: HashMap<String, i32>) -> Self {
        Slugs {
            taken,
            seen: HashSet::new(),
            used: HashMap::new(),
        }
    }

    /// The slug of the city at `n` (1-based) named `name`, in the country of alpha-2 code
    /// `iso2` (`member`: that country, when it is a member already). Refuses a city listed
    /// twice, a city that is a member already, and a slug that a city listed before or a
    /// member city has.
    pub fn give(
        &mut self,
        n: usize,
        name: &'a str,
        iso2: &str,
        member: Option<&country::Model>,
        problems: &mut Vec<Problem>,
    ) -> String {
        let base = names::slugify(name);
        let twice = !self.seen.insert((base.clone(), iso2.to_owned()));
        if twice {
            let message = format!("{name} ({iso2}) is listed twice");
            problems.push(problem(Some(n), "name", message));
        }
        let in_this_country = |country_id: &i32| member.is_some_and(|c| c.id == *country_id);
        let already_member = format!("{name} ({iso2}) is already a member city");
        let suffixed = format!("{base}-{}", iso2.to_ascii_lowercase());
        let slug = match self.taken.get(&base) {
            Some(country_id) if in_this_country(country_id) => {
                problems.push(problem(Some(n), "name", already_member.clone()));
                base
            }
            Some(_) => suffixed.clone(),
            None if self.used.contains_key(&base) => suffixed.clone(),
            None => base,
        };
        match (self.used.get(&slug), self.taken.get(&slug)) {
            // `Foo MD` in PT, then `Foo` in PT and in MD: the last would be `foo-md` too.
            (Some((other, other_name)), _) if !twice => {
                let message = format!(
                    "{name} ({iso2}) would have the slug `{slug}`, as city {other} ({other_name}) has"
                );
                problems.push(problem(Some(n), "name", message));
            }
            (None, Some(country_id)) if slug == suffixed => {
                let message = if in_this_country(country_id) {
                    already_member
                } else {
                    format!("{name} ({iso2}) would have the slug `{slug}`, which a member city has")
                };
                problems.push(problem(Some(n), "name", message));
            }
            _ => {}
        }
        self.used.entry(slug.clone()).or_insert((n, name));
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moldova() -> country::Model {
        country::Model {
            id: 3,
            iso2: "MD".into(),
            iso3: "MDA".into(),
            name: "Republic of Moldova".into(),
            region_id: 1,
        }
    }

    /// The slugs given to these cities (name and alpha-2 code; MD is a member country),
    /// member cities having the slugs `taken` (with their country's id); and the problems.
    fn give(taken: &[(&str, i32)], cities: &[(&'static str, &str)]) -> (Vec<String>, Vec<String>) {
        let taken = taken.iter().map(|(s, id)| (s.to_string(), *id)).collect();
        let mut slugs = Slugs::new(taken);
        let mut problems = Vec::new();
        let moldova = moldova();
        let given = cities
            .iter()
            .enumerate()
            .map(|(i, (name, iso2))| {
                let member = (*iso2 == "MD").then_some(&moldova);
                slugs.give(i + 1, name, iso2, member, &mut problems)
            })
            .collect();
        (given, problems.into_iter().map(|p| p.message).collect())
    }

    #[test]
    fn a_name_taken_elsewhere_takes_its_country_code() {
        let (slugs, problems) = give(&[("balti", 9)], &[("Bălți", "MD"), ("Cahul", "MD")]);
        assert_eq!(slugs, ["balti-md", "cahul"]);
        assert!(problems.is_empty(), "{problems:?}");
        let (slugs, problems) = give(&[], &[("Foo", "PT"), ("Foo", "MD")]);
        assert_eq!(slugs, ["foo", "foo-md"]);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn a_member_city_or_one_listed_twice_is_refused() {
        let (_, problems) = give(&[("cahul", 3)], &[("Cahul", "MD")]);
        assert_eq!(problems, ["Cahul (MD) is already a member city"]);
        let (_, problems) = give(&[("foo", 9), ("foo-md", 3)], &[("Foo", "MD")]);
        assert_eq!(problems, ["Foo (MD) is already a member city"]);
        let (_, problems) = give(&[], &[("Cahul", "MD"), ("Cahul", "MD")]);
        assert_eq!(problems, ["Cahul (MD) is listed twice"]);
    }

    #[test]
    fn a_slug_another_city_has_is_refused() {
        let (_, problems) = give(&[("foo", 9), ("foo-pt", 5)], &[("Foo", "PT")]);
        assert_eq!(
            problems,
            ["Foo (PT) would have the slug `foo-pt`, which a member city has"]
        );
        // `Foo MD` in PT, then `Foo` in PT and in MD: the last would be `foo-md` too.
        let (slugs, problems) = give(&[], &[("Foo MD", "PT"), ("Foo", "PT"), ("Foo", "MD")]);
        assert_eq!(slugs, ["foo-md", "foo", "foo-md"]);
        assert_eq!(
            problems,
            ["Foo (MD) would have the slug `foo-md`, as city 1 (Foo MD) has"]
        );
    }
}
