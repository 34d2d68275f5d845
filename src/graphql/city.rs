use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entity::city;

use super::cohort::Cohort;
use super::country::Country;
use super::loaders::{CohortId, CountryId};
use super::scalars::Date;
use super::{ResultExt, expect_row, loader};
use crate::membership::Membership;

/// A member city of the network.
pub struct City(pub city::Model);

/// The cities of a loaded list that `membership` selects (current members by default).
pub fn members(cities: Option<Vec<city::Model>>, membership: Option<Membership>) -> Vec<City> {
    let membership = membership.unwrap_or_default();
    cities
        .unwrap_or_default()
        .into_iter()
        .filter(|c| membership.includes(c))
        .map(City)
        .collect()
}

#[Object]
impl City {
    /// Stable identifier: the slug.
    async fn id(&self) -> ID {
        ID(self.0.slug.clone())
    }

    /// URL-safe identifier derived from the name, e.g. `chisinau`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The name exactly as published, e.g. "Chișinău".
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn country(&self, ctx: &Context<'_>) -> Result<Country> {
        let country = loader(ctx)?
            .load_one(CountryId(self.0.country_id))
            .await
            .gql()?;
        expect_row(country, "country").map(Country)
    }

    /// The intake in which the city joined the network.
    async fn cohort(&self, ctx: &Context<'_>) -> Result<Cohort> {
        let cohort = loader(ctx)?
            .load_one(CohortId(self.0.cohort_id))
            .await
            .gql()?;
        expect_row(cohort, "cohort").map(Cohort)
    }

    /// Whether the city is a member now.
    async fn is_member(&self) -> bool {
        self.0.withdrawn_on.is_none()
    }

    /// The day the city left the network, for former members.
    async fn withdrawn_on(&self) -> Option<Date> {
        self.0.withdrawn_on.map(Date)
    }

    async fn location(&self) -> Location {
        Location {
            latitude: self.0.latitude,
            longitude: self.0.longitude,
            geonames_id: self.0.geonames_id.map(|id| ID(id.to_string())),
            note: self.0.location_note.clone(),
        }
    }
}

/// Where a city is: WGS 84 coordinates, from the GeoNames gazetteer (CC BY 4.0) unless
/// the note says otherwise.
#[derive(SimpleObject)]
pub struct Location {
    /// Degrees north (negative: south).
    pub latitude: f64,
    /// Degrees east (negative: west).
    pub longitude: f64,
    /// The GeoNames place the coordinates come from (geonames.org/ID), when there is one.
    pub geonames_id: Option<ID>,
    /// What is approximate or worth knowing about the coordinates.
    pub note: Option<String>,
}

/// A city and its great-circle distance from the point asked about.
#[derive(SimpleObject)]
pub struct NearbyCity {
    pub city: City,
    /// Great-circle distance in kilometres (mean Earth radius 6371.0088 km).
    pub distance_km: f64,
}
