//! The database schema and the seed data of gnlc, as ordered migrations.
//!
//! Applied by `gnlc serve` and `gnlc migrate`, or on their own with
//! `cargo run -p migration -- up` (the sea-orm-cli interface).

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261125_000001_create_membership;
mod m20261125_000002_seed_membership;
mod m20261125_000003_create_access_and_webhooks;
mod m20261125_000004_create_data_version;
mod m20261125_000005_index_city_search;
mod m20261126_000006_index_city_location;
mod m20261127_000007_create_account;
mod m20261127_000008_create_server_key;
mod m20261127_000009_create_data_version_listener;
mod m20261127_000010_create_console_session;
mod m20261127_000011_record_attempt_headers;
mod seed;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_membership::Migration),
            Box::new(m20261125_000002_seed_membership::Migration),
            Box::new(m20261125_000003_create_access_and_webhooks::Migration),
            Box::new(m20261125_000004_create_data_version::Migration),
            Box::new(m20261125_000005_index_city_search::Migration),
            Box::new(m20261126_000006_index_city_location::Migration),
            Box::new(m20261127_000007_create_account::Migration),
            Box::new(m20261127_000008_create_server_key::Migration),
            Box::new(m20261127_000009_create_data_version_listener::Migration),
            Box::new(m20261127_000010_create_console_session::Migration),
            Box::new(m20261127_000011_record_attempt_headers::Migration),
        ]
    }
}
