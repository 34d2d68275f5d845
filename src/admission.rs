//! Admitting a cohort and withdrawing a city: validation, one transaction, and the events
//! partners are notified of, written in that same transaction.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::{city, cohort, country, names, region};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    Statement, TryIntoModel,
};
use serde::Serialize;
use serde_json::json;

use crate::after_commit::AfterCommit;
use crate::digest::sha256_hex;
use crate::membership::normalise_country_code;
use crate::webhooks::outbox::{self, EventDraft, EventType};

/// Most cities one admission may list.
pub const MAX_CITIES: usize = 10_000;

/// A cohort to admit, as a coordinator submits it.
#[derive(Debug, Clone, Serialize)]
pub struct CohortAdmission {
    pub year: i32,
    pub announced_on: NaiveDate,
    pub new_city_count: i32,
    pub new_country_count: i32,
    pub network_city_count: Option<i32>,
    pub network_country_count: Option<i32>,
    /// Countries joining with this cohort (not yet in the network).
    pub new_countries: Vec<NewCountry>,
    pub cities: Vec<AdmittedCity>,
    /// Whether the figures given replace those an intake was already published with.
    /// Otherwise the published ones stay, and those given differently are reported as
    /// kept (see [`FigureChange`]). Left out of the digest when false, so that an admission
    /// made before this option existed is recognised when sent again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replace_published_figures: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewCountry {
    pub iso2: String,
    pub iso3: String,
    pub name: String,
    /// Region slug.
    pub region: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdmittedCity {
    pub name: String,
    /// ISO 3166-1 alpha-2 or alpha-3 code.
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    pub geonames_id: Option<i64>,
}

/// One thing wrong with an admission. `city` is the 1-based position in the city list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub city: Option<usize>,
    pub field: String,
    pub message: String,
}

/// One of the figures an intake is published with, named as the admission names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    AnnouncedOn,
    NewCityCount,
    NewCountryCount,
    NetworkCityCount,
    NetworkCountryCount,
}

impl Figure {
    pub const ALL: [Figure; 5] = [
        Figure::AnnouncedOn,
        Figure::NewCityCount,
        Figure::NewCountryCount,
        Figure::NetworkCityCount,
        Figure::NetworkCountryCount,
    ];

    /// The name of the admission's field that gives it.
    pub fn name(self) -> &'static str {
        match self {
            Figure::AnnouncedOn => "announcedOn",
            Figure::NewCityCount => "newCityCount",
            Figure::NewCountryCount => "newCountryCount",
            Figure::NetworkCityCount => "networkCityCount",
            Figure::NetworkCountryCount => "networkCountryCount",
        }
    }
}

/// What became of a published figure the admission gave differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureOutcome {
    /// The published figure stays: the admission's was not recorded.
    Kept,
    /// The admission's figure replaced the published one (`replace_published_figures`).
    Replaced,
    /// The intake had no such figure: the admission's is recorded.
    Added,
}

/// A published figure of an intake that the admission gave differently, and what became
/// of it. Values are as the API shows them (`38`, `2019-07-17`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureChange {
    pub figure: Figure,
    pub outcome: FigureOutcome,
    /// As published before the admission (`None`: the intake did not have it).
    pub published: Option<String>,
    /// As the admission gave it.
    pub admitted: String,
}

/// An intake's published figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Figures {
    announced_on: NaiveDate,
    new_cities: i32,
    new_countries: i32,
    network_cities: Option<i32>,
    network_countries: Option<i32>,
}

/// The figures an intake holds after an admission, and what became of those the admission
/// gave differently from the published ones. An intake not known before takes the
/// admission's figures.
fn settle_figures(
    published: Option<&cohort::Model>,
    admission: &CohortAdmission,
    replace: bool,
) -> (Figures, Vec<FigureChange>) {
    let given = Figures {
        announced_on: admission.announced_on,
        new_cities: admission.new_city_count,
        new_countries: admission.new_country_count,
        network_cities: admission.network_city_count,
        network_countries: admission.network_country_count,
    };
    let Some(published) = published else {
        return (given, Vec::new());
    };
    let changes = &mut Vec::new();
    let settled = Figures {
        announced_on: settle(
            Figure::AnnouncedOn,
            Some(published.announced_on),
            Some(given.announced_on),
            replace,
            changes,
        )
        .unwrap_or(given.announced_on),
        new_cities: settle(
            Figure::NewCityCount,
            Some(published.new_cities),
            Some(given.new_cities),
            replace,
            changes,
        )
        .unwrap_or(given.new_cities),
        new_countries: settle(
            Figure::NewCountryCount,
            Some(published.new_countries),
            Some(given.new_countries),
            replace,
            changes,
        )
        .unwrap_or(given.new_countries),
        network_cities: settle(
            Figure::NetworkCityCount,
            published.network_cities_after,
            given.network_cities,
            replace,
            changes,
        ),
        network_countries: settle(
            Figure::NetworkCountryCount,
            published.network_countries_after,
            given.network_countries,
            replace,
            changes,
        ),
    };
    (settled, std::mem::take(changes))
}

