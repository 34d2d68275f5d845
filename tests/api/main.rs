//! Integration tests: the real server on port 0, a fresh database each, spoken to over
//! HTTP as a partner site would.

mod binary;
mod cohorts;
mod errors;
mod helpers;
mod membership;
mod nearby;
mod pagination;
