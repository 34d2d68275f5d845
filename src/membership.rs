//! The network's membership, read: regions, countries, cities and cohorts, with the
//! filters, searches and validation that the GraphQL layer and the CLI share.

use entity::{city, cohort, country, names, region};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::pagination::{Page, Window, fetch_page};

/// Longest search string accepted.
pub const MAX_SEARCH_LENGTH: usize = 100;
/// Most cities `cities_near` returns.
pub const MAX_NEARBY_CITIES: u64 = 100;
/// Mean Earth radius used for great-circle distances (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;
/// Largest useful search radius: half the circumference of the globe.
pub const MAX_RADIUS_KM: f64 = std::f64::consts::PI * EARTH_RADIUS_KM;

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

/// The condition selecting the countries of a region (all countries without one).
pub async fn country_condition(db: &DatabaseConnection, region: Option<&str>) -> Result<Condition> {
    let mut condition = Condition::all();
    if let Some(slug) = region {
        let region = region_by_slug(db, slug)
            .await?
            .ok_or_else(|| MembershipError::UnknownRegion(slug.into()))?;
        condition = condition.add(country::Column::RegionId.eq(region.id));
    }
    Ok(condition)
}

pub async fn countries_page(
    db: &DatabaseConnection,
    condition: Condition,
    window: &Window,
) -> Result<Page<country::Model>> {
    Ok(fetch_page(
        db,
        country::Entity::find().filter(condition),
        country::Column::Name,
        window,
    )
    .await?)
}

pub async fn count_countries(db: &DatabaseConnection, condition: Condition) -> Result<u64> {
    Ok(country::Entity::find().filter(condition).count(db).await?)
}

/// Resolves a [`CityFilter`] to a condition on the city table, checking that every region,
/// country and cohort it names exists.
pub async fn city_condition(db: &DatabaseConnection, filter: &CityFilter) -> Result<Condition> {
    let mut condition = filter.membership.condition();
    if let Some(slug) = &filter.region {
        let region = region_by_slug(db, slug)
            .await?
            .ok_or_else(|| MembershipError::UnknownRegion(slug.clone()))?;
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

pub async fn cities_page(
    db: &DatabaseConnection,
    condition: Condition,
    window: &Window,
) -> Result<Page<city::Model>> {
    Ok(fetch_page(
        db,
        city::Entity::find().filter(condition),
        city::Column::Slug,
        window,
    )
    .await?)
}

pub async fn count_cities(db: &DatabaseConnection, condition: Condition) -> Result<u64> {
    Ok(city::Entity::find().filter(condition).count(db).await?)
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

/// A city and its great-circle distance from a point.
#[derive(Debug, Clone)]
pub struct NearbyCity {
    pub city: city::Model,
    pub distance_km: f64,
}

/// The cities within `radius_km` of a point, nearest first (ties by slug), at most `limit`.
pub async fn cities_near(
    db: &DatabaseConnection,
    latitude: f64,
    longitude: f64,
    radius_km: f64,
    limit: u64,
) -> Result<Vec<NearbyCity>> {
    let invalid = |m: String| Err(MembershipError::InvalidArgument(m));
    if !(-90.0..=90.0).contains(&latitude) {
        return invalid(format!(
            "`latitude` must be between -90 and 90, got {latitude}"
        ));
    }
    if !(-180.0..=180.0).contains(&longitude) {
        return invalid(format!(
            "`longitude` must be between -180 and 180, got {longitude}"
        ));
    }
    if !(radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
        return invalid(format!(
            "`radiusKm` must be above 0 and at most {MAX_RADIUS_KM:.0}, got {radius_km}"
        ));
    }
    if limit > MAX_NEARBY_CITIES {
        return invalid(format!(
            "`first` must be between 0 and {MAX_NEARBY_CITIES}, got {limit}"
        ));
    }
    let candidates = city::Entity::find()
        .filter(Membership::Current.condition())
        .filter(bounding_box(latitude, longitude, radius_km))
        .all(db)
        .await?;
    let mut nearby: Vec<NearbyCity> = candidates
        .into_iter()
        .map(|city| {
            let distance_km = great_circle_km(latitude, longitude, city.latitude, city.longitude);
            NearbyCity { city, distance_km }
        })
        .filter(|n| n.distance_km <= radius_km)
        .collect();
    nearby.sort_by(|a, b| {
        a.distance_km
            .total_cmp(&b.distance_km)
            .then_with(|| a.city.slug.cmp(&b.city.slug))
    });
    nearby.truncate(limit as usize);
    Ok(nearby)
}

/// A latitude/longitude box that contains every point within `radius_km`, so the database
/// can discard far cities before distances are computed.
fn bounding_box(latitude: f64, longitude: f64, radius_km: f64) -> Condition {
    let km_per_degree = EARTH_RADIUS_KM.to_radians();
    let dlat = radius_km / km_per_degree;
    let (south, north) = (latitude - dlat, latitude + dlat);
    let mut condition = Condition::all()
        .add(city::Column::Latitude.gte(south.max(-90.0)))
        .add(city::Column::Latitude.lte(north.min(90.0)));
    if south <= -90.0 || north >= 90.0 {
        return condition; // the circle covers a pole: every longitude
    }
    let widest = south.abs().max(north.abs()).to_radians().cos();
    let dlon = dlat / widest;
    if dlon >= 180.0 {
        return condition;
    }
    let (west, east) = (longitude - dlon, longitude + dlon);
    condition = condition.add(if west < -180.0 {
        Condition::any()
            .add(city::Column::Longitude.gte(west + 360.0))
            .add(city::Column::Longitude.lte(east))
    } else if east > 180.0 {
        Condition::any()
            .add(city::Column::Longitude.gte(west))
            .add(city::Column::Longitude.lte(east - 360.0))
    } else {
        Condition::all()
            .add(city::Column::Longitude.gte(west))
            .add(city::Column::Longitude.lte(east))
    });
    condition
}

/// Haversine distance between two points, in kilometres.
pub fn great_circle_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let dphi = (lat2 - lat1).to_radians();
    let dlambda = (lon2 - lon1).to_radians();
    let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
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
    fn great_circle_distances_match_known_values() {
        // Chișinău to Cahul: 132.93 km on the mean-radius sphere.
        let d = great_circle_km(47.00902, 28.85938, 45.90456, 28.19516);
        assert!((d - 132.932).abs() < 0.01, "{d}");
        assert!(great_circle_km(0.0, 0.0, 0.0, 180.0) - MAX_RADIUS_KM < 1e-6);
        assert_eq!(great_circle_km(10.0, 20.0, 10.0, 20.0), 0.0);
    }

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
