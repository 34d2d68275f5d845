//! Loads what a query will ask for, level by level, before its resolvers ask.
//!
//! A list resolver (`regions`, `cities`, …) looks ahead at the selection below it and fills
//! the request's DataLoader cache one level at a time: one statement per relation and
//! level, whatever the number of rows. The resolvers below then find their rows in the
//! cache. Without this, batching would rest on the DataLoader's 1 ms timer alone, and a
//! busy server could split a batch into several statements.

use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Lookahead, Result};
use entity::{city, cohort, country, region};

use super::budget::charge;
use super::error::LoadError;
use super::loaders::{
    CitiesOfCohort, CitiesOfCountry, CityCountOfRegion, CohortId, CountriesOfRegion, CountryId,
    Database, Loaders, RegionId,
};
use super::{ResultExt, loader};
use crate::membership::Membership;

type Prefetch<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// One level of prefetching: loads what a selection asks for below rows of one type
/// ([`regions`], [`countries`], [`cities`], [`cohorts`]), called through [`descend`].
pub type Level<'a, M> = fn(&'a Loaders, Lookahead<'a>, Vec<M>) -> Prefetch<'a>;

/// What a root field does with the rows it read before its resolvers below run: charges
/// them to the response budget and prefetches what its selection asks for below them.
pub async fn list<'a, M: Clone>(
    ctx: &'a Context<'_>,
    rows: &[M],
    level: Level<'a, M>,
) -> Result<()> {
    charge(ctx, rows.len())?;
    descend(level, loader(ctx)?, ctx.look_ahead(), rows.to_vec()).await
}

/// The same for a root field that finds one row at most (not charged: one value).
pub async fn one<'a, M: Clone>(
    ctx: &'a Context<'_>,
    row: &Option<M>,
    level: Level<'a, M>,
) -> Result<()> {
    let row = row.iter().cloned().collect();
    descend(level, loader(ctx)?, ctx.look_ahead(), row).await
}

/// The same for a page of a connection, whose nodes select through `edges` and `nodes`.
pub async fn page<'a, M: Clone>(
    ctx: &'a Context<'_>,
    rows: &[M],
    level: Level<'a, M>,
) -> Result<()> {
    charge(ctx, rows.len())?;
    let loader = loader(ctx)?;
    let look = ctx.look_ahead();
    for nodes in [look.field("edges").field("node"), look.field("nodes")] {
        descend(level, loader, nodes, rows.to_vec()).await?;
    }
    Ok(())
}

/// Prefetches with `level` below rows, when there are any and the selection asks for
/// something below them.
async fn descend<'a, M>(
    level: Level<'a, M>,
    loader: &'a Loaders,
    look: Lookahead<'a>,
    rows: Vec<M>,
) -> Result<()> {
    if rows.is_empty() || !look.exists() {
        return Ok(());
    }
    level(loader, look, rows).await
}

fn selects(look: &Lookahead<'_>, fields: &[&str]) -> bool {
    fields.iter().any(|f| look.field(f).exists())
}

/// A to-one relation below rows, when the selection asks for `field`: loads the rows
/// `keys` point at (one statement for all) and prefetches below them.
async fn parents<'a, K, M>(
    loader: &'a Loaders,
    look: &Lookahead<'a>,
    field: &str,
    keys: Vec<K>,
    below: Level<'a, M>,
) -> Result<()>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    M: Send + Sync + Clone + 'static,
    Database: Loader<K, Value = M, Error = LoadError>,
{
    if !selects(look, &[field]) {
        return Ok(());
    }
    let found = loader.load_many(keys).await.gql()?;
    let found = found.into_values().collect();
    descend(below, loader, look.field(field), found).await
}

/// A to-many relation below rows, when the selection asks for its `list` or its `count`:
/// loads the children of every row (one statement for all) and prefetches below them.
/// Whether it loaded them.
async fn children<'a, K, M>(
    loader: &'a Loaders,
    look: &Lookahead<'a>,
    [list, count]: [&str; 2],
    keys: Vec<K>,
    below: Level<'a, M>,
) -> Result<bool>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    M: Send + Sync + Clone + 'static,
    Database: Loader<K, Value = Vec<M>, Error = LoadError>,
{
    if !selects(look, &[list, count]) {
        return Ok(false);
    }
    let groups = loader.load_many(keys).await.gql()?;
    let children = groups.into_values().flatten().collect();
    descend(below, loader, look.field(list), children).await?;
    Ok(true)
}

