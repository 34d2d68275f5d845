//! Sessions of the console for people (`/console`): a browser signs in with an API token
//! and gets a random session id in a cookie. Only a SHA-256 of the id is kept, with the
//! token it was opened with (a revoked token's sessions stop working) and when it ends.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, millis};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000010_create_console_session"
    }
}

#[derive(DeriveIden)]
enum ConsoleSession {
    Table,
    Id,
    SessionHash,
    TokenId,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsoleSession::Table)
                    .col(id(ConsoleSession::Id))
                    .col(
                        ColumnDef::new(ConsoleSession::SessionHash)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ConsoleSession::TokenId).integer().not_null())
                    .col(millis(ConsoleSession::CreatedAt))
                    .col(millis(ConsoleSession::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                ConsoleSession::Table,
                "console_session_token",
                &["token_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsoleSession::Table).to_owned())
            .await
    }
}
