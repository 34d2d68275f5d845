//! A member city, with its name exactly as published.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "city")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable identifier derived from the name (see [`crate::names::slugify`]).
    #[sea_orm(unique)]
    pub slug: String,
    /// The name as published, diacritics and typographic apostrophes kept.
    pub name: String,
    /// The name folded for search: ASCII, lower case (see [`crate::names::fold`]).
    pub search_name: String,
    pub country_id: i32,
    pub cohort_id: i32,
    pub latitude: f64,
    pub longitude: f64,
    /// GeoNames id of the place the coordinates come from, when there is one.
    pub geonames_id: Option<i64>,
    /// What is approximate or worth knowing about the coordinates.
    pub location_note: Option<String>,
    /// The day the city left the network; `None` while it is a member.
    pub withdrawn_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::country::Entity",
        from = "Column::CountryId",
        to = "super::country::Column::Id"
    )]
    Country,
    #[sea_orm(
        belongs_to = "super::cohort::Entity",
        from = "Column::CohortId",
        to = "super::cohort::Column::Id"
    )]
    Cohort,
}

impl Related<super::country::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Country.def()
    }
}

impl Related<super::cohort::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cohort.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
