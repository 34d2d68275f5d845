use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result};

use super::city::{City, NearbyCity};
use super::cohort::Cohort;
use super::connection::{TotalCount, connection};
use super::country::Country;
use super::network::Network;
use super::region::Region;
use super::{ResultExt, db, loader, prefetch};
use crate::membership::{self, CityFilter};
use crate::pagination::PageRequest;

pub struct Query;

#[Object]
impl Query {
    /// UNESCO's five regions, by name.
    async fn regions(&self, ctx: &Context<'_>) -> Result<Vec<Region>> {
        let regions = membership::regions(db(ctx)?).await.gql()?;
        prefetch::regions(loader(ctx)?, ctx.look_ahead(), regions.clone()).await?;
        Ok(regions.into_iter().map(Region).collect())
    }

    /// A region by slug, e.g. `arab-states`; null when there is none.
    async fn region(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Region>> {
        let region = membership::region_by_slug(db(ctx)?, &slug).await.gql()?;
        prefetch::regions(
            loader(ctx)?,
            ctx.look_ahead(),
            region.iter().cloned().collect(),
        )
        .await?;
        Ok(region.map(Region))
    }

    /// Member countries by name, optionally of one region (by slug).
    async fn countries(
        &self,
        ctx: &Context<'_>,
        region: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Country, TotalCount>> {
        let db = db(ctx)?;
        let window = PageRequest {
            first,
            after,
            last,
            before,
        }
        .window()
        .map_err(membership::MembershipError::from)
        .gql()?;
        let condition = membership::country_condition(db, region.as_deref())
            .await
            .gql()?;
        let page = membership::countries_page(db, condition.clone(), &window)
            .await
            .gql()?;
        for nodes in prefetch::connection_nodes(&ctx.look_ahead()) {
            prefetch::countries(loader(ctx)?, nodes, page.rows.clone()).await?;
        }
        Ok(connection(
            page,
            |c| c.name.as_str(),
            Country,
            TotalCount::Countries(condition),
        ))
    }

    /// A country by ISO 3166-1 code, alpha-2 (`MD`) or alpha-3 (`MDA`), in any case;
    /// null when there is none.
    async fn country(&self, ctx: &Context<'_>, code: String) -> Result<Option<Country>> {
        let country = membership::country_by_code(db(ctx)?, &code).await.gql()?;
        prefetch::countries(
            loader(ctx)?,
            ctx.look_ahead(),
            country.iter().cloned().collect(),
        )
        .await?;
        Ok(country.map(Country))
    }

    /// Member cities ordered by slug. Every filter narrows the list.
    #[allow(clippy::too_many_arguments)]
    async fn cities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Region slug, e.g. `africa`.")] region: Option<String>,
        #[graphql(desc = "Country ISO 3166-1 code, alpha-2 or alpha-3.")] country: Option<String>,
        #[graphql(desc = "Year of the intake the cities joined in.")] cohort_year: Option<i32>,
        #[graphql(desc = "Part of the name; case, accents and punctuation are ignored.")]
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, City, TotalCount>> {
        let db = db(ctx)?;
        let window = PageRequest {
            first,
            after,
            last,
            before,
        }
        .window()
        .map_err(membership::MembershipError::from)
        .gql()?;
        let filter = CityFilter {
            region,
            country,
            cohort_year,
            search,
        };
        let condition = membership::city_condition(db, &filter).await.gql()?;
        let page = membership::cities_page(db, condition.clone(), &window)
            .await
            .gql()?;
        for nodes in prefetch::connection_nodes(&ctx.look_ahead()) {
            prefetch::cities(loader(ctx)?, nodes, page.rows.clone()).await?;
        }
        Ok(connection(
            page,
            |c| c.slug.as_str(),
            City,
            TotalCount::Cities(condition),
        ))
    }

    /// A city by slug, e.g. `chisinau`; null when there is none.
    async fn city(&self, ctx: &Context<'_>, slug: String) -> Result<Option<City>> {
        let city = membership::city_by_slug(db(ctx)?, &slug).await.gql()?;
        prefetch::cities(
            loader(ctx)?,
            ctx.look_ahead(),
            city.iter().cloned().collect(),
        )
        .await?;
        Ok(city.map(City))
    }

    /// Cities within `radiusKm` of a point, nearest first.
    async fn cities_near(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Degrees north, -90 to 90.")] latitude: f64,
        #[graphql(desc = "Degrees east, -180 to 180.")] longitude: f64,
        #[graphql(desc = "Search radius in kilometres, above 0 and at most 20015.")] radius_km: f64,
        #[graphql(desc = "Most cities to return, 0 to 100 (default 20).")] first: Option<i32>,
    ) -> Result<Vec<NearbyCity>> {
        let first = first.unwrap_or(20);
        let limit = u64::try_from(first).map_err(|_| {
            membership::MembershipError::InvalidArgument(format!(
                "`first` must be between 0 and 100, got {first}"
            ))
        });
        let nearby =
            membership::cities_near(db(ctx)?, latitude, longitude, radius_km, limit.gql()?)
                .await
                .gql()?;
        let cities = nearby.iter().map(|n| n.city.clone()).collect();
        prefetch::cities(loader(ctx)?, ctx.look_ahead().field("city"), cities).await?;
        Ok(nearby
            .into_iter()
            .map(|n| NearbyCity {
                city: City(n.city),
                distance_km: n.distance_km,
            })
            .collect())
    }

    /// The network's intakes, oldest first.
    async fn cohorts(&self, ctx: &Context<'_>) -> Result<Vec<Cohort>> {
        let cohorts = membership::cohorts(db(ctx)?).await.gql()?;
        prefetch::cohorts(loader(ctx)?, ctx.look_ahead(), cohorts.clone()).await?;
        Ok(cohorts.into_iter().map(Cohort).collect())
    }

    /// An intake by year; null when there is none.
    async fn cohort(&self, ctx: &Context<'_>, year: i32) -> Result<Option<Cohort>> {
        let cohort = membership::cohort_by_year(db(ctx)?, year).await.gql()?;
        prefetch::cohorts(
            loader(ctx)?,
            ctx.look_ahead(),
            cohort.iter().cloned().collect(),
        )
        .await?;
        Ok(cohort.map(Cohort))
    }

    /// The network as a whole.
    async fn network(&self) -> Network {
        Network
    }
}
