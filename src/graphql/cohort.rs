use async_graphql::{Context, ID, Object, Result};
use entity::cohort;

use super::city::{City, Membership, members};
use super::direct::Direct;
use super::loaders::CitiesOfCohort;
use super::scalars::Date;

use super::access::require_admin;
use super::webhook::DeliveryReport;
use super::{ResultExt, db, int};
use crate::webhooks::report;

/// An intake: the cities admitted to the network on one announcement, with the figures
/// UNESCO published for it. Network totals are net of departures.
pub struct Cohort(pub cohort::Model);

#[Object]
impl Cohort {
    /// Stable identifier: the year.
    async fn id(&self) -> ID {
        ID(self.0.year.to_string())
    }

    async fn year(&self) -> i32 {
        self.0.year
    }

    /// The day the intake was announced.
    async fn announced_on(&self) -> Date {
        Date(self.0.announced_on)
    }

    /// Published number of cities admitted.
    async fn new_city_count(&self) -> i32 {
        self.0.new_cities
    }

    /// Published number of countries the admitted cities belong to.
    async fn new_country_count(&self) -> i32 {
        self.0.new_countries
    }

    /// Published number of member cities after the intake, when known.
    async fn network_city_count(&self) -> Option<i32> {
        self.0.network_cities_after
    }

    /// Published number of member countries after the intake, when known.
    async fn network_country_count(&self) -> Option<i32> {
        self.0.network_countries_after
    }

    /// The admitted cities this service holds, by slug (empty where the member list was
    /// not published in the source data).
    async fn cities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Current members (the default), former members, or all.")]
        membership: Option<Membership>,
    ) -> Result<Vec<Direct<City>>> {
        members(ctx, CitiesOfCohort(self.0.id), membership)
            .await?
            .list(ctx)
    }

    /// Number of admitted cities this service holds.
    async fn city_count(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Current members (the default), former members, or all.")]
        membership: Option<Membership>,
    ) -> Result<i32> {
        Ok(members(ctx, CitiesOfCohort(self.0.id), membership)
            .await?
            .count())
    }

    /// How far this cohort's admission has gone to the partners (admin): every delivery it
    /// caused, its `cohort.admitted` and the `city.admitted` of each of its cities.
    async fn delivery_report(&self, ctx: &Context<'_>) -> Result<DeliveryReport> {
        let principal = require_admin(ctx)?;
        let report = report::cohort_report(db(ctx)?, principal, self.0.year)
            .await
            .gql()?;
        Ok(DeliveryReport {
            partners: int(report.partners),
            partners_reached: int(report.partners_reached),
            deliveries: int(report.deliveries),
            succeeded: int(report.succeeded),
            pending: int(report.pending),
            failed: int(report.failed),
        })
    }
}
