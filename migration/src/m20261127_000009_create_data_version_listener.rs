//! The processes that follow the data version by PostgreSQL's notifications, and the
//! version each has applied to its response cache. A change's answer waits until every
//! live one has applied it; a process that stopped without leaving is no longer waited
//! for once `alive_until` has passed (each refreshes it while it listens).

use sea_orm_migration::prelude::*;

use crate::columns::{millis, text_key};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000009_create_data_version_listener"
    }
}

#[derive(DeriveIden)]
enum DataVersionListener {
    Table,
    Process,
    Version,
    AliveUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataVersionListener::Table)
                    .col(text_key(DataVersionListener::Process))
                    .col(
                        ColumnDef::new(DataVersionListener::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(millis(DataVersionListener::AliveUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataVersionListener::Table).to_owned())
            .await
    }
}
