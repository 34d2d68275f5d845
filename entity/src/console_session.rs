//! A signed-in browser of the console: the hash of its session id, the API token it signed
//! in with, and when it ends.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_session")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// SHA-256 of the session id, hex: the id itself is only in the browser's cookie.
    #[sea_orm(unique)]
    pub session_hash: String,
    /// The API token signed in with: revoking it ends the session.
    pub token_id: i32,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
