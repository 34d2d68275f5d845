//! The notifier: signing, the address guard, the retry schedule, the outbox, webhook
//! endpoints and deliveries, and the delivery worker.

pub mod endpoints;
pub mod guard;
pub mod outbox;
pub mod payload;
pub mod schedule;
pub mod settings;
pub mod signing;
pub mod worker;
