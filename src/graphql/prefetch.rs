//! Loads what a query will ask for, level by level, before its resolvers ask.
//!
//! A list resolver (`regions`, `cities`, …) looks ahead at the selection below it and fills
//! the request's DataLoader cache one level at a time: one statement per relation and
//! level, whatever the number of rows. The resolvers below then find their rows in the
//! cache. Without this, batching would rest on the DataLoader's 1 ms timer alone, and a
//! busy server could split a batch into several statements.

use std::future::Future;
use std::pin::Pin;

use async_graphql::{Lookahead, Result};
use entity::{city, cohort, country, region};

use super::ResultExt;
use super::loaders::{
    CitiesOfCohort, CitiesOfCountry, CityCountOfRegion, CohortId, CountriesOfRegion, CountryId,
    Loaders, RegionId,
};
use crate::membership::Membership;

type Prefetch<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

fn selects(look: &Lookahead<'_>, fields: &[&str]) -> bool {
    fields.iter().any(|f| look.field(f).exists())
}

/// The nodes a connection's selection asks for, through `edges { node }` and `nodes`.
pub fn connection_nodes<'a>(look: &Lookahead<'a>) -> [Lookahead<'a>; 2] {
    [look.field("edges").field("node"), look.field("nodes")]
}

pub fn regions<'a>(
    loader: &'a Loaders,
    look: Lookahead<'a>,
    rows: Vec<region::Model>,
) -> Prefetch<'a> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        // Found by id from here on without another statement (a city's `region`, say).
        loader
            .feed_many(rows.iter().map(|r| (RegionId(r.id), r.clone())))
            .await;
        let mut counted = false;
        if selects(&look, &["countries", "countryCount"]) {
            let groups = loader
                .load_many(rows.iter().map(|r| CountriesOfRegion(r.id)))
                .await
                .gql()?;
            let countries_of: Vec<(i32, Vec<i32>)> = groups
                .iter()
                .map(|(region, countries)| (region.0, countries.iter().map(|c| c.id).collect()))
                .collect();
            countries(
                loader,
                look.field("countries"),
                groups.into_values().flatten().collect(),
            )
            .await?;
            // With every city of the regions' countries loaded, their counts need no query.
            if selects(&look, &["cityCount"]) && selects_cities(&look.field("countries")) {
                count_cities(loader, countries_of).await?;
                counted = true;
            }
        }
        if selects(&look, &["cityCount"]) && !counted {
            loader
                .load_many(rows.iter().map(|r| CityCountOfRegion(r.id)))
                .await
                .gql()?;
        }
        Ok(())
    })
}

/// Whether a country selection has its cities loaded (see [`countries`]).
fn selects_cities(look: &Lookahead<'_>) -> bool {
    look.exists() && selects(look, &["cities", "cityCount"])
}

/// Feeds each region's count of current member cities from the loaded cities of its
/// countries (`(region id, its country ids)`).
async fn count_cities(loader: &Loaders, countries_of: Vec<(i32, Vec<i32>)>) -> Result<()> {
    let mut counts = Vec::with_capacity(countries_of.len());
    for (region, countries) in countries_of {
        let cities = loader
            .load_many(countries.into_iter().map(CitiesOfCountry))
            .await
            .gql()?;
        let members = cities
            .values()
            .flatten()
            .filter(|city| Membership::Current.includes(city))
            .count();
        counts.push((CityCountOfRegion(region), members as u64));
    }
    loader.feed_many(counts).await;
    Ok(())
}

pub fn countries<'a>(
    loader: &'a Loaders,
    look: Lookahead<'a>,
    rows: Vec<country::Model>,
) -> Prefetch<'a> {
    Box::pin(async move {
        if rows.is_empty() || !look.exists() {
            return Ok(());
        }
        // A city's `country`, below, is one of these: found without another statement.
        loader
            .feed_many(rows.iter().map(|c| (CountryId(c.id), c.clone())))
            .await;
        if selects(&look, &["region"]) {
            let found = loader
                .load_many(rows.iter().map(|c| RegionId(c.region_id)))
                .await
                .gql()?;
            regions(loader, look.field("region"), found.into_values().collect()).await?;
        }
        if selects(&look, &["cities", "cityCount"]) {
            let groups = loader
                .load_many(rows.iter().map(|c| CitiesOfCountry(c.id)))
                .await
                .gql()?;
            cities(
                loader,
                look.field("cities"),
                groups.into_values().flatten().collect(),
            )
            .await?;
        }
        Ok(())
    })
}

pub fn cities<'a>(
    loader: &'a Loaders,
    look: Lookahead<'a>,
    rows: Vec<city::Model>,
) -> Prefetch<'a> {
    Box::pin(async move {
        if rows.is_empty() || !look.exists() {
            return Ok(());
        }
        if selects(&look, &["country"]) {
            let found = loader
                .load_many(rows.iter().map(|c| CountryId(c.country_id)))
                .await
                .gql()?;
            countries(loader, look.field("country"), found.into_values().collect()).await?;
        }
        if selects(&look, &["cohort"]) {
            let found = loader
                .load_many(rows.iter().map(|c| CohortId(c.cohort_id)))
                .await
                .gql()?;
            cohorts(loader, look.field("cohort"), found.into_values().collect()).await?;
        }
        Ok(())
    })
}

pub fn cohorts<'a>(
    loader: &'a Loaders,
    look: Lookahead<'a>,
    rows: Vec<cohort::Model>,
) -> Prefetch<'a> {
    Box::pin(async move {
        if rows.is_empty() || !look.exists() {
            return Ok(());
        }
        if selects(&look, &["cities", "cityCount"]) {
            let groups = loader
                .load_many(rows.iter().map(|c| CitiesOfCohort(c.id)))
                .await
                .gql()?;
            cities(
                loader,
                look.field("cities"),
                groups.into_values().flatten().collect(),
            )
            .await?;
        }
        Ok(())
    })
}
