//! A process following the data version by notification: the version it has applied, and
//! until when it counts as alive (it refreshes that while it listens).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_version_listener")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub process: String,
    pub version: i64,
    /// Unix milliseconds.
    pub alive_until: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
