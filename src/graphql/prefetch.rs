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
        if selects(&look, &["countries", "countryCount"]) {
            let groups = loader
                .load_many(rows.iter().map(|r| CountriesOfRegion(r.id)))
                .await
                .gql()?;
            countries(
                loader,
                look.field("countries"),
                groups.into_values().flatten().collect(),
            )
            .await?;
        }
        if selects(&look, &["cityCount"]) {
            loader
                .load_many(rows.iter().map(|r| CityCountOfRegion(r.id)))
                .await
                .gql()?;
        }
        Ok(())
    })
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
