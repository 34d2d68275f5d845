//! Every delivery attempt keeps the `webhook-timestamp` and `webhook-signature` it was sent
//! with, so that a partner sees in the console exactly what its endpoint was sent.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000011_record_attempt_headers"
    }
}

#[derive(DeriveIden)]
enum DeliveryAttempt {
    Table,
    WebhookTimestamp,
    WebhookSignature,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(DeliveryAttempt::Table)
                    .add_column(ColumnDef::new(DeliveryAttempt::WebhookTimestamp).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DeliveryAttempt::Table)
                    .add_column(ColumnDef::new(DeliveryAttempt::WebhookSignature).string())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            DeliveryAttempt::WebhookTimestamp,
            DeliveryAttempt::WebhookSignature,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DeliveryAttempt::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
