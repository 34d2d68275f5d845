//! Changes: admissions and withdrawals (admins), webhook endpoints and redeliveries
//! (partners, for what they own; admins, for everything).

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::access::{require_admin, require_token, settings};
use super::city::City;
use super::cohort::Cohort;
use super::scalars::{Date, DateTime};
use super::webhook::{Delivery, Event, WebhookEndpoint, WebhookEndpointWithSecret};
use super::{ResultExt, db, int};
use crate::admission::{self, AdmittedCity, CohortAdmission, NewCountry};
use crate::after_commit::AfterCommit;
use crate::webhooks::endpoints::{self, EndpointError, EndpointSpec};
use crate::webhooks::{deliveries, events};

/// A cohort to admit, with its cities.
#[derive(InputObject)]
pub struct CohortAdmissionInput {
    pub year: i32,
    pub announced_on: Date,
    /// Published number of cities admitted.
    pub new_city_count: i32,
    /// Published number of countries they belong to.
    pub new_country_count: i32,
    /// Published network size after the intake, when known.
    pub network_city_count: Option<i32>,
    pub network_country_count: Option<i32>,
    /// Countries joining the network with this cohort.
    #[graphql(default)]
    pub new_countries: Vec<NewCountryInput>,
    pub cities: Vec<AdmittedCityInput>,
    /// For an intake already published with its figures (`cohorts` lists it with no
    /// cities): true replaces them with this admission's. By default they stay as
    /// published, and `publishedFigures` in the result lists those given differently.
    #[graphql(default)]
    pub replace_published_figures: bool,
}

#[derive(InputObject)]
pub struct NewCountryInput {
    pub iso2: String,
    pub iso3: String,
    /// As UNESCO writes it.
    pub name: String,
    /// Region slug.
    pub region: String,
}

#[derive(InputObject)]
pub struct AdmittedCityInput {
    /// Exactly as published.
    pub name: String,
    /// ISO 3166-1 alpha-2 or alpha-3 code of a member country or of one in `newCountries`.
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    pub geonames_id: Option<i64>,
}

impl From<CohortAdmissionInput> for CohortAdmission {
    fn from(input: CohortAdmissionInput) -> Self {
        CohortAdmission {
            year: input.year,
            announced_on: input.announced_on.0,
            new_city_count: input.new_city_count,
            new_country_count: input.new_country_count,
            network_city_count: input.network_city_count,
            network_country_count: input.network_country_count,
            new_countries: input
                .new_countries
                .into_iter()
                .map(|c| NewCountry {
                    iso2: c.iso2,
                    iso3: c.iso3,
                    name: c.name,
                    region: c.region,
                })
                .collect(),
            cities: input
                .cities
                .into_iter()
                .map(|c| AdmittedCity {
                    name: c.name,
                    country: c.country,
                    latitude: c.latitude,
                    longitude: c.longitude,
                    geonames_id: c.geonames_id,
                })
                .collect(),
            replace_published_figures: input.replace_published_figures,
        }
    }
}

/// What an admission did.
#[derive(async_graphql::SimpleObject)]
pub struct AdmissionResult {
    pub cohort: Cohort,
    /// False when this exact admission had been made before: nothing new was written.
    pub created: bool,
    pub city_count: i32,
    /// Deliveries queued for partners' webhook endpoints.
    pub delivery_count: i32,
    /// The intake's published figures this admission gave differently, and what became of
    /// each: kept (the default), replaced (`replacePublishedFigures`), or added where the
    /// intake had none. Empty for a year with no intake before: its figures are this
    /// admission's.
    pub published_figures: Vec<PublishedFigure>,
}

/// A published figure of an intake that an admission gave differently.
#[derive(async_graphql::SimpleObject)]
pub struct PublishedFigure {
    /// The admission's field giving it: `announcedOn`, `newCityCount`, `newCountryCount`,
    /// `networkCityCount` or `networkCountryCount`.
    pub figure: String,
    pub outcome: FigureOutcome,
    /// As published before the admission (a number, or a date for `announcedOn`); null
    /// when the intake did not have it.
    pub published: Option<String>,
    /// As the admission gave it.
    pub admitted: String,
}

/// What became of a published figure an admission gave differently.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum FigureOutcome {
    /// The published figure stays; the admission's was not recorded.
    Kept,
    /// The admission's figure replaced the published one (`replacePublishedFigures`).
    Replaced,
    /// The intake had no such figure: the admission's is recorded.
    Added,
}

impl From<admission::FigureChange> for PublishedFigure {
    fn from(change: admission::FigureChange) -> Self {
        PublishedFigure {
            figure: change.figure.name().to_owned(),
            outcome: match change.outcome {
                admission::FigureOutcome::Kept => FigureOutcome::Kept,
                admission::FigureOutcome::Replaced => FigureOutcome::Replaced,
                admission::FigureOutcome::Added => FigureOutcome::Added,
            },
            published: change.published,
            admitted: change.admitted,
        }
    }
}

/// A webhook endpoint to create.
#[derive(InputObject)]
pub struct WebhookEndpointInput {
    /// `https://…` (or `http://…`) on a public address.
    pub url: String,
    pub description: Option<String>,
    /// Event types to receive; omitted or empty: all.
    pub event_types: Option<Vec<String>>,
    /// Only events about these regions (slugs).
    pub regions: Option<Vec<String>>,
    /// Only events about these countries (ISO alpha-2).
    pub countries: Option<Vec<String>>,
}

/// Changes to a webhook endpoint; omitted fields stay as they are.
#[derive(InputObject)]
pub struct WebhookEndpointChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub countries: Option<Vec<String>>,
}

