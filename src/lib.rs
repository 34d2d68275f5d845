//! gnlc: the UNESCO Global Network of Learning Cities as a GraphQL API.
//!
//! Requests flow one way: HTTP (`startup`) → async-graphql (`graphql`) → the
//! membership operations (`membership`, `admission`, `access`) → SeaORM (`entity`) → the
//! database. The notifier (`webhooks`) flows the other way: outbox rows → the delivery
//! worker → the partners' endpoints.

pub mod access;
pub mod admission;
pub mod after_commit;
pub mod cli;
pub mod clock;
pub mod cohort_file;
pub mod config;
pub mod console;
pub mod data_version;
pub mod database;
pub mod digest;
pub mod flags;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod membership;
pub mod pagination;
pub mod shutdown;
pub mod startup;
pub mod subscriptions;
pub mod telemetry;
pub mod webhooks;
