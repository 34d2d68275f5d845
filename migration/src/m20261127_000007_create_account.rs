//! Accounts: who a token acts for, and who owns a webhook endpoint. An account is a role
//! and a name: tokens of one role with the same name share it (a partner rotates its
//! token and keeps its endpoints), while an admin and a partner with the same name are two
//! accounts. Endpoints were owned by a bare token name, shared across roles.
//!
//! Existing rows move over: an account for each role and name tokens have; each token
//! points at its own; each endpoint at the partner account of its owner's name, else the
//! admin account of that name, else a new partner account of that name (an owner with no
//! token left). The owner's name column is then dropped.
//!
//! On SQLite a column added to an existing table cannot be declared `NOT NULL` without a
//! default, so `account_id` is nullable there (gnlc always sets it); on PostgreSQL it is
//! `NOT NULL`. Both reference `account`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::columns::{id, index, millis};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000007_create_account"
    }
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    Role,
    Name,
    CreatedAt,
}

const ACCOUNT_ROLE_NAME: &str = "idx_account_role_name";
const ENDPOINT_OWNER: &str = "idx_webhook_endpoint_owner";
const ENDPOINT_ACCOUNT: &str = "idx_webhook_endpoint_account";
const TOKEN_ACCOUNT: &str = "idx_api_token_account";
/// The tables given an `account_id`, each with its index on it.
const OWNED: [(&str, &str); 2] = [
    ("api_token", TOKEN_ACCOUNT),
    ("webhook_endpoint", ENDPOINT_ACCOUNT),
];

/// Each statement of the move, in order (portable SQL: PostgreSQL and SQLite).
const MOVE_ROWS: [&str; 4] = [
    "INSERT INTO account (role, name, created_at) \
     SELECT role, name, MIN(created_at) FROM api_token GROUP BY role, name",
    "INSERT INTO account (role, name, created_at) \
     SELECT 'partner', owner, MIN(created_at) FROM webhook_endpoint \
     WHERE owner NOT IN (SELECT name FROM account) GROUP BY owner",
    "UPDATE api_token SET account_id = \
     (SELECT a.id FROM account a WHERE a.role = api_token.role AND a.name = api_token.name)",
    "UPDATE webhook_endpoint SET account_id = COALESCE(\
     (SELECT a.id FROM account a WHERE a.role = 'partner' AND a.name = webhook_endpoint.owner), \
     (SELECT a.id FROM account a WHERE a.role = 'admin' AND a.name = webhook_endpoint.owner))",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .col(id(Account::Id))
                    .col(ColumnDef::new(Account::Role).string().not_null())
                    .col(ColumnDef::new(Account::Name).string().not_null())
                    .col(millis(Account::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(Account::Table, ACCOUNT_ROLE_NAME, &["role", "name"])
                    .unique()
                    .to_owned(),
            )
            .await?;

        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        let db = manager.get_connection();
        for (table, _) in OWNED {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN account_id INTEGER REFERENCES account (id)"
            ))
            .await?;
        }
        for statement in MOVE_ROWS {
            db.execute_unprepared(statement).await?;
        }
        if postgres {
            for (table, _) in OWNED {
                db.execute_unprepared(&format!(
                    "ALTER TABLE {table} ALTER COLUMN account_id SET NOT NULL"
                ))
                .await?;
            }
        }
        manager
            .drop_index(
                Index::drop()
                    .name(ENDPOINT_OWNER)
                    .table(Alias::new("webhook_endpoint"))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("ALTER TABLE webhook_endpoint DROP COLUMN owner")
            .await?;
        for (table, name) in OWNED {
            manager
                .create_index(index(Alias::new(table), name, &["account_id"]))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE webhook_endpoint ADD COLUMN owner TEXT")
            .await?;
        db.execute_unprepared(
            "UPDATE webhook_endpoint SET owner = \
             (SELECT a.name FROM account a WHERE a.id = webhook_endpoint.account_id)",
        )
        .await?;
        // SQLite cannot drop a column that references another table: there it stays,
        // emptied, and the code before this migration never sets it.
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for (table, name) in OWNED {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
            let statement = if postgres {
                format!("ALTER TABLE {table} DROP COLUMN account_id")
            } else {
                format!("UPDATE {table} SET account_id = NULL")
            };
            db.execute_unprepared(&statement).await?;
        }
        manager
            .create_index(index(
                Alias::new("webhook_endpoint"),
                ENDPOINT_OWNER,
                &["owner"],
            ))
            .await?;
        manager
            .drop_table(Table::drop().table(Account::Table).to_owned())
            .await
    }
}
