//! Integration tests: the real server on port 0, a fresh database each, spoken to over
//! HTTP as a partner site would.

mod access;
mod admission;
mod attacks;
mod binary;
mod caching;
mod cohorts;
mod connections;
mod console;
mod cors;
mod data_versions;
mod errors;
mod graphiql;
mod helpers;
mod limits;
mod membership;
mod mutation_attacks;
mod nearby;
mod node;
mod notify;
mod nul;
mod operating;
mod over_http;
mod pagination;
mod persisted;
mod receiver;
mod response_cache;
mod search;
mod subscriptions;
mod vendored;
mod webhooks;
mod workers;
