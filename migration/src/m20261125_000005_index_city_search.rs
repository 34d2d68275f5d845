//! City search (`cities(search:)`) matches any part of the folded name, `LIKE '%key%'`,
//! which a B-tree cannot serve: on PostgreSQL a trigram index (pg_trgm, a trusted
//! extension shipped with PostgreSQL) does, so a search costs the same with 100,000 cities
//! as with 300. Where pg_trgm is not installed, or on SQLite, search keeps scanning (the
//! real network is a few hundred cities).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000005_index_city_search"
    }
}

const INDEX: &str = "idx_city_search_name_trigram";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        let available = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'",
            ))
            .await?
            .is_some();
        if !available {
            return Ok(());
        }
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {INDEX} ON city USING gin (search_name gin_trgm_ops)"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX IF EXISTS {INDEX}"))
                .await?;
        }
        Ok(())
    }
}
