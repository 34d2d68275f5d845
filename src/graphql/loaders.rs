//! Batch loaders: every nested field loads all its parents' rows in one SQL statement, so
//! a request costs statements in proportion to its depth, never to its rows.
//! One `DataLoader` is made per request: its cache lives as long as the request, so
//! nothing is cached between requests. `prefetch` fills it ahead of the resolvers.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{city, cohort, country, region};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};

use super::error::LoadError;
use crate::membership::Membership;

pub struct Database(pub DatabaseConnection);

pub type Loaders = DataLoader<Database, HashMapCache>;

/// No batching delay: `prefetch` batches by construction, and a load that was not
/// prefetched still waits for its siblings, as the spawned batch runs only once the
/// request's task yields on the worker's single-threaded runtime.
pub fn per_request(db: DatabaseConnection) -> Loaders {
    DataLoader::with_cache(Database(db), tokio::spawn, HashMapCache::default())
        .delay(Duration::ZERO)
}

/// Forgets every row the loaders hold, for a request that lives on: a subscription, each of
/// whose answers reads the data as it is when its event comes (a city withdrawn since the
/// last answer is gone from the next, a city admitted since is there). Every key type of
/// the `Loader` impls below.
pub fn forget_all(loaders: &Loaders) {
    loaders.clear::<RegionId>();
    loaders.clear::<CountryId>();
    loaders.clear::<CohortId>();
    loaders.clear::<CountriesOfRegion>();
    loaders.clear::<CitiesOfCountry>();
    loaders.clear::<CitiesOfCohort>();
    loaders.clear::<CityCountOfRegion>();
    loaders.clear::<AccountId>();
    loaders.clear::<EventId>();
    loaders.clear::<EndpointId>();
    loaders.clear::<AttemptsOfDelivery>();
}

/// Keys: a row by its id, or the children of a parent row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegionId(pub i32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryId(pub i32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CohortId(pub i32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountriesOfRegion(pub i32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CitiesOfCountry(pub i32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CitiesOfCohort(pub i32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CityCountOfRegion(pub i32);

fn ids<K: Copy>(keys: &[K], id: impl Fn(K) -> i32) -> Vec<i32> {
    keys.iter().map(|k| id(*k)).collect()
}

/// Groups rows under their parent keys; every requested key gets an entry, empty or not.
fn group<K: Eq + Hash + Copy, M>(
    keys: &[K],
    rows: Vec<M>,
    key_of: impl Fn(&M) -> K,
) -> HashMap<K, Vec<M>> {
    let mut groups: HashMap<K, Vec<M>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for row in rows {
        groups.entry(key_of(&row)).or_default().push(row);
    }
    groups
}

impl Loader<RegionId> for Database {
    type Value = region::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[RegionId]) -> Result<HashMap<RegionId, Self::Value>, Self::Error> {
        let rows = region::Entity::find()
            .filter(region::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|r| (RegionId(r.id), r)).collect())
    }
}

impl Loader<CountryId> for Database {
    type Value = country::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CountryId],
    ) -> Result<HashMap<CountryId, Self::Value>, Self::Error> {
        let rows = country::Entity::find()
            .filter(country::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|c| (CountryId(c.id), c)).collect())
    }
}

impl Loader<CohortId> for Database {
    type Value = cohort::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[CohortId]) -> Result<HashMap<CohortId, Self::Value>, Self::Error> {
        let rows = cohort::Entity::find()
            .filter(cohort::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|c| (CohortId(c.id), c)).collect())
    }
}

impl Loader<CountriesOfRegion> for Database {
    type Value = Vec<country::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CountriesOfRegion],
    ) -> Result<HashMap<CountriesOfRegion, Self::Value>, Self::Error> {
        let rows = country::Entity::find()
            .filter(country::Column::RegionId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(country::Column::Name)
            .all(&self.0)
            .await?;
        Ok(group(keys, rows, |c| CountriesOfRegion(c.region_id)))
    }
}

impl Loader<CitiesOfCountry> for Database {
    type Value = Vec<city::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CitiesOfCountry],
    ) -> Result<HashMap<CitiesOfCountry, Self::Value>, Self::Error> {
        let rows = city::Entity::find()
            .filter(city::Column::CountryId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(city::Column::Slug)
            .all(&self.0)
            .await?;
        Ok(group(keys, rows, |c| CitiesOfCountry(c.country_id)))
    }
}

impl Loader<CitiesOfCohort> for Database {
    type Value = Vec<city::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CitiesOfCohort],
    ) -> Result<HashMap<CitiesOfCohort, Self::Value>, Self::Error> {
        let rows = city::Entity::find()
            .filter(city::Column::CohortId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(city::Column::Slug)
            .all(&self.0)
            .await?;
        Ok(group(keys, rows, |c| CitiesOfCohort(c.cohort_id)))
    }
}

#[derive(Debug, FromQueryResult)]
struct RegionCityCount {
    region_id: i32,
    cities: i64,
}

impl Loader<CityCountOfRegion> for Database {
    type Value = u64;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CityCountOfRegion],
    ) -> Result<HashMap<CityCountOfRegion, Self::Value>, Self::Error> {
        let counts = city::Entity::find()
            .select_only()
            .column(country::Column::RegionId)
            .column_as(city::Column::Id.count(), "cities")
            .join(JoinType::InnerJoin, city::Relation::Country.def())
            .filter(country::Column::RegionId.is_in(ids(keys, |k| k.0)))
            .filter(Membership::Current.condition())
            .group_by(country::Column::RegionId)
            .into_model::<RegionCityCount>()
            .all(&self.0)
            .await?;
        let mut result: HashMap<_, _> = keys.iter().map(|k| (*k, 0)).collect();
        for row in counts {
            result.insert(CityCountOfRegion(row.region_id), row.cities.max(0) as u64);
        }
        Ok(result)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventId(pub i32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndpointId(pub i32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttemptsOfDelivery(pub i32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountId(pub i32);

impl Loader<AccountId> for Database {
    type Value = entity::account::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[AccountId],
    ) -> Result<HashMap<AccountId, Self::Value>, Self::Error> {
        let rows = entity::account::Entity::find()
            .filter(entity::account::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|a| (AccountId(a.id), a)).collect())
    }
}

impl Loader<EventId> for Database {
    type Value = entity::event::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[EventId]) -> Result<HashMap<EventId, Self::Value>, Self::Error> {
        let rows = entity::event::Entity::find()
            .filter(entity::event::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|e| (EventId(e.id), e)).collect())
    }
}

impl Loader<EndpointId> for Database {
    type Value = entity::webhook_endpoint::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[EndpointId],
    ) -> Result<HashMap<EndpointId, Self::Value>, Self::Error> {
        let rows = entity::webhook_endpoint::Entity::find()
            .filter(entity::webhook_endpoint::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|e| (EndpointId(e.id), e)).collect())
    }
}

impl Loader<AttemptsOfDelivery> for Database {
    type Value = Vec<entity::delivery_attempt::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[AttemptsOfDelivery],
    ) -> Result<HashMap<AttemptsOfDelivery, Self::Value>, Self::Error> {
        use entity::delivery_attempt::{Column, Entity};
        let rows = Entity::find()
            .filter(Column::DeliveryId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(Column::Id)
            .all(&self.0)
            .await?;
        Ok(group(keys, rows, |a| AttemptsOfDelivery(a.delivery_id)))
    }
}
