//! `citiesNear` filters candidates by a latitude and longitude box. An index on latitude
//! alone reads every city of the box's latitude band from the table (about 2,300 rows at
//! 100,000 cities for a 300 km box); on (latitude, longitude) the longitude test is made
//! on the index entries, and only the cities inside the box are read.

use sea_orm_migration::prelude::*;

use crate::columns::index;
use crate::m20261125_000001_create_membership::City;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000006_index_city_location"
    }
}

const LOCATION: &str = "idx_city_location";
const LATITUDE: &str = "idx_city_latitude";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                index(City::Table, LOCATION, &["latitude", "longitude"])
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(LATITUDE).table(City::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(City::Table, LATITUDE, &["latitude"]))
            .await?;
        manager
            .drop_index(Index::drop().name(LOCATION).table(City::Table).to_owned())
            .await
    }
}
