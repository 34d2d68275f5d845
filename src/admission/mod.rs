//! Admitting a cohort and withdrawing a city: validation, one transaction, and the events
//! partners are notified of, written in that same transaction.

mod events;
mod figures;
mod validate;
mod withdrawal;

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{city, cohort, country, names, region};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Statement,
    TransactionTrait, TryIntoModel,
};
use serde::Serialize;

use crate::after_commit::AfterCommit;
use crate::digest::sha256_hex;
use crate::membership::normalise_country_code;
use events::AdmittedRow;
pub use figures::{Figure, FigureChange, FigureOutcome};
use figures::{Figures, settle_figures};
use validate::{Plan, validate};
pub use withdrawal::{Withdrawal, withdraw};

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

/// A country joining the network with a cohort.
#[derive(Debug, Clone, Serialize)]
pub struct NewCountry {
    pub iso2: String,
    pub iso3: String,
    pub name: String,
    /// Region slug.
    pub region: String,
}

/// A city admitted with a cohort.
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

/// A problem with the city at `city` (1-based), or with the admission as a whole.
pub fn problem(city: Option<usize>, field: &str, message: impl Into<String>) -> Problem {
    Problem {
        city,
        field: field.to_owned(),
        message: message.into(),
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

fn unresolved(what: &str, key: &str) -> DbErr {
    DbErr::Custom(format!("admission: validated {what} `{key}` not found"))
}

/// What recognises an admission sent again: a digest of its serde form.
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

/// What an admission would do, found by the same checks as [`admit`], writing nothing.
#[derive(Debug, Clone)]
pub enum Preview {
    /// The same admission was made before: admitting it again changes nothing.
    AdmittedBefore,
    /// It would admit its cities, with the countries joining that are not members yet, and
    /// the intake's published figures it gives differently, as [`admit`] would settle them.
    Admits {
        joining: Vec<NewCountry>,
        figures: Vec<FigureChange>,
    },
}

/// Checks an admission as [`admit`] does (every problem listed, or the conflict with the
/// intake admitted before) and says what admitting it would do. Nothing is written: the
/// checks read in a transaction that is rolled back.
pub async fn preview(
    db: &DatabaseConnection,
    admission: &CohortAdmission,
) -> Result<Preview, AdmissionError> {
    let txn = db.begin().await?;
    let checked = check(&txn, admission, &digest(admission)).await;
    txn.rollback().await?;
    Ok(match checked? {
        Checked::Before(_) => Preview::AdmittedBefore,
        Checked::New { existing, plan } => Preview::Admits {
            joining: plan
                .joining
                .iter()
                .map(|i| admission.new_countries[*i].clone())
                .collect(),
            figures: settle_figures(
                existing.as_ref(),
                admission,
                admission.replace_published_figures,
            )
            .1,
        },
    })
}

/// What the checks of an admission found.
enum Checked {
    /// The same admission, made before.
    Before(Admitted),
    /// A new one, valid: the intake as it stands (if published without cities) and the plan.
    New {
        existing: Option<cohort::Model>,
        plan: Plan,
    },
}

/// Refuses an admission for an intake admitted before with another content, or with every
/// problem validation finds; recognises the same admission made before.
async fn check(
    txn: &DatabaseTransaction,
    admission: &CohortAdmission,
    digest: &str,
) -> Result<Checked, AdmissionError> {
    let existing = cohort::Entity::find()
        .filter(cohort::Column::Year.eq(admission.year))
        .one(txn)
        .await?;
    if let Some(existing) = &existing {
        let members = city::Entity::find().filter(city::Column::CohortId.eq(existing.id));
        if existing.admission_digest.as_deref() == Some(digest) {
            return Ok(Checked::Before(Admitted {
                cohort: existing.clone(),
                cities: members.count(txn).await? as usize,
                deliveries: 0,
                data_version: None,
                figures: settle_figures(Some(existing), admission, false).1,
            }));
        }
        if existing.admission_digest.is_some() || members.one(txn).await?.is_some() {
            return Err(AdmissionError::Conflict(admission.year));
        }
    }
    let plan = validate(txn, admission).await?;
    Ok(Checked::New { existing, plan })
}

async fn admit_in_one_transaction(
    db: &DatabaseConnection,
    admission: CohortAdmission,
) -> Result<Admitted, AdmissionError> {
    let digest = digest(&admission);
    let txn = crate::database::begin_write(db).await?;
    one_at_a_time(&txn).await?;
    let (existing, plan) = match check(&txn, &admission, &digest).await? {
        Checked::Before(admitted) => return Ok(admitted),
        Checked::New { existing, plan } => (existing, plan),
    };
    let Plan {
        mut countries,
        regions,
        joining,
        slugs,
    } = plan;
    for new in joining.iter().map(|i| &admission.new_countries[*i]) {
        let inserted = add_country(&txn, new, &regions).await?;
        countries.insert(inserted.iso2.clone(), inserted.clone());
        countries.insert(inserted.iso3.clone(), inserted);
    }
    let (figures, changes) = settle_figures(
        existing.as_ref(),
        &admission,
        admission.replace_published_figures,
    );
    let cohort = save_cohort(&txn, existing, admission.year, figures, digest).await?;
    let regions_by_id: HashMap<i32, &region::Model> = regions.values().map(|r| (r.id, r)).collect();
    let mut admitted = Vec::with_capacity(admission.cities.len());
    for (city, slug) in admission.cities.iter().zip(slugs) {
        admitted.push(add_city(&txn, city, slug, &cohort, &countries, &regions_by_id).await?);
    }

    let deliveries = events::publish_admission(&txn, &cohort, &admitted).await?;
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

/// Adds a country joining with the cohort.
async fn add_country(
    txn: &DatabaseTransaction,
    new: &NewCountry,
    regions: &HashMap<String, region::Model>,
) -> Result<country::Model, DbErr> {
    // Validation checked every code and slug: a miss here is a bug, not bad input.
    let region = regions
        .get(&new.region)
        .ok_or_else(|| unresolved("region", &new.region))?;
    country::ActiveModel {
        iso2: Set(new.iso2.to_ascii_uppercase()),
        iso3: Set(new.iso3.to_ascii_uppercase()),
        name: Set(new.name.trim().to_owned()),
        region_id: Set(region.id),
        ..Default::default()
    }
    .insert(txn)
    .await
}

/// Records the intake of `year` with its settled figures and the admission's digest.
async fn save_cohort(
    txn: &DatabaseTransaction,
    existing: Option<cohort::Model>,
    year: i32,
    figures: Figures,
    digest: String,
) -> Result<cohort::Model, DbErr> {
    let mut row = match existing {
        Some(existing) => existing.into(),
        None => cohort::ActiveModel {
            year: Set(year),
            ..Default::default()
        },
    };
    row.announced_on = Set(figures.announced_on);
    row.new_cities = Set(figures.new_cities);
    row.new_countries = Set(figures.new_countries);
    row.network_cities_after = Set(figures.network_cities);
    row.network_countries_after = Set(figures.network_countries);
    row.admission_digest = Set(Some(digest));
    row.save(txn).await?.try_into_model()
}

/// Adds a city admitted with `cohort`, under the slug validation gave it.
async fn add_city(
    txn: &DatabaseTransaction,
    city: &AdmittedCity,
    slug: String,
    cohort: &cohort::Model,
    countries: &HashMap<String, country::Model>,
    regions: &HashMap<i32, &region::Model>,
) -> Result<AdmittedRow, DbErr> {
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
    .insert(txn)
    .await?;
    let region = regions.get(&country.region_id).map(|r| (*r).clone());
    Ok((row, country.clone(), region))
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
