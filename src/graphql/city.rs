use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use entity::city;

use super::budget::charge;
use super::cohort::Cohort;
use super::country::Country;
use super::direct::Direct;
use super::error::LoadError;
use super::loaders::{CohortId, CountryId, Database};
use super::scalars::Date;
use super::{ResultExt, expect_row, int, loader};
use crate::membership;

/// A member city of the network.
pub struct City(pub city::Model);

/// Current members, former members (withdrawn), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "membership::Membership")]
pub enum Membership {
    /// Cities that are members now.
    Current,
    /// Cities that have left the network.
    Former,
    /// Both.
    All,
}

impl Membership {
    /// The cities an optional `membership` argument selects: current members by default.
    pub fn or_default(argument: Option<Self>) -> membership::Membership {
        argument.map(Into::into).unwrap_or_default()
    }
}

/// The cities of a parent (a country's, a cohort's: `cities` is the loader key of its
/// list) that `membership` selects, current members by default.
pub async fn members<K>(
    ctx: &Context<'_>,
    cities: K,
    membership: Option<Membership>,
) -> Result<Members>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Database: Loader<K, Value = Vec<city::Model>, Error = LoadError>,
{
    let membership = Membership::or_default(membership);
    let cities = loader(ctx)?.load_one(cities).await.gql()?;
    Ok(Members(
        cities
            .unwrap_or_default()
            .into_iter()
            .filter(|c| membership.includes(c))
            .collect(),
    ))
}

/// The member cities of a parent, as its `cities` and `cityCount` fields give them.
pub struct Members(Vec<city::Model>);

impl Members {
    /// The `cities` field: the list, charged to the response budget.
    pub fn list(self, ctx: &Context<'_>) -> Result<Vec<Direct<City>>> {
        charge(ctx, self.0.len())?;
        Ok(self.0.into_iter().map(|c| Direct(City(c))).collect())
    }

    /// The `cityCount` field.
    pub fn count(&self) -> i32 {
        int(self.0.len())
    }
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

    async fn country(&self, ctx: &Context<'_>) -> Result<Direct<Country>> {
        let country = loader(ctx)?
            .load_one(CountryId(self.0.country_id))
            .await
            .gql()?;
        expect_row(country, "country").map(|c| Direct(Country(c)))
    }

    /// The intake in which the city joined the network.
    async fn cohort(&self, ctx: &Context<'_>) -> Result<Direct<Cohort>> {
        let cohort = loader(ctx)?
            .load_one(CohortId(self.0.cohort_id))
            .await
            .gql()?;
        expect_row(cohort, "cohort").map(|c| Direct(Cohort(c)))
    }

    /// Whether the city is a member now.
    async fn is_member(&self) -> bool {
        membership::Membership::Current.includes(&self.0)
    }

    /// The day the city left the network, for former members.
    async fn withdrawn_on(&self) -> Option<Date> {
        self.0.withdrawn_on.map(Date)
    }

    async fn location(&self) -> Direct<Location> {
        Direct(Location {
            latitude: self.0.latitude,
            longitude: self.0.longitude,
            geonames_id: self.0.geonames_id.map(|id| ID(id.to_string())),
            note: self.0.location_note.clone(),
        })
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
    pub city: Direct<City>,
    /// Great-circle distance in kilometres (mean Earth radius 6371.0088 km).
    pub distance_km: f64,
}
