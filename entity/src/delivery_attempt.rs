//! One HTTP attempt of a delivery, as it went.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_attempt")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub delivery_id: i32,
    pub attempted_at: i64,
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    /// The start of the response body, bounded.
    pub response_excerpt: Option<String>,
    /// What went wrong, when it did (time-out, refused address, connection error, status).
    pub error: Option<String>,
    /// The `webhook-timestamp` it was sent with (none before the request was made, or
    /// for attempts recorded before gnlc kept it).
    pub webhook_timestamp: Option<i64>,
    /// The `webhook-signature` it was sent with.
    pub webhook_signature: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::delivery::Entity",
        from = "Column::DeliveryId",
        to = "super::delivery::Column::Id"
    )]
    Delivery,
}

impl Related<super::delivery::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Delivery.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
