//! Integration tests: the real server on port 0, a fresh database each, spoken to over
//! HTTP as a partner site would.

mod access;
mod admission;
mod binary;
mod cohorts;
mod errors;
mod helpers;
mod membership;
mod nearby;
mod notify;
mod pagination;
mod receiver;
mod webhooks;
mod workers;
