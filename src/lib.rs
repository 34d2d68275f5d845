//! gnlc: the UNESCO Global Network of Learning Cities as a GraphQL API.
//!
//! Requests flow one way: HTTP (`startup`) → async-graphql (`graphql`) → the
//! membership operations (`membership`) → SeaORM (`entity`) → the database.

pub mod config;
pub mod database;
pub mod graphql;
pub mod http;
pub mod membership;
pub mod pagination;
pub mod startup;
pub mod telemetry;
