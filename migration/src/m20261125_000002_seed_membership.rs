//! Seeds the five regions, the published intakes, and the 55 cities of the 2020 intake
//! in their 27 countries. Runs once, like every migration.

use std::collections::HashMap;

use entity::{city, cohort, country, names, region};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};

use crate::seed;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000002_seed_membership"
    }
}

fn data_error(e: csv::Error) -> DbErr {
    DbErr::Custom(format!("seed data: {e}"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let cities = seed::cohort_2020_cities().map_err(data_error)?;
        let intakes = seed::intakes().map_err(data_error)?;
        let db = manager.get_connection();
        let txn = db.begin().await?;

        region::Entity::insert_many(
            seed::REGIONS
                .iter()
                .map(|(slug, name)| region::ActiveModel {
                    slug: Set((*slug).to_owned()),
                    name: Set((*name).to_owned()),
                    ..Default::default()
                }),
        )
        .exec(&txn)
        .await?;
        // Only the columns this migration knows: later migrations add others.
        let region_ids: HashMap<String, i32> = region::Entity::find()
            .select_only()
            .columns([region::Column::Name, region::Column::Id])
            .into_tuple()
            .all(&txn)
            .await?
            .into_iter()
            .collect();

        let mut countries: Vec<country::ActiveModel> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for c in &cities {
            if seen.insert(c.iso2.clone()) {
                let region_id = *region_ids.get(&c.region).ok_or_else(|| {
                    DbErr::Custom(format!("seed data: unknown region {}", c.region))
                })?;
                countries.push(country::ActiveModel {
                    iso2: Set(c.iso2.clone()),
                    iso3: Set(c.iso3.clone()),
                    name: Set(c.country.clone()),
                    region_id: Set(region_id),
                    ..Default::default()
                });
            }
        }
        country::Entity::insert_many(countries).exec(&txn).await?;
        let country_ids: HashMap<String, i32> = country::Entity::find()
            .select_only()
            .columns([country::Column::Iso2, country::Column::Id])
            .into_tuple()
            .all(&txn)
            .await?
            .into_iter()
            .collect();

        cohort::Entity::insert_many(intakes.iter().map(|i| cohort::ActiveModel {
            year: Set(i.year),
            announced_on: Set(i.announced_on),
            new_cities: Set(i.new_cities),
            new_countries: Set(i.new_countries),
            network_cities_after: Set(i.network_cities_after),
            network_countries_after: Set(i.network_countries_after),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
        let cohort_id: i32 = cohort::Entity::find()
            .select_only()
            .column(cohort::Column::Id)
            .filter(cohort::Column::Year.eq(seed::MEMBER_LIST_YEAR))
            .into_tuple()
            .one(&txn)
            .await?
            .ok_or_else(|| DbErr::Custom("seed data: no 2020 intake".into()))?;

        city::Entity::insert_many(cities.into_iter().map(|c| city::ActiveModel {
            slug: Set(names::slugify(&c.city)),
            search_name: Set(names::fold(&c.city)),
            country_id: Set(country_ids[&c.iso2]),
            cohort_id: Set(cohort_id),
            latitude: Set(c.latitude),
            longitude: Set(c.longitude),
            geonames_id: Set(c.geonames_id),
            location_note: Set(c.location_note),
            name: Set(c.city),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;

        txn.commit().await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        city::Entity::delete_many().exec(db).await?;
        cohort::Entity::delete_many().exec(db).await?;
        country::Entity::delete_many().exec(db).await?;
        region::Entity::delete_many().exec(db).await?;
        Ok(())
    }
}
