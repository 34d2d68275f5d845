//! API tokens, admissions and withdrawals, and the notifier's tables: events, webhook
//! endpoints, deliveries (the transactional outbox) and their attempts.
//! Times are Unix milliseconds (BIGINT): they compare the same way on every backend.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, millis};
use crate::m20261125_000001_create_membership::{City, Cohort};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000003_create_access_and_webhooks"
    }
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    Name,
    Role,
    TokenHash,
    Prefix,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoint {
    Table,
    Id,
    PublicId,
    Owner,
    Url,
    Description,
    EventTypes,
    Regions,
    Countries,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    Status,
    DisabledReason,
    FailingSince,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)] // the column is `event_type`
enum Event {
    Table,
    Id,
    PublicId,
    EventType,
    Payload,
    Regions,
    Countries,
    CohortId,
    EndpointId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Delivery {
    Table,
    Id,
    EventId,
    EndpointId,
    Status,
    AttemptCount,
    NextAttemptAt,
    LeaseUntil,
    LeasedBy,
    LastStatusCode,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DeliveryAttempt {
    Table,
    Id,
    DeliveryId,
    AttemptedAt,
    StatusCode,
    DurationMs,
    ResponseExcerpt,
    Error,
}

#[derive(DeriveIden)]
enum Admission {
    AdmissionDigest,
    WithdrawnOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cohort::Table)
                    .add_column(ColumnDef::new(Admission::AdmissionDigest).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(City::Table)
                    .add_column(ColumnDef::new(Admission::WithdrawnOn).date().null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(id(ApiToken::Id))
                    .col(ColumnDef::new(ApiToken::Name).string().not_null())
                    .col(ColumnDef::new(ApiToken::Role).string().not_null())
                    .col(
                        ColumnDef::new(ApiToken::TokenHash)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ApiToken::Prefix).string().not_null())
                    .col(millis(ApiToken::CreatedAt))
                    .col(ColumnDef::new(ApiToken::RevokedAt).big_integer().null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoint::Table)
                    .col(id(WebhookEndpoint::Id))
                    .col(
                        ColumnDef::new(WebhookEndpoint::PublicId)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(WebhookEndpoint::Owner).string().not_null())
                    .col(ColumnDef::new(WebhookEndpoint::Url).text().not_null())
                    .col(
                        ColumnDef::new(WebhookEndpoint::Description)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoint::EventTypes)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookEndpoint::Regions).text().not_null())
                    .col(ColumnDef::new(WebhookEndpoint::Countries).text().not_null())
                    .col(ColumnDef::new(WebhookEndpoint::Secret).string().not_null())
                    .col(
                        ColumnDef::new(WebhookEndpoint::PreviousSecret)
                            .string()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoint::PreviousSecretExpiresAt)
                            .big_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(WebhookEndpoint::Status).string().not_null())
                    .col(
                        ColumnDef::new(WebhookEndpoint::DisabledReason)
                            .text()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoint::FailingSince)
                            .big_integer()
                            .null(),
                    )
                    .col(millis(WebhookEndpoint::CreatedAt))
                    .col(millis(WebhookEndpoint::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                WebhookEndpoint::Table,
                "idx_webhook_endpoint_owner",
                &["owner"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .col(id(Event::Id))
                    .col(
                        ColumnDef::new(Event::PublicId)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Event::EventType).string().not_null())
                    .col(ColumnDef::new(Event::Payload).text().not_null())
                    .col(ColumnDef::new(Event::Regions).text().not_null())
                    .col(ColumnDef::new(Event::Countries).text().not_null())
                    .col(ColumnDef::new(Event::CohortId).integer().null())
                    .col(ColumnDef::new(Event::EndpointId).integer().null())
                    .col(millis(Event::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Event::Table, "idx_event_cohort", &["cohort_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Delivery::Table)
                    .col(id(Delivery::Id))
                    .col(ColumnDef::new(Delivery::EventId).integer().not_null())
                    .col(ColumnDef::new(Delivery::EndpointId).integer().not_null())
                    .col(ColumnDef::new(Delivery::Status).string().not_null())
                    .col(ColumnDef::new(Delivery::AttemptCount).integer().not_null())
                    .col(millis(Delivery::NextAttemptAt))
                    .col(ColumnDef::new(Delivery::LeaseUntil).big_integer().null())
                    .col(ColumnDef::new(Delivery::LeasedBy).string().null())
                    .col(ColumnDef::new(Delivery::LastStatusCode).integer().null())
                    .col(millis(Delivery::CreatedAt))
                    .col(millis(Delivery::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delivery_event")
                            .from(Delivery::Table, Delivery::EventId)
                            .to(Event::Table, Event::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delivery_endpoint")
                            .from(Delivery::Table, Delivery::EndpointId)
                            .to(WebhookEndpoint::Table, WebhookEndpoint::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_delivery_due", &["status", "next_attempt_at"][..]),
            ("idx_delivery_endpoint", &["endpoint_id", "id"][..]),
            ("idx_delivery_event", &["event_id"][..]),
        ] {
            manager
                .create_index(index(Delivery::Table, name, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(DeliveryAttempt::Table)
                    .col(id(DeliveryAttempt::Id))
                    .col(
                        ColumnDef::new(DeliveryAttempt::DeliveryId)
                            .integer()
                            .not_null(),
                    )
                    .col(millis(DeliveryAttempt::AttemptedAt))
                    .col(ColumnDef::new(DeliveryAttempt::StatusCode).integer().null())
                    .col(
                        ColumnDef::new(DeliveryAttempt::DurationMs)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DeliveryAttempt::ResponseExcerpt)
                            .text()
                            .null(),
                    )
                    .col(ColumnDef::new(DeliveryAttempt::Error).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delivery_attempt_delivery")
                            .from(DeliveryAttempt::Table, DeliveryAttempt::DeliveryId)
                            .to(Delivery::Table, Delivery::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                DeliveryAttempt::Table,
                "idx_delivery_attempt_delivery",
                &["delivery_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DeliveryAttempt::Table.into_iden(),
            Delivery::Table.into_iden(),
            Event::Table.into_iden(),
            WebhookEndpoint::Table.into_iden(),
            ApiToken::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(City::Table)
                    .drop_column(Admission::WithdrawnOn)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cohort::Table)
                    .drop_column(Admission::AdmissionDigest)
                    .to_owned(),
            )
            .await
    }
}
