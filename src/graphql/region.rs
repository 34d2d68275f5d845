use async_graphql::{Context, ID, Object, Result};
use entity::region;

use super::budget::charge;
use super::country::Country;
use super::direct::Direct;
use super::loaders::{CityCountOfRegion, CountriesOfRegion};
use super::{ResultExt, int, loader};

/// One of UNESCO's five regional groups.
pub struct Region(pub region::Model);

#[Object]
impl Region {
    /// Stable identifier: the slug.
    async fn id(&self) -> ID {
        ID(self.0.slug.clone())
    }

    /// URL-safe identifier, e.g. `europe-and-north-america`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Member countries of the region, by name.
    async fn countries(&self, ctx: &Context<'_>) -> Result<Vec<Direct<Country>>> {
        let countries = loader(ctx)?
            .load_one(CountriesOfRegion(self.0.id))
            .await
            .gql()?
            .unwrap_or_default();
        charge(ctx, countries.len())?;
        Ok(countries.into_iter().map(|c| Direct(Country(c))).collect())
    }

    /// Number of member countries in the region.
    async fn country_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let countries = loader(ctx)?
            .load_one(CountriesOfRegion(self.0.id))
            .await
            .gql()?;
        Ok(countries.map_or(0, |c| int(c.len())))
    }

    /// Number of current member cities in the region.
    async fn city_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let count = loader(ctx)?
            .load_one(CityCountOfRegion(self.0.id))
            .await
            .gql()?;
        Ok(int(count.unwrap_or(0)))
    }
}
