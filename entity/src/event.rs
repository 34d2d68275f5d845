//! Something that happened in the network, stored with the exact JSON body partners get.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Public identifier (`msg_…`), sent as `webhook-id`.
    #[sea_orm(unique)]
    pub public_id: String,
    /// Dot-separated type, e.g. `cohort.admitted`.
    pub event_type: String,
    /// The JSON body, byte for byte as delivered.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// Region slugs the event concerns, space-separated (for endpoint filters).
    pub regions: String,
    /// Country ISO alpha-2 codes the event concerns, space-separated.
    pub countries: String,
    /// The cohort an admission event belongs to.
    pub cohort_id: Option<i32>,
    /// The one endpoint a `webhook.test` event is for.
    pub endpoint_id: Option<i32>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::delivery::Entity")]
    Delivery,
}

impl Related<super::delivery::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Delivery.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
