//! An intake of the network: the cities admitted on one announcement date, with the
//! figures UNESCO published for it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cohort")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub year: i32,
    pub announced_on: Date,
    /// Published number of cities admitted in this intake.
    pub new_cities: i32,
    /// Published number of countries those cities belong to.
    pub new_countries: i32,
    /// Published size of the network after the intake (net of departures), when known.
    pub network_cities_after: Option<i32>,
    pub network_countries_after: Option<i32>,
    /// Digest of the admission that listed this cohort's cities (`None` for intakes
    /// seeded with their figures only): re-sending the same admission is recognised.
    pub admission_digest: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::city::Entity")]
    City,
}

impl Related<super::city::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::City.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
