use async_graphql::{Context, Object, Result};
use entity::cohort;
use tokio::sync::OnceCell;

use super::cohort::Cohort;
use super::direct::Direct;
use super::{ResultExt, db, int, prefetch};
use crate::membership::{self, NetworkCounts};

/// The network as a whole: what this service holds, beside the totals UNESCO published.
/// Its fields resolve side by side; each query behind them runs once per request.
#[derive(Default)]
pub struct Network {
    counts: OnceCell<NetworkCounts>,
    /// The most recent intake, and the most recent one with published totals.
    latest: OnceCell<(Option<cohort::Model>, Option<cohort::Model>)>,
}

impl Network {
    async fn counts(&self, ctx: &Context<'_>) -> Result<NetworkCounts> {
        let counts = self
            .counts
            .get_or_try_init(|| async { membership::network_counts(db(ctx)?).await.gql() });
        counts.await.copied()
    }

    async fn latest(
        &self,
        ctx: &Context<'_>,
    ) -> Result<&(Option<cohort::Model>, Option<cohort::Model>)> {
        self.latest
            .get_or_try_init(|| async { membership::latest_cohorts(db(ctx)?).await.gql() })
            .await
    }

    async fn cohort(
        &self,
        ctx: &Context<'_>,
        cohort: Option<&cohort::Model>,
    ) -> Result<Option<Direct<Cohort>>> {
        let cohort = cohort.cloned();
        prefetch::one(ctx, &cohort, prefetch::cohorts).await?;
        Ok(cohort.map(|c| Direct(Cohort(c))))
    }
}

#[Object]
impl Network {
    /// Regions in this service's data.
    async fn region_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(int(self.counts(ctx).await?.regions))
    }

    /// Countries in this service's data.
    async fn country_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(int(self.counts(ctx).await?.countries))
    }

    /// Member cities in this service's data (only intakes with a published member list).
    async fn city_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(int(self.counts(ctx).await?.cities))
    }

    /// Intakes known to this service.
    async fn cohort_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(int(self.counts(ctx).await?.cohorts))
    }

    /// The most recent intake.
    async fn latest_cohort(&self, ctx: &Context<'_>) -> Result<Option<Direct<Cohort>>> {
        let latest = self.latest(ctx).await?;
        self.cohort(ctx, latest.0.as_ref()).await
    }

    /// Member cities after the latest intake with published totals, as UNESCO published it.
    async fn published_city_count(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        Ok(self
            .latest(ctx)
            .await?
            .1
            .as_ref()
            .and_then(|c| c.network_cities_after))
    }

    /// Member countries after the latest intake with published totals, as UNESCO published it.
    async fn published_country_count(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        Ok(self
            .latest(ctx)
            .await?
            .1
            .as_ref()
            .and_then(|c| c.network_countries_after))
    }

    /// The intake whose published totals `publishedCityCount` and `publishedCountryCount` give.
    async fn published_totals_cohort(&self, ctx: &Context<'_>) -> Result<Option<Direct<Cohort>>> {
        let latest = self.latest(ctx).await?;
        self.cohort(ctx, latest.1.as_ref()).await
    }
}
