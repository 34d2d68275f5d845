//! A partner's webhook endpoint: where and which events to deliver, and how to sign them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoint")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Public identifier, `ep_…`.
    #[sea_orm(unique)]
    pub public_id: String,
    /// The account that owns it.
    pub account_id: i32,
    pub url: String,
    pub description: String,
    /// Event types it subscribes to, space-separated; empty: every type.
    pub event_types: String,
    /// Region slugs it is limited to, space-separated; empty: no limit.
    pub regions: String,
    /// Country ISO alpha-2 codes it is limited to, space-separated; empty: no limit.
    pub countries: String,
    /// `whsec_…` signing secret.
    pub secret: String,
    /// The secret before the last rotation, still signing until it expires.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub status: EndpointStatus,
    pub disabled_reason: Option<String>,
    /// When its deliveries started failing without a success since (Unix ms).
    pub failing_since: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Whether an endpoint receives its deliveries, stored as its lower-case name.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum EndpointStatus {
    /// Receives its deliveries.
    #[sea_orm(string_value = "active")]
    Active,
    /// Paused by its owner: deliveries are kept and sent when it resumes.
    #[sea_orm(string_value = "paused")]
    Paused,
    /// Disabled by gnlc (410 Gone, or failing for too long): it gets no new deliveries
    /// until its owner resumes it.
    #[sea_orm(string_value = "disabled")]
    Disabled,
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
