//! Regions, countries, cohorts and cities, with the keys and indexes the read API uses.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index};
use sea_orm_migration::sea_orm::DatabaseBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000001_create_membership"
    }
}

#[derive(DeriveIden)]
pub(crate) enum Region {
    Table,
    Id,
    Slug,
    Name,
}

#[derive(DeriveIden)]
pub(crate) enum Country {
    Table,
    Id,
    Iso2,
    Iso3,
    Name,
    RegionId,
}

#[derive(DeriveIden)]
pub(crate) enum Cohort {
    Table,
    Id,
    Year,
    AnnouncedOn,
    NewCities,
    NewCountries,
    NetworkCitiesAfter,
    NetworkCountriesAfter,
}

#[derive(DeriveIden)]
pub(crate) enum City {
    Table,
    Id,
    Slug,
    Name,
    SearchName,
    CountryId,
    CohortId,
    Latitude,
    Longitude,
    GeonamesId,
    LocationNote,
}

/// A text column that sorts and compares byte by byte on every backend, so that keyset
/// pagination and ordering agree between SQLite (BINARY) and PostgreSQL (whose default
/// collation depends on the server's locale).
fn sortable_text(column: impl IntoIden, backend: DatabaseBackend) -> ColumnDef {
    let mut def = ColumnDef::new(column);
    def.string().not_null();
    if backend == DatabaseBackend::Postgres {
        def.extra("COLLATE \"C\"");
    }
    def
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(Region::Table)
                    .col(id(Region::Id))
                    .col(sortable_text(Region::Slug, backend).unique_key())
                    .col(sortable_text(Region::Name, backend).unique_key())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Country::Table)
                    .col(id(Country::Id))
                    .col(
                        ColumnDef::new(Country::Iso2)
                            .char_len(2)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Country::Iso3)
                            .char_len(3)
                            .not_null()
                            .unique_key(),
                    )
                    .col(sortable_text(Country::Name, backend).unique_key())
                    .col(ColumnDef::new(Country::RegionId).integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_country_region")
                            .from(Country::Table, Country::RegionId)
                            .to(Region::Table, Region::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Country::Table,
                "idx_country_region",
                &["region_id", "name"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Cohort::Table)
                    .col(id(Cohort::Id))
                    .col(
                        ColumnDef::new(Cohort::Year)
                            .integer()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Cohort::AnnouncedOn).date().not_null())
                    .col(ColumnDef::new(Cohort::NewCities).integer().not_null())
                    .col(ColumnDef::new(Cohort::NewCountries).integer().not_null())
                    .col(ColumnDef::new(Cohort::NetworkCitiesAfter).integer().null())
                    .col(
                        ColumnDef::new(Cohort::NetworkCountriesAfter)
                            .integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(City::Table)
                    .col(id(City::Id))
                    .col(sortable_text(City::Slug, backend).unique_key())
                    .col(ColumnDef::new(City::Name).string().not_null())
                    .col(sortable_text(City::SearchName, backend))
                    .col(ColumnDef::new(City::CountryId).integer().not_null())
                    .col(ColumnDef::new(City::CohortId).integer().not_null())
                    .col(ColumnDef::new(City::Latitude).double().not_null())
                    .col(ColumnDef::new(City::Longitude).double().not_null())
                    .col(ColumnDef::new(City::GeonamesId).big_integer().null())
                    .col(ColumnDef::new(City::LocationNote).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_city_country")
                            .from(City::Table, City::CountryId)
                            .to(Country::Table, Country::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_city_cohort")
                            .from(City::Table, City::CohortId)
                            .to(Cohort::Table, Cohort::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_city_country_slug", &["country_id", "slug"][..]),
            ("idx_city_cohort_slug", &["cohort_id", "slug"][..]),
            ("idx_city_search_name", &["search_name"][..]),
            ("idx_city_latitude", &["latitude"][..]),
        ] {
            manager
                .create_index(index(City::Table, name, columns))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(City::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Cohort::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Country::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Region::Table).to_owned())
            .await
    }
}
