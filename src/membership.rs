//! The network's membership, read: regions, countries, cities and cohorts, with the
//! filters, searches and validation that the GraphQL layer and the CLI share.

use entity::{city, cohort, country, names, region};
use sea_orm::sea_query::{IntoIden, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::pagination::{Page, Window, fetch_page};

pub mod nearby;

/// Longest search string accepted.
pub const MAX_SEARCH_LENGTH: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error("there is no region with slug `{0}`")]
    UnknownRegion(String),
    #[error("there is no country with code `{0}`")]
    UnknownCountry(String),
    #[error("there is no cohort of year {0}")]
    UnknownCohort(i32),
    #[error("`{0}` is not an ISO 3166-1 alpha-2 or alpha-3 country code")]
    MalformedCountryCode(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("database error")]
    Database(#[from] DbErr),
}

pub type Result<T, E = MembershipError> = std::result::Result<T, E>;

/// Current members, former members (withdrawn), or both.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// Cities that are members now.
    #[default]
    Current,
    /// Cities that have left the network.
    Former,
    /// Both.
    All,
}

impl Membership {
    /// Whether a city is one of those this selects.
    pub fn includes(self, city: &city::Model) -> bool {
        match self {
            Membership::Current => city.withdrawn_on.is_none(),
            Membership::Former => city.withdrawn_on.is_some(),
            Membership::All => true,
        }
    }

    /// The condition on the city table selecting the same cities as [`Membership::includes`].
    pub fn condition(self) -> Condition {
        match self {
            Membership::Current => Condition::all().add(city::Column::WithdrawnOn.is_null()),
            Membership::Former => Condition::all().add(city::Column::WithdrawnOn.is_not_null()),
            Membership::All => Condition::all(),
        }
    }
}

/// Which cities a `cities` query asks for. Every field narrows the set.
#[derive(Debug, Default, Clone)]
pub struct CityFilter {
    pub membership: Membership,
    /// Region slug.
    pub region: Option<String>,
    /// Country ISO code, alpha-2 or alpha-3.
    pub country: Option<String>,
    pub cohort_year: Option<i32>,
    /// Matched against the name, ignoring case, accents and punctuation.
    pub search: Option<String>,
}

pub async fn regions(db: &DatabaseConnection) -> Result<Vec<region::Model>> {
    Ok(region::Entity::find()
        .order_by_asc(region::Column::Name)
        .all(db)
        .await?)
}

