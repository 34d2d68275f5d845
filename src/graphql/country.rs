use async_graphql::{Context, ID, Object, Result};
use entity::country;

use super::city::{City, Membership, members};
use super::direct::Direct;
use super::loaders::{CitiesOfCountry, RegionId};
use super::region::Region;

use super::{ResultExt, expect_row, loader};

/// A member country, named as UNESCO writes it.
pub struct Country(pub country::Model);

#[Object]
impl Country {
    /// Stable identifier: the ISO 3166-1 alpha-2 code.
    async fn id(&self) -> ID {
        ID(self.0.iso2.clone())
    }

    /// ISO 3166-1 alpha-2 code, e.g. `MD`.
    async fn iso2(&self) -> &str {
        &self.0.iso2
    }

    /// ISO 3166-1 alpha-3 code, e.g. `MDA`.
    async fn iso3(&self) -> &str {
        &self.0.iso3
    }

    /// The name as UNESCO writes it, e.g. "Republic of Moldova".
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn region(&self, ctx: &Context<'_>) -> Result<Direct<Region>> {
        let region = loader(ctx)?
            .load_one(RegionId(self.0.region_id))
            .await
            .gql()?;
        expect_row(region, "region").map(|r| Direct(Region(r)))
    }

    /// Member cities of the country, by slug.
    async fn cities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Current members (the default), former members, or all.")]
        membership: Option<Membership>,
    ) -> Result<Vec<Direct<City>>> {
        members(ctx, CitiesOfCountry(self.0.id), membership)
            .await?
            .list(ctx)
    }

    /// Number of member cities in the country.
    async fn city_count(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Current members (the default), former members, or all.")]
        membership: Option<Membership>,
    ) -> Result<i32> {
        Ok(members(ctx, CitiesOfCountry(self.0.id), membership)
            .await?
            .count())
    }
}
