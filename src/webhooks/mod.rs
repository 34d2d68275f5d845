//! The notifier: signing, the address guard, the retry schedule, the outbox and the
//! events' payloads, the lifecycle of deliveries, webhook endpoints, deliveries and events
//! as partners see them, the cohort report, and the delivery worker.

pub mod deliveries;
pub mod delivery;
pub mod endpoints;
pub mod events;
mod failing;
pub mod guard;
pub mod health;
pub mod outbox;
pub mod payload;
pub mod report;
pub mod schedule;
pub mod settings;
pub mod signing;
pub mod word_list;
pub mod worker;