/// What the operations do once their change has committed (see [`AfterCommit`]).
fn after_commit<'a>(ctx: &Context<'a>) -> Result<&'a AfterCommit> {
    ctx.data::<AfterCommit>()
}

fn delivery_id(id: &ID) -> Result<i32> {
    id.parse::<i32>()
        .map_err(|_| EndpointError::NotFound("delivery", id.to_string()))
        .gql()
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Admits a cohort with its cities (admin). All of it or nothing: any invalid city
    /// refuses the whole admission, with every problem in `extensions.problems`.
    /// Re-sending the same admission changes nothing.
    async fn admit_cohort(
        &self,
        ctx: &Context<'_>,
        input: CohortAdmissionInput,
    ) -> Result<AdmissionResult> {
        require_admin(ctx)?;
        let admitted = admission::admit(db(ctx)?, input.into(), after_commit(ctx)?)
            .await
            .gql()?;
        Ok(AdmissionResult {
            created: admitted.created(),
            cohort: Cohort(admitted.cohort),
            city_count: int(admitted.cities),
            delivery_count: int(admitted.deliveries),
            published_figures: admitted.figures.into_iter().map(Into::into).collect(),
        })
    }

    /// Records that a city left the network (admin). The same call again changes nothing.
    async fn withdraw_city(
        &self,
        ctx: &Context<'_>,
        slug: String,
        withdrawn_on: Date,
    ) -> Result<City> {
        require_admin(ctx)?;
        let withdrawal = admission::withdraw(db(ctx)?, &slug, withdrawn_on.0, after_commit(ctx)?)
            .await
            .gql()?;
        Ok(City(withdrawal.city))
    }

    /// Subscribes a URL to events. The answer holds the signing secret, shown this once.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> Result<WebhookEndpointWithSecret> {
        let principal = require_token(ctx)?;
        let spec = EndpointSpec {
            url: Some(input.url),
            description: input.description,
            event_types: input.event_types,
            regions: input.regions,
            countries: input.countries,
        };
        let (endpoint, secret) = endpoints::create(db(ctx)?, principal, spec, settings(ctx)?)
            .await
            .gql()?;
        Ok(WebhookEndpointWithSecret {
            endpoint: WebhookEndpoint(endpoint),
            secret,
        })
    }

    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        changes: WebhookEndpointChanges,
    ) -> Result<WebhookEndpoint> {
        let principal = require_token(ctx)?;
        let spec = EndpointSpec {
            url: changes.url,
            description: changes.description,
            event_types: changes.event_types,
            regions: changes.regions,
            countries: changes.countries,
        };
        let allow_private = settings(ctx)?.allow_private_targets;
        let endpoint = endpoints::update(db(ctx)?, principal, &id, spec, allow_private)
            .await
            .gql()?;
        Ok(WebhookEndpoint(endpoint))
    }

    /// Holds deliveries to an endpoint until it resumes.
    async fn pause_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookEndpoint> {
        let principal = require_token(ctx)?;
        Ok(WebhookEndpoint(
            endpoints::set_paused(db(ctx)?, principal, &id, true, after_commit(ctx)?)
                .await
                .gql()?,
        ))
    }

    /// Resumes a paused endpoint, or enables again one gnlc disabled.
    async fn resume_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookEndpoint> {
        let principal = require_token(ctx)?;
        let endpoint = endpoints::set_paused(db(ctx)?, principal, &id, false, after_commit(ctx)?)
            .await
            .gql()?;
        Ok(WebhookEndpoint(endpoint))
    }

    /// A new signing secret; the old one keeps signing beside it for 24 hours.
    async fn rotate_webhook_endpoint_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<WebhookEndpointWithSecret> {
        let principal = require_token(ctx)?;
        let (endpoint, secret) = endpoints::rotate_secret(db(ctx)?, principal, &id)
            .await
            .gql()?;
        Ok(WebhookEndpointWithSecret {
            endpoint: WebhookEndpoint(endpoint),
            secret,
        })
    }

    /// Deletes an endpoint with its deliveries. Returns its id.
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let principal = require_token(ctx)?;
        let endpoint = endpoints::delete(db(ctx)?, principal, &id).await.gql()?;
        Ok(ID(endpoint.public_id))
    }

    /// Sends a `webhook.test` event to an endpoint.
    async fn send_test_event(&self, ctx: &Context<'_>, endpoint_id: ID) -> Result<Event> {
        let principal = require_token(ctx)?;
        let event = events::send_test(db(ctx)?, principal, &endpoint_id, after_commit(ctx)?)
            .await
            .gql()?;
        Ok(Event(event))
    }

    /// Attempts a delivery again now.
    async fn redeliver(&self, ctx: &Context<'_>, delivery_id: ID) -> Result<Delivery> {
        let principal = require_token(ctx)?;
        let id = self::delivery_id(&delivery_id)?;
        let delivery = deliveries::redeliver(db(ctx)?, principal, id, after_commit(ctx)?)
            .await
            .gql()?;
        Ok(Delivery(delivery))
    }

    /// Attempts again every failed delivery of an endpoint created since a time. Returns
    /// how many.
    async fn redeliver_failed(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        since: DateTime,
    ) -> Result<i32> {
        let principal = require_token(ctx)?;
        let count = deliveries::redeliver_failed(
            db(ctx)?,
            principal,
            &endpoint_id,
            since.0,
            after_commit(ctx)?,
        )
        .await
        .gql()?;
        Ok(int(count))
    }
}
