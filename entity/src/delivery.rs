//! One event to deliver to one endpoint: the outbox row the delivery worker claims.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub event_id: i32,
    pub endpoint_id: i32,
    pub status: DeliveryStatus,
    pub attempt_count: i32,
    /// When the next attempt is due (Unix ms).
    pub next_attempt_at: i64,
    /// A worker holds the delivery until then (Unix ms).
    pub lease_until: Option<i64>,
    pub leased_by: Option<String>,
    pub last_status_code: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where a delivery stands, stored as its lower-case name.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt (a worker may hold it, leased, meanwhile).
    #[sea_orm(string_value = "pending")]
    Pending,
    /// The endpoint answered 2xx.
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    /// Retries exhausted, or the endpoint answered 410 Gone.
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::event::Entity",
        from = "Column::EventId",
        to = "super::event::Column::Id"
    )]
    Event,
    #[sea_orm(
        belongs_to = "super::webhook_endpoint::Entity",
        from = "Column::EndpointId",
        to = "super::webhook_endpoint::Column::Id"
    )]
    WebhookEndpoint,
    #[sea_orm(has_many = "super::delivery_attempt::Entity")]
    DeliveryAttempt,
}

impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl Related<super::webhook_endpoint::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WebhookEndpoint.def()
    }
}

impl Related<super::delivery_attempt::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DeliveryAttempt.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