/// One figure's value after an admission. A figure the admission leaves out (a network
/// count) is never erased; one the intake lacks is added; one it holds differently stays,
/// unless `replace`.
fn settle<T: PartialEq + Copy + ToString>(
    figure: Figure,
    published: Option<T>,
    given: Option<T>,
    replace: bool,
    changes: &mut Vec<FigureChange>,
) -> Option<T> {
    let Some(given) = given else {
        return published;
    };
    let outcome = match published {
        None => FigureOutcome::Added,
        Some(published) if published == given => return Some(published),
        Some(_) if replace => FigureOutcome::Replaced,
        Some(_) => FigureOutcome::Kept,
    };
    changes.push(FigureChange {
        figure,
        outcome,
        published: published.map(|value| value.to_string()),
        admitted: given.to_string(),
    });
    match outcome {
        FigureOutcome::Kept => published,
        FigureOutcome::Replaced | FigureOutcome::Added => Some(given),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdmissionError {
    #[error("the admission was refused: {} problem(s), nothing was written", .0.len())]
    Invalid(Vec<Problem>),
    #[error("the cohort of {0} was already admitted with a different content")]
    Conflict(i32),
    #[error("there is no city with slug `{0}`")]
    UnknownCity(String),
    #[error("{0} already left the network on {1}")]
    AlreadyWithdrawn(String, NaiveDate),
    #[error("database error")]
    Database(#[from] DbErr),
}

/// What an admission did.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub cohort: cohort::Model,
    pub cities: usize,
    pub deliveries: u64,
    /// The data version the admission committed; `None` when the same admission had been
    /// made before (nothing new was written).
    pub data_version: Option<i64>,
    /// The intake's published figures the admission gave differently, and what became of
    /// each (for an admission made before: those the intake now holds differently, kept).
    pub figures: Vec<FigureChange>,
}

impl Admitted {
    /// Whether this admission wrote it (rather than finding it made before).
    pub fn created(&self) -> bool {
        self.data_version.is_some()
    }
}

/// A problem with the city at `city` (1-based), or with the admission as a whole.
pub fn problem(city: Option<usize>, field: &str, message: impl Into<String>) -> Problem {
    Problem {
        city,
        field: field.to_owned(),
        message: message.into(),
    }
}

fn unresolved(what: &str, key: &str) -> DbErr {
    DbErr::Custom(format!("admission: validated {what} `{key}` not found"))
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

fn digest(admission: &CohortAdmission) -> String {
    sha256_hex(&serde_json::to_vec(admission).unwrap_or_default())
}

/// Admits a cohort: all of it in one transaction, or nothing with every problem listed.
/// Re-sending the same admission returns the cohort it made, and writes nothing.
pub async fn admit(
    db: &DatabaseConnection,
    admission: CohortAdmission,
    after: &AfterCommit,
) -> Result<Admitted, AdmissionError> {
    let admitted = admit_in_one_transaction(db, admission).await?;
    if let Some(version) = admitted.data_version {
        after.data_changed(version).await;
    }
    Ok(admitted)
}

async fn admit_in_one_transaction(
    db: &DatabaseConnection,
    admission: CohortAdmission,
) -> Result<Admitted, AdmissionError> {
    let digest = digest(&admission);
    let txn = crate::database::begin_write(db).await?;
    one_at_a_time(&txn).await?;
    let existing = cohort::Entity::find()
        .filter(cohort::Column::Year.eq(admission.year))
        .one(&txn)
        .await?;
    if let Some(existing) = &existing {
        if existing.admission_digest.as_deref() == Some(digest.as_str()) {
            let cities = city::Entity::find()
                .filter(city::Column::CohortId.eq(existing.id))
                .count(&txn)
                .await? as usize;
            return Ok(Admitted {
                cohort: existing.clone(),
                cities,
                deliveries: 0,
                data_version: None,
                figures: settle_figures(Some(existing), &admission, false).1,
            });
        }
        let has_members = city::Entity::find()
            .filter(city::Column::CohortId.eq(existing.id))
            .one(&txn)
            .await?
            .is_some();
        if existing.admission_digest.is_some() || has_members {
            return Err(AdmissionError::Conflict(admission.year));
        }
    }

    let plan = validate(&txn, &admission).await?;
    let regions: HashMap<String, region::Model> = region::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| (r.slug.clone(), r))
        .collect();

    let mut countries = plan.countries;
    for new in plan.joining.iter().map(|i| &admission.new_countries[*i]) {
        // Validation checked every code and slug: a miss here is a bug, not bad input.
        let region = regions
            .get(&new.region)
            .ok_or_else(|| unresolved("region", &new.region))?;
        let inserted = country::ActiveModel {
            iso2: Set(new.iso2.to_ascii_uppercase()),
            iso3: Set(new.iso3.to_ascii_uppercase()),
            name: Set(new.name.trim().to_owned()),
            region_id: Set(region.id),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        countries.insert(inserted.iso2.clone(), inserted.clone());
        countries.insert(inserted.iso3.clone(), inserted);
    }

    let (figures, changes) = settle_figures(
        existing.as_ref(),
        &admission,
        admission.replace_published_figures,
    );
    let mut cohort_row = match existing {
        Some(existing) => existing.into(),
        None => cohort::ActiveModel {
            year: Set(admission.year),
            ..Default::default()
        },
    };
    cohort_row.announced_on = Set(figures.announced_on);
    cohort_row.new_cities = Set(figures.new_cities);
    cohort_row.new_countries = Set(figures.new_countries);
    cohort_row.network_cities_after = Set(figures.network_cities);
    cohort_row.network_countries_after = Set(figures.network_countries);
    cohort_row.admission_digest = Set(Some(digest));
    let cohort = cohort_row.save(&txn).await?.try_into_model()?;

    let mut admitted = Vec::with_capacity(admission.cities.len());
    for (city, slug) in admission.cities.iter().zip(plan.slugs) {
        let code = normalise_country_code(&city.country).unwrap_or_default();
        let country = countries
            .get(&code)
            .ok_or_else(|| unresolved("country", &code))?;
        let row = city::ActiveModel {
            slug: Set(slug),
            name: Set(city.name.trim().to_owned()),
            search_name: Set(names::fold(&city.name)),
            country_id: Set(country.id),
            cohort_id: Set(cohort.id),
            latitude: Set(city.latitude),
            longitude: Set(city.longitude),
            geonames_id: Set(city.geonames_id),
            location_note: Set(None),
            withdrawn_on: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let region = regions
            .values()
            .find(|r| r.id == country.region_id)
            .cloned();
        admitted.push((row, country.clone(), region));
    }

    let deliveries = publish_admission(&txn, &cohort, &admitted).await?;
    let data_version = crate::data_version::bump(&txn).await?;
    txn.commit().await?;
    Ok(Admitted {
        cohort,
        cities: admitted.len(),
        deliveries,
        data_version: Some(data_version),
        figures: changes,
    })
}

/// The advisory lock admissions hold on PostgreSQL: a number of gnlc's own ("gnlcadm").
const ADMISSION_LOCK: i64 = 0x0067_6e6c_6361_646d;

/// Makes admissions run one at a time. Each reads what is admitted already (the cohort,
/// member countries and cities, slugs) before it writes, so two at once (a client sending
/// again after a time-out) could both find nothing and both write: one would fail on a
/// unique key, the other refuse its own cities as members. On SQLite `BEGIN IMMEDIATE`
/// makes writers wait their turn already; on PostgreSQL this transaction-level advisory
/// lock does, until commit or rollback, and every statement after it sees what the
/// admission before committed (gnlc's transactions are READ COMMITTED).
async fn one_at_a_time(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [ADMISSION_LOCK.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Which of these slugs member cities have, with their country: only those rows are read.
async fn taken_slugs(
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

/// What validation resolved: the countries by code and each city's slug.
struct Plan {
    countries: HashMap<String, country::Model>,
    /// Positions in `new_countries` of the countries to add (others are members already).
    joining: Vec<usize>,
    slugs: Vec<String>,
}

async fn validate(
    txn: &DatabaseTransaction,
    admission: &CohortAdmission,
) -> Result<Plan, AdmissionError> {
    let mut problems = Vec::new();
    if !(1900..=2200).contains(&admission.year) {
        problems.push(problem(
            None,
            "year",
            format!("{} is not a plausible year", admission.year),
        ));
    }
    for (field, value) in [
        ("newCityCount", Some(admission.new_city_count)),
        ("newCountryCount", Some(admission.new_country_count)),
        ("networkCityCount", admission.network_city_count),
        ("networkCountryCount", admission.network_country_count),
    ] {
        if value.is_some_and(|v| v < 0) {
            problems.push(problem(None, field, "must not be negative"));
        }
    }
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

    let mut countries: HashMap<String, country::Model> = HashMap::new();
    for c in country::Entity::find().all(txn).await? {
        countries.insert(c.iso2.clone(), c.clone());
        countries.insert(c.iso3.clone(), c);
    }
    let region_ids: HashMap<String, i32> = region::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|r| (r.slug, r.id))
        .collect();
    // Codes of the joining countries (alpha-2 and alpha-3) to their alpha-2 code.
    let mut joining: HashMap<String, String> = HashMap::new();
    let mut joining_rows = Vec::new();
    // Country names, folded, to the member country or the joining one (its label) with it.
    let mut country_names: HashMap<String, String> = countries
        .values()
        .map(|c| {
            let owner = format!("the member country {} ({})", c.name, c.iso2);
            (names::fold(&c.name), owner)
        })
        .collect();
    for (i, new) in admission.new_countries.iter().enumerate() {
        let label = format!("newCountries[{}]", i + 1);
        let (iso2, iso3) = (
            new.iso2.trim().to_ascii_uppercase(),
            new.iso3.trim().to_ascii_uppercase(),
        );
        if iso2.len() != 2 || !iso2.bytes().all(|b| b.is_ascii_alphabetic()) {
            problems.push(problem(
                None,
                &label,
                format!("`{}` is not an ISO 3166-1 alpha-2 code", new.iso2),
            ));
        }
        if iso3.len() != 3 || !iso3.bytes().all(|b| b.is_ascii_alphabetic()) {
            problems.push(problem(
                None,
                &label,
                format!("`{}` is not an ISO 3166-1 alpha-3 code", new.iso3),
            ));
        }
        if let Some(member) = countries.get(&iso2).or_else(|| countries.get(&iso3)) {
            // Describing a member country again is harmless when it says the same.
            let same = member.iso2 == iso2
                && member.iso3 == iso3
                && member.name == new.name.trim()
                && region_ids.get(&new.region) == Some(&member.region_id);
            if !same {
                let message = format!(
                    "{iso2} is already a member country, as {} ({}, {})",
                    member.name, member.iso2, member.iso3
                );
                problems.push(problem(None, &label, message));
            }
            continue;
        }
        let twice = joining.insert(iso2.clone(), iso2.clone()).is_some()
            || joining.insert(iso3.clone(), iso2.clone()).is_some();
        if twice {
            problems.push(problem(None, &label, format!("{iso2} is listed twice")));
        } else if let Some(message) = name_problem("country", &new.name) {
            problems.push(problem(None, &label, message));
        } else {
            // Two countries may not share a name, nor names that differ only in case,
            // accents or punctuation.
            let name = new.name.trim();
            match country_names.get(&names::fold(name)) {
                Some(owner) => problems.push(problem(
                    None,
                    &label,
                    format!("{name} is already the name of {owner}"),
                )),
                None => {
                    country_names.insert(names::fold(name), label.clone());
                }
            }
        }
        joining_rows.push(i);
        if !region_ids.contains_key(&new.region) {
            problems.push(problem(
                None,
                &label,
                format!("there is no region with slug `{}`", new.region),
            ));
        }
    }

    // An admitted city takes its name's slug, or that slug with its country's alpha-2 code.
    let alpha2 = |code: &str| match countries.get(code) {
        Some(country) => Some(country.iso2.clone()),
        None => joining.get(code).cloned(),
    };
    let mut candidates = Vec::with_capacity(2 * admission.cities.len());
    for city in &admission.cities {
        let base = names::slugify(&city.name);
        let code = normalise_country_code(&city.country).ok();
        if let Some(iso2) = code.as_deref().and_then(alpha2) {
            candidates.push(format!("{base}-{}", iso2.to_ascii_lowercase()));
        }
        candidates.push(base);
    }
    let taken = taken_slugs(txn, candidates).await?;
    let mut slugs = Vec::with_capacity(admission.cities.len());
    let mut seen: HashSet<(String, String)> = HashSet::new();
    // The slugs of the cities before, to their position and name.
    let mut used_slugs: HashMap<String, (usize, &str)> = HashMap::new();
    for (i, city) in admission.cities.iter().enumerate() {
        let n = Some(i + 1);
        let name = city.name.trim();
        let name_problem = name_problem("city", name);
        if let Some(message) = &name_problem {
            problems.push(problem(n, "name", message.clone()));
        }
        if !(city.latitude.is_finite() && (-90.0..=90.0).contains(&city.latitude)) {
            problems.push(problem(
                n,
                "latitude",
                format!("{} is not between -90 and 90", city.latitude),
            ));
        }
        if !(city.longitude.is_finite() && (-180.0..=180.0).contains(&city.longitude)) {
            problems.push(problem(
                n,
                "longitude",
                format!("{} is not between -180 and 180", city.longitude),
            ));
        }
        let code = match normalise_country_code(&city.country) {
            Ok(code) => code,
            Err(e) => {
                problems.push(problem(n, "country", e.to_string()));
                slugs.push(String::new());
                continue;
            }
        };
        let existing = countries.get(&code);
        if existing.is_none() && !joining.contains_key(&code) {
            problems.push(problem(
                n,
                "country",
                format!(
                    "there is no country with code `{code}` (list it in newCountries to admit it)"
                ),
            ));
        }
        if name_problem.is_some() {
            // No slug to give it.
            slugs.push(String::new());
            continue;
        }
        let base = names::slugify(name);
        let country_key = match existing {
            Some(country) => country.iso2.clone(),
            None => joining.get(&code).cloned().unwrap_or(code.clone()),
        };
        let twice = !seen.insert((base.clone(), country_key.clone()));
        if twice {
            problems.push(problem(
                n,
                "name",
                format!("{name} ({country_key}) is listed twice"),
            ));
        }
        let in_this_country = |country_id: &i32| existing.is_some_and(|c| c.id == *country_id);
        let suffixed = format!("{base}-{}", country_key.to_ascii_lowercase());
        let slug = match taken.get(&base) {
            Some(country_id) if in_this_country(country_id) => {
                problems.push(problem(
                    n,
                    "name",
                    format!("{name} ({country_key}) is already a member city"),
                ));
                base
            }
            Some(_) => suffixed.clone(),
            None if used_slugs.contains_key(&base) => suffixed.clone(),
            None => base,
        };
        match (used_slugs.get(&slug), taken.get(&slug)) {
            // `Foo MD` in PT, then `Foo` in PT and in MD: the last would be `foo-md` too.
            (Some((other, other_name)), _) if !twice => {
                problems.push(problem(
                    n,
                    "name",
                    format!(
                        "{name} ({country_key}) would have the slug `{slug}`, as city {other} ({other_name}) has"
                    ),
                ));
            }
            (None, Some(country_id)) if slug == suffixed => {
                let message = if in_this_country(country_id) {
                    format!("{name} ({country_key}) is already a member city")
                } else {
                    format!(
                        "{name} ({country_key}) would have the slug `{slug}`, which a member city has"
                    )
                };
                problems.push(problem(n, "name", message));
            }
            _ => {}
        }
        used_slugs.entry(slug.clone()).or_insert((i + 1, name));
        slugs.push(slug);
    }
    if problems.is_empty() {
        Ok(Plan {
            countries,
            joining: joining_rows,
            slugs,
        })
    } else {
        Err(AdmissionError::Invalid(problems))
    }
}

fn city_json(
    city: &city::Model,
    country: &country::Model,
    region: Option<&region::Model>,
) -> serde_json::Value {
    json!({
        "slug": city.slug,
        "name": city.name,
        "country": {
            "iso2": country.iso2, "iso3": country.iso3, "name": country.name,
            "region": region.map(|r| json!({ "slug": r.slug, "name": r.name })),
        },
        "location": { "latitude": city.latitude, "longitude": city.longitude },
    })
}

fn cohort_json(cohort: &cohort::Model) -> serde_json::Value {
    json!({
        "year": cohort.year,
        "announcedOn": cohort.announced_on.to_string(),
        "newCityCount": cohort.new_cities,
        "newCountryCount": cohort.new_countries,
        "networkCityCount": cohort.network_cities_after,
        "networkCountryCount": cohort.network_countries_after,
    })
}

type AdmittedRow = (city::Model, country::Model, Option<region::Model>);

async fn publish_admission(
    txn: &DatabaseTransaction,
    cohort: &cohort::Model,
    admitted: &[AdmittedRow],
) -> Result<u64, DbErr> {
    let mut regions: Vec<String> = admitted
        .iter()
        .filter_map(|(_, _, r)| r.as_ref().map(|r| r.slug.clone()))
        .collect();
    regions.sort();
    regions.dedup();
    let mut countries: Vec<String> = admitted.iter().map(|(_, c, _)| c.iso2.clone()).collect();
    countries.sort();
    countries.dedup();
    let mut drafts = vec![EventDraft {
        event_type: EventType::CohortAdmitted,
        data: json!({
            "cohort": cohort_json(cohort),
            "cities": admitted.iter().map(|(c, k, r)| city_json(c, k, r.as_ref())).collect::<Vec<_>>(),
        }),
        regions,
        countries,
        cohort_id: Some(cohort.id),
        endpoint_id: None,
    }];
    for (city, country, region) in admitted {
        drafts.push(EventDraft {
            event_type: EventType::CityAdmitted,
            data: json!({ "city": city_json(city, country, region.as_ref()), "cohort": cohort_json(cohort) }),
            regions: region.iter().map(|r| r.slug.clone()).collect(),
            countries: vec![country.iso2.clone()],
            cohort_id: Some(cohort.id),
            endpoint_id: None,
        });
    }
    Ok(outbox::publish(txn, drafts).await?.1)
}

/// Records that a city left the network on a date, and returns it. Doing it again with
/// the same date changes nothing; with another date it is refused.
pub async fn withdraw(
    db: &DatabaseConnection,
    slug: &str,
    on: NaiveDate,
    after: &AfterCommit,
) -> Result<city::Model, AdmissionError> {
    let (city, data_version) = withdraw_in_one_transaction(db, slug, on).await?;
    if let Some(version) = data_version {
        after.data_changed(version).await;
    }
    Ok(city)
}

/// The withdrawal, with the data version it committed (none when nothing changed).
async fn withdraw_in_one_transaction(
    db: &DatabaseConnection,
    slug: &str,
    on: NaiveDate,
) -> Result<(city::Model, Option<i64>), AdmissionError> {
    let txn = crate::database::begin_write(db).await?;
    // The empty string names no city (see `membership::city_by_slug`).
    let found = match slug {
        "" => None,
        slug => {
            city::Entity::find()
                .filter(city::Column::Slug.eq(slug))
                .one(&txn)
                .await?
        }
    };
    let city = found.ok_or_else(|| AdmissionError::UnknownCity(slug.to_owned()))?;
    match city.withdrawn_on {
        Some(date) if date == on => return Ok((city, None)),
        Some(date) => return Err(AdmissionError::AlreadyWithdrawn(city.name, date)),
        None => {}
    }
    let mut active: city::ActiveModel = city.into();
    active.withdrawn_on = Set(Some(on));
    let city = active.update(&txn).await?;
    let country = country::Entity::find_by_id(city.country_id)
        .one(&txn)
        .await?;
    let country = country.ok_or_else(|| DbErr::RecordNotFound("the city's country".into()))?;
    let region = region::Entity::find_by_id(country.region_id)
        .one(&txn)
        .await?;
    outbox::publish(
        &txn,
        vec![EventDraft {
            event_type: EventType::CityWithdrawn,
            data: json!({ "city": city_json(&city, &country, region.as_ref()), "withdrawnOn": on.to_string() }),
            regions: region.iter().map(|r| r.slug.clone()).collect(),
            countries: vec![country.iso2.clone()],
            cohort_id: Some(city.cohort_id),
            endpoint_id: None,
        }],
    )
    .await?;
    let data_version = crate::data_version::bump(&txn).await?;
    txn.commit().await?;
    Ok((city, Some(data_version)))
}