/// Below regions: their countries (and what is below them), and their city counts.
pub fn regions<'a>(
    loader: &'a Loaders,
    look: Lookahead<'a>,
    rows: Vec<region::Model>,
) -> Prefetch<'a> {
    Box::pin(async move {
        // Found by id from here on without another statement (a city's `region`, say).
        loader
            .feed_many(rows.iter().map(|r| (RegionId(r.id), r.clone())))
            .await;
        let countries_of = rows.iter().map(|r| CountriesOfRegion(r.id)).collect();
        let has_countries = children(
            loader,
            &look,
            ["countries", "countryCount"],
            countries_of,
            countries,
        )
        .await?;
        if selects(&look, &["cityCount"]) {
            // With every city of the regions' countries loaded, their counts need no query.
            if has_countries && selects_cities(&look.field("countries")) {
                count_cities(loader, &rows).await?;
            } else {
                loader
                    .load_many(rows.iter().map(|r| CityCountOfRegion(r.id)))
                    .await
                    .gql()?;
            }
        }
        Ok(())
    })
}

/// Whether a country selection has its cities loaded (see [`countries`]).
fn selects_cities(look: &Lookahead<'_>) -> bool {
    look.exists() && selects(look, &["cities", "cityCount"])
}

/// Feeds each region's count of current member cities from the cities of its countries,
/// all already loaded: no statement.
async fn count_cities(loader: &Loaders, regions: &[region::Model]) -> Result<()> {
    let countries_of = loader
        .load_many(regions.iter().map(|r| CountriesOfRegion(r.id)))
        .await
        .gql()?;
    let mut counts = Vec::with_capacity(countries_of.len());
    for (region, countries) in countries_of {
        let cities = loader
            .load_many(countries.iter().map(|c| CitiesOfCountry(c.id)))
            .await
            .gql()?;
        let members = cities
            .values()
            .flatten()
            .filter(|city| Membership::Current.includes(city))
            .count();
        counts.push((CityCountOfRegion(region.0), members as u64));
    }
    loader.feed_many(counts).await;
    Ok(())
}

/// Below countries: their regions and their cities.
pub fn countries<'a>(
    loader: &'a Loaders,
    look: Lookahead<'a>,
    rows: Vec<country::Model>,
) -> Prefetch<'a> {
    Box::pin(async move {
        // A city's `country`, below, is one of these: found without another statement.
        loader
            .feed_many(rows.iter().map(|c| (CountryId(c.id), c.clone())))
            .await;
        let regions_of = rows.iter().map(|c| RegionId(c.region_id)).collect();
        parents(loader, &look, "region", regions_of, regions).await?;
        let cities_of = rows.iter().map(|c| CitiesOfCountry(c.id)).collect();
        children(loader, &look, ["cities", "cityCount"], cities_of, cities).await?;
        Ok(())
    })
}

/// Below cities: their countries and their cohorts.
pub fn cities<'a>(
    loader: &'a Loaders,
    look: Lookahead<'a>,
    rows: Vec<city::Model>,
) -> Prefetch<'a> {
    Box::pin(async move {
        let countries_of = rows.iter().map(|c| CountryId(c.country_id)).collect();
        parents(loader, &look, "country", countries_of, countries).await?;
        let cohorts_of = rows.iter().map(|c| CohortId(c.cohort_id)).collect();
        parents(loader, &look, "cohort", cohorts_of, cohorts).await
    })
}

/// Below cohorts: their cities.
pub fn cohorts<'a>(
    loader: &'a Loaders,
    look: Lookahead<'a>,
    rows: Vec<cohort::Model>,
) -> Prefetch<'a> {
    Box::pin(async move {
        let cities_of = rows.iter().map(|c| CitiesOfCohort(c.id)).collect();
        children(loader, &look, ["cities", "cityCount"], cities_of, cities).await?;
        Ok(())
    })
}