pub async fn region_by_slug(db: &DatabaseConnection, slug: &str) -> Result<Option<region::Model>> {
    Ok(region::Entity::find()
        .filter(region::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// Normalises an ISO 3166-1 code to upper case, refusing anything that is not two or three
/// ASCII letters.
pub fn normalise_country_code(code: &str) -> Result<String> {
    let code = code.trim();
    if matches!(code.len(), 2 | 3) && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(MembershipError::MalformedCountryCode(code.to_owned()))
    }
}

pub async fn country_by_code(
    db: &DatabaseConnection,
    code: &str,
) -> Result<Option<country::Model>> {
    let code = normalise_country_code(code)?;
    let column = if code.len() == 2 {
        country::Column::Iso2
    } else {
        country::Column::Iso3
    };
    Ok(country::Entity::find()
        .filter(column.eq(code))
        .one(db)
        .await?)
}

/// The region a filter names by slug, which must exist.
async fn named_region(db: &DatabaseConnection, slug: &str) -> Result<region::Model> {
    region_by_slug(db, slug)
        .await?
        .ok_or_else(|| MembershipError::UnknownRegion(slug.into()))
}

/// The condition selecting the countries of a region (all countries without one).
pub async fn country_condition(db: &DatabaseConnection, region: Option<&str>) -> Result<Condition> {
    let mut condition = Condition::all();
    if let Some(slug) = region {
        let region = named_region(db, slug).await?;
        condition = condition.add(country::Column::RegionId.eq(region.id));
    }
    Ok(condition)
}

/// A page of the countries `condition` selects, by name.
pub async fn countries_page(
    db: &DatabaseConnection,
    condition: Condition,
    window: &Window,
) -> Result<Page<country::Model>> {
    page_of::<country::Entity>(db, condition, country::Column::Name, window).await
}

pub async fn count_countries(db: &DatabaseConnection, condition: Condition) -> Result<u64> {
    count_of::<country::Entity>(db, condition).await
}

/// A page of the rows of `E` that `condition` selects, ordered by `key`.
async fn page_of<E>(
    db: &DatabaseConnection,
    condition: Condition,
    key: E::Column,
    window: &Window,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Column: ColumnTrait + IntoIden + Copy,
{
    Ok(fetch_page(db, E::find().filter(condition), key, window).await?)
}

/// How many rows of `E` `condition` selects, across all pages.
async fn count_of<E: EntityTrait>(db: &DatabaseConnection, condition: Condition) -> Result<u64>
where
    E::Model: Sync,
{
    Ok(E::find().filter(condition).count(db).await?)
}

/// Resolves a [`CityFilter`] to a condition on the city table, checking that every region,
/// country and cohort it names exists.
pub async fn city_condition(db: &DatabaseConnection, filter: &CityFilter) -> Result<Condition> {
    let mut condition = filter.membership.condition();
    if let Some(slug) = &filter.region {
        let region = named_region(db, slug).await?;
        condition = condition.add(
            city::Column::CountryId.in_subquery(
                Query::select()
                    .column(country::Column::Id)
                    .from(country::Entity)
                    .and_where(country::Column::RegionId.eq(region.id))
                    .to_owned(),
            ),
        );
    }
    if let Some(code) = &filter.country {
        let country = country_by_code(db, code)
            .await?
            .ok_or_else(|| MembershipError::UnknownCountry(code.clone()))?;
        condition = condition.add(city::Column::CountryId.eq(country.id));
    }
    if let Some(year) = filter.cohort_year {
        let cohort = cohort_by_year(db, year)
            .await?
            .ok_or(MembershipError::UnknownCohort(year))?;
        condition = condition.add(city::Column::CohortId.eq(cohort.id));
    }
    if let Some(search) = &filter.search {
        condition = condition.add(city::Column::SearchName.contains(search_key(search)?));
    }
    Ok(condition)
}

/// Folds a search string the way city names are folded, so "chisinau" finds "Chișinău".
fn search_key(search: &str) -> Result<String> {
    if search.chars().count() > MAX_SEARCH_LENGTH {
        return Err(MembershipError::InvalidArgument(format!(
            "`search` is longer than {MAX_SEARCH_LENGTH} characters"
        )));
    }
    // Folded text holds only ASCII letters, digits and single spaces: no LIKE wildcards.
    let key = names::fold(search);
    if key.is_empty() {
        return Err(MembershipError::InvalidArgument(
            "`search` needs at least one letter or digit".into(),
        ));
    }
    Ok(key)
}

/// A page of the cities `condition` selects, by slug.
pub async fn cities_page(
    db: &DatabaseConnection,
    condition: Condition,
    window: &Window,
) -> Result<Page<city::Model>> {
    page_of::<city::Entity>(db, condition, city::Column::Slug, window).await
}

pub async fn count_cities(db: &DatabaseConnection, condition: Condition) -> Result<u64> {
    count_of::<city::Entity>(db, condition).await
}

/// A city by its slug. A slug has at least one letter or digit: the empty string names no
/// city, even one admitted with an empty slug before admissions refused names without them.
pub async fn city_by_slug(db: &DatabaseConnection, slug: &str) -> Result<Option<city::Model>> {
    if slug.is_empty() {
        return Ok(None);
    }
    Ok(city::Entity::find()
        .filter(city::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

pub async fn cohorts(db: &DatabaseConnection) -> Result<Vec<cohort::Model>> {
    Ok(cohort::Entity::find()
        .order_by_asc(cohort::Column::Year)
        .all(db)
        .await?)
}

pub async fn cohort_by_year(db: &DatabaseConnection, year: i32) -> Result<Option<cohort::Model>> {
    Ok(cohort::Entity::find()
        .filter(cohort::Column::Year.eq(year))
        .one(db)
        .await?)
}

/// Counts of what the database holds.
#[derive(Debug, Clone, Copy)]
pub struct NetworkCounts {
    pub regions: u64,
    pub countries: u64,
    pub cities: u64,
    pub cohorts: u64,
}

pub async fn network_counts(db: &DatabaseConnection) -> Result<NetworkCounts> {
    Ok(NetworkCounts {
        regions: region::Entity::find().count(db).await?,
        countries: country::Entity::find().count(db).await?,
        cities: city::Entity::find()
            .filter(Membership::Current.condition())
            .count(db)
            .await?,
        cohorts: cohort::Entity::find().count(db).await?,
    })
}

/// The most recent cohort, and the most recent one with published network totals.
pub async fn latest_cohorts(
    db: &DatabaseConnection,
) -> Result<(Option<cohort::Model>, Option<cohort::Model>)> {
    let latest = cohort::Entity::find()
        .order_by_desc(cohort::Column::Year)
        .one(db)
        .await?;
    let with_totals = cohort::Entity::find()
        .filter(cohort::Column::NetworkCitiesAfter.is_not_null())
        .order_by_desc(cohort::Column::Year)
        .one(db)
        .await?;
    Ok((latest, with_totals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_normalised_or_refused() {
        assert_eq!(normalise_country_code("md").unwrap(), "MD");
        assert_eq!(normalise_country_code("mda").unwrap(), "MDA");
        assert!(normalise_country_code("M1").is_err());
        assert!(normalise_country_code("MOLD").is_err());
        assert!(normalise_country_code("").is_err());
    }

    #[test]
    fn searches_fold_and_refuse_empty_keys() {
        assert_eq!(search_key("  CHIȘINĂU ").unwrap(), "chisinau");
        assert!(search_key("’!").is_err());
        assert!(search_key(&"a".repeat(MAX_SEARCH_LENGTH + 1)).is_err());
    }
}
