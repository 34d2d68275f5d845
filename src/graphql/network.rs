use async_graphql::{Context, Object, Result};

use super::cohort::Cohort;
use super::{ResultExt, db, int, loader, prefetch};
use crate::membership;

/// The network as a whole: what this service holds, beside the totals UNESCO published.
pub struct Network;

#[Object]
impl Network {
    /// Regions in this service's data.
    async fn region_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(int(membership::network_counts(db(ctx)?)
            .await
            .gql()?
            .regions))
    }

    /// Countries with member cities in this service's data.
    async fn country_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(int(membership::network_counts(db(ctx)?)
            .await
            .gql()?
            .countries))
    }

    /// Member cities in this service's data (only intakes with a published member list).
    async fn city_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(int(membership::network_counts(db(ctx)?)
            .await
            .gql()?
            .cities))
    }

    /// Intakes known to this service.
    async fn cohort_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(int(membership::network_counts(db(ctx)?)
            .await
            .gql()?
            .cohorts))
    }

    /// The most recent intake.
    async fn latest_cohort(&self, ctx: &Context<'_>) -> Result<Option<Cohort>> {
        let cohort = membership::latest_cohorts(db(ctx)?).await.gql()?.0;
        prefetch::cohorts(
            loader(ctx)?,
            ctx.look_ahead(),
            cohort.iter().cloned().collect(),
        )
        .await?;
        Ok(cohort.map(Cohort))
    }

    /// Member cities after the latest intake with published totals, as UNESCO published it.
    async fn published_city_count(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        Ok(membership::latest_cohorts(db(ctx)?)
            .await
            .gql()?
            .1
            .and_then(|c| c.network_cities_after))
    }

    /// Member countries after the latest intake with published totals, as UNESCO published it.
    async fn published_country_count(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        Ok(membership::latest_cohorts(db(ctx)?)
            .await
            .gql()?
            .1
            .and_then(|c| c.network_countries_after))
    }

    /// The intake whose published totals `publishedCityCount` and `publishedCountryCount` give.
    async fn published_totals_cohort(&self, ctx: &Context<'_>) -> Result<Option<Cohort>> {
        let cohort = membership::latest_cohorts(db(ctx)?).await.gql()?.1;
        prefetch::cohorts(
            loader(ctx)?,
            ctx.look_ahead(),
            cohort.iter().cloned().collect(),
        )
        .await?;
        Ok(cohort.map(Cohort))
    }
}
