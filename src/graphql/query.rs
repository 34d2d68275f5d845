use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ErrorExtensions, ID, Object, Result};

use super::access::require_token;
use super::budget::charge;
use super::city::{City, Membership, NearbyCity};
use super::cohort::Cohort;
use super::connection::{TotalCount, connection};
use super::country::Country;
use super::direct::Direct;
use super::network::Network;
use super::region::Region;
use super::webhook::{self, Delivery, Event, WebhookEndpoint};
use super::{ResultExt, city_db, cursors, db, loader, prefetch, window};
use crate::membership::{self, CityFilter, nearby};
use crate::pagination::{List, PageRequest};
use crate::webhooks::deliveries::DeliveryFilter;
use crate::webhooks::endpoints::{self, EndpointError};
use crate::webhooks::events;

pub struct Query;

#[Object]
impl Query {
    /// UNESCO's five regions, by name.
    async fn regions(&self, ctx: &Context<'_>) -> Result<Vec<Direct<Region>>> {
        let regions = membership::regions(db(ctx)?).await.gql()?;
        prefetch::list(ctx, &regions, prefetch::regions).await?;
        Ok(regions.into_iter().map(|r| Direct(Region(r))).collect())
    }

    /// A region by slug, e.g. `arab-states`; null when there is none.
    async fn region(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Direct<Region>>> {
        let region = membership::region_by_slug(db(ctx)?, &slug).await.gql()?;
        prefetch::one(ctx, &region, prefetch::regions).await?;
        Ok(region.map(|r| Direct(Region(r))))
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
    ) -> Result<Connection<String, Direct<Country>, TotalCount>> {
        let db = db(ctx)?;
        let window = window(
            ctx,
            List::Countries,
            PageRequest::new(first, after, last, before),
        )?;
        let condition = membership::country_condition(db, region.as_deref())
            .await
            .gql()?;
        let page = membership::countries_page(db, condition.clone(), &window)
            .await
            .gql()?;
        prefetch::page(ctx, &page.rows, prefetch::countries).await?;
        Ok(connection(
            cursors(ctx)?,
            List::Countries,
            page,
            |c| c.name.clone(),
            |c| Direct(Country(c)),
            TotalCount::Countries(condition),
        ))
    }

    /// A country by ISO 3166-1 code, alpha-2 (`MD`) or alpha-3 (`MDA`), in any case;
    /// null when there is none.
    async fn country(&self, ctx: &Context<'_>, code: String) -> Result<Option<Direct<Country>>> {
        let country = membership::country_by_code(db(ctx)?, &code).await.gql()?;
        prefetch::one(ctx, &country, prefetch::countries).await?;
        Ok(country.map(|c| Direct(Country(c))))
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
        #[graphql(desc = "Current members (the default), former members, or all.")]
        membership: Option<Membership>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Direct<City>, TotalCount>> {
        let membership = Membership::or_default(membership);
        let db = db(ctx)?;
        let window = window(
            ctx,
            List::Cities,
            PageRequest::new(first, after, last, before),
        )?;
        let filter = CityFilter {
            membership,
            region,
            country,
            cohort_year,
            search,
        };
        let condition = membership::city_condition(db, &filter).await.gql()?;
        let searching = filter.search.is_some();
        let page = membership::cities_page(city_db(ctx, searching)?, condition.clone(), &window)
            .await
            .gql()?;
        prefetch::page(ctx, &page.rows, prefetch::cities).await?;
        Ok(connection(
            cursors(ctx)?,
            List::Cities,
            page,
            |c| c.slug.clone(),
            |c| Direct(City(c)),
            TotalCount::Cities {
                condition,
                searching,
            },
        ))
    }

    /// A city by slug, e.g. `chisinau` (former members too); null when there is none.
    async fn city(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Direct<City>>> {
        let city = membership::city_by_slug(db(ctx)?, &slug).await.gql()?;
        prefetch::one(ctx, &city, prefetch::cities).await?;
        Ok(city.map(|c| Direct(City(c))))
    }

    /// Member cities within `radiusKm` of a point, nearest first.
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
        let nearby = nearby::cities_near(db(ctx)?, latitude, longitude, radius_km, limit.gql()?)
            .await
            .gql()?;
        charge(ctx, nearby.len())?;
        let cities = nearby.iter().map(|n| n.city.clone()).collect();
        prefetch::cities(loader(ctx)?, ctx.look_ahead().field("city"), cities).await?;
        Ok(nearby
            .into_iter()
            .map(|n| NearbyCity {
                city: Direct(City(n.city)),
                distance_km: n.distance_km,
            })
            .collect())
    }

    /// The network's intakes, oldest first.
    async fn cohorts(&self, ctx: &Context<'_>) -> Result<Vec<Direct<Cohort>>> {
        let cohorts = membership::cohorts(db(ctx)?).await.gql()?;
        prefetch::list(ctx, &cohorts, prefetch::cohorts).await?;
        Ok(cohorts.into_iter().map(|c| Direct(Cohort(c))).collect())
    }

    /// An intake by year; null when there is none.
    async fn cohort(&self, ctx: &Context<'_>, year: i32) -> Result<Option<Direct<Cohort>>> {
        let cohort = membership::cohort_by_year(db(ctx)?, year).await.gql()?;
        prefetch::one(ctx, &cohort, prefetch::cohorts).await?;
        Ok(cohort.map(|c| Direct(Cohort(c))))
    }

    /// Your webhook endpoints (an admin sees every partner's). Needs a token.
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>> {
        let principal = require_token(ctx)?;
        let endpoints = endpoints::list(db(ctx)?, principal).await.gql()?;
        charge(ctx, endpoints.len())?;
        Ok(endpoints.into_iter().map(WebhookEndpoint).collect())
    }

    /// One of your webhook endpoints by id; null when there is none you may see.
    async fn webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<Option<WebhookEndpoint>> {
        let principal = require_token(ctx)?;
        match endpoints::find(db(ctx)?, principal, &id).await {
            Ok(endpoint) => Ok(Some(WebhookEndpoint(endpoint))),
            Err(EndpointError::NotFound(..)) => Ok(None),
            Err(error) => Err(error.extend()),
        }
    }

    /// Deliveries to your endpoints, oldest first; by endpoint, by event, failed only.
    #[allow(clippy::too_many_arguments)]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Option<ID>,
        event_id: Option<ID>,
        #[graphql(desc = "Only deliveries that failed, or are failing and waiting to retry.")]
        failed_only: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Delivery, EmptyFields>> {
        let filter = DeliveryFilter {
            endpoint: endpoint_id.map(|id| id.0),
            event: event_id.map(|id| id.0),
            failed_only: failed_only.unwrap_or_default(),
        };
        let page = PageRequest::new(first, after, last, before);
        webhook::deliveries(ctx, filter, page).await
    }

    /// Events, oldest first: a partner that was down pages from its last cursor to catch
    /// up (the same payloads as the webhooks). Needs a token.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these types, e.g. `cohort.admitted`.")] types: Option<Vec<String>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Event, EmptyFields>> {
        let principal = require_token(ctx)?;
        let window = window(
            ctx,
            List::Events,
            PageRequest::new(first, after, last, before),
        )?;
        let page = events::feed(db(ctx)?, principal, &types.unwrap_or_default(), window)
            .await
            .gql()?;
        charge(ctx, page.rows.len())?;
        Ok(connection(
            cursors(ctx)?,
            List::Events,
            page,
            |e| e.id.to_string(),
            Event,
            EmptyFields,
        ))
    }

    /// The network as a whole.
    async fn network(&self) -> Network {
        Network::default()
    }
}
