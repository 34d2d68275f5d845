//! A member country, named as UNESCO writes it and keyed by ISO 3166-1 codes.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "country")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// ISO 3166-1 alpha-2, upper case.
    #[sea_orm(unique)]
    pub iso2: String,
    /// ISO 3166-1 alpha-3, upper case.
    #[sea_orm(unique)]
    pub iso3: String,
    #[sea_orm(unique)]
    pub name: String,
    pub region_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::region::Entity",
        from = "Column::RegionId",
        to = "super::region::Column::Id"
    )]
    Region,
    #[sea_orm(has_many = "super::city::Entity")]
    City,
}

impl Related<super::region::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Region.def()
    }
}

impl Related<super::city::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::City.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
