//! Keys the server signs with, shared by every gnlc process on the database and kept
//! across restarts: one row per purpose (`cursor`: Relay cursors). Each key is made on
//! first use, by whichever process needs it first: 32 random bytes, stored in URL-safe
//! base64.

use sea_orm_migration::prelude::*;

use crate::columns::{millis, text_key};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000008_create_server_key"
    }
}

#[derive(DeriveIden)]
enum ServerKey {
    Table,
    Purpose,
    Secret,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServerKey::Table)
                    .col(text_key(ServerKey::Purpose))
                    .col(ColumnDef::new(ServerKey::Secret).string().not_null())
                    .col(millis(ServerKey::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServerKey::Table).to_owned())
            .await
    }
}
